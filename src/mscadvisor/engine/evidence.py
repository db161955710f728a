"""Evidence matched to the exact question a candidate asks.

A candidate asks a precise question: a source (tissue and modality, given the profile's donor
type), a route given a source, or a preconditioning strategy given a source. Every study or
trial of the disease that tested the candidate's own key (the tissue, the route, the strategy)
is a *use* of that record for the candidate: *direct* when it matches every other attribute
the question fixes, *indirect* otherwise, with the attributes that differ. Scoring rules count
uses by grade and outcome; certainty is graded from them; all of them are shown.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

from mscadvisor.engine import citations
from mscadvisor.engine.result import CitationView, Contribution, EvidenceUse
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import EvidenceQuery, Rule, Study, Trial
from mscadvisor.record import Record as FrozenRecord

Record = Study | Trial
Grade = Literal[
    "controlled-clinical", "cohort", "uncontrolled-clinical", "clinical", "animal", "in-vitro"
]
# Strongest first: a controlled clinical study, a cohort, an uncontrolled clinical series, a
# clinical study whose design the review does not state, an animal study, a cell-culture study.
GRADES: tuple[Grade, ...] = (
    "controlled-clinical",
    "cohort",
    "uncontrolled-clinical",
    "clinical",
    "animal",
    "in-vitro",
)
GRADE_WORDS = {
    "controlled-clinical": "controlled clinical study",
    "cohort": "clinical cohort",
    "uncontrolled-clinical": "uncontrolled clinical study",
    "clinical": "clinical study (design not stated)",
    "animal": "animal study",
    "in-vitro": "cell-culture study",
}
# What a record's outcome means for efficacy.
ROLES = {
    "efficacy-reported": "supports",
    "no-efficacy": "against",
    "safety-reported": "safety only",
    "inconclusive": "inconclusive",
    "no-results": "pending",
    "unverified": "unverified",  # results printed, but nothing the review cites confirms them
}


_TRIAL_GRADES: dict[str, Grade] = {
    "controlled": "controlled-clinical",
    "cohort": "cohort",
    "uncontrolled": "uncontrolled-clinical",
    "unstated": "clinical",
}


def grade(record: Record) -> Grade:
    if isinstance(record, Trial):
        return _TRIAL_GRADES[record.design]
    return "animal" if record.setting == "in-vivo" else "in-vitro"


class Question(FrozenRecord):
    """What a candidate fixes. ``None`` leaves an attribute open; ``preconditioning`` is the
    strategy asked about, or () for the plain (unconditioned) product."""

    key: Literal["tissue", "route", "preconditioning"]  # what a record must share to count
    tissue: str
    modality: str
    route: str | None = None
    preconditioning: tuple[str, ...] = ()
    donor: str = "any"  # the profile's: autologous, allogeneic or any


def uses(
    kb: KnowledgeBase, records: Iterable[Record], question: Question
) -> tuple[EvidenceUse, ...]:
    """Every record that tested the question's key, as direct or indirect evidence for it.

    One paper counts once: when a reference appears in several records (a Table 1 row and the
    clinical study its prose describes), the most direct, strongest record stands for it.
    """
    sharing = [r for r in records if _shares_key(r, question)]
    return _uses(sharing, question, [citations.view(kb, citations.of_record(r)) for r in sharing])


def _uses(
    sharing: Sequence[Record], question: Question, cited: Sequence[CitationView]
) -> tuple[EvidenceUse, ...]:
    """``uses`` of the records that share the question's key, each with its citation."""
    found: dict[object, tuple[tuple[int, int], EvidenceUse]] = {}
    for record, citation in zip(sharing, cited, strict=True):
        differs = _differences(record, question)
        use = EvidenceUse(
            record=record.id,
            citation=citation,
            grade=grade(record),
            outcome=record.outcome,
            role=ROLES[record.outcome],
            direct=not differs,
            differs=differs,
            size=record.enrollment if isinstance(record, Trial) else None,
            head_to_head=getattr(record, "head_to_head", False),
        )
        strength = (len(differs), GRADES.index(use.grade))
        paper = record.ref if record.ref is not None else record.id
        if paper not in found or strength < found[paper][0]:
            found[paper] = (strength, use)
    return tuple(sorted((u for _, u in found.values()), key=_order))


