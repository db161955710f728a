"""Certainty of evidence, graded apart from the score and explained step by step.

Modelled on GRADE: the starting level comes from the design of the best evidence for the
candidate (a controlled clinical study starts high; a cohort, an uncontrolled series or animal
studies start low, which is as high as animal-only evidence can be; cell culture starts very
low), then each concern rates it down one level: indirectness (the best evidence tested
something other than the candidate), imprecision (few patients, or a single animal study) and
inconsistency (evidence against, or a lost head-to-head comparison). Where the review reports
nothing that supports the candidate, certainty is not assessed.
"""

from __future__ import annotations

from collections.abc import Sequence

from mscadvisor.engine.evidence import GRADE_WORDS, GRADES
from mscadvisor.engine.result import Contribution, EvidenceUse
from mscadvisor.record import Record

LEVELS = ("high", "moderate", "low", "very-low")  # strongest first
NOT_ASSESSED = "not-assessed"
SYMBOLS = {
    "high": "⊕⊕⊕⊕",
    "moderate": "⊕⊕⊕◯",
    "low": "⊕⊕◯◯",
    "very-low": "⊕◯◯◯",
    NOT_ASSESSED: "",
}
START = {
    "controlled-clinical": "high",
    "cohort": "low",
    "uncontrolled-clinical": "low",
    "clinical": "low",
    "animal": "low",
    "in-vitro": "very-low",
}
# Fewer patients in all supporting clinical studies: imprecise. The model's threshold, not the
# review's (which gives none), so every ledger that applies it says so.
PRECISE_ENROLLMENT = 30


class Grading(Record):
    level: str
    ledger: tuple[str, ...]  # the starting level and each rating down, with its reason

    @property
    def label(self) -> str:
        return f"{SYMBOLS[self.level]} {self.level.replace('-', ' ')}".strip()


def rank(level: str) -> int:
    """0 for the strongest level; not assessed ranks last."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def grade_certainty(uses: Sequence[EvidenceUse], contributions: Sequence[Contribution]) -> Grading:
    supporting = [u for u in uses if u.role == "supports"] + _described(contributions)
    if not supporting:
        pending = [u.citation.label for u in uses if u.role != "supports"]
        why = "the review reports no study that supports it for this disease"
        if pending:
            why += f" (without an efficacy result: {', '.join(pending)})"
        return Grading(level=NOT_ASSESSED, ledger=(f"not assessed: {why}",))
    best = min(supporting, key=lambda u: (not u.direct, GRADES.index(u.grade)))
    level = START[best.grade]
    words = f"{'' if best.direct else 'indirect '}{GRADE_WORDS[best.grade]}"
    kind = f"{'an' if words[0] in 'aeiou' else 'a'} {words}"
    ledger = [f"starts {level.replace('-', ' ')}: {kind} ({best.citation.label})"]
    for concern in _concerns(best, supporting, uses, contributions):
        if level == LEVELS[-1]:
            ledger.append(f"(already very low) {concern}")
            continue
        level = LEVELS[LEVELS.index(level) + 1]
        ledger.append(f"down to {level.replace('-', ' ')}: {concern}")
    return Grading(level=level, ledger=tuple(ledger))


def _concerns(
    best: EvidenceUse,
    supporting: Sequence[EvidenceUse],
    uses: Sequence[EvidenceUse],
    contributions: Sequence[Contribution],
) -> list[str]:
    concerns = []
    if not best.direct:
        concerns.append(f"indirect (best evidence differs: {'; '.join(best.differs)})")
    same = [u for u in supporting if u.direct == best.direct and u.grade == best.grade]
    if best.grade in ("controlled-clinical", "cohort", "uncontrolled-clinical", "clinical"):
        sizes = [u.size for u in same]
        if None in sizes or sum(s or 0 for s in sizes) < PRECISE_ENROLLMENT:
            shown = ", ".join("n not given" if s is None else f"n={s}" for s in sizes)
            concerns.append(
                f"imprecise ({shown}; under {PRECISE_ENROLLMENT} patients, the model's "
                "threshold, or not given)"
            )
    elif len(same) == 1:
        concerns.append("imprecise (a single study)")
    against = [u.citation.label for u in uses if u.role == "against" and u.direct]
    lost = [c.rule for c in contributions if c.points < 0 and c.level.endswith("head-to-head")]
    if against or lost:
        concerns.append(f"inconsistent (evidence against: {', '.join(against + lost)})")
    return concerns


# The grade of a finding that a rule states from the review's prose (a head-to-head comparison,
# a prose-only study) rather than counts from the tables.
LEVEL_GRADES = {
    "clinical-outcome": "uncontrolled-clinical",
    "preclinical-head-to-head": "animal",
    "preclinical-in-vivo": "animal",
    "in-vitro": "in-vitro",
}


def _described(contributions: Sequence[Contribution]) -> list[EvidenceUse]:
    """Positive findings of rules that cite the prose rather than count records, as evidence
    uses, so that a candidate supported only by them is graded too."""
    return [
        EvidenceUse(
            record=c.rule,
            citation=c.citations[0],
            grade=LEVEL_GRADES[c.level],
            outcome="efficacy-reported",
            role="supports",
            direct=True,
            differs=(),
        )
        for c in contributions
        if c.points > 0 and not c.records and c.level in LEVEL_GRADES
    ]
