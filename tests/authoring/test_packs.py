"""Rule packs on top of the shipped rules, overrides, weights; exports and generated docs."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from mscadvisor.authoring import docs_gen
from mscadvisor.cli.options import complete_ids
from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.kb import condition_syntax
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from mscadvisor.kb.vocabulary import FIELDS
from tests.conftest import CliResult
from tests.datachecks import REPO, stale_docs
from tests.packs import MANIFEST, SHADOW, new_pack

Cli = Callable[..., CliResult]
DOCS = REPO / "docs"

PACK = """
[[study]]
id = "LAB-1"
table = 1
ref = 41
disease = "OP"
tissue = "DP"
species = "human"
modality = "cells"
setting = "in-vivo"
route = "IV"
effect = "Our lab's replication of DP-MSCs in ovariectomised rats."

[[rule]]
id = "LAB-DP-REPLICATED"
group = "lab"
category = "source"
summary = "Our lab replicated dental pulp MSCs for osteoporosis"
rationale = "An in-house replication of [41] adds confidence in dental pulp cells."
applies_to = { all = [{ field = "candidate.tissue", op = "eq", value = "DP" },
                      { field = "candidate.modality", op = "eq", value = "cells" }] }
when = { field = "disease.id", op = "eq", value = "OP" }
points = 4
level = "preclinical-in-vivo"
citations = [{ ref = 41 }]
"""

PACK_CASES = """
[[case]]
id = "LAB-CASE"
summary = "With our replication, dental pulp leads for osteoporosis"
profile = { disease = "OP", modality = "cells" }
expect = [{ top = "DP-cells", category = "source" },
          { fires = "LAB-DP-REPLICATED", candidate = "DP-cells" }]
