"""Stages 4-5: match rules and evidence against a profile and its candidates, score and rank
them, every point carried by the contribution of the rule that gave it, and grade certainty.

Sources are judged first. Routes and preconditioning strategies are judged *given a source*
(the top source, or the one asked for): their evidence counts fully only where it tested that
source. Complete regimens judge every source that an in vivo record tested, with the routes and
strategies such records used with it.

Per knowledge base and disease, an index is built once: the candidates, each rule's compiled
``when`` predicate, which candidates its ``applies_to`` selects (given a source, once one is
judged), and the disease's studies and trials. Which rules fire depends only on how the rules'
comparisons judge the profile's values (``relevance``); everything but the profile's own
notices depends only on the rules that fire, the profile's modality, etiology and donor type,
the number of regimens and the source asked for, so the whole judgement is memoized on those
(and, for the quickest look-up, on the relevance key that decides the rules). So, at finer
grain, are a category's outcome, a candidate's score (on the rules that fire for it), a ranking
(on the candidates it ranks) and the regimens (on the parts they combine). The keys do not
grow with the number of profiles scored, only with the distinct ways the rules judge them,
which are finite but many; past MEMO_LIMIT judgements an index forgets them and starts again,
so a process that scores without end keeps its memory bounded.
"""

from __future__ import annotations

from collections.abc import Collection
from functools import lru_cache
from typing import Any, TypeVar

from mscadvisor import __version__
from mscadvisor.engine import citations, defaults, evidence, regimens
from mscadvisor.engine.candidates import (
    NO_SOURCE,
    Candidate,
    candidates_for,
    judged_for,
    spellings,
)
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
from mscadvisor.kb.deferred import Once
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule
from mscadvisor.kb.records import CATEGORIES
from mscadvisor.kb.vocabulary import CONDITION_PROFILE_FIELDS
from mscadvisor.record import Record

BASE_SCORE = 0
T = TypeVar("T")


class _IndexedRule(Record):
    parsed: ParsedRule
    id: str  # the rule's
    when: Predicate | None  # None: the disease alone makes the condition hold
    selects: Predicate  # its applies_to
    cites: tuple[CitationView, ...]  # the rule's own citations, resolved once
    reads_etiology: bool  # an evidence rule that counts only records of the profile's etiology
    points: Contribution | None  # a points rule's contribution, the same wherever it fires


CategoryKey = tuple[str, tuple[str, ...], str, str, str | None, str]
CategoryOutcome = tuple[tuple[ScoredCandidate, ...], tuple[Exclusion, ...]]
# A category's candidates judged for one subject, each with the rules that select it.
Applicable = tuple[tuple[Candidate, tuple[_IndexedRule, ...]], ...]
# The regimens' inputs: each source they may pair with its routes and strategies as judged
# for it, the fired pairing rules, the donor type and the number of regimens.
RegimenKey = tuple[tuple[regimens.JudgedSource, ...], tuple[str, ...], str, int]


class _Judgement(Record):
    """Everything a recommendation holds but the profile and the profile's own notices."""

    ranked: dict[str, tuple[ScoredCandidate, ...]]
    excluded: tuple[Exclusion, ...]
    warnings: tuple[Notice, ...]  # the disease's caveats and the ranking's conflicts
    regimens: tuple[Regimen, ...]
    judged_for: str | None


MEMO_LIMIT = (
    20_000  # judgements per disease; a random cohort of a million rows makes a few thousand
)


