"""The evidence-gap map: cells that pin facts of the review (Tables 1-3 and the prose), and the
laws that hold for any knowledge base (every record in exactly one cell of the route view, in
one cell per strategy of the preconditioning view)."""

from __future__ import annotations

from collections import Counter

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor.engine.gaps import Cell, View, disease_gaps, gap_map
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from mscadvisor.kb.records import Study, Trial
from mscadvisor.record import replace

KB = load_knowledge_base()


def view(kb: KnowledgeBase, disease: str, kind: str) -> View:
    (found,) = disease_gaps(kb, disease, [kind]).views  # type: ignore[list-item]
    return found


def cell(disease: str, kind: str, source: str, column: str | None) -> Cell:
    """The cell of a source and a column (None: "route not given" or "no strategy"; "all":
    the source as a whole)."""
    shown = view(KB, disease, kind)
    row = next(r for r in shown.rows if r.source.id == source)
    if column == "all":
        return row.overall
    index = [c.id for c in shown.columns].index(column)
    return row.cells[index]


def ids(found: Cell) -> tuple[list[int], list[str]]:
    """The references of a cell's studies and the NCT numbers (or references) of its trials."""
    trials = sorted(t.nct or f"ref {t.ref}" for t in found.trials)
    return sorted(s.ref for s in found.studies), trials


# (disease, view, source, column, Table 1-2 references, Table 3 trials), read off the review.
FACTS = [
    # Table 1 [19]: hBM-MSC, OV; Table 3: three BM-MSC trials by OV.
    ("POF", "route", "BM-cells", "OV", [19], ["NCT02043743", "NCT02062931", "NCT02696889"]),
    # Table 1 [11], [13], [14], [15] (miR-21 transfected): hUC-MSC, IV; Table 3 NCT05494723.
    ("POF", "route", "UC-cells", "IV", [11, 13, 14, 15], ["NCT05494723"]),
    # Table 2 [48]: hUC-MSC exosomes, route printed NA.
    ("POF", "route", "UC-exosomes", None, [48], []),
    # Table 3: intraovarian BMMSC-Exos, recruiting, no results.
    ("POF", "route", "BM-exosomes", "OV", [], ["NCT06202547"]),
    ("POF", "preconditioning", "AD-cells", "melatonin", [22], []),
    # Table 3: NEUROSTEM (UCB-MSC) by ICV; intranasal ADMSC-Exos.
    ("AD", "route", "UCB-cells", "ICV", [], ["NCT02054208"]),
    ("AD", "route", "AD-exosomes", "IN", [], ["NCT04388982"]),
    ("AD", "preconditioning", "BM-exosomes", "cytokine-preconditioning", [62], []),
    # [41] and [42]: DP-MSCs by IV; Table 3 NCT04501354: UC-MSC, route NA.
    ("OP", "route", "DP-cells", "IV", [41, 42], []),
    ("OP", "route", "UC-cells", None, [], ["NCT04501354"]),
    # [34], [35]: AD-MSCs by IV; the retrospective study [39] of Table 3.
    ("AS", "route", "AD-cells", "IV", [34, 35], ["ref 39"]),
    ("SKIN", "route", "UCB-exosomes", "superficial-facial", [], ["NCT05813379"]),
    ("FRAILTY", "route", "AM-cells", "IP", [10], []),
]


@pytest.mark.parametrize(
    ("disease", "kind", "source", "column", "refs", "trials"),
    FACTS,
    ids=[f"{d}-{s}-{c}" for d, _, s, c, *_ in FACTS],
)
def test_cells_count_the_records_of_the_review(
    disease: str, kind: str, source: str, column: str | None, refs: list[int], trials: list[str]
) -> None:
    found = cell(disease, kind, source, column)
    assert ids(found) == (refs, trials)
    assert found.status == "evidence"


def test_certainty_is_graded_per_cell() -> None:
    # Three BM-MSC trials and one animal study by OV, none controlled: very low.
    assert cell("POF", "route", "BM-cells", "OV").certainty.level == "very-low"
    # Four animal studies and a trial without results by IV: low (animal studies, several).
    uc_iv = cell("POF", "route", "UC-cells", "IV")
    assert uc_iv.certainty.level == "low"
    assert uc_iv.certainty.ledger[0].startswith("starts low: an animal study")
    # A trial with no results published supports nothing: not assessed.
    assert cell("POF", "route", "BM-exosomes", "OV").certainty.level == "not-assessed"
    # Intranasal ADMSC-Exos improved cognition in 9 patients: clinical, but imprecise.
    intranasal = cell("AD", "route", "AD-exosomes", "IN").certainty
    assert intranasal.level == "very-low"
    assert any("imprecise" in reason for reason in intranasal.ledger)


