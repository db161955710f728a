"""A disease's evidence catalog, indexed once, answers every question as a scan of all the
disease's records does: the same uses, in the same order, and the same records counted."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor.engine import evidence
from mscadvisor.kb.knowledge import load_knowledge_base

KB = load_knowledge_base()
RECORDS: list[evidence.Record] = [*KB.studies, *KB.trials.values()]


@st.composite
def questions(draw: st.DrawFn) -> tuple[str, evidence.Question]:
    disease = draw(st.sampled_from(sorted(KB.diseases)))
    key = draw(st.sampled_from(["tissue", "route", "preconditioning"]))
    route = draw(st.none() | st.sampled_from(sorted(KB.routes)))
    strategies = draw(st.lists(st.sampled_from(sorted(KB.preconditioning)), max_size=2))
    return disease, evidence.Question(
        key,
        draw(st.sampled_from(sorted(KB.tissues))),
        draw(st.sampled_from(sorted(KB.modalities))),
        route=route,
        preconditioning=tuple(strategies),
        donor=draw(st.sampled_from(["autologous", "allogeneic", "any"])),
    )


@settings(max_examples=300, deadline=None)
@given(questions())
def test_the_catalog_answers_as_a_scan_of_every_record(
    asked: tuple[str, evidence.Question],
) -> None:
    disease, question = asked
    records = [r for r in RECORDS if r.disease == disease]
    catalog = evidence.Catalog(KB, records)
    scanned = evidence.uses(KB, records, question)
    assert catalog.uses(question) == scanned
    assert catalog.uses(question) is catalog.uses(question)  # memoized
    for parsed in KB.rules.values():
        query = parsed.rule.evidence
        if query is not None:
            admitted = {r.id for r in records if evidence.admits(query, r)}
            assert catalog.admitted(query) == admitted


def test_in_vivo_records_are_indexed_by_tissue_and_modality() -> None:
    records = [r for r in RECORDS if r.disease == "POF"]
    catalog = evidence.Catalog(KB, records)
    for tissue in KB.tissues:
        for modality in KB.modalities:
            expected = [
                r
                for r in records
                if (r.tissue, r.modality) == (tissue, modality)
                and getattr(r, "setting", "in-vivo") == "in-vivo"
            ]
            assert catalog.in_vivo(tissue, modality) == expected
