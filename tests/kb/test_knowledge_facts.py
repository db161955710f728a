"""Example tests pinning the facts of the review in rules/ (Tables 1-4, references, errata)."""

from __future__ import annotations

import pytest

from mscadvisor.kb.knowledge import KnowledgeBase


def test_table_row_counts(kb: KnowledgeBase) -> None:
    table1 = {s.ref for s in kb.studies if s.table == 1}
    table2 = {s.ref for s in kb.studies if s.table == 2}
    assert len(table1) == 28  # row [18] compares two tissues and is kept as two records
    assert len([s for s in kb.studies if s.table == 1]) == 29
    assert len(table2) == 28
    assert len([t for t in kb.trials.values() if t.in_table3]) == 18
    # ... and the clinical study the POF prose describes, not in Table 3 (erratum E-T1-24-CLINICAL)
    assert [t.id for t in kb.trials.values() if not t.in_table3] == ["REF24"]
    assert len(kb.references) == 83
    assert list(kb.references) == list(range(1, 84))
    assert set(kb.tissues) == {"BM", "AD", "UC", "UCB", "DP", "AM"}
    assert set(kb.diseases) == {"POF", "AD", "AS", "OP", "SKIN", "FRAILTY"}


def test_table1_row_18_is_head_to_head_adipose_vs_cord(kb: KnowledgeBase) -> None:
    rows = {s.tissue: s for s in kb.studies if s.ref == 18}
    assert set(rows) == {"UC", "AD"}
    assert all(r.head_to_head and r.route == "OV" and r.dose == "3.5 × 10^5" for r in rows.values())
    assert rows["AD"].etiology == "natural-aging"


@pytest.mark.parametrize(
    ("nct", "disease", "tissue", "modality", "route", "phase", "enrollment", "status", "outcome"),
    [
        ("NCT02696889", "POF", "BM", "cells", "OV", "1/2", 3, "Completed", "efficacy-reported"),
        ("NCT04388982", "AD", "AD", "exosomes", "IN", "1/2", 9, "Completed", "efficacy-reported"),
        ("NCT02600130", "AD", "BM", "cells", "IV", "1", 33, "Completed", "no-efficacy"),
        ("NCT02054208", "AD", "UCB", "cells", "ICV", "1/2", 46, "Completed", "safety-reported"),
        ("NCT06202547", "POF", "BM", "exosomes", "OV", "1", 10, "Recruiting", "no-results"),
        (
            "NCT05813379",
            "SKIN",
            "UCB",
            "exosomes",
            "superficial-facial",
            "1/2",
            20,
            "Recruiting",
            "no-results",
        ),
        ("NCT05152381", "OP", "UC", "cells", "IV", "1", 20, "Paused", "no-results"),
    ],
)
def test_table3_trials(
    kb: KnowledgeBase,
    nct: str,
    disease: str,
    tissue: str,
    modality: str,
    route: str,
    phase: str,
    enrollment: int,
    status: str,
    outcome: str,
) -> None:
    trial = kb.trial_by_nct(nct)
    assert trial is not None
    assert (trial.disease, trial.tissue, trial.modality, trial.route) == (
        disease,
        tissue,
        modality,
        route,
    )
    assert (trial.phase, trial.enrollment, trial.status, trial.outcome) == (
        phase,
        enrollment,
        status,
        outcome,
    )


def test_table3_retrospective_adipose_study_without_nct(kb: KnowledgeBase) -> None:
    row = next(t for t in kb.trials.values() if t.ref == 39)
    assert row.nct is None
    assert (row.disease, row.tissue, row.donor, row.enrollment) == ("AS", "AD", "autologous", 78)
    assert kb.trial_by_nct("NCT04501354") is not None
    assert kb.trial_by_nct("NCT04501354").route is None  # printed NA


@pytest.mark.parametrize(
    ("ref", "route", "preconditioning", "tissue"),
    [
        (61, "ICV", ("hypoxia",), "AD"),
        (62, "IN", ("cytokine-preconditioning",), "BM"),
        (53, "OV", ("lps-hama",), "UC"),
        (80, "intraosseous", ("titanium-scaffold",), "DP"),
        (82, "coculture", ("sponge-spicules",), "UC"),
    ],
)
def test_table2_exosome_studies(
    kb: KnowledgeBase, ref: int, route: str, preconditioning: tuple[str, ...], tissue: str
) -> None:
    (study,) = [s for s in kb.studies if s.ref == ref]
    assert study.table == 2 and study.modality == "exosomes"
    assert (study.route, study.preconditioning, study.tissue) == (route, preconditioning, tissue)


def test_table4_items_of_each_tissue(kb: KnowledgeBase) -> None:
    counts = {t.id: (len(t.advantages), len(t.disadvantages)) for t in kb.tissues.values()}
    assert counts == {
        "BM": (2, 3),
        "AD": (3, 3),
        "UC": (4, 1),
        "UCB": (3, 3),
        "DP": (3, 4),
        "AM": (0, 0),
    }
    assert "aspirate" in kb.tissues["BM"].procurement
    assert kb.tissues["AM"].in_table4 is False
    assert any("tooth extraction" in d.text for d in kb.tissues["DP"].disadvantages)


def test_disease_and_tissue_ad_are_separate(kb: KnowledgeBase) -> None:
    assert kb.resolve_disease("AD").name == "Alzheimer's disease"
    assert kb.tissues["AD"].name == "Adipose tissue"
    assert kb.resolve_disease("poi").id == "POF"
    assert kb.resolve_disease("Skin-Aging").id == "SKIN"


def test_placeholder_and_garbled_pmids_are_flagged(kb: KnowledgeBase) -> None:
    flagged = {
        r.ref: r.pmid_status
        for r in kb.references.values()
        if r.pmid_status in ("placeholder", "garbled")
    }
    assert flagged == {
        1: "garbled",
        30: "garbled",
        34: "placeholder",
        39: "placeholder",
        40: "placeholder",
        43: "placeholder",
        44: "placeholder",
    }
    assert kb.references[64].pmid == "37859748"


@pytest.mark.parametrize(
    "erratum",
    [
        "E-OP-74-75",
        "E-T1-19-INTRARENAL",
        "E-MELATONIN-33",
        "E-NCT02600130-RESULTS",
        "E-AMNION-20",
        "E-AS-37",
        "E-T4-AD-DIFFERENTIATION",
    ],
)
def test_known_errata_are_recorded_with_both_readings(kb: KnowledgeBase, erratum: str) -> None:
    record = kb.errata[erratum]
    assert len(record.readings) >= 2 and record.used and record.why


def test_74_75_follow_the_reference_list(kb: KnowledgeBase) -> None:
    by_ref = {s.ref: s for s in kb.studies if s.ref in (74, 75)}
    assert by_ref[75].preconditioning == ("mir21-overexpression",)
    assert "Nrf2/HO-1" in by_ref[74].effect
