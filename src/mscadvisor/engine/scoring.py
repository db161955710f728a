"""Stages 4-5: match rules and evidence against a profile and its candidates, score and rank
them, every point carried by the contribution of the rule that gave it, and grade certainty.

Sources are judged first. Routes and preconditioning strategies are judged *given a source*
(the top source, or the one asked for): their evidence counts fully only where it tested that
source. Complete regimens judge each of the leading sources with its own routes and strategies.

Per knowledge base and disease, an index is built once: the candidates, each rule's compiled
``when`` predicate, which candidates its ``applies_to`` selects (given each source), and the
disease's studies and trials. Everything but the profile's own notices depends only on how the
rules' comparisons judge the profile's values (``relevance``), its modality, etiology and donor
type, the number of regimens and the source asked for, so the whole judgement is memoized on
those, and so is a category's outcome on its fired rules, source and the same three fields;
the keys are bounded by the knowledge base, not by the number of profiles scored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any, TypeVar

from mscadvisor import __version__
from mscadvisor.engine import citations, defaults, evidence, regimens
from mscadvisor.engine.candidates import NO_SOURCE, Candidate, candidates_for, judged, spellings
from mscadvisor.engine.certainty import grade_certainty
from mscadvisor.engine.notices import conflict_notices, profile_notices
from mscadvisor.engine.profile import Profile
from mscadvisor.engine.ranking import has_evidence, ranked
from mscadvisor.engine.relevance import Relevance
from mscadvisor.engine.reproduce import Reproduction
from mscadvisor.engine.result import (
    CitationView,
    Contribution,
    Exclusion,
    Notice,
    Recommendation,
    Regimen,
    ScoredCandidate,
)
from mscadvisor.errors import InputError, did_you_mean
from mscadvisor.kb.conditions import Predicate, compile_condition, partial_verdict
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule
from mscadvisor.kb.records import CATEGORIES
from mscadvisor.kb.vocabulary import CONDITION_PROFILE_FIELDS

BASE_SCORE = 0
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _IndexedRule:
    parsed: ParsedRule
    when: Predicate | None  # None: the disease alone makes the condition hold
    applicable: frozenset[tuple[str, str]]  # (source id, candidate id) its applies_to selects
    cites: tuple[CitationView, ...]  # the rule's own citations, resolved once


CategoryKey = tuple[str, tuple[str, ...], str, str, str | None, str]
CategoryOutcome = tuple[tuple[ScoredCandidate, ...], tuple[Exclusion, ...]]


@dataclass(frozen=True, slots=True)
class _Judgement:
    """Everything a recommendation holds but the profile and the profile's own notices."""

    ranked: dict[str, tuple[ScoredCandidate, ...]]
    excluded: tuple[Exclusion, ...]
    warnings: tuple[Notice, ...]  # the disease's caveats and the ranking's conflicts
    regimens: tuple[Regimen, ...]
    judged_for: str | None


@dataclass(frozen=True)
class _DiseaseIndex:
    """Per disease: its candidates, its records, and the rules that can fire for it (a rule
    whose condition the disease alone makes false is left out)."""

    candidates: dict[str, tuple[Candidate, ...]]
    rules: dict[str, tuple[_IndexedRule, ...]]
    caveats: tuple[Notice, ...]  # the disease's own warnings
    catalog: evidence.Catalog  # the disease's studies and trials
    # Per category, the rules whose condition depends on the profile: (rule id, predicate).
    dynamic: dict[str, tuple[tuple[str, Predicate], ...]]
    relevance: Relevance  # what of a profile the dynamic rules tell apart
    knowledge_base: dict[str, Any]  # KnowledgeBase.identity(), shared by its results
    judgement_memo: dict[tuple[object, ...], _Judgement] = field(default_factory=dict)
    outcome_memo: dict[CategoryKey, CategoryOutcome] = field(default_factory=dict)
    # Regimens depend on every category's fired rules and on the profile's modality, etiology
    # and donor type, like the categories they combine.
    regimen_memo: dict[tuple[object, ...], tuple[Regimen, ...]] = field(default_factory=dict)
    # Every result part the memos hold, by value: profiles judged apart often get equal parts
    # (a candidate scored alike under other fired rules), and one object each lets results
    # share them and their JSON (``result.Recommendation.to_json_line``).
    interned: dict[object, Any] = field(default_factory=dict)
    # By the identity of a memoized source ranking, kept alive beside its notices.
    conflict_memo: dict[int, tuple[object, tuple[Notice, ...]]] = field(default_factory=dict)


