"""Stages 4-5: match rules against a profile and its candidates, score and rank them, every
point carried by the contribution of the rule that gave it.

Per knowledge base and disease, an index is built once: the candidates, each rule's compiled
``when`` predicate, the candidates its ``applies_to`` selects, and for evidence rules the table
records of that disease. Scoring a profile evaluates only the conditions that depend on the
profile, once each. Outcomes are memoized by what they depend on (the fired rules, modality and
etiology); those keys are bounded by the knowledge base, not by the number of profiles scored,
so memory stays flat over any cohort.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from functools import lru_cache
from typing import Any

from mscadvisor import __version__
from mscadvisor.engine import certainty, citations, defaults, evidence, regimens
from mscadvisor.engine.candidates import Candidate, candidates_for
from mscadvisor.engine.notices import profile_notices
from mscadvisor.engine.profile import Profile
from mscadvisor.engine.result import (
    CitationView,
    Contribution,
    Exclusion,
    Notice,
    Recommendation,
    Regimen,
    ScoredCandidate,
)
from mscadvisor.kb.conditions import Predicate, compile_condition, partial_verdict
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule
from mscadvisor.kb.records import CATEGORIES, Study, Trial
from mscadvisor.kb.vocabulary import CONDITION_PROFILE_FIELDS

BASE_SCORE = 0


@dataclass(frozen=True, slots=True)
class _IndexedRule:
    parsed: ParsedRule
    when: Predicate | None  # None: the disease alone makes the condition hold
    applicable: frozenset[str]  # ids of the candidates its applies_to selects
    records: tuple[Study | Trial, ...]  # evidence rules: this disease's records passing filters
    cites: tuple[CitationView, ...]  # the rule's own citations, resolved once


# A category's outcome depends only on which of its rules fired and on the profile's modality
# and etiology (which select evidence records), so it is computed once per such key.
CategoryKey = tuple[str, tuple[str, ...], str, str | None]
CategoryOutcome = tuple[tuple["ScoredCandidate", ...], tuple[Exclusion, ...]]


@dataclass(frozen=True)
class _DiseaseIndex:
    """Per disease: its candidates and the rules that can fire for it (a rule whose condition
    the disease alone makes false is left out)."""

    candidates: dict[str, tuple[Candidate, ...]]
    rules: dict[str, tuple[_IndexedRule, ...]]
    caveats: tuple[Notice, ...]  # the disease's own warnings
    # Per category, the rules whose condition depends on the profile: (rule id, predicate).
    dynamic: dict[str, tuple[tuple[str, Predicate], ...]]
    evidence_memo: dict[tuple[str, str, str, str | None], Contribution | None] = field(
        default_factory=dict
    )
    outcome_memo: dict[CategoryKey, CategoryOutcome] = field(default_factory=dict)
    candidate_memo: dict[CategoryKey, ScoredCandidate | tuple[Exclusion, ...]] = field(
        default_factory=dict
    )
    regimen_memo: dict[tuple[object, ...], tuple[Regimen, ...]] = field(default_factory=dict)


@lru_cache(maxsize=64)
def _disease_index(kb: KnowledgeBase, disease_id: str) -> _DiseaseIndex:
    candidates = candidates_for(kb, disease_id)
    rules: dict[str, list[_IndexedRule]] = {c: [] for c in (*CATEGORIES, "regimen")}
    disease = kb.diseases[disease_id]
    known = {"disease.id": disease.id, "disease.systems": frozenset(disease.systems)}
    for parsed in kb.rules.values():
        rule = parsed.rule
        verdict = partial_verdict(parsed.when, known)
        if verdict is False:
            continue
        selects = compile_condition(parsed.applies_to)
        applicable = frozenset(
            c.id for c in candidates.get(rule.category, ()) if selects(c.attributes)
        )
        records = evidence.records_for(kb, disease_id, rule.evidence) if rule.evidence else ()
        when = None if verdict else compile_condition(parsed.when)
        cites = tuple(citations.view(kb, c) for c in rule.citations)
        rules[rule.category].append(_IndexedRule(parsed, when, applicable, records, cites))
    caveats = tuple(
        Notice(
            f"{disease.id.lower()}-{caveat.code}",
            caveat.message,
            tuple(citations.view(kb, c) for c in caveat.citations),
        )
        for caveat in disease.caveats
    )
    dynamic = {
        c: tuple((r.parsed.rule.id, r.when) for r in rs if r.when is not None)
        for c, rs in rules.items()
    }
    return _DiseaseIndex(candidates, {c: tuple(rs) for c, rs in rules.items()}, caveats, dynamic)


def applicable_rules(
    kb: KnowledgeBase, disease_id: str, category: str, candidate_id: str
) -> list[ParsedRule]:
    """The rules of a category whose applies_to selects the candidate, fired or not."""
    index = _disease_index(kb, disease_id)
    return [r.parsed for r in index.rules[category] if candidate_id in r.applicable]


def profile_context(profile: Profile, kb: KnowledgeBase) -> dict[str, Any]:
    """The profile.* and disease.* fields of the condition language for this profile."""
    disease = kb.diseases[profile.disease]
    context: dict[str, Any] = {
        spec.condition_field: (
            frozenset(getattr(profile, spec.name))
            if spec.kind == "set"
            else getattr(profile, spec.name)
        )
        for spec in CONDITION_PROFILE_FIELDS
    }
    context["disease.id"] = disease.id
    context["disease.systems"] = frozenset(disease.systems)
    return context


def score(
    kb: KnowledgeBase, profile: Profile, regimen_count: int = defaults.REGIMENS
) -> Recommendation:
    """Score every candidate of every category for the profile, with every contribution, and
    propose the best ``regimen_count`` complete regimens."""
    index = _disease_index(kb, profile.disease)
    context = profile_context(profile, kb)
    ranked: dict[str, tuple[ScoredCandidate, ...]] = {}
    excluded: list[Exclusion] = []
    keys = []
    for category in CATEGORIES:
        key = (category, _fired_ids(index, category, context), profile.modality, profile.etiology)
        if key not in index.outcome_memo:
            fired = _fired(index, category, key[1])
            index.outcome_memo[key] = _score_category(kb, index, category, fired, profile)
        ranked[category], exclusions = index.outcome_memo[key]
        excluded += exclusions
        keys.append(key)
    pairing_ids = _fired_ids(index, "regimen", context)
    regimen_key = (*keys, pairing_ids, regimen_count)
    if regimen_key not in index.regimen_memo:
        pairing = [(r.parsed, r.records) for r in _fired(index, "regimen", pairing_ids)]
        index.regimen_memo[regimen_key] = regimens.propose(
            kb, profile.disease, ranked, pairing, regimen_count
        )
    proposed = index.regimen_memo[regimen_key]
    disease = kb.diseases[profile.disease]
    return Recommendation(
        generator_version=__version__,
        knowledge_base_version=kb.info.version,
        knowledge_base_sha256=kb.sha256,
        packs=tuple((p.path, p.sha256) for p in kb.packs),
        weights=kb.weights,
        disease=disease.id,
        disease_name=disease.name,
        profile=profile,
        ranked=ranked,
        excluded=tuple(excluded),
        warnings=index.caveats + profile_notices(profile, kb),
        regimens=proposed,
    )


def _fired_ids(index: _DiseaseIndex, category: str, context: dict[str, Any]) -> tuple[str, ...]:
    """Ids of the category's profile-dependent rules whose condition holds."""
    return tuple([rule_id for rule_id, holds in index.dynamic[category] if holds(context)])


