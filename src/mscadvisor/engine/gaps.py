"""The evidence-gap map: for a disease, which sources were tried by which route and with which
preconditioning strategy, how often, and how certain the evidence is.

A view is a matrix: its rows are the sources (tissue and modality), its columns the routes (or
the strategies). A cell holds the disease's studies (Tables 1 and 2) and clinical studies
(Table 3, and the clinical studies the prose describes) that tested exactly that source with
exactly that route (or strategy), and the certainty graded from them as for a candidate. Each
row also has a cell for the source as a whole (any route, with or without a strategy).

Route view: every record falls in exactly one cell, its route's (a column "not given" holds the
records whose route the review does not give). Strategy view: a record falls in the cell of
each strategy it used, or in the column "none" when it used none.

A cell with no record says why it is empty: the review's prose reports a finding a rule scores
(``prose``), only rules of general traits (Table 4 and other expert synthesis, which count for
relevance, not as evidence) could score it (``traits``), or nothing at all (``none``: no
evidence in the review).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from mscadvisor.engine import citations, evidence
from mscadvisor.engine.candidates import NO_SOURCE, Candidate, candidates_for
from mscadvisor.engine.certainty import Grading, grade_certainty
from mscadvisor.engine.result import SCHEMA_VERSION, Contribution, EvidenceUse
from mscadvisor.engine.scoring import applicable_rules
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import GENERAL_LEVEL, Rule, Study, Trial

ViewKind = Literal["route", "preconditioning"]
VIEWS: tuple[ViewKind, ...] = ("route", "preconditioning")
Status = Literal["evidence", "prose", "traits", "none"]
STATUS_MEANINGS: dict[Status, str] = {
    "evidence": "studies or clinical studies of the review tested it",
    "prose": "no table record; the review's prose reports a finding that a rule scores",
    "traits": "general traits only (Table 4 or other expert synthesis): scored for relevance, "
    "not evidence",
    "none": "no evidence in the review",
}
ColumnKind = Literal["route", "in-vitro-route", "not-given", "strategy", "none"]


@dataclass(frozen=True, slots=True)
class Column:
    """A route or strategy; ``id`` is None for "route not given" and "no strategy"."""

    id: str | None
    name: str
    kind: ColumnKind

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "kind": self.kind}


@dataclass(frozen=True, slots=True)
class Cell:
    """The records of one exact combination, the certainty graded from them, and the rules
    (other than those counting records) that score the combination."""

    studies: tuple[Study, ...]
    trials: tuple[Trial, ...]
    certainty: Grading
    evidence: tuple[EvidenceUse, ...]  # one per paper, as the certainty ledger counts them
    rules: tuple[Rule, ...]

    @property
    def status(self) -> Status:
        if self.studies or self.trials:
            return "evidence"
        if any(r.level != GENERAL_LEVEL for r in self.rules):
            return "prose"
        return "traits" if self.rules else "none"

    @property
    def animal(self) -> int:
        return sum(s.setting == "in-vivo" for s in self.studies)

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "studies": len(self.studies),
            "animal": self.animal,
            "in_vitro": len(self.studies) - self.animal,
            "clinical": len(self.trials),
            "records": [s.id for s in self.studies] + [t.id for t in self.trials],
            "certainty": self.certainty.level,
            "certainty_label": self.certainty.label,
            "certainty_reasons": list(self.certainty.ledger),
            "evidence": [u.to_dict() for u in self.evidence],
            "rules": [r.id for r in self.rules],
        }


@dataclass(frozen=True, slots=True)
class Row:
    source: Candidate
    overall: Cell  # the source with any route, with or without a strategy
    cells: tuple[Cell, ...]  # one per column of the view

    def to_dict(self) -> dict[str, Any]:
        return {
            "source": self.source.id,
            "tissue": self.source.tissue,
            "modality": self.source.modality,
            "label": self.source.label,
            "overall": self.overall.to_dict(),
            "cells": [c.to_dict() for c in self.cells],
        }


@dataclass(frozen=True, slots=True)
class View:
    kind: ViewKind
    columns: tuple[Column, ...]
    rows: tuple[Row, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "view": self.kind,
            "columns": [c.to_dict() for c in self.columns],
            "rows": [r.to_dict() for r in self.rows],
        }


@dataclass(frozen=True, slots=True)
class DiseaseGaps:
    disease: str
    name: str
    views: tuple[View, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "disease": self.disease,
            "name": self.name,
            "views": [v.to_dict() for v in self.views],
        }


@dataclass(frozen=True, slots=True)
class GapMap:
    knowledge_base: dict[str, Any]  # KnowledgeBase.identity()
    diseases: tuple[DiseaseGaps, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "knowledge_base": self.knowledge_base,
            "statuses": dict(STATUS_MEANINGS),
            "diseases": [d.to_dict() for d in self.diseases],
        }


def gap_map(
    kb: KnowledgeBase, disease_ids: Iterable[str], views: Sequence[ViewKind] = VIEWS
) -> GapMap:
    """The gap map of each disease, with the views asked for, in the order asked for."""
    return GapMap(
        knowledge_base=kb.identity(),
        diseases=tuple(disease_gaps(kb, d, views) for d in disease_ids),
    )


def disease_gaps(kb: KnowledgeBase, disease_id: str, views: Sequence[ViewKind]) -> DiseaseGaps:
    records: list[evidence.Record] = [
        *(s for s in kb.studies if s.disease == disease_id),
        *(t for t in kb.trials.values() if t.disease == disease_id),
    ]
    build = {"route": _route_view, "preconditioning": _strategy_view}
    return DiseaseGaps(
        disease_id,
        kb.diseases[disease_id].name,
        tuple(build[kind](kb, disease_id, records) for kind in views),
    )


def _route_view(kb: KnowledgeBase, disease_id: str, records: Sequence[evidence.Record]) -> View:
    """Sources against the disease's routes, and any other route its records name."""
    candidates = candidates_for(kb, disease_id)
    wanted = {c.id for c in candidates["route"]} | {r.route for r in records if r.route}
    columns = [
        Column(route.id, route.name, "in-vitro-route" if route.in_vitro else "route")
        for route in kb.routes.values()
        if route.id in wanted
    ]
    if any(r.route is None for r in records):
        columns.append(Column(None, "route not given in the review", "not-given"))
    rows = _rows(kb, disease_id, records, candidates["source"], columns, category="route")
    return View("route", tuple(columns), tuple(rows))