@lru_cache(maxsize=64)
def _disease_index(kb: KnowledgeBase, disease_id: str) -> _DiseaseIndex:
    candidates = candidates_for(kb, disease_id)
    rules: dict[str, list[_IndexedRule]] = {c: [] for c in (*CATEGORIES, "regimen")}
    disease = kb.diseases[disease_id]
    known = {"disease.id": disease.id, "disease.systems": frozenset(disease.systems)}
    for parsed in kb.rules.values():
        verdict = partial_verdict(parsed.when, known)
        if verdict is False:
            continue
        selects = compile_condition(parsed.applies_to)
        applicable = frozenset(
            (subject, c.id)
            for subject, attributes, c in judged(candidates, parsed.rule.category)
            if selects(attributes)
        )
        when = None if verdict else compile_condition(parsed.when)
        cites = tuple(citations.view(kb, c) for c in parsed.rule.citations)
        rules[parsed.rule.category].append(_IndexedRule(parsed, when, applicable, cites))
    caveats = tuple(
        Notice(
            f"{disease.id.lower()}-{caveat.code}",
            caveat.message,
            tuple(citations.view(kb, c) for c in caveat.citations),
        )
        for caveat in disease.caveats
    )
    records: list[evidence.Record] = [*kb.studies, *kb.trials.values()]
    dynamic = {
        c: tuple((r.parsed.rule.id, r.when) for r in rs if r.when is not None)
        for c, rs in rules.items()
    }
    return _DiseaseIndex(
        candidates,
        {c: tuple(rs) for c, rs in rules.items()},
        caveats,
        evidence.Catalog(kb, (r for r in records if r.disease == disease_id)),
        dynamic,
        Relevance((r.parsed.when for rs in rules.values() for r in rs if r.when), _CONTEXT_FIELDS),
        kb.identity(),
    )


def applicable_rules(
    kb: KnowledgeBase, disease_id: str, category: str, candidate_id: str, source: str = NO_SOURCE
) -> list[ParsedRule]:
    """The rules of a category whose applies_to selects the candidate, fired or not."""
    index = _disease_index(kb, disease_id)
    return [r.parsed for r in index.rules[category] if (source, candidate_id) in r.applicable]


def profile_context(profile: Profile, kb: KnowledgeBase) -> dict[str, Any]:
    """The profile.* and disease.* fields of the condition language for this profile."""
    disease = kb.diseases[profile.disease]
    values = vars(profile)
    context: dict[str, Any] = {
        field: frozenset(values[name]) if is_set else values[name]
        for field, name, is_set in _CONTEXT_FIELDS
    }
    context["disease.id"] = disease.id
    context["disease.systems"] = frozenset(disease.systems)
    return context


# (condition field, profile field, whether it is a set) for every profile.* field.
_CONTEXT_FIELDS = tuple(
    (spec.condition_field, spec.name, spec.kind == "set") for spec in CONDITION_PROFILE_FIELDS
)


def score(
    kb: KnowledgeBase,
    profile: Profile,
    regimen_count: int = defaults.REGIMENS,
    source: str | None = None,
) -> Recommendation:
    """Score every candidate for the profile, with every contribution: sources, then routes
    and strategies given ``source`` (default: the top source), and the best ``regimen_count``
    complete regimens."""
    index = _disease_index(kb, profile.disease)
    key = (
        index.relevance.key(vars(profile)),
        profile.modality,
        profile.etiology,
        profile.donor,
        regimen_count,
        source,
    )
    judgement = index.judgement_memo.get(key)
    if judgement is None:
        judgement = index.judgement_memo[key] = _judge(kb, index, profile, regimen_count, source)
    disease = kb.diseases[profile.disease]
    return Recommendation(
        generator_version=__version__,
        knowledge_base=index.knowledge_base,
        disease=disease.id,
        disease_name=disease.name,
        profile=profile,
        ranked=dict(judgement.ranked),
        excluded=judgement.excluded,
        warnings=judgement.warnings + profile_notices(profile, kb),
        regimens=judgement.regimens,
        judged_for=judgement.judged_for,
        reproduce=Reproduction(
            kb, profile, regimen_count, judgement.judged_for if source is not None else None
        ),
    )