class Catalog:
    """A disease's studies and trials, indexed once for the questions its candidates ask: by
    the keys they share, with their citations resolved, and each question's uses and each
    evidence rule's admitted records memoized (bounded by the knowledge base)."""

    __slots__ = ("_admitted", "_cited", "_in_vivo", "_keyed", "_uses", "records")

    def __init__(self, kb: KnowledgeBase, records: Iterable[Record]):
        self.records = {r.id: r for r in records}
        self._cited = {
            r.id: citations.view(kb, citations.of_record(r)) for r in self.records.values()
        }
        self._keyed: dict[tuple[str, str | None], list[Record]] = {}
        for r in self.records.values():
            keys = [("tissue", r.tissue), ("route", r.route)]
            keys += [("preconditioning", strategy) for strategy in r.preconditioning]
            for key in keys:
                self._keyed.setdefault(key, []).append(r)
        self._in_vivo: dict[tuple[str | None, str | None], list[Record]] = {}
        for r in self.records.values():
            if getattr(r, "setting", "in-vivo") == "in-vivo":
                self._in_vivo.setdefault((r.tissue, r.modality), []).append(r)
        self._uses: dict[Question, tuple[EvidenceUse, ...]] = {}
        self._admitted: dict[EvidenceQuery, frozenset[str]] = {}

    def uses(self, question: Question) -> tuple[EvidenceUse, ...]:
        """``uses`` of the disease's records for the question."""
        found = self._uses.get(question)
        if found is None:
            sharing = self._sharing(question)
            cited = [self._cited[r.id] for r in sharing]
            found = self._uses[question] = _uses(sharing, question, cited)
        return found

    def uses_among(self, records: Iterable[Record], question: Question) -> tuple[EvidenceUse, ...]:
        """``uses`` of some of the disease's records for the question."""
        sharing = [r for r in records if _shares_key(r, question)]
        return _uses(sharing, question, [self._cited[r.id] for r in sharing])

    def in_vivo(self, tissue: str | None, modality: str | None) -> list[Record]:
        """The in vivo studies and trials (a trial is in vivo) of a tissue and modality."""
        return self._in_vivo.get((tissue, modality), [])

    def cite(self, records: Iterable[Record]) -> tuple[CitationView, ...]:
        """One citation per distinct study or trial of the disease, in order."""
        return _distinct(self._cited[r.id] for r in records)

    def admitted(self, query: EvidenceQuery) -> frozenset[str]:
        """The ids of the records an evidence rule's filters admit (``admits``)."""
        found = self._admitted.get(query)
        if found is None:
            found = frozenset(r.id for r in self.records.values() if admits(query, r))
            self._admitted[query] = found
        return found

    def _sharing(self, question: Question) -> list[Record]:
        """The records that share the question's key, in the catalog's order."""
        value: str | None
        if question.key == "tissue":
            value = question.tissue
        elif question.key == "route":
            value = question.route
        elif len(question.preconditioning) == 1:
            value = question.preconditioning[0]
        else:
            return [r for r in self.records.values() if _shares_key(r, question)]
        return self._keyed.get((question.key, value), [])


def _order(use: EvidenceUse) -> tuple[Any, ...]:
    return (not use.direct, GRADES.index(use.grade), use.citation.label)


def _shares_key(record: Record, question: Question) -> bool:
    if question.key == "tissue":
        return record.tissue == question.tissue
    if question.key == "route":
        return record.route == question.route
    return bool(set(question.preconditioning) & set(record.preconditioning))


