"""Adding a rule is editing data: in a scratch copy of the repository, a new cited rule with a
test case beside it passes `rules check/test/coverage/lint` and the data-dependent checks (counts,
generated docs, golden result) once the docs are regenerated, and nothing else is edited."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

from mscadvisor.cli import docs as cli_docs
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from tests.conftest import CliResult
from tests.datachecks import GOLDEN_POF, REPO, mask_knowledge_hash, recommend_json, stale_docs

NEW_RULE = """
[[rule]]
id = "LAB-SKIN-TOPICAL-EXOSOMES"
group = "lab"
category = "route"
summary = "Skin aging, exosomes: topical application needs no injection"
rationale = "The review's section on exosomes for skin aging describes topical application."
applies_to = { field = "candidate.id", op = "eq", value = "topical" }
when = { all = [{ field = "disease.id", op = "eq", value = "SKIN" },
                { field = "profile.modality", op = "eq", value = "exosomes" }] }
points = 1
level = "expert-synthesis"
citations = [{ section = "exo-skin" }]
"""

NEW_CASE = """
[[case]]
id = "CASE-LAB-SKIN-EXOSOMES"
summary = "Skin aging, exosomes: topical delivery gains a point"
profile = { disease = "SKIN", modality = "exosomes" }
expect = [{ fires = "LAB-SKIN-TOPICAL-EXOSOMES", candidate = "topical" }]
"""


def scratch_copy(target: Path) -> Path:
    """The parts of the repository that follow from the rules: rules/, docs/, golden results."""
    for part in ("rules", "docs", "tests/golden"):
        shutil.copytree(REPO / part, target / part)
    return target


def test_a_new_rule_with_its_case_needs_only_regenerated_docs(
    tmp_path: Path, cli: Callable[..., CliResult], kb: KnowledgeBase
) -> None:
    repo = scratch_copy(tmp_path / "repo")
    rules, docs = repo / "rules", repo / "docs"
    (rules / "scoring" / "lab.toml").write_text(NEW_RULE, encoding="utf-8")
    (rules / "scoring" / "lab.cases.toml").write_text(NEW_CASE, encoding="utf-8")
    assert stale_docs(docs, base=rules) == ["rules.md"]  # the check sees the new rule

    cli_docs.main(["--base", str(rules), str(docs)])  # the one step besides the rule and case

    edited = load_knowledge_base(base=rules, use_cache=False)
    assert set(edited.rules) - set(kb.rules) == {"LAB-SKIN-TOPICAL-EXOSOMES"}
    assert set(edited.cases) - set(kb.cases) == {"CASE-LAB-SKIN-EXOSOMES"}
    assert edited.sha256 != kb.sha256

    checked = cli("rules", "check", str(rules))
    assert checked.code == 0, checked.err
    for kind, records in (("rules", edited.rules), ("test cases", edited.cases)):
        assert f"  {kind:16} {len(records)}\n" in checked.out
    tested = cli("rules", "test", "--base", str(rules))
    assert tested.code == 0, tested.out
    assert "PASS  CASE-LAB-SKIN-EXOSOMES" in tested.out
    assert tested.out.endswith(f"\n{len(edited.cases)} passed, 0 failed\n")
    coverage = cli("rules", "coverage", "--base", str(rules))
    assert coverage.code == 0, coverage.out
    waiting = len([r for r in edited.rules.values() if r.rule.dormant is not None])
    assert coverage.out.startswith(
        f"{len(edited.rules) - waiting} of {len(edited.rules)} rules fired"
    )
    assert "not covered" not in coverage.out
    linted = cli("rules", "lint", "--base", str(rules))
    assert (linted.code, linted.out) == (0, "0 finding(s)\n")

    assert stale_docs(docs, base=rules) == []
    reference = (docs / "rules.md").read_text("utf-8")
    assert "### LAB-SKIN-TOPICAL-EXOSOMES" in reference
    assert "- file: `lab.toml`, test cases in `lab.cases.toml`" in reference
    golden = repo / GOLDEN_POF.relative_to(REPO)
    result = recommend_json(edited, disease="POF")
    assert json.loads(result)["knowledge_base"]["sha256"] == edited.sha256
    assert mask_knowledge_hash(result, edited.sha256) == golden.read_text("utf-8")
    skin = json.loads(recommend_json(edited, disease="SKIN", modality="exosomes"))
    topical = next(r for r in skin["routes"] if r["id"] == "topical")
    assert "LAB-SKIN-TOPICAL-EXOSOMES" in {c["rule"] for c in topical["contributions"]}