def _judge(
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    profile: Profile,
    regimen_count: int,
    source: str | None,
) -> _Judgement:
    context = profile_context(profile, kb)
    fired = {category: _fired_ids(index, category, context) for category in index.rules}
    sources, excluded = _category(kb, index, "source", fired, profile, None)
    subject = _subject(kb, sources, excluded, source, profile.disease)
    ranked = {"source": sources, "route": (), "preconditioning": ()}
    for category in ("route", "preconditioning"):
        if subject is not None:
            ranked[category], exclusions = _category(kb, index, category, fired, profile, subject)
            excluded += exclusions
    regimen_key = (
        tuple(fired.items()),
        profile.modality,
        profile.etiology,
        profile.donor,
        regimen_count,
    )
    if regimen_key not in index.regimen_memo:
        index.regimen_memo[regimen_key] = _interned(
            index,
            regimens.propose(
                catalog=index.catalog,
                sources=sources,
                judged=lambda s, c: _category(kb, index, c, fired, profile, s)[0],
                pairing_rules=[r.parsed for r in _fired(index, "regimen", fired["regimen"])],
                donor=profile.donor,
                top=regimen_count,
            ),
        )
    return _Judgement(
        ranked,
        _interned(index, excluded),
        _interned(index, index.caveats + _conflicts(index, sources)),
        index.regimen_memo[regimen_key],
        subject.id if subject else None,
    )


def _interned(index: _DiseaseIndex, parts: tuple[T, ...]) -> tuple[T, ...]:
    """The index's one copy of a tuple of result parts and of each part, equal to them."""
    interned = index.interned
    own = tuple([interned.setdefault(part, part) for part in parts])
    return interned.setdefault(own, own)  # type: ignore[no-any-return]


def _conflicts(index: _DiseaseIndex, sources: tuple[ScoredCandidate, ...]) -> tuple[Notice, ...]:
    """The conflict notices of a source ranking, once per ranking (rankings are memoized, so
    the same tuple comes back for every profile that shares it)."""
    key = id(sources)
    if key not in index.conflict_memo:
        index.conflict_memo[key] = (sources, conflict_notices(sources))
    return index.conflict_memo[key][1]


def _subject(
    kb: KnowledgeBase,
    sources: tuple[ScoredCandidate, ...],
    excluded: tuple[Exclusion, ...],
    wanted: str | None,
    disease: str,
) -> ScoredCandidate | None:
    """The source routes and strategies are judged for: the one asked for (in any case or with
    a tissue alias), else the top one."""
    if wanted is None:
        return sources[0] if sources else None
    spelled = spellings(kb, disease).get(wanted.casefold())
    chosen = next((s for s in sources if s.id == spelled), None)
    if chosen is not None:
        return chosen
    why = next((e for e in excluded if e.id == spelled), None)
    if why is not None:
        raise InputError(f"--source {wanted}: excluded for this profile: {why.reason} ({why.rule})")
    if spelled is not None:
        raise InputError(f"--source {wanted}: {spelled} is left out by the profile's modality")
    raise InputError(
        f"--source {wanted}: not a source for {disease}"
        f"{did_you_mean(wanted, [s.id for s in sources])}; valid: "
        f"{', '.join(sorted(s.id for s in sources))}"
    )


def _fired_ids(index: _DiseaseIndex, category: str, context: dict[str, Any]) -> tuple[str, ...]:
    """Ids of the category's profile-dependent rules whose condition holds."""
    return tuple([rule_id for rule_id, holds in index.dynamic[category] if holds(context)])


def _fired(index: _DiseaseIndex, category: str, dynamic_ids: tuple[str, ...]) -> list[_IndexedRule]:
    """Every rule of the category that fires: the unconditional ones and the given ones."""
    chosen = set(dynamic_ids)
    return [r for r in index.rules[category] if r.when is None or r.parsed.rule.id in chosen]


def _category(  # noqa: PLR0917 (the memo key's parts, in order)
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    category: str,
    fired: dict[str, tuple[str, ...]],
    profile: Profile,
    source: ScoredCandidate | None,
) -> CategoryOutcome:
    """The ranked candidates of a category (given a source) and those excluded, memoized."""
    subject = source.id if source else NO_SOURCE
    key = (category, fired[category], subject, profile.modality, profile.etiology, profile.donor)
    if key not in index.outcome_memo:
        rules = _fired(index, category, fired[category])
        scored, excluded = _score_category(kb, index, category, rules, profile, source)
        index.outcome_memo[key] = (_interned(index, scored), _interned(index, excluded))
    return index.outcome_memo[key]


