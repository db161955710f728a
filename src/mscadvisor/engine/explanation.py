"""Why a candidate scored what it did, why other rules did not fire, and why it is not first."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mscadvisor.engine import citations
from mscadvisor.engine.candidates import spellings
from mscadvisor.engine.errata import ErratumNote, errata_for
from mscadvisor.engine.ranking import best_design
from mscadvisor.engine.result import (
    DISCLAIMER,
    SCHEMA_VERSION,
    CitationView,
    Exclusion,
    Recommendation,
    ScoredCandidate,
)
from mscadvisor.engine.scoring import applicable_rules, profile_context
from mscadvisor.errors import InputError, unknown_value
from mscadvisor.kb import conditions
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.record import Record

if TYPE_CHECKING:
    from mscadvisor.engine.whatif import TopChange


class NotFired(Record):
    rule: str
    summary: str
    effect: str
    failed: tuple[str, ...]
    citations: tuple[CitationView, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "summary": self.summary,
            "effect": self.effect,
            "failed": list(self.failed),
            "citations": [c.to_dict() for c in self.citations],
        }


class GapItem(Record):
    rule: str
    top_points: int
    candidate_points: int

    @property
    def difference(self) -> int:
        return self.top_points - self.candidate_points


class Explanation(Record):
    """The explain document; ``to_dict`` gives the JSON whose shape
    ``schemas/explain.schema.json`` publishes."""

    category: str
    candidate: ScoredCandidate | None  # None when the candidate is excluded
    exclusions: tuple[Exclusion, ...]
    not_fired: tuple[NotFired, ...]
    top: ScoredCandidate | None
    gap: tuple[GapItem, ...]
    tie_break: str | None
    recommendation: Recommendation
    errata: tuple[ErratumNote, ...]
    # Single-field profile changes that change a category's top choice; None: not asked for.
    sensitivity: tuple[TopChange, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        c = self.candidate
        doc: dict[str, Any] = {
            "schema_version": SCHEMA_VERSION,
            "disclaimer": DISCLAIMER,
            "category": self.category,
            "candidate": c.to_dict() if c else None,
            "excluded_by": [e.to_dict() for e in self.exclusions],
            "errata": [e.to_dict() for e in self.errata],
            "not_fired": [n.to_dict() for n in self.not_fired],
            "versus_top": None
            if self.top is None or c is None or self.top.id == c.id
            else {
                "top": self.top.id,
                "top_score": self.top.score,
                "gap": self.top.score - c.score,
                "by_rule": [
                    {
                        "rule": g.rule,
                        "top_points": g.top_points,
                        "candidate_points": g.candidate_points,
                        "difference": g.difference,
                    }
                    for g in self.gap
                ],
                "tie_break": self.tie_break,
            },
        }
        if self.sensitivity is not None:
            doc["sensitivity"] = [s.to_dict() for s in self.sensitivity]
        doc["reproduce"] = self._reproduce()
        return doc

    def _reproduce(self) -> dict[str, Any] | None:
        reproduction = self.recommendation.reproduce
        asked = self.candidate.id if self.candidate else self.exclusions[0].id
        if reproduction is None:
            return None
        return reproduction.explanation(asked, self.sensitivity is not None)


def resolve_candidate(kb: KnowledgeBase, result: Recommendation, text: str) -> tuple[str, str]:
    """(category, id) of the candidate text names, in any case or with a tissue alias;
    InputError says why when it is excluded by the profile's modality or names nothing."""
    known = {c.id: c.category for cs in result.ranked.values() for c in cs}
    known.update({e.id: e.category for e in result.excluded})
    spelled = spellings(kb, result.disease).get(text.casefold())
    if spelled in known:
        return known[spelled], spelled
    if spelled is not None:
        raise InputError(
            f"candidate {spelled} is not scored for this profile: --modality "
            f"{result.profile.modality} leaves out its modality"
        )
    raise unknown_value(
        f"candidate for {result.disease}", text, known, f"mscadvisor candidates -d {result.disease}"
    )


def explain(
    kb: KnowledgeBase, result: Recommendation, candidate_id: str, *, sensitivity: bool = False
) -> Explanation:
    """Everything that went into one candidate's place in the recommendation; with
    ``sensitivity``, also the single-field profile changes that change a top choice."""
    category, candidate_id = resolve_candidate(kb, result, candidate_id)
    ranked = result.ranked[category]
    candidate = next((c for c in ranked if c.id == candidate_id), None)
    exclusions = tuple(e for e in result.excluded if e.id == candidate_id)
    context = profile_context(result.profile, kb)
    fired = {c.rule for c in candidate.contributions} if candidate else set()
    fired |= set(candidate.caveat_rules) if candidate else set()
    not_fired = []
    source = result.judged_for if category != "source" and result.judged_for else ""
    # An excluded candidate is not scored: its exclusion is the whole explanation.
    applicable = applicable_rules(kb, result.disease, category, candidate_id, source)
    for parsed in applicable if candidate else []:
        rule = parsed.rule
        if rule.id in fired:
            continue
        failed = conditions.failures(parsed.when, context)
        if not failed and rule.evidence is not None:
            failed = [
                "no study or trial of this kind tested it, directly or indirectly (see the "
                "candidate's evidence)"
                if rule.evidence.indirect_each
                else "no study or trial of this kind tested exactly this candidate (indirect "
                "evidence, of another tissue, modality, route, product or disease, adds nothing "
                "to this rule)"
            ]
        if not failed:  # an applicable rule whose condition held has fired
            continue
        not_fired.append(
            NotFired(
                rule.id,
                rule.summary,
                rule.effect_text(),
                tuple(failed),
                tuple(citations.view(kb, c) for c in rule.citations),
            )
        )
    top = ranked[0] if ranked else None
    gap: tuple[GapItem, ...] = ()
    tie_break = None
    if candidate and top and top.id != candidate.id:
        gap = _gap(top, candidate)
        tie_break = _tie_break(top, candidate)
    changes = None
    if sensitivity:
        from mscadvisor.engine.whatif import sensitivity as top_changes

        changes = tuple(top_changes(kb, result.profile))
    return Explanation(
        category,
        candidate,
        exclusions,
        tuple(not_fired),
        top,
        gap,
        tie_break,
        result,
        errata_for(kb, result, candidate, exclusions),
        changes,
    )


def _tie_break(top: ScoredCandidate, candidate: ScoredCandidate) -> str | None:
    """Why the top candidate ranks first, in words, when no score separates them."""
    if top.has_evidence != candidate.has_evidence:
        return (
            f"{top.id} ranks first: direct evidence supports it, while none supports "
            f"{candidate.id} on balance"
        )
    if top.score != candidate.score:
        return None
    if top.certainty != candidate.certainty:
        return (
            f"tied on score {top.score}; {top.id} ranks first on certainty "
            f"({top.certainty} vs {candidate.certainty})"
        )
    if best_design(top) != best_design(candidate):
        return f"tied on score and certainty; {top.id} ranks first on the stronger study design"
    return f"tied on score, certainty and design; {top.id} sorts first by id"


def _gap(top: ScoredCandidate, candidate: ScoredCandidate) -> tuple[GapItem, ...]:
    mine = {c.rule: c.points for c in candidate.contributions}
    theirs = {c.rule: c.points for c in top.contributions}
    items = [GapItem(rule, theirs.get(rule, 0), mine.get(rule, 0)) for rule in {*mine, *theirs}]
    items = [i for i in items if i.difference != 0]
    return tuple(sorted(items, key=lambda i: (-abs(i.difference), i.rule)))
