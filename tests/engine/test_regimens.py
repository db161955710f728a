"""Complete regimens (engine/regimens.py): a source, a route and optionally a strategy that some
study or trial of the disease used together, each part judged for the regimen's own source."""

from __future__ import annotations

from functools import cache
from typing import Any

import pytest

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import Recommendation, Regimen, ScoredCandidate
from mscadvisor.engine.scoring import score
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.record import replace

KB = load_knowledge_base()
ALL = 1000  # more regimens than any disease has

PROFILES: list[dict[str, Any]] = [
    {"disease": d, **extra}
    for d in sorted(KB.diseases)
    for extra in ({}, {"donor": "autologous", "age": 70}, {"modality": "exosomes"})
]


@cache
def _recommend(items: tuple[tuple[str, Any], ...], regimens: int, source: str | None) -> Any:
    return score(KB, build_profile(dict(items), KB, "test"), regimens, source)


def recommend(
    raw: dict[str, Any], regimens: int = ALL, source: str | None = None
) -> Recommendation:
    result: Recommendation = _recommend(tuple(sorted(raw.items())), regimens, source)
    return result


def regimen(result: Recommendation, regimen_id: str) -> Regimen:
    return next(r for r in result.regimens if r.id == regimen_id)


def judged_alone(raw: dict[str, Any], part: ScoredCandidate, source: str) -> ScoredCandidate:
    """The part as scored when routes are judged for ``source``, before ranking gave it a place:
    a regimen's route and strategy are unranked."""
    found = next(c for c in recommend(raw, 0, source).ranked[part.category] if c.id == part.id)
    return replace(found, rank=0, tied_with=())


def records(disease: str) -> list[Any]:
    return [r for r in (*KB.studies, *KB.trials.values()) if r.disease == disease]


def cited_records(reg: Regimen, disease: str) -> list[Any]:
    """The records of the disease behind the regimen's "used together in" citations that used
    its source and route."""
    refs = {c.ref for c in reg.paired_by if c.ref is not None}
    ncts = {c.nct for c in reg.paired_by if c.nct is not None}
    return [
        r
        for r in records(disease)
        if (r.ref in refs or getattr(r, "nct", None) in ncts)
        and (r.tissue, r.modality, r.route)
        == (reg.source.tissue, reg.source.modality, reg.route.id)
    ]


# ---- the review's POF regimens -----------------------------------------------------------------


def test_pof_cell_regimens_are_the_combinations_of_tables_1_and_3() -> None:
    ids = {r.id for r in recommend({"disease": "POF", "modality": "cells"}).regimens}
    assert ids == {
        "UC-cells+IV",  # [11] [13] [14], NCT05494723
        "UC-cells+IV+mir21-transfection",  # [15]
        "UC-cells+OV",  # [18]
        "UC-cells+OV+collagen-scaffold",  # [24]
        "UC-cells+OV+lrp1-high-subset",  # [16]
        "UC-cells+OV+hyaluronic-acid",  # [21]
        "UC-cells+OV+hypoxia",  # [21]
        "UC-cells+OV+hormone-replacement",  # NCT01742533
        "BM-cells+IV",  # [12]
        "BM-cells+OV",  # [19], NCT02043743, NCT02062931, NCT02696889
        "AD-cells+OV",  # [18], NCT06132542
        "AD-cells+OV+melatonin",  # [22]
        "AD-cells+implant+bioprinted-ivA",  # [23]
    }


def test_combinations_no_record_used_are_never_proposed() -> None:
    result = recommend({"disease": "POF"})
    ids = {r.id for r in result.regimens}
    # POF: only exosomes were given intraperitoneally [49][52], though IP is ranked for cord cells.
    assert "IP" in {c.id for c in result.ranked["route"]}
    assert result.judged_for == "UC-cells"
    assert "UC-cells+IP" not in ids
    assert {"UC-exosomes+IP", "BM-exosomes+IP"} <= ids
    # Cord exosomes went into the ovary only with LPS and a HAMA carrier [53].
    assert "UC-exosomes+OV+lps-hama" in ids
    assert "UC-exosomes+OV" not in ids
    # Sources no study or trial of POF used make no regimen.
    assert not any(r.source.tissue in ("DP", "UCB") for r in result.regimens)


def test_plain_intravenous_cord_cells_are_paired_by_the_plain_records_only() -> None:
    reg = regimen(recommend({"disease": "POF"}), "UC-cells+IV")
    assert [c.label for c in reg.paired_by] == [
        "[11] Cui L, 2023",
        "[13] Luo Q, 2022",
        "[14] Dai W, 2023",
        "NCT05494723",
    ]  # not [15] Yin, which transfected the cells with miR-21
    # Three animal studies, one point each up to 2; the trial has no results yet.
    assert [(c.rule, c.points) for c in reg.pairing] == [("REG-PAIRED-IN-ANIMAL-STUDIES", 2)]
    with_mir21 = regimen(recommend({"disease": "POF"}), "UC-cells+IV+mir21-transfection")
    assert [c.label for c in with_mir21.paired_by] == ["[15] Yin N, 2024"]
    assert [(c.rule, c.points) for c in with_mir21.pairing] == [("REG-PAIRED-IN-ANIMAL-STUDIES", 1)]


def test_marrow_cells_into_the_ovary_are_paired_by_the_trial_that_reported_efficacy() -> None:
    reg = regimen(recommend({"disease": "POF"}), "BM-cells+OV")
    # Park [19] reported safety only and the two duplicated trials are unverified: NCT02696889
    # alone reported efficacy.
    assert [(c.rule, c.points) for c in reg.pairing] == [("REG-PAIRED-IN-TRIALS", 1)]
    assert {c.label for c in reg.paired_by} == {
        "[19] Park HS, 2021",
        "NCT02043743",
        "NCT02062931",
        "NCT02696889",
    }