def test_empty_cells_say_why() -> None:
    # Nothing of the review uses adipose exosomes for POF, by IV or any route.
    nothing = cell("POF", "route", "AD-exosomes", "IV")
    assert nothing.status == "none" and not nothing.rules
    assert nothing.certainty.level == "not-assessed"
    # Dental pulp for POF: no study, but Table 4 traits would score the source.
    dental = cell("POF", "route", "DP-cells", "all")
    assert dental.status == "traits"
    assert any(r.id.startswith("T4-DP-") for r in dental.rules)
    assert all(r.level == "expert-synthesis" for r in dental.rules)
    # Marrow-cavity injection of BM-MSCs for OP: the prose reports it, no table row has it.
    marrow = cell("OP", "route", "BM-cells", "intraosseous")
    assert marrow.status == "prose"
    assert {r.id: r.level for r in marrow.rules} == {
        "ROUTE-OP-MARROW-CAVITY-ANIMALS": "preclinical-in-vivo",
        "ROUTE-OP-COMMON-METHODS": "expert-synthesis",
    }
    assert marrow.certainty.level == "very-low"  # one animal finding, graded as the engine does


def test_columns_are_the_diseases_routes_and_those_its_records_name() -> None:
    pof = view(KB, "POF", "route")
    assert [c.id for c in pof.columns] == ["IP", "IV", "OV", "implant", None]
    ad = view(KB, "AD", "route")
    assert ("coculture", "in-vitro-route") in [(c.id, c.kind) for c in ad.columns]
    strategies = view(KB, "POF", "preconditioning")
    assert strategies.columns[0].kind == "none"
    assert {c.id for c in strategies.columns[1:]} == {
        p.id for p in KB.preconditioning.values() if "POF" in p.diseases
    }
    assert [r.source.id for r in pof.rows][:2] == ["AD-cells", "AD-exosomes"]
    assert len(pof.rows) == len(KB.tissues) * len(KB.modalities)


def test_a_map_of_all_diseases_has_each_with_both_views() -> None:
    found = gap_map(KB, KB.diseases)
    assert [d.disease for d in found.diseases] == list(KB.diseases)
    assert all([v.kind for v in d.views] == ["route", "preconditioning"] for d in found.diseases)


def placed(shown: View) -> Counter[str]:
    """How many cells of the view hold each record."""
    return Counter(
        record.id for row in shown.rows for c in row.cells for record in (*c.studies, *c.trials)
    )


@st.composite
def reshuffled(draw: st.DrawFn) -> KnowledgeBase:
    """The shipped knowledge base with its studies and trials moved to other diseases, sources,
    routes (or none) and strategies."""
    routes = st.sampled_from([None, *KB.routes])
    strategies = st.lists(st.sampled_from(sorted(KB.preconditioning)), max_size=3, unique=True)

    def moved(record: Study | Trial) -> Study | Trial:
        return replace(
            record,
            disease=draw(st.sampled_from(sorted(KB.diseases))),
            tissue=draw(st.sampled_from(sorted(KB.tissues))),
            modality=draw(st.sampled_from(sorted(KB.modalities))),
            route=draw(routes),
            preconditioning=tuple(draw(strategies)),
        )

    keep = draw(st.lists(st.booleans(), min_size=8, max_size=8))
    studies = tuple(
        s if keep[i % 8] else moved(s) for i, s in enumerate(KB.studies) if draw(st.booleans())
    )
    trials = {t.id: t if draw(st.booleans()) else moved(t) for t in KB.trials.values()}
    return replace(KB, studies=studies, trials=trials)


@settings(max_examples=25, deadline=None)
@given(reshuffled(), st.sampled_from(sorted(KB.diseases)))
def test_every_record_is_in_one_route_cell_and_in_one_cell_per_strategy(
    kb: KnowledgeBase, disease: str
) -> None:
    studies = [s for s in kb.studies if s.disease == disease]
    trials = [t for t in kb.trials.values() if t.disease == disease]
    routes, strategies = disease_gaps(kb, disease, ["route", "preconditioning"]).views
    # Route view: the cells' study and trial counts add up to the disease's records.
    assert sum(len(c.studies) for r in routes.rows for c in r.cells) == len(studies)
    assert sum(len(c.trials) for r in routes.rows for c in r.cells) == len(trials)
    assert placed(routes) == Counter(r.id for r in (*studies, *trials))
    # Preconditioning view: once per strategy used, or once in the column "none".
    expected = Counter({r.id: max(1, len(r.preconditioning)) for r in (*studies, *trials)})
    assert placed(strategies) == +expected
    for shown in (routes, strategies):
        for row in shown.rows:
            records = {r.id for r in (*row.overall.studies, *row.overall.trials)}
            assert records == {r.id for c in row.cells for r in (*c.studies, *c.trials)}
            for c in (row.overall, *row.cells):
                assert (c.status == "evidence") == bool(c.studies or c.trials)
                assert (c.status == "none") == (not c.studies and not c.trials and not c.rules)