"""


def make_pack(folder: Path, text: str, cases: str = "") -> Path:
    """A pack folder: its manifest, rules.toml holding text and rules.cases.toml beside it the
    test cases, if any."""
    new_pack(folder)
    (folder / "rules.toml").write_text(text, encoding="utf-8")
    if cases:
        (folder / "rules.cases.toml").write_text(cases, encoding="utf-8")
    return folder


def test_user_pack_changes_a_score_that_explain_attributes(tmp_path: Path, cli: Cli) -> None:
    pack = str(make_pack(tmp_path / "lab", PACK, PACK_CASES))
    base = cli("recommend", "-d", "OP", "--modality", "cells", "-f", "json").json()
    packed = cli(
        "--rules", pack, "recommend", "-d", "OP", "--modality", "cells", "-f", "json"
    ).json()
    score = {s["id"]: s["score"] for s in base["sources"]}
    new = {s["id"]: s["score"] for s in packed["sources"]}
    # The rule's 4 points; the pack's study cites [41], a paper Table 1 already holds, and one
    # paper counts once.
    assert new["DP-cells"] == score["DP-cells"] + 4
    assert packed["sources"][0]["id"] == "DP-cells"
    (record,) = packed["knowledge_base"]["packs"]
    assert record["path"] == pack and len(record["sha256"]) == 64
    assert packed["knowledge_base"]["sha256"] != base["knowledge_base"]["sha256"]
    explained = cli(
        "--rules",
        pack,
        "explain",
        "-d",
        "OP",
        "--modality",
        "cells",
        "-c",
        "DP-cells",
        "-f",
        "json",
    ).json()
    contributions = {c["rule"]: c for c in explained["candidate"]["contributions"]}
    assert contributions["LAB-DP-REPLICATED"]["points"] == 4
    animal = contributions["EV-SRC-ANIMAL"]
    assert "[41] Li C, 2024" in [c["label"] for c in animal["citations"]]
    assert len({"LAB-1", "T1-41"} & set(animal["records"])) == 1  # one record per paper
    papers = [u["citation"]["label"] for u in explained["candidate"]["evidence"]]
    assert papers.count("[41] Li C, 2024") == 1
    tested = cli("--rules", pack, "rules", "test")
    assert "PASS  LAB-CASE" in tested.out


def test_a_packs_test_cases_are_not_part_of_its_hash(tmp_path: Path, cli: Cli) -> None:
    def hashes(pack: Path) -> tuple[str, str]:
        kb = load_knowledge_base([pack])
        return kb.sha256, kb.packs[0].sha256

    with_cases = make_pack(tmp_path / "lab", PACK, PACK_CASES)
    without = make_pack(tmp_path / "plain", PACK)
    assert (with_cases / "rules.cases.toml").is_file()
    assert hashes(with_cases) == hashes(without)
    edited = make_pack(tmp_path / "edited", PACK, PACK_CASES.replace("leads", "comes first"))
    assert (
        load_knowledge_base([edited])
        .cases["LAB-CASE"]
        .summary.endswith("comes first for osteoporosis")
    )
    assert hashes(edited) == hashes(without)
    changed = make_pack(tmp_path / "changed", PACK.replace("points = 4", "points = 3"))
    assert hashes(changed)[0] != hashes(without)[0]
    assert hashes(changed)[1] != hashes(without)[1]


def test_pack_text_is_printed_literally_in_tables(tmp_path: Path, cli: Cli) -> None:
    literal = "Lab note :thumbs_up: [bold]kept[/bold] as typed"
    pack = str(make_pack(tmp_path / "lab", PACK.replace("Our lab replicated", literal)))
    table = cli("--rules", pack, "recommend", "-d", "OP", "--modality", "cells", "--explain")
    assert table.code == 0
    assert ":thumbs_up:" in table.out and "\N{THUMBS UP SIGN}" not in table.out
    assert "[bold]kept[/bold]" in table.out


def test_pack_from_environment(tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSCADVISOR_RULES", str(make_pack(tmp_path / "lab", PACK)))
    doc = cli("recommend", "-d", "OP", "--modality", "cells", "-f", "json").json()
    assert doc["sources"][0]["id"] == "DP-cells"


def test_clash_without_override_names_both_files(tmp_path: Path) -> None:
    pack = make_pack(tmp_path / "lab", SHADOW)
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base([pack])
    message = str(info.value)
    assert f"{pack / 'rules.toml'}: [[rule]] id 'T4-BM-D1-DONOR-AGE': duplicate id" in message
    assert "table4.toml" in message


def test_declared_override_replaces_the_rule(tmp_path: Path, cli: Cli) -> None:
    pack = make_pack(
        tmp_path / "lab",
        SHADOW.replace('group = "lab"', 'group = "lab"\noverrides = "T4-BM-D1-DONOR-AGE"'),
    )
    kb = load_knowledge_base([pack])
    assert kb.rules["T4-BM-D1-DONOR-AGE"].rule.summary == "Own bone marrow from 50"
    doc = cli(
        "--rules",
        str(pack),
        "explain",
        "-d",
        "OP",
        "--donor",
        "autologous",
        "--age",
        "55",
        "-c",
        "BM-cells",
        "-f",
        "json",
    ).json()
    assert "T4-BM-D1-DONOR-AGE" in {c["rule"] for c in doc["candidate"]["contributions"]}


def test_override_of_unknown_rule_and_double_override(tmp_path: Path, cli: Cli) -> None:
    ghost = make_pack(
        tmp_path / "ghost",
        SHADOW.replace('id = "T4-BM-D1-DONOR-AGE"', 'id = "LAB-X"\noverrides = "NO-SUCH-RULE"'),
    )
    result = cli("--rules", str(ghost), "recommend", "-d", "OP")
    assert result.code == 3 and "overrides unknown rule 'NO-SUCH-RULE'" in result.err
    one = make_pack(
        tmp_path / "one",
        SHADOW.replace(
            'id = "T4-BM-D1-DONOR-AGE"', 'id = "LAB-A"\noverrides = "T4-BM-D1-DONOR-AGE"'
        ),
    )
    two = make_pack(
        tmp_path / "two",
        SHADOW.replace(
            'id = "T4-BM-D1-DONOR-AGE"', 'id = "LAB-B"\noverrides = "T4-BM-D1-DONOR-AGE"'
        ),
    )
    result = cli("--rules", str(one), "--rules", str(two), "diseases")
    assert result.code == 3 and "already overrides" in result.err


@pytest.mark.parametrize(
    ("pack_text", "fragment"),
    [
        ("[[rulez]]\nid = 'x'\n", "unknown top-level key 'rulez'"),
        ("[[rule]]\nid = 1\n", "field id"),
        ("not toml at all", "invalid TOML"),
    ],
)
def test_broken_packs_exit_3(tmp_path: Path, cli: Cli, pack_text: str, fragment: str) -> None:
    pack = make_pack(tmp_path / "bad", pack_text)
    result = cli("--rules", str(pack), "recommend", "-d", "POF")
    assert result.code == 3 and fragment in result.err and result.out == ""


def test_missing_pack_folder(tmp_path: Path, cli: Cli) -> None:
    result = cli("--rules", str(tmp_path / "none"), "recommend", "-d", "POF")
    assert result.code == 3 and "rules folder does not exist" in result.err


def test_a_pack_the_environment_names_is_said_to_come_from_it(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Nothing on the command line names it: the message must say where it comes from.
    missing = tmp_path / "none"
    monkeypatch.setenv("MSCADVISOR_RULES", str(missing))
    result = cli("recommend", "-d", "POF")
    assert result.code == 3 and result.err.rstrip().endswith(
        f"{missing}: rules folder does not exist (a pack named by $MSCADVISOR_RULES)"
    )
    monkeypatch.delenv("MSCADVISOR_RULES")
    given = cli("--rules", str(missing), "recommend", "-d", "POF")
    assert given.code == 3 and "MSCADVISOR_RULES" not in given.err


def test_weights_scale_points_and_are_recorded(tmp_path: Path, cli: Cli) -> None:
    weights = tmp_path / "weights.toml"
    weights.write_text('[groups]\ntable4 = 0\n[rules]\n"PAT-SKELETAL-BM" = 2\n', "utf-8")
    doc = cli("--weights", str(weights), "recommend", "-d", "OP", "-f", "json").json()
    assert doc["knowledge_base"]["weights"] == {"group:table4": 0.0, "rule:PAT-SKELETAL-BM": 2.0}
    bm = next(s for s in doc["sources"] if s["id"] == "BM-cells")
    points = {c["rule"]: c["points"] for c in bm["contributions"]}
    assert points["PAT-SKELETAL-BM"] == 2  # a pattern's +1, doubled
    assert points["T4-BM-A2-OSTEOGENIC"] == 0  # +1, scaled to nothing, still shown
    assert all(v == 0 for k, v in points.items() if k.startswith("T4-"))
    assert bm["score"] == sum(points.values())


def test_packs_and_weights_may_start_with_a_byte_order_mark(tmp_path: Path, cli: Cli) -> None:
    pack = tmp_path / "lab"
    pack.mkdir()
    (pack / "pack.toml").write_text(MANIFEST, encoding="utf-8-sig")
    (pack / "rules.toml").write_text(PACK, encoding="utf-8-sig")
    weights = tmp_path / "weights.toml"
    weights.write_text('[rules]\n"LAB-DP-REPLICATED" = 2\n', encoding="utf-8-sig")
    doc = cli(
        "--rules", str(pack), "--weights", str(weights), "recommend", "-d", "OP", "-f", "json"
    ).json()
    dp = next(s for s in doc["sources"] if s["id"] == "DP-cells")
    assert {c["rule"]: c["points"] for c in dp["contributions"]}["LAB-DP-REPLICATED"] == 8


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ('[rules]\n"NO-RULE" = 2\n', "'NO-RULE' does not exist"),
        ("[groups]\ntable4 = -1\n", "expected a number from 0 to 100"),
        ("[other]\n", "unknown table"),
        ("[rules\n", "invalid TOML"),
    ],
)
def test_bad_weights(tmp_path: Path, cli: Cli, text: str, fragment: str) -> None:
    weights = tmp_path / "weights.toml"
    weights.write_text(text, "utf-8")
    result = cli("--weights", str(weights), "recommend", "-d", "OP")
    assert result.code == 2 and fragment in result.err


@pytest.mark.parametrize("suffix", [".html", ".svg"])
def test_export(tmp_path: Path, cli: Cli, suffix: str) -> None:
    target = tmp_path / f"rationale{suffix}"
    result = cli("recommend", "-d", "POF", "--export", str(target), "-f", "json")
    assert result.code == 0 and result.json()["query"]["disease"] == "POF"
    text = target.read_text("utf-8")
    assert "Premature" in text and "medical" in text
    assert ("<svg" in text) == (suffix == ".svg")


def test_export_failures_leave_nothing(tmp_path: Path, cli: Cli) -> None:
    assert cli("recommend", "-d", "POF", "--export", str(tmp_path / "x.pdf")).code == 2
    result = cli("recommend", "-d", "POF", "--export", str(tmp_path / "no" / "x.html"))
    assert result.code == 1 and "cannot write" in result.err
    existing = tmp_path / "old.html"
    existing.write_text("old", "utf-8")
    assert cli("recommend", "-d", "POF", "--export", str(existing)).code == 0
    assert existing.read_text("utf-8") != "old"
    assert [p.name for p in tmp_path.iterdir()] == ["old.html"]


def test_generated_docs_are_current() -> None:
    stale = stale_docs(DOCS)
    assert stale == [], f"docs/{', docs/'.join(stale)} stale: run python -m mscadvisor.cli.docs"


def test_condition_reference_documents_every_field_and_word(kb: KnowledgeBase) -> None:
    text = "\n".join(docs_gen.condition_language_markdown(kb))
    for name, spec in FIELDS.items():
        assert f"`{name}` | `{condition_syntax.short_name(name)}`" in text and spec.doc in text
    for word in condition_syntax.WORDS:
        assert f"| `{word}` |" in text


def test_completion_offers_ids() -> None:
    assert complete_ids("disease")("PO") == ["POF", "poi"]
    assert "alzheimers" in complete_ids("disease")("alz")
    assert complete_ids("candidate")("AD-") == ["AD-cells", "AD-exosomes"]
    assert complete_ids("rule")("T4-BM-D1") == ["T4-BM-D1-DONOR-AGE"]


def test_an_override_with_a_new_id_keeps_the_shipped_cases(tmp_path: Path, cli: Cli) -> None:
    """Shipped cases naming the replaced rule test the overriding one (they used to break every
    command with "unknown rule"); a case whose outcome the override changes fails by its new id."""
    renamed = SHADOW.replace(
        'id = "T4-BM-D1-DONOR-AGE"', 'id = "LAB-BM-AGE"\noverrides = "T4-BM-D1-DONOR-AGE"'
    )
    pack = make_pack(tmp_path / "lab", renamed)
    kb = load_knowledge_base([pack])
    named = {e.fires or e.not_fires for case in kb.cases.values() for e in case.expect}
    assert "LAB-BM-AGE" in named and "T4-BM-D1-DONOR-AGE" not in named
    assert cli("--rules", str(pack), "rules", "test").code == 0
    # From 65 instead of 60: the shipped case of an autologous 63-year-old no longer holds.
    later = make_pack(tmp_path / "later", renamed.replace('"ge", value = 50', '"ge", value = 65'))
    result = cli("rules", "test", str(later), "-f", "json")
    assert result.code == 1
    (failed,) = [case for case in result.json()["cases"] if not case["passed"]]
    assert failed["id"] == "CASE-T4-AS-AUTOLOGOUS-OLDER-MAN"
    assert "LAB-BM-AGE" in " ".join(failed["failures"])