class _DiseaseIndex:
    """Per disease: its candidates, its records, and the rules that can fire for it (a rule
    whose condition the disease alone makes false is left out), with the memos of scoring."""

    def __init__(self, kb: KnowledgeBase, disease_id: str):
        self.candidates = candidates_for(kb, disease_id)
        rules: dict[str, list[_IndexedRule]] = {c: [] for c in (*CATEGORIES, "regimen")}
        disease = kb.diseases[disease_id]
        known = {"disease.id": disease.id, "disease.systems": frozenset(disease.systems)}
        for parsed in kb.rules.values():
            verdict = partial_verdict(parsed.when, known)
            if verdict is False:
                continue
            rule = parsed.rule
            cites = tuple(citations.view(kb, c) for c in rule.citations)
            points = None
            if rule.evidence is None and rule.points is not None:
                points = Contribution(
                    rule=rule.id,
                    points=rule.points,
                    reason=rule.summary,
                    level=rule.level,
                    citations=cites,
                    records=(),
                    assumption=rule.assumption,
                )
            rules[rule.category].append(
                _IndexedRule(
                    parsed=parsed,
                    id=rule.id,
                    when=None if verdict else compile_condition(parsed.when),
                    selects=compile_condition(parsed.applies_to),
                    cites=cites,
                    reads_etiology=rule.evidence is not None and "etiology" in rule.evidence.match,
                    points=points,
                )
            )
        self.rules = {c: tuple(rs) for c, rs in rules.items()}
        self.caveats = tuple(  # the disease's own warnings
            Notice(
                f"{disease.id.lower()}-{caveat.code}",
                caveat.message,
                tuple(citations.view(kb, c) for c in caveat.citations),
            )
            for caveat in disease.caveats
        )
        records: list[evidence.Record] = [*kb.studies, *kb.trials.values()]
        self.catalog = evidence.Catalog(kb, (r for r in records if r.disease == disease_id))
        # Per category, the rules whose condition depends on the profile: (rule id, predicate).
        self.dynamic = {
            c: tuple((r.id, r.when) for r in rs if r.when is not None) for c, rs in rules.items()
        }
        # What of a profile the dynamic rules tell apart.
        self.relevance = Relevance(
            (r.parsed.when for rs in rules.values() for r in rs if r.when), _CONTEXT_FIELDS
        )
        # Shared by its results, and made when first read: without the compiled cache, the
        # knowledge hash in it is computed only for an output that reports it.
        self.identity = Once(kb.identity)
        # By (category, subject), made when a subject is first judged: a recommendation
        # judges routes and strategies for the few sources it ranks or pairs.
        self._applicable: dict[tuple[str, str], Applicable] = {}
        # A judgement by the relevance key of a profile and what else it asks, and by the
        # rules that fire and the same (the keys of ``score``).
        self.judgement_memo: dict[tuple[object, ...], _Judgement] = {}
        self.judged_memo: dict[tuple[object, ...], _Judgement] = {}
        self.outcome_memo: dict[CategoryKey, CategoryOutcome] = {}
        # What regimens may pair of a category, given a source: keyed as an outcome.
        self.pairable_memo: dict[CategoryKey, tuple[ScoredCandidate, ...]] = {}
        # A candidate scored before ranking, by what it depends on: its category, subject and
        # id, the rules that fire for it, the donor type and (where a rule reads it) etiology.
        # Profiles that fire other rules elsewhere share it.
        self.candidate_memo: dict[tuple[object, ...], ScoredCandidate] = {}
        # A ranking by the candidates it ranks: categories judged under other fired rules
        # often score every candidate alike.
        self.ranking_memo: dict[tuple[ScoredCandidate, ...], tuple[ScoredCandidate, ...]] = {}
        self._exclusions: dict[tuple[str, str, str], Exclusion] = {}
        self.regimen_memo: dict[RegimenKey, tuple[Regimen, ...]] = {}
        self.pairing_memo: dict[regimens.PairingKey, regimens.Pairing] = {}
        # Every result part the memos hold, by value: profiles judged apart often get equal
        # parts (a candidate scored alike under other fired rules), and one object each lets
        # results share them and their JSON (``result.Recommendation.to_json_line``).
        self.interned: dict[object, Any] = {}
        # By the identity of a memoized source ranking, kept alive beside its notices.
        self.conflict_memo: dict[int, tuple[object, tuple[Notice, ...]]] = {}

    def forget(self) -> None:
        """Drop every memo of a profile's judgement (what depends on the knowledge base alone
        stays): results already made keep the parts they hold."""
        for memo in (
            self.judgement_memo,
            self.judged_memo,
            self.outcome_memo,
            self.pairable_memo,
            self.candidate_memo,
            self.ranking_memo,
            self.regimen_memo,
            self.pairing_memo,
            self.interned,
            self.conflict_memo,
        ):
            memo.clear()

    def applicable(self, category: str, subject: str) -> Applicable:
        """Each candidate of the category judged for the subject (a source id, or NO_SOURCE
        for sources), with the rules whose applies_to selects it, in rule order."""
        key = (category, subject)
        found = self._applicable.get(key)
        if found is None:
            found = self._applicable[key] = tuple(
                (c, tuple(r for r in self.rules[category] if r.selects(attributes)))
                for attributes, c in judged_for(self.candidates, category, subject)
            )
        return found

    def exclusion(self, candidate: Candidate, indexed: _IndexedRule) -> Exclusion:
        """The exclusion of a candidate by a rule, made once."""
        key = (candidate.category, candidate.id, indexed.id)
        found = self._exclusions.get(key)
        if found is None:
            rule = indexed.parsed.rule
            found = self._exclusions[key] = Exclusion(
                category=candidate.category,
                id=candidate.id,
                label=candidate.label,
                reason=rule.summary,
                rule=rule.id,
                citations=indexed.cites,
            )
        return found


@lru_cache(maxsize=64)
def _disease_index(kb: KnowledgeBase, disease_id: str) -> _DiseaseIndex:
    return _DiseaseIndex(kb, disease_id)


