"""Rule test cases (``[[case]]`` records beside the rules): run them, and measure which rules
they exercise."""

from __future__ import annotations

from dataclasses import dataclass

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.errors import InputError
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import Case, Expectation


@dataclass(frozen=True, slots=True)
class CaseResult:
    case: Case
    failures: tuple[str, ...]
    fired: frozenset[str]  # every rule that fired anywhere in the case's recommendation

    @property
    def passed(self) -> bool:
        return not self.failures


def run_case(kb: KnowledgeBase, case: Case) -> CaseResult:
    try:
        profile = build_profile(case.profile, kb, f"case {case.id} profile")
    except InputError as exc:
        return CaseResult(case, (str(exc),), frozenset())
    try:
        result = score(kb, profile, source=case.source)
    except InputError as exc:
        return CaseResult(case, (str(exc),), frozenset())
    failures = tuple(f for e in case.expect if (f := check(result, e)) is not None)
    return CaseResult(case, failures, fired_rules(result))


def run_cases(kb: KnowledgeBase) -> list[CaseResult]:
    return [run_case(kb, case) for case in kb.cases.values()]


def fired_rules(result: Recommendation) -> frozenset[str]:
    fired = {c.rule for cs in result.ranked.values() for cand in cs for c in cand.contributions}
    fired |= {r for cs in result.ranked.values() for cand in cs for r in cand.caveat_rules}
    fired |= {e.rule for e in result.excluded}
    fired |= {c.rule for r in result.regimens for c in r.pairing}
    return frozenset(fired)


def uncovered(kb: KnowledgeBase, results: list[CaseResult]) -> list[str]:
    """Rules that no test case fires, but the dormant ones (see ``dormant``)."""
    return sorted(set(kb.rules) - _fired(results) - _dormant(kb))


def dormant(kb: KnowledgeBase, results: list[CaseResult]) -> list[str]:
    """Rules that no test case fires and that say why no record fires them yet (``dormant``):
    they wait for evidence the review does not have, so no case can fire them."""
    return sorted(_dormant(kb) - _fired(results))


def woken(kb: KnowledgeBase, results: list[CaseResult]) -> list[str]:
    """Dormant rules that a test case fires after all: their reason is out of date."""
    return sorted(_dormant(kb) & _fired(results))


def _fired(results: list[CaseResult]) -> frozenset[str]:
    return frozenset().union(*(r.fired for r in results))


def _dormant(kb: KnowledgeBase) -> set[str]:
    return {rule_id for rule_id, p in kb.rules.items() if p.rule.dormant is not None}


def check(result: Recommendation, e: Expectation) -> str | None:
    """None when the expectation holds, else what went wrong."""
    by_id = {c.id: c for cs in result.ranked.values() for c in cs}
    excluded = {x.id for x in result.excluded}
    if e.top is not None:
        assert e.category is not None
        ranked = result.ranked[e.category]
        first = ranked[0].id if ranked else None
        return None if first == e.top else f"expected top {e.category} {e.top}, got {first}"
    if e.ranks_above is not None:
        missing = [i for i in e.ranks_above if i not in by_id]
        if missing:
            return f"ranks_above: {', '.join(missing)} not ranked"
        ranks = [by_id[i].rank for i in e.ranks_above]
        if ranks == sorted(ranks) and len(set(ranks)) == len(ranks):
            return None
        shown = ", ".join(f"{i} #{by_id[i].rank}" for i in e.ranks_above)
        return f"expected this order: {shown}"
    if e.excluded is not None:
        return None if e.excluded in excluded else f"expected {e.excluded} to be excluded"
    assert e.candidate is not None
    regimens = {r.id: r for r in result.regimens}
    if e.candidate not in by_id and e.candidate not in excluded and e.candidate not in regimens:
        return f"unknown candidate {e.candidate}"
    candidate = by_id.get(e.candidate)
    rules = (
        {c.rule for c in candidate.contributions} | set(candidate.caveat_rules)
        if candidate
        else set()
    )
    rules |= {x.rule for x in result.excluded if x.id == e.candidate}
    if e.candidate in regimens:
        rules |= {c.rule for c in regimens[e.candidate].pairing}
    if e.fires is not None:
        return None if e.fires in rules else f"expected {e.fires} to fire for {e.candidate}"
    if e.not_fires is not None:
        return None if e.not_fires not in rules else f"{e.not_fires} fired for {e.candidate}"
    assert e.score_between is not None
    low, high = e.score_between[0], e.score_between[-1]
    if candidate is None:
        return f"{e.candidate} is excluded, so it has no score"
    if low <= candidate.score <= high:
        return None
    return f"score of {e.candidate} is {candidate.score}, expected {low}..{high}"