def _fired(index: _DiseaseIndex, category: str, dynamic_ids: tuple[str, ...]) -> list[_IndexedRule]:
    """Every rule of the category that fires: the unconditional ones and the given ones."""
    chosen = set(dynamic_ids)
    return [r for r in index.rules[category] if r.when is None or r.parsed.rule.id in chosen]


def _score_category(
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    category: str,
    fired: list[_IndexedRule],
    profile: Profile,
) -> CategoryOutcome:
    pool = [
        c
        for c in index.candidates[category]
        if c.modality is None or profile.modality in ("any", c.modality)
    ]
    scored = []
    excluded: list[Exclusion] = []
    for candidate in pool:
        # A candidate's outcome depends only on the fired rules that apply to it.
        mine = [r for r in fired if candidate.id in r.applicable]
        key = (
            candidate.id,
            tuple(r.parsed.rule.id for r in mine),
            profile.modality,
            profile.etiology,
        )
        outcome = index.candidate_memo.get(key)
        if outcome is None:
            contributions, exclusions = _evaluate(kb, index, mine, candidate, profile)
            outcome = tuple(exclusions) if exclusions else _score(candidate, contributions, kb)
            index.candidate_memo[key] = outcome
        if isinstance(outcome, tuple):
            excluded += outcome
        else:
            scored.append(outcome)
    return _rank(scored), tuple(excluded)