def _score_category(  # noqa: PLR0917 (as _category)
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    category: str,
    fired: list[_IndexedRule],
    profile: Profile,
    source: ScoredCandidate | None,
) -> CategoryOutcome:
    subject = source.id if source else NO_SOURCE
    scored = []
    excluded: list[Exclusion] = []
    for candidate in index.candidates[category]:
        if candidate.modality is not None and profile.modality not in ("any", candidate.modality):
            continue
        mine = [r for r in fired if (subject, candidate.id) in r.applicable]
        exclusions = [_exclusion(category, candidate, r) for r in mine if r.parsed.rule.exclude]
        if exclusions:
            excluded += exclusions
            continue
        question = _question(category, candidate, source, profile)
        uses = index.catalog.uses(question) if question else ()
        contributions = _contributions(index, mine, uses, question, profile)
        caveat_rules = tuple(r.parsed.rule for r in mine if r.parsed.rule.caveat)
        caveats = (*(r.summary for r in caveat_rules), *candidate.caveats)
        scored.append(
            _scored(
                kb,
                candidate,
                contributions,
                uses,
                caveats=caveats,
                caveat_rules=tuple(r.id for r in caveat_rules),
            )
        )
    return ranked(scored), tuple(excluded)


def _exclusion(category: str, candidate: Candidate, indexed: _IndexedRule) -> Exclusion:
    rule = indexed.parsed.rule
    return Exclusion(category, candidate.id, candidate.label, rule.summary, rule.id, indexed.cites)


def _question(
    category: str, candidate: Candidate, source: ScoredCandidate | None, profile: Profile
) -> evidence.Question | None:
    """What the candidate asks of the evidence."""
    if category == "source":
        assert candidate.tissue is not None and candidate.modality is not None
        return evidence.Question(
            "tissue", candidate.tissue, candidate.modality, donor=profile.donor
        )
    if source is None or source.tissue is None or source.modality is None:
        return None
    if category == "route":
        return evidence.Question(
            "route", source.tissue, source.modality, route=candidate.id, donor=profile.donor
        )
    return evidence.Question(
        "preconditioning",
        source.tissue,
        source.modality,
        preconditioning=(candidate.id,),
        donor=profile.donor,
    )


def _contributions(
    index: _DiseaseIndex,
    rules: list[_IndexedRule],
    uses: tuple[Any, ...],
    question: evidence.Question | None,
    profile: Profile,
) -> list[Contribution]:
    contributions = []
    for indexed in rules:
        rule = indexed.parsed.rule
        if rule.evidence is not None:
            if question is None:
                continue
            counted = evidence.counted(
                rule.evidence, uses, index.catalog, question, profile.etiology
            )
            support = evidence.contribution(rule, counted)
            if support is not None:
                contributions.append(support)
        elif rule.points is not None:
            contributions.append(
                Contribution(
                    rule.id,
                    rule.points,
                    rule.summary,
                    rule.level,
                    indexed.cites,
                    assumption=rule.assumption,
                )
            )
    return contributions


def _scored(
    kb: KnowledgeBase,
    candidate: Candidate,
    contributions: list[Contribution],
    uses: tuple[Any, ...],
    *,
    caveats: tuple[str, ...],
    caveat_rules: tuple[str, ...],
) -> ScoredCandidate:
    contributions.sort(key=lambda c: (-c.points, c.rule))
    points = {c.rule: c.points for c in contributions}
    caveats += tuple(
        f"Conflicting items, both counted: {c.rule} ({c.points:+d}) vs {other} "
        f"({points[other]:+d})."
        for c in contributions
        for other in kb.rules[c.rule].rule.conflicts_with
        if other in points and c.rule < other
    )
    grading = grade_certainty(uses, contributions)
    return ScoredCandidate(
        category=candidate.category,
        id=candidate.id,
        label=candidate.label,
        rank=0,
        score=BASE_SCORE + sum(c.points for c in contributions),
        base=BASE_SCORE,
        certainty=grading.level,
        certainty_label=grading.label,
        certainty_reasons=grading.ledger,
        contributions=tuple(contributions),
        caveats=caveats,
        tied_with=(),
        tissue=candidate.tissue,
        modality=candidate.modality,
        evidence=tuple(uses),
        has_evidence=has_evidence(contributions, uses),
        caveat_rules=caveat_rules,
    )