def _differences(record: Record, question: Question) -> tuple[str, ...]:
    """The attributes the question fixes that the record does not share, in words."""
    differs = []
    if record.tissue != question.tissue:
        differs.append(f"tissue {record.tissue}")
    if record.modality != question.modality:
        differs.append(f"modality {record.modality}")
    material = getattr(record, "material", None)
    if material:
        differs.append(f"material: {material}")
    treated = getattr(record, "treated", None)
    if treated:
        differs.append(f"treated {treated}")
    if (
        question.donor in ("autologous", "allogeneic")
        and record.donor
        in (
            "autologous",
            "allogeneic",
        )
        and record.donor != question.donor
    ):
        differs.append(f"donor {record.donor}")
    if question.route is not None and record.route != question.route:
        differs.append(f"route {record.route or 'not given'}")
    extra = sorted(set(record.preconditioning) - set(question.preconditioning))
    if extra:
        differs.append(f"with {', '.join(extra)}")
    return tuple(differs)


def admits(query: EvidenceQuery, record: Record) -> bool:
    """Whether an evidence rule counts this kind of record (its filters, not the match)."""
    if query.records == "studies" and not isinstance(record, Study):
        return False
    if query.records == "trials" and not isinstance(record, Trial):
        return False
    return (
        (not query.setting or getattr(record, "setting", None) in query.setting)
        and (not query.outcome or record.outcome in query.outcome)
        and (not query.design or getattr(record, "design", None) in query.design)
        and (
            query.head_to_head is None
            or getattr(record, "head_to_head", False) == query.head_to_head
        )
        and (
            query.reports_fertility is None
            or getattr(record, "reports_fertility", False) == query.reports_fertility
        )
    )


def counted(
    query: EvidenceQuery,
    found: Sequence[EvidenceUse],
    catalog: Catalog,
    question: Question,
    etiology: str | None,
) -> list[EvidenceUse]:
    """The uses an evidence rule counts: records of its kind, filters and exact-match keys
    (a key named in ``match`` must be shared, not merely be close)."""
    admitted = catalog.admitted(query)
    chosen = []
    for use in found:
        if use.record not in admitted:
            continue
        record = catalog.records[use.record]
        if "modality" in query.match and record.modality != question.modality:
            continue
        if "etiology" in query.match and (
            etiology is None or getattr(record, "etiology", None) != etiology
        ):
            continue
        chosen.append(use)
    return chosen


def contribution(rule: Rule, counted: Sequence[EvidenceUse]) -> Contribution | None:
    """An evidence rule's points for the uses it counts: so many per direct use up to its cap,
    and (much less) per indirect use that differs in one respect, up to its own cap; None when
    it counts nothing."""
    query = rule.evidence
    assert query is not None
    direct = [u for u in counted if u.direct]
    # Indirect evidence counts only one step removed: a record that differs in two respects
    # (another modality and another product, say) is shown but counts nothing.
    indirect = [u for u in counted if len(u.differs) == 1] if query.indirect_each else []
    if not (direct or indirect):
        return None
    points = _capped(query.points_each, len(direct), query.cap) + _capped(
        query.indirect_each, len(indirect), query.indirect_cap
    )
    parts = [f"{len(direct)} direct ({query.points_each:+d} each, cap {query.cap})"]
    if indirect:
        parts.append(
            f"{len(indirect)} indirect ({query.indirect_each:+d} each, cap {query.indirect_cap})"
        )
    used = (*direct, *indirect)
    return Contribution(
        rule=rule.id,
        points=points,
        reason=f"{rule.summary}: {', '.join(parts)}",
        level=rule.level,
        citations=_distinct(u.citation for u in used),
        records=tuple(u.record for u in used),
        assumption=None,
    )


def _capped(each: int, count: int, cap: int) -> int:
    """count x each, its size capped at cap (a negative rate stays negative)."""
    total = min(cap, abs(each) * count)
    return -total if each < 0 else total


def _distinct(views: Iterable[CitationView]) -> tuple[CitationView, ...]:
    return tuple(dict.fromkeys(views))