def _evaluate(
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    fired: list[_IndexedRule],
    candidate: Candidate,
    profile: Profile,
) -> tuple[list[Contribution], list[Exclusion]]:
    contributions: list[Contribution] = []
    exclusions: list[Exclusion] = []
    for indexed in fired:
        if candidate.id not in indexed.applicable:
            continue
        rule = indexed.parsed.rule
        cites = indexed.cites
        if rule.exclude:
            exclusions.append(
                Exclusion(
                    candidate.category, candidate.id, candidate.label, rule.summary, rule.id, cites
                )
            )
        elif rule.evidence is not None:
            key = (rule.id, candidate.id, profile.modality, profile.etiology)
            if key not in index.evidence_memo:
                index.evidence_memo[key] = _evidence(kb, indexed, candidate, profile)
            support = index.evidence_memo[key]
            if support is not None:
                contributions.append(support)
        else:
            assert rule.points is not None
            contributions.append(
                Contribution(rule.id, rule.points, rule.summary, rule.level, cites)
            )
    return contributions, exclusions


def _evidence(
    kb: KnowledgeBase, indexed: _IndexedRule, candidate: Candidate, profile: Profile
) -> Contribution | None:
    """The contribution of an evidence rule: its matching records, weighted and capped."""
    rule = indexed.parsed.rule
    assert rule.evidence is not None
    matched = evidence.matching(
        indexed.records, rule.evidence, candidate, profile.modality, profile.etiology
    )
    return evidence.contribution(kb, rule, matched) if matched else None


def _score(
    candidate: Candidate, contributions: list[Contribution], kb: KnowledgeBase
) -> ScoredCandidate:
    contributions.sort(key=lambda c: (-c.points, c.rule))
    fired_ids = {c.rule for c in contributions}
    caveats = list(candidate.caveats)
    for c in contributions:
        for other in kb.rules[c.rule].rule.conflicts_with:
            if other in fired_ids and c.rule < other:
                points = next(x.points for x in contributions if x.rule == other)
                caveats.append(
                    f"Conflicting evidence, both counted: {c.rule} ({c.points:+d}) "
                    f"vs {other} ({points:+d})."
                )
    level, reasons = certainty.certainty(c.level for c in contributions if c.points > 0)
    return ScoredCandidate(
        category=candidate.category,
        id=candidate.id,
        label=candidate.label,
        rank=0,
        score=BASE_SCORE + sum(c.points for c in contributions),
        base=BASE_SCORE,
        certainty=level,
        certainty_label=certainty.LEVEL_LABELS[level],
        certainty_reasons=reasons,
        contributions=tuple(contributions),
        caveats=tuple(caveats),
        tied_with=(),
        tissue=candidate.tissue,
        modality=candidate.modality,
    )


def _rank(scored: list[ScoredCandidate]) -> tuple[ScoredCandidate, ...]:
    """Order by score, then certainty, then id; record which candidates tie on score."""
    ordered = sorted(scored, key=lambda s: (-s.score, certainty.rank(s.certainty), s.id))
    by_score: dict[int, list[str]] = {}
    for s in ordered:
        by_score.setdefault(s.score, []).append(s.id)
    return tuple(
        replace(s, rank=n, tied_with=tuple(i for i in by_score[s.score] if i != s.id))
        for n, s in enumerate(ordered, 1)
    )
