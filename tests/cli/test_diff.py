"""`mscadvisor diff`: every rank or score change between two knowledge states, with the edits
of the rules, records and weights behind it."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mscadvisor.engine.diff import compare, default_profiles
from mscadvisor.errors import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE
from mscadvisor.kb.edits import knowledge_edits
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.weights import apply_weights
from tests import schemas
from tests.conftest import CliResult
from tests.knowledge_states import (
    AD_CELLS_FOR_POF,
    TERMINATED_TRIAL,
    TRIAL_WITHOUT_RESULTS,
    copy_rules,
    write_pack,
    write_weights,
)

Cli = Callable[..., CliResult]
WEIGHT = "weight:rule:EV-SRC-ANIMAL"


def diff_json(cli: Cli, *argv: str) -> dict[str, object]:
    result = cli(*argv, "--format", "json")
    assert result.code == EXIT_OK, result.err
    doc = json.loads(result.out)
    schemas.validate("diff", doc)
    return doc  # type: ignore[no-any-return]


def test_a_weight_that_moves_pof_names_the_weight_first(cli: Cli, tmp_path: Path) -> None:
    weights = str(write_weights(tmp_path / "w.toml"))
    doc = diff_json(cli, "--weights", weights, "diff", "-d", "POF")
    assert [e["id"] for e in doc["edits"]] == [WEIGHT]
    (pof,) = doc["profiles"]
    first = pof["firsts"][0]
    assert (first["category"], first["old"], first["new"]) == ("source", "UC-cells", "BM-cells")
    assert first["because"] == [WEIGHT]
    moved = {c["id"]: c for c in pof["changes"] if c["category"] == "source"}
    assert moved["UC-cells"]["old"]["score"] == 8 and moved["UC-cells"]["new"]["score"] == 5
    assert moved["AM-cells"]["because"] == []  # no animal evidence: it moved as others did
    words = " ".join(cli("--weights", weights, "diff", "-d", "POF").out.split())
    assert "POF: first source changed from UC-cells to BM-cells because weight of rule" in words


def test_a_trial_status_change_is_the_edit_behind_its_source(cli: Cli, tmp_path: Path) -> None:
    tree = copy_rules(tmp_path / "rules", TERMINATED_TRIAL, TRIAL_WITHOUT_RESULTS)
    doc = diff_json(cli, "diff", "--new-base", str(tree), "-d", "POF")
    (edit,) = doc["edits"]
    assert edit["id"] == "trial:NCT02696889"
    assert [f["field"] for f in edit["fields"]] == ["status", "outcome"]
    assert "status Completed -> Terminated" in edit["text"]
    moved = {c["id"]: c for c in doc["profiles"][0]["changes"] if c["category"] == "source"}
    assert moved["BM-cells"]["because"] == ["trial:NCT02696889"]
    assert moved["BM-cells"]["new"]["score"] == moved["BM-cells"]["old"]["score"] - 6
    assert moved["UC-cells"]["because"] == []  # only its tie with BM-cells was broken
    assert doc["profiles"][0]["headline"].startswith(
        "POF: first source still UC-cells; BM-cells =1 +8 -> =4 +2 because trial NCT02696889 "
        "changed: status Completed -> Terminated"
    )


def test_a_pack_rule_added_changes_the_first_source(cli: Cli, tmp_path: Path) -> None:
    pack = str(write_pack(tmp_path / "pack", AD_CELLS_FOR_POF))
    doc = diff_json(cli, "--rules", pack, "diff", "-d", "POF")
    assert [(e["id"], e["change"]) for e in doc["edits"]] == [("rule:PACK-AD-POF", "added")]
    pof = doc["profiles"][0]
    assert pof["firsts"][0]["new"] == "AD-cells"
    assert pof["headline"].startswith(
        "POF: first source changed from UC-cells to AD-cells because rule PACK-AD-POF added"
    )
    # Routes are judged for AD-cells now: the rule that moved the source moved them too.
    routes = [c for c in pof["changes"] if c["category"] == "route"]
    assert routes and all(c["because"] == ["rule:PACK-AD-POF"] for c in routes)
    assert pof["routes_and_preconditioning_for"] == {"old": "UC-cells", "new": "AD-cells"}
    assert doc["new"]["packs"][0]["path"] == pack and doc["old"]["packs"] == []


def test_old_and_new_sides_take_their_own_packs_and_weights(cli: Cli, tmp_path: Path) -> None:
    pack = str(write_pack(tmp_path / "pack", AD_CELLS_FOR_POF))
    weights = str(write_weights(tmp_path / "w.toml"))
    doc = diff_json(
        cli, "diff", "--old-rules", pack, "--new-rules", pack, "--old-weights", weights, "-d", "OP"
    )
    assert [(e["id"], e["change"]) for e in doc["edits"]] == [(WEIGHT, "removed")]
    assert doc["old"]["weights"] == {"rule:EV-SRC-ANIMAL": 0.5} and doc["new"]["weights"] == {}


def test_the_same_knowledge_twice_changes_nothing(cli: Cli) -> None:
    doc = diff_json(cli, "diff")
    assert doc["edits"] == [] and doc["changed"] is False
    assert [p["disease"] for p in doc["profiles"]] == ["AD", "AS", "FRAILTY", "OP", "POF", "SKIN"]
    assert all(p["headline"].endswith(": no change") for p in doc["profiles"])
    assert cli("diff", "--exit-code").code == EXIT_OK


def test_exit_code_reports_a_change_only_when_asked(cli: Cli, tmp_path: Path) -> None:
    weights = str(write_weights(tmp_path / "w.toml"))
    assert cli("--weights", weights, "diff", "-d", "POF").code == EXIT_OK
    assert cli("--weights", weights, "diff", "-d", "POF", "--exit-code").code == EXIT_RUNTIME


def test_a_batch_file_compares_each_profile_by_its_line(cli: Cli, tmp_path: Path) -> None:
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text('{"disease": "POF", "age": 30}\n\n{"disease": "OP"}\n', encoding="utf-8")
    weights = str(write_weights(tmp_path / "w.toml"))
    doc = diff_json(cli, "--weights", weights, "diff", "--batch", str(cohort))
    assert [(p["origin"], p["disease"]) for p in doc["profiles"]] == [
        ("line 1", "POF"),
        ("line 3", "OP"),
    ]
    assert doc["profiles"][0]["profile"]["age"] == 30


@pytest.mark.parametrize(
    ("rows", "message"),
    [
        # The first bad line in file order, whatever is wrong with it, and the file it is in.
        (
            '{"disease": "OP"}\n{"disease": "OP", "age": "seventy"}\n{bad\n',
            "--batch {f}: line 2: field age: expected a whole number of years, got 'seventy'",
        ),
        ('{"disease": "OP"}\n{bad\n{"disease": "NOPE"}\n', "--batch {f}: line 2: invalid JSON"),
        # A value only the new side's pack declares: the side that refuses it is named.
        (
            '{"disease": "POF", "needs": ["quick-recovery"]}\n',
            "--batch {f}: line 1 (old knowledge): unknown need 'quick-recovery'; valid:",
        ),
    ],
)
def test_a_bad_batch_line_is_named_by_its_file_and_line(
    cli: Cli, tmp_path: Path, rows: str, message: str
) -> None:
    pack = write_pack(
        tmp_path / "pack", '[[need]]\nid = "quick-recovery"\nname = "Quick recovery"\n'
    )
    cohort = tmp_path / "cohort.jsonl"
    cohort.write_text(rows, encoding="utf-8")
    result = cli("--rules", str(pack), "diff", "--batch", str(cohort))
    assert result.code == EXIT_USAGE
    assert result.err.startswith(f"mscadvisor: error: {message.format(f=cohort)}"), result.err


@pytest.mark.parametrize(
    ("argv", "fragment"),
    [
        (["--weights", "{w}", "diff", "--new-weights", "{w}"], "--weights and --new-weights"),
        (["diff", "--batch", "{w}", "-d", "POF"], "--batch gives the profiles"),
    ],
)
def test_conflicting_options_are_refused(
    cli: Cli, tmp_path: Path, argv: list[str], fragment: str
) -> None:
    weights = str(write_weights(tmp_path / "w.toml"))
    result = cli(*[a.replace("{w}", weights) for a in argv])
    assert result.code == EXIT_USAGE and fragment in result.err


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    factors=st.dictionaries(
        st.sampled_from(["EV-SRC-ANIMAL", "EV-SRC-CLINICAL-UNCONTROLLED", "EV-ROUTE-ANIMAL"]),
        st.sampled_from([0.0, 0.5, 2.0, 3.0]),
    )
)
def test_no_score_changes_without_an_edit_behind_it(
    kb: KnowledgeBase, factors: dict[str, float]
) -> None:
    """Law: a candidate's score changes only when an edit of what scored it is named, unless
    routes and strategies are judged for another source."""
    weights = {f"rule:{rule}": factor for rule, factor in factors.items() if rule in kb.rules}
    new = apply_weights(kb, weights)
    diff = compare(kb, new, knowledge_edits(kb, kb, {}, weights), default_profiles(kb, new))
    for profile in diff.profiles:
        same_subject = profile.old.judged_for == profile.new.judged_for
        for change in profile.changes:
            if change.old.score != change.new.score and (
                change.category == "source" or same_subject
            ):
                assert change.because, (profile.new.disease, change)
        assert all(key in diff.by_key for c in profile.changes for key in c.because)
