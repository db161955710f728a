"""How candidates are ranked (``result.RANKING_ORDER``): evidence for the candidate itself
first, so that general traits never outrank it, then score, certainty, the strongest design of
direct evidence, and id; and which candidates tie."""

from __future__ import annotations

from collections.abc import Sequence

from mscadvisor.engine import evidence
from mscadvisor.engine.certainty import rank
from mscadvisor.engine.result import Contribution, EvidenceUse, ScoredCandidate
from mscadvisor.kb.records import GENERAL_LEVEL
from mscadvisor.record import replace


def _supports_directly(use: EvidenceUse) -> bool:
    """Whether a study or trial of exactly this candidate found it works."""
    return use.direct and use.role == "supports"


def best_design(candidate: ScoredCandidate) -> int:
    """The strongest design among the direct evidence that supports it (0 strongest)."""
    return min(
        (evidence.GRADES.index(u.grade) for u in candidate.evidence if _supports_directly(u)),
        default=len(evidence.GRADES),
    )


def has_evidence(contributions: Sequence[Contribution], uses: Sequence[EvidenceUse]) -> bool:
    """Whether evidence for the candidate itself supports it on balance: the evidence points
    (everything but general traits and expert synthesis) sum above 0, so a null trial can
    cancel an animal study, and something direct stands behind them (a study of exactly this
    candidate, or a finding the review states about it) rather than indirect evidence alone."""
    evidence = [c for c in contributions if c.level != GENERAL_LEVEL]
    direct = any(map(_supports_directly, uses)) or any(
        c.points > 0 and not c.records for c in evidence
    )
    return direct and sum(c.points for c in evidence) > 0


# How a candidate that no direct evidence supports is described, and why it ranks after
# those that direct evidence supports (an explanation's headline).
INDIRECT_ONLY = "indirect evidence only"
NO_SUPPORT = "no supporting evidence"
_WHY_UNSUPPORTED = {
    INDIRECT_ONLY: "indirect evidence only: no direct evidence supports it",
    NO_SUPPORT: "general traits only: no evidence supports it on balance",
}


def unsupported_words(candidate: ScoredCandidate) -> str | None:
    """None for a candidate that direct evidence supports; else INDIRECT_ONLY when studies of
    another candidate give it points, or NO_SUPPORT (general traits alone, or evidence that
    cancels out)."""
    if candidate.has_evidence:
        return None
    direct = any(map(_supports_directly, candidate.evidence))
    if not direct and sum(c.points for c in candidate.contributions if c.records) > 0:
        return INDIRECT_ONLY
    return NO_SUPPORT


def unsupported_why(candidate: ScoredCandidate) -> str:
    """``unsupported_words`` with why it ranks after the others; "" when direct evidence
    supports it."""
    words = unsupported_words(candidate)
    return "" if words is None else _WHY_UNSUPPORTED[words]


def ranked(scored: list[ScoredCandidate]) -> tuple[ScoredCandidate, ...]:
    """Order by result.RANKING_ORDER; record which candidates tie (same evidence tier and score)."""
    ordered = sorted(
        scored,
        key=lambda s: (not s.has_evidence, -s.score, rank(s.certainty), best_design(s), s.id),
    )
    ties: dict[tuple[bool, int], list[str]] = {}
    for s in ordered:
        ties.setdefault((s.has_evidence, s.score), []).append(s.id)
    return tuple(
        replace(
            s,
            rank=n,
            tied_with=tuple(i for i in ties[(s.has_evidence, s.score)] if i != s.id),
        )
        for n, s in enumerate(ordered, 1)
    )