def applicable_rules(
    kb: KnowledgeBase, disease_id: str, category: str, candidate_id: str, source: str = NO_SOURCE
) -> list[ParsedRule]:
    """The rules of a category whose applies_to selects the candidate, fired or not."""
    applicable = _disease_index(kb, disease_id).applicable(category, source)
    return [r.parsed for c, rules in applicable if c.id == candidate_id for r in rules]


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
        if len(index.judgement_memo) >= MEMO_LIMIT:
            index.forget()
        # Many profiles that compare differently fire the same rules: judged once for them.
        context = profile_context(profile, kb)
        fired = tuple((c, _fired_ids(index, c, context)) for c in index.rules)
        judged_key = (fired, *key[1:])
        judgement = index.judged_memo.get(judged_key)
        if judgement is None:
            judgement = index.judged_memo[judged_key] = _judge(
                kb, index, dict(fired), profile, regimen_count=regimen_count, source=source
            )
        index.judgement_memo[key] = judgement
    disease = kb.diseases[profile.disease]
    return Recommendation(
        generator_version=__version__,
        _identity=index.identity,
        disease=disease.id,
        disease_name=disease.name,
        profile=profile,
        ranked=dict(judgement.ranked),
        excluded=judgement.excluded,
        warnings=judgement.warnings + profile_notices(profile, kb),
        regimens=judgement.regimens,
        judged_for=judgement.judged_for,
        reproduce=Reproduction(
            kb=kb,
            scored=profile,
            regimens=regimen_count,
            source=judgement.judged_for if source is not None else None,
        ),
    )