def _strategy_view(kb: KnowledgeBase, disease_id: str, records: Sequence[evidence.Record]) -> View:
    """Sources against the disease's preconditioning strategies, and the plain product."""
    candidates = candidates_for(kb, disease_id)
    wanted = {c.id for c in candidates["preconditioning"]}
    wanted |= {p for r in records for p in r.preconditioning}
    columns = [Column(None, "no strategy: the plain product", "none")] + [
        Column(pre.id, pre.name, "strategy")
        for pre in kb.preconditioning.values()
        if pre.id in wanted
    ]
    rows = _rows(kb, disease_id, records, candidates["source"], columns, category="preconditioning")
    return View("preconditioning", tuple(columns), tuple(rows))


def _rows(
    kb: KnowledgeBase,
    disease_id: str,
    records: Sequence[evidence.Record],
    sources: Iterable[Candidate],
    columns: Sequence[Column],
    *,
    category: Literal["route", "preconditioning"],
) -> list[Row]:
    """A row per source, a cell per column: the records of that source and that route (or
    strategy), graded with the rules that score it."""
    rows = []
    for source in sources:
        mine = _of_source(records, source)
        cells = []
        for column in columns:
            if category == "route":
                chosen = [r for r in mine if r.route == column.id]
                where: dict[str, Any] = {"route": column.id}
            else:
                chosen = [r for r in mine if _used(r, column.id)]
                where = {"preconditioning": (column.id,) if column.id else ()}
            rules = _scoring_rules(kb, disease_id, category, column.id, source.id)
            cells.append(_cell(kb, chosen, source, rules, **where))
        rows.append(Row(source, _overall(kb, disease_id, mine, source), tuple(cells)))
    return rows


def _used(record: evidence.Record, strategy: str | None) -> bool:
    """Whether the record used the strategy (None: used none)."""
    if strategy is None:
        return not record.preconditioning
    return strategy in record.preconditioning


def _of_source(records: Iterable[evidence.Record], source: Candidate) -> list[evidence.Record]:
    return [r for r in records if r.tissue == source.tissue and r.modality == source.modality]


def _overall(
    kb: KnowledgeBase, disease_id: str, records: Sequence[evidence.Record], source: Candidate
) -> Cell:
    rules = _scoring_rules(kb, disease_id, "source", source.id, NO_SOURCE)
    return _cell(kb, records, source, rules)


def _scoring_rules(
    kb: KnowledgeBase, disease_id: str, category: str, candidate: str | None, source: str
) -> tuple[Rule, ...]:
    """The rules that could give the candidate points for this disease other than by counting
    records (a column with no candidate, such as "route not given", has none)."""
    if candidate is None:
        return ()
    found = applicable_rules(kb, disease_id, category, candidate, source)
    return tuple(
        p.rule for p in found if p.rule.evidence is None and p.rule.points not in (None, 0)
    )


def _cell(
    kb: KnowledgeBase,
    records: Sequence[evidence.Record],
    source: Candidate,
    rules: tuple[Rule, ...],
    *,
    route: str | None = None,
    preconditioning: tuple[str, ...] = (),
) -> Cell:
    """A cell of these records (all of the source, and of the column's route or strategy),
    graded as the question "this source, by this route or with this strategy" is graded."""
    assert source.tissue is not None and source.modality is not None
    question = evidence.Question(
        "tissue", source.tissue, source.modality, route=route, preconditioning=preconditioning
    )
    uses = evidence.uses(kb, records, question)
    return Cell(
        studies=tuple(r for r in records if isinstance(r, Study)),
        trials=tuple(r for r in records if isinstance(r, Trial)),
        certainty=grade_certainty(uses, [_finding(kb, rule) for rule in rules]),
        evidence=uses,
        rules=rules,
    )


def _finding(kb: KnowledgeBase, rule: Rule) -> Contribution:
    """A rule's points as the certainty ledger reads them: a positive finding from the prose
    counts as evidence, a lost head-to-head comparison as inconsistency, general traits as
    nothing."""
    assert rule.points is not None
    return Contribution(
        rule.id,
        rule.points,
        rule.summary,
        rule.level,
        tuple(citations.view(kb, c) for c in rule.citations),
    )
