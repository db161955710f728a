"""How candidates are ranked (``result.RANKING_ORDER``): evidence for the candidate itself
first, so that general traits never outrank it, then score, certainty, the strongest design of
direct evidence, and id; and which candidates tie."""

from __future__ import annotations

from collections.abc import Sequence

from mscadvisor.engine import evidence
from mscadvisor.engine.certainty import rank
from mscadvisor.engine.result import Contribution, EvidenceUse, ScoredCandidate
from mscadvisor.record import replace


def best_design(candidate: ScoredCandidate) -> int:
    """The strongest design among the direct evidence that supports it (0 strongest)."""
    return min(
        (
            evidence.GRADES.index(u.grade)
            for u in candidate.evidence
            if u.direct and u.role == "supports"
        ),
        default=len(evidence.GRADES),
    )


def has_evidence(contributions: Sequence[Contribution], uses: Sequence[EvidenceUse]) -> bool:
    """Whether evidence for the candidate itself supports it on balance: the evidence points
    (everything but general traits and expert synthesis) sum above 0, so a null trial can
    cancel an animal study, and something direct stands behind them (a study of exactly this
    candidate, or a finding the review states about it) rather than indirect evidence alone."""
    evidence = [c for c in contributions if c.level != "expert-synthesis"]
    direct = any(u.direct and u.role == "supports" for u in uses) or any(
        c.points > 0 and not c.records for c in evidence
    )
    return direct and sum(c.points for c in evidence) > 0


def unsupported_words(candidate: ScoredCandidate) -> str | None:
    """How a candidate that no direct evidence supports is described (None for one that
    direct evidence supports): "indirect evidence only" when studies of another candidate
    give it points, else "no supporting evidence" (general traits alone, or evidence that
    cancels out)."""
    if candidate.has_evidence:
        return None
    direct = any(u.direct and u.role == "supports" for u in candidate.evidence)
    if not direct and sum(c.points for c in candidate.contributions if c.records) > 0:
        return "indirect evidence only"
    return "no supporting evidence"


def unsupported_why(candidate: ScoredCandidate) -> str:
    """Why a candidate is ranked after those that direct evidence supports, in a few words
    (an explanation's headline); "" for one that direct evidence supports."""
    words = unsupported_words(candidate)
    if words is None:
        return ""
    if words == "indirect evidence only":
        return "indirect evidence only: no direct evidence supports it"
    return "general traits only: no evidence supports it on balance"


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
