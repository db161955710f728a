"""The recommender: the issue's worked examples, and the engine's laws as properties."""

from __future__ import annotations

import json
import random
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import CATEGORY_KEYS, Recommendation, ScoredCandidate
from mscadvisor.engine.scoring import score
from mscadvisor.kb.knowledge import KnowledgeBase, build_knowledge_base, load_knowledge_base
from mscadvisor.kb.loader import list_sources, parse_sources, read_sources, shipped_rules_dir
from mscadvisor.kb.validation import validate_records
from mscadvisor.render.output import json_text
from tests.strategies import raw_profiles

KB = load_knowledge_base()


def run(kb: KnowledgeBase = KB, **raw: Any) -> Recommendation:
    return score(kb, build_profile(raw, kb, "test"))


def ids(result: Recommendation, category: str) -> list[str]:
    return [c.id for c in result.ranked[category]]


def cited(result: Recommendation, category: str, candidate: str) -> set[str]:
    (item,) = [c for c in result.ranked[category] if c.id == candidate]
    return {
        v.label.split(" ")[0] if v.ref else v.label for c in item.contributions for v in c.citations
    }


def test_example_1_osteoporosis_cells() -> None:
    result = run(disease="OP", modality="cells")
    order = ids(result, "source")
    assert order[0] in ("BM-cells", "DP-cells")
    for weaker in ("UC-cells", "AD-cells"):
        assert order.index(weaker) > order.index("BM-cells")
        assert order.index(weaker) > order.index("DP-cells")
    labels = {
        v.label for c in result.ranked["source"] for x in c.contributions for v in x.citations
    }
    assert any(label.startswith("Table 4") for label in labels)
    assert "[41] Li C, 2024" in labels


def test_example_2_pof_allogeneic_young_woman() -> None:
    result = run(disease="POF", modality="cells", donor="allogeneic", age=34, sex="female")
    top3 = ids(result, "source")[:3]
    assert "UC-cells" in top3 and "AD-cells" in top3
    assert "[18]" in cited(result, "source", "AD-cells")


def test_example_3_alzheimers_exosomes() -> None:
    result = run(disease="AD", modality="exosomes", age=71)
    routes = ids(result, "route")
    assert "IN" in routes[:2]
    assert "NCT04388982" in cited(result, "route", "IN")
    assert "AD-exosomes" in ids(result, "source")[:2]


def test_example_4_atherosclerosis_autologous_older_man() -> None:
    result = run(disease="AS", donor="autologous", age=63, sex="male")
    assert ids(result, "source")[0] == "AD-cells"
    assert ids(result, "route")[0] == "IV"
    assert "[39]" in cited(result, "source", "AD-cells")


@pytest.mark.parametrize("disease", sorted(KB.diseases))
def test_example_5_autologous_excludes_cord_tissues(disease: str) -> None:
    result = run(disease=disease, donor="autologous")
    excluded = {e.id: e for e in result.excluded if e.category == "source"}
    for tissue in ("UC", "UCB"):
        for modality in ("cells", "exosomes"):
            ident = f"{tissue}-{modality}"
            assert ident in excluded and ident not in ids(result, "source")
            assert excluded[ident].rule == "EXCL-PERINATAL-AUTOLOGOUS"
            assert "birth" in excluded[ident].reason


def test_donor_age_threshold_is_60_for_autologous_bone_marrow() -> None:
    def fired(age: int) -> bool:
        result = run(disease="OP", donor="autologous", age=age, modality="cells")
        (bm,) = [c for c in result.ranked["source"] if c.id == "BM-cells"]
        return any(c.rule == "T4-BM-D1-DONOR-AGE" for c in bm.contributions)

    assert not fired(59) and fired(60)


def test_table4_self_contradiction_is_shown_as_conflict() -> None:
    # Table 4's cord blood row says both "osteogenic differentiation ability" and "less
    # osteogenic potential than BM"; both bear on skeletal disease (erratum E-T4-UCB-OSTEOGENIC).
    result = run(disease="OP", modality="cells")
    (cord_blood,) = [c for c in result.ranked["source"] if c.id == "UCB-cells"]
    points = {c.rule: c.points for c in cord_blood.contributions}
    assert points["T4-UCB-A2-OSTEOGENIC"] == 1 and points["T4-UCB-D3-LESS-OSTEOGENIC"] == -1
    assert (
        "Conflicting items, both counted: T4-UCB-A2-OSTEOGENIC (+1) vs "
        "T4-UCB-D3-LESS-OSTEOGENIC (-1)." in cord_blood.caveats
    )


def test_durable_effect_penalises_exosomes() -> None:
    plain = {c.id: c.score for c in run(disease="POF", modality="exosomes").ranked["source"]}
    durable = run(disease="POF", modality="exosomes", needs=["durable-effect"])
    assert {c.id: c.score for c in durable.ranked["source"]} == {
        ident: score - 2 for ident, score in plain.items()
    }


def test_modality_filter_and_exosome_only_strategies() -> None:
    result = run(disease="OP", modality="cells")
    assert all(c.modality == "cells" for c in result.ranked["source"])
    excluded = {e.id for e in result.excluded if e.category == "preconditioning"}
    assert "titanium-scaffold" in excluded
    assert "titanium-scaffold" not in ids(result, "preconditioning")


def test_disease_caveats_become_warnings() -> None:
    codes = {w.code for w in run(disease="POF").warnings}
    assert "pof-no-consensus-dose-route-timing" in codes
    assert any("infancy" in w.message for w in run(disease="OP").warnings)