def test_a_regimen_no_pairing_rule_rewards_scores_its_parts() -> None:
    # Hormone replacement with cord cells: a registered trial without results (NCT01742533).
    reg = regimen(recommend({"disease": "POF"}), "UC-cells+OV+hormone-replacement")
    assert reg.pairing == ()
    assert reg.to_dict()["score"] == sum(p.score for p in reg.parts)


# ---- parts are judged for the regimen's own source ---------------------------------------------


def test_parts_are_judged_for_the_regimens_source_not_the_top_one() -> None:
    raw = {"disease": "POF"}
    result = recommend(raw)
    assert result.judged_for == "UC-cells"
    marrow = regimen(result, "BM-cells+OV")
    for_cord = next(c for c in result.ranked["route"] if c.id == "OV")
    # For marrow cells, NCT02696889 (marrow cells into the ovary) is direct evidence.
    assert marrow.route.score == judged_alone(raw, marrow.route, "BM-cells").score == 6
    assert for_cord.score == 3
    # A strategy excluded for cord cells (used with exosomes only) is a part for cord exosomes.
    assert "lps-hama" in {e.id for e in result.excluded}
    lps = regimen(result, "UC-exosomes+OV+lps-hama")
    assert lps.preconditioning is not None
    assert lps.preconditioning.score == judged_alone(raw, lps.preconditioning, "UC-exosomes").score


@pytest.mark.parametrize("raw", PROFILES, ids=lambda raw: "-".join(map(str, raw.values())))
def test_every_regimen_is_its_parts_judged_for_its_source_plus_pairing(raw: dict[str, Any]) -> None:
    result = recommend(raw)
    sources = {s.id: s for s in result.ranked["source"]}
    for reg in result.regimens:
        assert reg.source == sources[reg.source.id]
        parts = [reg.source] + [judged_alone(raw, p, reg.source.id) for p in reg.parts[1:]]
        assert list(reg.parts) == parts
        pairing = sum(c.points for c in reg.pairing)
        assert reg.to_dict()["score"] == sum(p.score for p in parts) + pairing
        assert {c.rule for c in reg.pairing} <= {
            "REG-PAIRED-IN-ANIMAL-STUDIES",
            "REG-PAIRED-IN-TRIALS",
        }


@pytest.mark.parametrize("raw", PROFILES, ids=lambda raw: "-".join(map(str, raw.values())))
def test_every_regimen_was_used_together_by_a_record(raw: dict[str, Any]) -> None:
    result = recommend(raw)
    for reg in result.regimens:
        used = cited_records(reg, raw["disease"])
        assert used, reg.id
        assert all(getattr(r, "setting", "in-vivo") == "in-vivo" for r in used)
        if reg.preconditioning is None:  # a plain regimen: records that used no strategy
            assert all(not r.preconditioning for r in used), reg.id
        else:
            assert all(reg.preconditioning.id in r.preconditioning for r in used), reg.id


@pytest.mark.parametrize("raw", PROFILES, ids=lambda raw: "-".join(map(str, raw.values())))
def test_regimens_respect_the_profile(raw: dict[str, Any]) -> None:
    result = recommend(raw)
    excluded = {(e.category, e.id) for e in result.excluded}
    for reg in result.regimens:
        assert ("source", reg.source.id) not in excluded
        if raw.get("modality") == "exosomes":
            assert reg.source.modality == "exosomes"
        if raw.get("donor") == "autologous":  # nothing collected at birth
            assert KB.tissues[reg.source.tissue or ""].perinatal is False


# ---- how many, in what order -------------------------------------------------------------------


@pytest.mark.parametrize("disease", sorted(KB.diseases))
def test_top_limits_and_orders_them(disease: str) -> None:
    everything = recommend({"disease": disease}).regimens
    assert everything
    assert [r.rank for r in everything] == list(range(1, len(everything) + 1))
    keys = [(-r.score, r.id) for r in everything]
    assert keys == sorted(keys)  # best first; ties by id
    for top in (1, 3, len(everything) + 5):
        best = recommend({"disease": disease}, top).regimens
        assert [r.to_dict() for r in best] == [r.to_dict() for r in everything[:top]]


def test_regimens_zero_gives_none_and_leaves_the_rest_alone() -> None:
    none = recommend({"disease": "POF"}, 0)
    assert none.regimens == ()
    some = recommend({"disease": "POF"}, 3)
    assert len(some.regimens) == 3
    assert none.to_dict()["regimens"] == []
    # Everything but the regimens, and the command that asks for that number of them.
    assert {k: v for k, v in none.to_dict().items() if k not in ("regimens", "reproduce")} == {
        k: v for k, v in some.to_dict().items() if k not in ("regimens", "reproduce")
    }


def test_a_cell_culture_record_pairs_nothing() -> None:
    # Yin [15] gave miR-21-transfected cord cells intravenously to animals; were it a cell
    # culture study, the strategy would still be ranked but no regimen would use it.
    studies = tuple(replace(s, setting="in-vitro") if s.id == "T1-15" else s for s in KB.studies)
    kb = replace(KB, studies=studies)
    result = score(kb, build_profile({"disease": "POF"}, kb, "test"), ALL)
    assert "mir21-transfection" in {c.id for c in result.ranked["preconditioning"]}
    assert "UC-cells+IV+mir21-transfection" not in {r.id for r in result.regimens}
    assert "UC-cells+IV" in {r.id for r in result.regimens}
