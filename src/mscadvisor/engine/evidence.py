"""Evidence rules: which table records (Tables 1-3) a rule counts for a candidate, and the
contribution they make. Scoring and regimens both count evidence through this module."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from mscadvisor.engine import citations
from mscadvisor.engine.candidates import Candidate
from mscadvisor.engine.result import CitationView, Contribution
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import Citation, EvidenceQuery, Rule, Study, Trial

Record = Study | Trial


def records_for(kb: KnowledgeBase, disease_id: str, query: EvidenceQuery) -> tuple[Record, ...]:
    """The disease's records of the query's kind that pass its filters (setting, outcome,
    head to head, fertility), before matching to any candidate."""
    pool: Iterable[Record] = kb.studies if query.records == "studies" else kb.trials.values()
    return tuple(
        r
        for r in pool
        if r.disease == disease_id
        and (not query.setting or getattr(r, "setting", None) in query.setting)
        and (not query.outcome or getattr(r, "outcome", None) in query.outcome)
        and (query.head_to_head is None or getattr(r, "head_to_head", False) == query.head_to_head)
        and (
            query.reports_fertility is None
            or getattr(r, "reports_fertility", False) == query.reports_fertility
        )
    )


def matching(
    records: Sequence[Record],
    query: EvidenceQuery,
    candidate: Candidate,
    modality: str,
    etiology: str | None,
) -> list[Record]:
    """The records that match the candidate on every key the query names. ``modality`` and
    ``etiology`` are the profile's; an etiology query matches nothing without an etiology."""
    if "etiology" in query.match and etiology is None:
        return []
    wanted_modality = candidate.modality or (None if modality == "any" else modality)
    return [
        r
        for r in records
        if ("tissue" not in query.match or r.tissue == candidate.tissue)
        and ("modality" not in query.match or wanted_modality in (None, r.modality))
        and ("route" not in query.match or r.route == candidate.id)
        and ("preconditioning" not in query.match or candidate.id in r.preconditioning)
        and ("etiology" not in query.match or getattr(r, "etiology", None) == etiology)
    ]


def contribution(kb: KnowledgeBase, rule: Rule, matched: Sequence[Record]) -> Contribution:
    """The points of an evidence rule for its matched records: so many each, capped."""
    query = rule.evidence
    assert query is not None
    points = min(query.cap, query.points_each * len(matched))
    reason = (
        f"{rule.summary}: {len(matched)} record(s), {query.points_each} each, capped at {query.cap}"
    )
    return Contribution(rule.id, points, reason, rule.level, cite(kb, matched))


def cite(kb: KnowledgeBase, records: Iterable[Record]) -> tuple[CitationView, ...]:
    """One citation per distinct study or trial, in order: the NCT id of a registered trial,
    else the reference number."""
    cited: list[Citation] = []
    for record in records:
        one = (
            Citation(nct=record.nct)
            if isinstance(record, Trial) and record.nct
            else Citation(ref=record.ref)
        )
        if one not in cited:
            cited.append(one)
    return tuple(citations.view(kb, c) for c in cited)