def _judge(
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    fired: dict[str, tuple[str, ...]],
    profile: Profile,
    *,
    regimen_count: int,
    source: str | None,
) -> _Judgement:
    sources, excluded = _category(kb, index, "source", fired, profile, None)
    subject = _subject(kb, sources, excluded, source, profile.disease)
    ranked = {"source": sources, "route": (), "preconditioning": ()}
    for category in ("route", "preconditioning"):
        if subject is not None:
            ranked[category], exclusions = _category(kb, index, category, fired, profile, subject)
            excluded += exclusions
    paired = (
        regimens.judged_sources(
            index.catalog,
            sources,
            lambda s, c, ids: _pairable(kb, index, c, fired, profile, s, ids),
        )
        if regimen_count > 0  # no regimen asked for: nothing to judge for one
        else ()
    )
    regimen_key = (paired, fired["regimen"], profile.donor, regimen_count)
    if regimen_key not in index.regimen_memo:
        index.regimen_memo[regimen_key] = _interned(
            index,
            regimens.propose(
                catalog=index.catalog,
                judged=paired,
                pairing_rules=[r.parsed for r in _fired(index, "regimen", fired["regimen"])],
                donor=profile.donor,
                top=regimen_count,
                memo=index.pairing_memo,
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
    valid = ", ".join(sorted(s.id for s in sources))
    what = _not_a_source(kb, wanted)
    if what is not None:
        raise InputError(f"--source {wanted}: {what}, not a source; valid: {valid}")
    if spelled is not None:
        raise InputError(f"--source {wanted}: {spelled} is left out by the profile's modality")
    raise InputError(
        f"--source {wanted}: not a source for {disease}"
        f"{did_you_mean(wanted, [s.id for s in sources])}; valid: {valid}"
    )


def _not_a_source(kb: KnowledgeBase, name: str) -> str | None:
    """'IV is an administration route' for a route or strategy id in any case (of any disease);
    None for anything else."""
    for words, ids in (
        ("an administration route", kb.routes),
        ("a preconditioning strategy", kb.preconditioning),
    ):
        found = next((i for i in ids if i.casefold() == name.casefold()), None)
        if found is not None:
            return f"{found} is {words}"
    return None


def _fired_ids(index: _DiseaseIndex, category: str, context: dict[str, Any]) -> tuple[str, ...]:
    """Ids of the category's profile-dependent rules whose condition holds."""
    return tuple([rule_id for rule_id, holds in index.dynamic[category] if holds(context)])


def _fired(index: _DiseaseIndex, category: str, dynamic_ids: tuple[str, ...]) -> list[_IndexedRule]:
    """Every rule of the category that fires: the unconditional ones and the given ones."""
    chosen = set(dynamic_ids)
    return [r for r in index.rules[category] if r.when is None or r.id in chosen]


def _category(  # noqa: PLR0917 (the memo key's parts, in order)
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    category: str,
    fired: dict[str, tuple[str, ...]],
    profile: Profile,
    source: ScoredCandidate | None,
) -> CategoryOutcome:
    """The ranked candidates of a category (given a source) and those excluded, memoized."""
    key = _category_key(category, fired, profile, source.id if source else NO_SOURCE)
    if key not in index.outcome_memo:
        scored, excluded = _score_category(kb, index, category, fired[category], profile, source)
        ranking = index.ranking_memo.get(scored)
        if ranking is None:
            ranking = index.ranking_memo[scored] = _interned(index, ranked(list(scored)))
        index.outcome_memo[key] = (ranking, _interned(index, excluded))
    return index.outcome_memo[key]


def _category_key(
    category: str, fired: dict[str, tuple[str, ...]], profile: Profile, subject: str
) -> CategoryKey:
    """What a category's outcome given a subject depends on: the rules of it that fire, and
    the profile's modality, etiology and donor type."""
    return (category, fired[category], subject, profile.modality, profile.etiology, profile.donor)


def _pairable(  # noqa: PLR0917 (as _category, and the ids)
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    category: str,
    fired: dict[str, tuple[str, ...]],
    profile: Profile,
    source: ScoredCandidate,
    ids: Collection[str],
) -> tuple[ScoredCandidate, ...]:
    """The candidates of a category with these ids scored for the source, unranked, but those
    excluded: what regimens may pair with it. Memoized as ``_category`` is: the key leaves out
    the ids, as they are always those that the source's records used."""
    key = _category_key(category, fired, profile, source.id)
    found = index.pairable_memo.get(key)
    if found is None:
        found = index.pairable_memo[key] = _score_category(
            kb, index, category, fired[category], profile, source, ids
        )[0]
    return found


def _score_category(  # noqa: PLR0917 (as _category)
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    category: str,
    fired_ids: tuple[str, ...],
    profile: Profile,
    source: ScoredCandidate | None,
    only: Collection[str] | None = None,
) -> CategoryOutcome:
    """The category's candidates scored (memoized, unranked) and those excluded; ``only``: just
    the candidates with these ids."""
    subject = source.id if source else NO_SOURCE
    fired = set(fired_ids)
    scored = []
    excluded: list[Exclusion] = []
    for candidate, rules in index.applicable(category, subject):
        if only is not None and candidate.id not in only:
            continue
        if candidate.modality is not None and profile.modality not in ("any", candidate.modality):
            continue
        mine = [r for r in rules if r.when is None or r.id in fired]
        exclusions = [index.exclusion(candidate, r) for r in mine if r.parsed.rule.exclude]
        if exclusions:
            excluded += exclusions
            continue
        scored.append(_scored_candidate(kb, index, candidate, mine, profile, source))
    return tuple(scored), tuple(excluded)


def _scored_candidate(  # noqa: PLR0917 (as _category)
    kb: KnowledgeBase,
    index: _DiseaseIndex,
    candidate: Candidate,
    mine: list[_IndexedRule],
    profile: Profile,
    source: ScoredCandidate | None,
) -> ScoredCandidate:
    """A candidate scored under the rules that fire for it, before ranking, memoized."""
    key = (
        candidate.category,
        source.id if source else NO_SOURCE,
        candidate.id,
        tuple([r.id for r in mine]),
        profile.donor,
        profile.etiology if any(r.reads_etiology for r in mine) else None,
    )
    found = index.candidate_memo.get(key)
    if found is None:
        question = _question(candidate.category, candidate, source, profile)
        uses = index.catalog.uses(question) if question else ()
        contributions = _contributions(index, mine, uses, question, profile)
        caveat_rules = tuple(r.parsed.rule for r in mine if r.parsed.rule.caveat)
        found = index.candidate_memo[key] = _scored(
            kb,
            candidate,
            contributions,
            uses,
            caveats=(*(r.summary for r in caveat_rules), *candidate.caveats),
            caveat_rules=tuple(r.id for r in caveat_rules),
        )
    return found


def _question(
    category: str, candidate: Candidate, source: ScoredCandidate | None, profile: Profile
) -> evidence.Question | None:
    """What the candidate asks of the evidence (every field named: the quick way to make a
    record)."""
    if category == "source":
        assert candidate.tissue is not None and candidate.modality is not None
        return evidence.Question(
            key="tissue",
            tissue=candidate.tissue,
            modality=candidate.modality,
            route=None,
            preconditioning=(),
            donor=profile.donor,
        )
    if source is None or source.tissue is None or source.modality is None:
        return None
    if category == "route":
        return evidence.Question(
            key="route",
            tissue=source.tissue,
            modality=source.modality,
            route=candidate.id,
            preconditioning=(),
            donor=profile.donor,
        )
    return evidence.Question(
        key="preconditioning",
        tissue=source.tissue,
        modality=source.modality,
        route=None,
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
            if not uses or question is None:
                continue  # nothing to count
            counted = evidence.counted(
                rule.evidence, uses, index.catalog, question, profile.etiology
            )
            support = evidence.contribution(rule, counted)
            if support is not None:
                contributions.append(support)
        elif indexed.points is not None:
            contributions.append(indexed.points)
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
