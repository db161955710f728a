"""Evidence levels and the certainty label each candidate carries, with why it is not higher."""

from __future__ import annotations

from collections.abc import Iterable

from mscadvisor.kb.records import LEVELS

NO_SUPPORT = "none"
LEVEL_LABELS = {
    "clinical-outcome": "Clinical, outcome reported",
    "clinical-no-outcome": "Clinical, safety only or no results",
    "preclinical-head-to-head": "Preclinical in vivo, head to head",
    "preclinical-in-vivo": "Preclinical in vivo",
    "in-vitro": "In vitro only",
    "expert-synthesis": "Expert synthesis only",
    NO_SUPPORT: "No supporting evidence",
}
# Why a candidate whose best support is below a level does not reach it.
_MISSING = {
    "clinical-outcome": "no trial in the review reports an efficacy outcome for it",
    "clinical-no-outcome": "no clinical study of it for this disease in the review",
    "preclinical-head-to-head": "no head-to-head comparison favours it",
    "preclinical-in-vivo": "no animal study of it for this disease",
    "in-vitro": "no cell-culture study of it",
    "expert-synthesis": "the review's synthesis (Table 4, Conclusion) does not favour it",
}


def rank(level: str) -> int:
    """0 for the strongest level; NO_SUPPORT ranks last."""
    return LEVELS.index(level) if level in LEVELS else len(LEVELS)


def certainty(supporting_levels: Iterable[str]) -> tuple[str, tuple[str, ...]]:
    """The best level among the supporting contributions, and the reasons it is not higher."""
    best = min(supporting_levels, key=rank, default=NO_SUPPORT)
    above = LEVELS[: rank(best)]
    reasons = [_MISSING[level] for level in above]
    if "clinical-outcome" in above and "clinical-no-outcome" in above:
        reasons.remove(_MISSING["clinical-outcome"])  # "no clinical study" already says it
    if best in ("preclinical-head-to-head", "preclinical-in-vivo"):
        reasons.append("preclinical only: animal models")
    return best, tuple(reasons)
