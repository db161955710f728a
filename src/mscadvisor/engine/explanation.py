"""Why a candidate scored what it did, why other rules did not fire, and why it is not first."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from mscadvisor.engine import citations
from mscadvisor.engine.candidates import spellings
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
from mscadvisor.kb.records import GENERAL_LEVEL, Erratum, Rule, Study, Trial
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


class ErratumNote(Record):
    """An erratum on what a candidate's place rests on: a place where the review contradicts
    itself about a study, trial, reference or Table 4 item that ties it to the candidate
    (``errata_on``)."""

    on: tuple[CitationView, ...]  # what the candidate cites that the erratum is about
    erratum: Erratum
    citations: tuple[CitationView, ...]  # the erratum's own, resolved

    def to_dict(self) -> dict[str, Any]:
        e = self.erratum
        return {
            "on": [c.to_dict() for c in self.on],
            "erratum": {  # a row of ``mscadvisor errata --format json``
                "id": e.id,
                "where": e.where,
                "readings": list(e.readings),
                "used": e.used,
                "why": e.why,
                "citations": [c.to_dict() for c in self.citations],
            },
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
            failed = ["no study or trial of this kind tested it (see the candidate's evidence)"]
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
    # What the candidate's place rests on: its studies and trials (direct, of its modality, or
    # counted by a rule: evidence rules cite what they count), and the rules that scored it,
    # gave its caveats or excluded it (errata_on).
    cited: list[Cited] = []
    if candidate:
        modality = _judged_modality(result, candidate)
        records: dict[str, Study | Trial] = {r.id: r for r in kb.studies}
        records.update(kb.trials)
        cited += [
            Cited((u.citation,))
            for u in candidate.evidence
            if u.direct or records[u.record].modality == modality
        ]
        # A contribution cites what its rule counted; a caveat and an exclusion, the rule's own.
        cited += [Cited.of(kb.rules[c.rule].rule, c.citations) for c in candidate.contributions]
        cited += [
            Cited.of(rule, tuple(citations.view(kb, c) for c in rule.citations))
            for rule in (kb.rules[r].rule for r in candidate.caveat_rules)
        ]
    else:
        cited += [Cited.of(kb.rules[x.rule].rule, x.citations) for x in exclusions]
    return Explanation(
        category,
        candidate,
        exclusions,
        tuple(not_fired),
        top,
        gap,
        tie_break,
        result,
        errata_on(kb, cited),
        changes,
    )


def _judged_modality(result: Recommendation, candidate: ScoredCandidate) -> str | None:
    """The modality a candidate is judged for: its own for a source, else its source's."""
    if candidate.category == "source":
        return candidate.modality
    return next((s.modality for s in result.ranked["source"] if s.id == result.judged_for), None)


class Cited(Record):
    """Citations that tie errata to a candidate: those of a study or trial it rests on, or of a
    rule that scored it, gave a caveat or excluded it."""

    views: tuple[CitationView, ...]
    references_count: bool = True  # not for a general trait's background sources
    declared: tuple[str, ...] = ()  # the errata a rule says bear on it

    @classmethod
    def of(cls, rule: Rule, views: tuple[CitationView, ...]) -> Cited:
        """What a rule's contribution, caveat or exclusion cites."""
        return cls(views, rule.level != GENERAL_LEVEL, rule.errata)


def errata_on(kb: KnowledgeBase, cited: Iterable[Cited]) -> tuple[ErratumNote, ...]:
    """The errata tied to what is ``cited``, in id order, each with what of it the erratum is
    about: those about a study, trial or Table 4 item cited, or about a reference cited where
    references count, and those a rule declares. A table or a section alone does not tie an
    erratum (the review's tables hold most of its studies, and an erratum about one row says
    nothing of the others), nor does a background source cited for a general trait, unless the
    rule declares the erratum."""
    cited = list(cited)
    tied = _by_key(cited)
    notes = []
    for erratum in sorted(kb.errata.values(), key=lambda e: e.id):
        own = [citations.view(kb, c) for c in erratum.citations]
        on = _matching(own, tied)
        if not on:  # what a rule that declares it cites, in common with it or all of it
            declaring = [Cited(c.views) for c in cited if erratum.id in c.declared]
            on = _matching(own, _by_key(declaring)) or [v for c in declaring for v in c.views]
        if on:
            notes.append(ErratumNote(tuple(dict.fromkeys(on)), erratum, tuple(own)))
    return tuple(notes)


def _by_key(cited: Iterable[Cited]) -> dict[tuple[object, ...], CitationView]:
    by_key: dict[tuple[object, ...], CitationView] = {}
    for group in cited:
        for view in group.views:
            for key in _specific_keys(view, group.references_count):
                by_key.setdefault(key, view)
    return by_key


def _matching(
    own: Iterable[CitationView], by_key: dict[tuple[object, ...], CitationView]
) -> list[CitationView]:
    return [by_key[k] for view in own for k in _specific_keys(view, True) if k in by_key]


def _specific_keys(view: CitationView, references_count: bool) -> list[tuple[object, ...]]:
    """What a citation names that can tie an erratum to a candidate: a reference (where
    references count), a trial, or a Table 4 item."""
    keys: list[tuple[object, ...]] = []
    if view.ref is not None and references_count:
        keys.append(("ref", view.ref))
    if view.nct is not None:
        keys.append(("nct", view.nct))
    if view.table is not None and view.item is not None:
        keys.append(("item", view.table, view.item))
    return keys


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