def test_evidence_rule_cites_every_counted_record() -> None:
    result = run(disease="POF", modality="cells")
    by_id = {c.id: c for c in result.ranked["source"]}
    (trials,) = [c for c in by_id["BM-cells"].contributions if c.rule.startswith("EV-SRC-CLIN")]
    # NCT02062931 and NCT02043743 print the same unverified results: listed, never counted.
    assert (trials.rule, trials.points) == ("EV-SRC-CLINICAL-UNCONTROLLED", 6)
    assert trials.records == ("NCT02696889",)
    assert {v.nct for v in trials.citations} == {"NCT02696889"}
    unverified = {u.record for u in by_id["BM-cells"].evidence if u.outcome == "unverified"}
    assert unverified == {"NCT02062931", "NCT02043743"}
    # Four direct animal studies pass the cap (6 points, 2 each), and all four are cited.
    (animal,) = [c for c in by_id["UC-cells"].contributions if c.rule == "EV-SRC-ANIMAL"]
    assert animal.points == 6 and len(animal.records) == 4
    assert [v.ref for v in animal.citations] == [11, 13, 14, 18]


@cache
def schema() -> dict[str, Any]:
    text = resources.files("mscadvisor") / "schemas" / "recommendation.schema.json"
    return json.loads(text.read_text("utf-8"))  # type: ignore[no-any-return]


CERTAINTY_ORDER = ("high", "moderate", "low", "very-low", "not-assessed")
DESIGN_ORDER = (
    "controlled-clinical",
    "cohort",
    "uncontrolled-clinical",
    "clinical",
    "animal",
    "in-vitro",
)


def ranking_key(c: ScoredCandidate) -> tuple[Any, ...]:
    """RANKING_ORDER: evidence on balance first, then score, certainty, strongest direct
    supporting design, id."""
    designs = [DESIGN_ORDER.index(u.grade) for u in c.evidence if u.direct and u.role == "supports"]
    return (
        not c.has_evidence,
        -c.score,
        CERTAINTY_ORDER.index(c.certainty),
        min(designs, default=len(DESIGN_ORDER)),
        c.id,
    )


@settings(max_examples=150, deadline=None)
@given(raw_profiles(KB))
def test_score_is_base_plus_contributions_and_ranks_are_ordered(raw: dict[str, Any]) -> None:
    result = run(**raw)
    for category in CATEGORY_KEYS:
        ranked = result.ranked[category]
        assert [c.rank for c in ranked] == list(range(1, len(ranked) + 1))
        assert [ranking_key(c) for c in ranked] == sorted(ranking_key(c) for c in ranked)
        for c in ranked:
            assert c.score == c.base + sum(x.points for x in c.contributions)
            # Evidence supports it on balance (everything but expert synthesis sums above 0),
            # and something direct stands behind it: a study of exactly it, or a stated finding.
            evidence = sum(x.points for x in c.contributions if x.level != "expert-synthesis")
            direct = any(u.direct and u.role == "supports" for u in c.evidence) or any(
                x.points > 0 and not x.records and x.level != "expert-synthesis"
                for x in c.contributions
            )
            assert c.has_evidence == (evidence > 0 and direct)
    excluded = {(e.category, e.id) for e in result.excluded}
    assert not excluded & {(c.category, c.id) for cs in result.ranked.values() for c in cs}


@settings(max_examples=100, deadline=None)
@given(raw_profiles(KB))
def test_same_input_gives_identical_json_that_matches_the_schema(raw: dict[str, Any]) -> None:
    first = json_text(run(**raw).to_dict())
    assert json_text(run(**raw).to_dict()) == first
    jsonschema.validate(json.loads(first), schema())


@settings(max_examples=100, deadline=None)
@given(raw_profiles(KB))
def test_every_citation_resolves(raw: dict[str, Any]) -> None:
    doc = run(**raw).to_dict()
    items = {i.id for t in KB.tissues.values() for i in (*t.advantages, *t.disadvantages)}
    found = [
        c
        for key in CATEGORY_KEYS.values()
        for cand in doc[key]
        for contribution in cand["contributions"]
        for c in contribution["citations"]
    ]
    found += [c for e in doc["excluded"] for c in e["citations"]]
    found += [c for w in doc["warnings"] for c in w["citations"]]
    assert found
    for c in found:
        assert c["ref"] is None or c["ref"] in KB.references
        assert c["nct"] is None or KB.trial_by_nct(c["nct"]) is not None
        assert c["section"] is None or c["section"] in KB.sections
        assert c["table"] is None or c["table"] in (1, 2, 3, 4)
        assert c["item"] is None or c["item"] in items


@cache
def shuffled_kbs() -> list[KnowledgeBase]:
    raws = parse_sources(read_sources(list_sources(shipped_rules_dir())))
    kbs = []
    for seed in range(3):
        shuffled = list(raws)
        random.Random(seed).shuffle(shuffled)
        kbs.append(build_knowledge_base(validate_records(shuffled), tree=KB.tree))
    return kbs


@settings(max_examples=60, deadline=None)
@given(raw_profiles(KB), st.integers(0, 2))
def test_rule_load_order_changes_nothing(raw: dict[str, Any], which: int) -> None:
    other = shuffled_kbs()[which]
    assert json_text(run(other, **raw).to_dict()) == json_text(run(**raw).to_dict())
