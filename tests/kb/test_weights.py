"""User weights (kb/weights.py): reading a weights file against the knowledge base, and scaling
rules' points with whole-point rounding, half to even, so that every score stays an exact sum."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.errors import InputError
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from mscadvisor.kb.weights import apply_weights, read_weights
from tests.packs import new_pack

KB = load_knowledge_base()
RANGE = "expected a number from 0 to 100"
GROUPS = sorted({p.rule.group for p in KB.rules.values()})


def weights_file(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "weights.toml"
    path.write_text(text, encoding="utf-8")
    return path


def points(kb: KnowledgeBase, rule_id: str) -> int | None:
    return kb.rules[rule_id].rule.points


def recommend(kb: KnowledgeBase, disease: str = "POF", **raw: Any) -> Recommendation:
    return score(kb, build_profile({"disease": disease, **raw}, kb, "test"), 20)


def contribution(result: Recommendation, candidate: str, rule: str) -> int | None:
    (c,) = [c for cs in result.ranked.values() for c in cs if c.id == candidate]
    return next((x.points for x in c.contributions if x.rule == rule), None)


# ---- read_weights ------------------------------------------------------------------------------


def test_read_groups_and_rules(tmp_path: Path) -> None:
    path = weights_file(
        tmp_path,
        '[groups]\ntable4 = 0.5\nevidence = 2\n[rules]\n"T4-BM-D1-DONOR-AGE" = 0\n',
    )
    weights = read_weights(path, KB)
    assert weights == {
        "group:table4": 0.5,
        "group:evidence": 2.0,
        "rule:T4-BM-D1-DONOR-AGE": 0.0,
    }
    assert all(type(v) is float for v in weights.values())


def test_ids_and_groups_are_read_in_any_case_and_recorded_as_known(tmp_path: Path) -> None:
    path = weights_file(tmp_path, '[groups]\nTable4 = 0.5\n[rules]\n"t4-bm-d1-donor-age" = 0\n')
    assert read_weights(path, KB) == {"group:table4": 0.5, "rule:T4-BM-D1-DONOR-AGE": 0.0}
    twice = weights_file(tmp_path, '[rules]\n"PAT-SKELETAL-BM" = 2\n"pat-skeletal-bm" = 3\n')
    with pytest.raises(InputError, match="PAT-SKELETAL-BM is weighed twice"):
        read_weights(twice, KB)


TWINS = """
[[rule]]
id = "{id}"
group = "{group}"
category = "source"
summary = "s"
rationale = "r"
applies_to = {{ field = "candidate.tissue", op = "eq", value = "BM" }}
points = 1
level = "expert-synthesis"
citations = [{{ table = 4, item = "BM-D1" }}]
"""


def test_a_name_given_exactly_wins_over_one_alike_in_another_case(tmp_path: Path) -> None:
    # A pack may hold ids and groups that differ only in case: each is weighed as named.
    pack = new_pack(tmp_path / "twins")
    rules = TWINS.format(id="x-lower", group="Lab") + TWINS.format(id="X-LOWER", group="lab")
    (pack / "rules.toml").write_text(rules, encoding="utf-8")
    kb = load_knowledge_base([pack])
    exact = weights_file(tmp_path, '[groups]\nlab = 0\n[rules]\n"X-LOWER" = 0\n')
    assert read_weights(exact, kb) == {"group:lab": 0.0, "rule:X-LOWER": 0.0}
    ambiguous = weights_file(tmp_path, '[rules]\n"X-Lower" = 0\n')
    with pytest.raises(InputError, match="'X-LOWER', 'x-lower' differ only in case"):
        read_weights(ambiguous, kb)


def test_read_an_empty_file_and_one_with_a_byte_order_mark(tmp_path: Path) -> None:
    assert read_weights(weights_file(tmp_path, ""), KB) == {}
    path = tmp_path / "bom.toml"
    path.write_bytes("\ufeff[groups]\nneed = 1.5\n".encode())
    assert read_weights(path, KB) == {"group:need": 1.5}


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("[rule]\nX = 1\n", r"unknown table\(s\) 'rule'; expected \[rules\] and/or \[groups\]"),
        ("groups = 3\n", r"\[groups\] must be a table of NAME = factor"),
        (
            '[rules]\n"T4-BM-D1-DONOR-AG" = 1\n',
            r"\[rules\] 'T4-BM-D1-DONOR-AG' does not exist \(did you mean 'T4-BM-D1-DONOR-AGE'\?\)",
        ),
        (
            "[groups]\ntabel4 = 1\n",
            r"\[groups\] 'tabel4' does not exist \(did you mean 'table4'\?\)",
        ),
        # A category is not a group: "source" names no group of rules.
        ("[groups]\nsource = 1\n", r"\[groups\] 'source' does not exist"),
        # A rule id is not a group, nor a group a rule.
        ('[groups]\n"T4-BM-D1-DONOR-AGE" = 1\n', r"\[groups\] 'T4-BM-D1-DONOR-AGE' does not exist"),
        ("[rules]\ntable4 = 1\n", r"\[rules\] 'table4' does not exist"),
        ('[groups]\ntable4 = "0.5"\n', r"\[groups\] 'table4' = '0.5': " + RANGE),
        ("[groups]\ntable4 = true\n", r"\[groups\] 'table4' = true: " + RANGE),  # as TOML writes it
        ("[groups]\ntable4 = -1\n", r"\[groups\] 'table4' = -1: " + RANGE),
        ("[groups]\ntable4 = [1]\n", r"'table4' = \[1\]: " + RANGE),
        ("[groups]\ntable4 = [1, true]\n", r"'table4' = \[1, true\]: " + RANGE),
        ("[groups]\ntable4 = {a = false}\n", r"'table4' = \{'a': false\}: " + RANGE),
        ("[groups]\ntable4 = 101\n", r"'table4' = 101: " + RANGE),
        ("[groups]\ntable4 = 1e308\n", r"'table4' = 1e\+308: " + RANGE),
        ("[groups]\ntable4 = nan\n", r"number nan is out of range"),
        ("[groups]\ntable4 = inf\n", r"number inf is out of range"),
        ("[groups]\ntable4 = " + "9" * 5000 + "\n", r"an integer of more than 40 digits"),
        ("[groups]\ntable4 = " + "[" * 500 + "]" * 500 + "\n", r"nested more than 32 levels"),
        ("[groups\n", r"invalid TOML"),
    ],
)
def test_errors_name_the_file_and_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = weights_file(tmp_path, text)
    with pytest.raises(InputError, match=message) as caught:
        read_weights(path, KB)
    assert str(caught.value).startswith(f"weights {path}: ")


def test_missing_file(tmp_path: Path) -> None:
    path = tmp_path / "nowhere.toml"
    with pytest.raises(InputError, match=r"no such file") as caught:
        read_weights(path, KB)
    assert str(caught.value) == f"weights {path}: no such file"


def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "latin1.toml"
    path.write_bytes(b"[groups]\n# caf\xe9\n")
    with pytest.raises(InputError, match=r"not UTF-8 text \(byte 14\)"):
        read_weights(path, KB)


def test_special_files_and_oversized_files_are_refused(tmp_path: Path) -> None:
    fifo = tmp_path / "w.toml"
    os.mkfifo(fifo)
    with pytest.raises(InputError, match=r"is a pipe or FIFO, not a file"):
        read_weights(fifo, KB)
    with pytest.raises(InputError, match=r"is a device, not a file"):
        read_weights(Path("/dev/zero"), KB)
    big = tmp_path / "big.toml"
    big.write_text("#" * (300 * 1024), encoding="utf-8")
    with pytest.raises(InputError, match=r"over the 262144-byte limit"):
        read_weights(big, KB)


# ---- apply_weights -----------------------------------------------------------------------------


def test_no_weights_is_the_knowledge_base_itself() -> None:
    assert apply_weights(KB, {}) is KB
    assert recommend(KB).weights == {}


@pytest.mark.parametrize(
    ("rule", "factor", "scaled"),
    [
        ("T4-BM-D2-AVOID-HARVEST", 0.5, -2),  # -3 x 0.5 = -1.5: to even -2
        ("T4-BM-D2-AVOID-HARVEST", 2.5, -8),  # -7.5: to even -8
        ("T4-AD-A1-EASY-HARVEST", 0.5, 0),  # +0.5: to even 0, not 1
        ("T4-AD-A1-EASY-HARVEST", 1.5, 2),  # +1.5: to even 2
        ("T4-AD-A1-EASY-HARVEST", 2.5, 2),  # +2.5: to even 2, not 3
        ("T4-BM-D1-DONOR-AGE", 0.75, -2),  # -1.5: to even -2
        ("T4-BM-D1-DONOR-AGE", 0.25, 0),  # -0.5: to even 0
        ("T4-BM-D1-DONOR-AGE", 0, 0),
        ("T4-BM-D1-DONOR-AGE", 3, -6),
    ],
)
def test_points_are_scaled_and_rounded_half_to_even(rule: str, factor: float, scaled: int) -> None:
    assert points(apply_weights(KB, {f"rule:{rule}": factor}), rule) == scaled


@pytest.mark.parametrize(
    ("factor", "each", "cap"),
    [
        (0.75, 2, 4),  # 1.5 -> 2, 4.5 -> 4
        (1.25, 2, 8),  # 2.5 -> 2, 7.5 -> 8
        (0.25, 0, 2),  # 0.5 -> 0, 1.5 -> 2
        (2, 4, 12),
    ],
)
def test_evidence_rates_and_caps_are_scaled_half_to_even(
    factor: float, each: int, cap: int
) -> None:
    weighted = apply_weights(KB, {"rule:EV-SRC-ANIMAL": factor})
    query = weighted.rules["EV-SRC-ANIMAL"].rule.evidence
    assert query is not None
    assert (query.points_each, query.cap) == (each, cap)
    # The rest of the query is untouched.
    before = KB.rules["EV-SRC-ANIMAL"].rule.evidence
    assert (query.match, query.setting, query.outcome) == (
        before.match,
        before.setting,
        before.outcome,
    )


def test_a_negative_evidence_rate_stays_negative() -> None:
    weighted = apply_weights(KB, {"rule:EV-SRC-CLINICAL-NO-BENEFIT": 0.5})
    query = weighted.rules["EV-SRC-CLINICAL-NO-BENEFIT"].rule.evidence
    assert query is not None
    assert (query.points_each, query.cap) == (-2, 2)  # -1.5 -> -2, 1.5 -> 2


def test_a_rule_weight_overrides_its_groups() -> None:
    weighted = apply_weights(KB, {"group:table4": 0.0, "rule:T4-BM-D2-AVOID-HARVEST": 1.0})
    assert points(weighted, "T4-BM-D2-AVOID-HARVEST") == -3
    assert points(weighted, "T4-BM-D3-LARGE-DOSE") == 0
    table4 = [p.rule for p in weighted.rules.values() if p.rule.group == "table4"]
    assert {r.points for r in table4 if r.id != "T4-BM-D2-AVOID-HARVEST"} == {0}


def test_rules_outside_the_weights_are_untouched() -> None:
    weighted = apply_weights(KB, {"group:table4": 2.0})
    for rule_id, parsed in KB.rules.items():
        if parsed.rule.group != "table4":
            assert weighted.rules[rule_id] == parsed
        else:
            assert weighted.rules[rule_id].rule.points == 2 * parsed.rule.points
    assert KB.rules["T4-BM-D2-AVOID-HARVEST"].rule.points == -3  # the original is not changed


def test_weighted_evidence_changes_the_score_it_gives() -> None:
    # POF, cord cells: four animal studies [11][13][14][18] at +2 each reach the cap of 6; at
    # 0.75 the rate stays 2 and the cap drops to 4.
    assert contribution(recommend(KB), "UC-cells", "EV-SRC-ANIMAL") == 6
    result = recommend(apply_weights(KB, {"rule:EV-SRC-ANIMAL": 0.75}))
    assert contribution(result, "UC-cells", "EV-SRC-ANIMAL") == 4
    (cord,) = [c for c in result.ranked["source"] if c.id == "UC-cells"]
    assert cord.score == 6
    assert "4 direct (+2 each, cap 4)" in next(
        c.reason for c in cord.contributions if c.rule == "EV-SRC-ANIMAL"
    )


def test_weighted_points_change_the_score_they_give() -> None:
    # Own bone marrow at 70 for osteoporosis: donor age costs -2, tripled -6.
    before = recommend(KB, "OP", donor="autologous", age=70)
    after = recommend(
        apply_weights(KB, {"rule:T4-BM-D1-DONOR-AGE": 3}), "OP", donor="autologous", age=70
    )
    assert contribution(before, "BM-cells", "T4-BM-D1-DONOR-AGE") == -2
    assert contribution(after, "BM-cells", "T4-BM-D1-DONOR-AGE") == -6
    old, new = (next(c for c in r.ranked["source"] if c.id == "BM-cells") for r in (before, after))
    assert new.score == old.score - 4


def test_the_weights_are_recorded_in_the_result() -> None:
    weights = {"rule:T4-BM-D1-DONOR-AGE": 2.0, "group:table4": 0.5}
    result = recommend(apply_weights(KB, weights))
    assert result.weights == weights
    assert list(result.weights) == ["group:table4", "rule:T4-BM-D1-DONOR-AGE"]  # sorted
    assert result.to_dict()["knowledge_base"]["weights"] == weights


def test_a_weight_of_zero_silences_an_evidence_rule() -> None:
    # POF, cord cells: Ding 2018 [24] (cord cells on a collagen scaffold) is an indirect
    # uncontrolled series, worth +1 unweighted.
    assert contribution(recommend(KB), "UC-cells", "EV-SRC-CLINICAL-UNCONTROLLED") == 1
    weighted = recommend(apply_weights(KB, {"rule:EV-SRC-CLINICAL-UNCONTROLLED": 0}))
    assert contribution(weighted, "UC-cells", "EV-SRC-CLINICAL-UNCONTROLLED") in (0, None)


@settings(max_examples=25, deadline=None)
@given(
    st.dictionaries(
        st.sampled_from(GROUPS).map(lambda g: f"group:{g}"),
        st.sampled_from([0.0, 0.5, 1.5, 2.5, 3.0]),
        min_size=1,
    ),
    st.sampled_from(sorted(KB.diseases)),
)
def test_weighted_scores_are_still_base_plus_contributions(
    weights: dict[str, float], disease: str
) -> None:
    result = recommend(apply_weights(KB, weights), disease)
    assert result.weights == dict(sorted(weights.items()))
    for candidates in result.ranked.values():
        for c in candidates:
            assert c.score == c.base + sum(x.points for x in c.contributions)
            assert all(type(x.points) is int for x in c.contributions)
        assert [c.rank for c in candidates] == list(range(1, len(candidates) + 1))
