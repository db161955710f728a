"""Complete regimens: a source, a route and optionally a preconditioning strategy that a study
or trial of the disease used together. Each source is judged with its own routes and
strategies (evidence counted for that source), and a regimen scores the sum of its parts plus
the pairing rules for the records that used exactly those parts together."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Collection, Iterable

from mscadvisor.engine import evidence
from mscadvisor.engine.result import CitationView, Contribution, Regimen, ScoredCandidate
from mscadvisor.kb.knowledge import ParsedRule
from mscadvisor.record import replace

# The routes or strategies of a category with the given ids judged for a source, unranked,
# leaving out those the profile or a rule excludes.
Judged = Callable[[ScoredCandidate, str, Collection[str]], tuple[ScoredCandidate, ...]]
# A combination's pairing (the pairing rules' contributions, the records that paired it), by
# its question and the fired pairing rules.
Pairing = tuple[tuple[Contribution, ...], tuple[CitationView, ...]]
PairingKey = tuple[evidence.Question, tuple[str, ...]]
# A source with its routes and its strategies as judged for it.
JudgedSource = tuple[ScoredCandidate, tuple[ScoredCandidate, ...], tuple[ScoredCandidate, ...]]


def judged_sources(
    catalog: evidence.Catalog, sources: Iterable[ScoredCandidate], judged: Judged
) -> tuple[JudgedSource, ...]:
    """The sources regimens may pair, with their routes and strategies judged for each. Only
    what can pair is judged: sources that some in vivo record tested, and the routes and
    strategies such a record used with them (a plain regimen needs no strategy)."""
    paired = []
    for source in sources:
        tested = catalog.in_vivo(source.tissue, source.modality)
        if not tested:
            continue
        routes = judged(source, "route", {r.route for r in tested if r.route is not None})
        used = {strategy for record in tested for strategy in record.preconditioning}
        paired.append((source, routes, judged(source, "preconditioning", used) if used else ()))
    return tuple(paired)


def propose(
    *,
    catalog: evidence.Catalog,
    judged: Iterable[JudgedSource],
    pairing_rules: list[ParsedRule],
    donor: str,
    top: int,
    memo: dict[PairingKey, Pairing],
) -> tuple[Regimen, ...]:
    """The best ``top`` regimens of the judged sources. Combinations no record used (a route
    only ever used with exosomes, proposed for cells) are never proposed. ``memo`` keeps each
    combination's pairing across calls for the same catalog."""
    if top <= 0:
        return ()
    rule_ids = tuple(parsed.rule.id for parsed in pairing_rules)
    built = []
    for source, judged_routes, judged_strategies in judged:
        routes = {r.id: r for r in judged_routes}
        strategies = {p.id: p for p in judged_strategies}
        tested = catalog.in_vivo(source.tissue, source.modality)
        for (route, strategy), used in _pairings(tested, routes, strategies).items():
            question = evidence.Question(
                key="route",
                tissue=source.tissue or "",
                modality=source.modality or "",
                route=route,
                preconditioning=(strategy,) if strategy else (),
                donor=donor,
            )
            key = (question, rule_ids)
            if key not in memo:
                memo[key] = _pairing(catalog, question, used, pairing_rules)
            pairing, paired_by = memo[key]
            built.append(
                Regimen(
                    rank=0,
                    source=source,
                    route=routes[route],
                    preconditioning=strategies[strategy] if strategy else None,
                    pairing=pairing,
                    paired_by=paired_by,
                    tied_with=(),
                )
            )
    built.sort(key=lambda r: (-r.score, r.id))
    # Ties are with every regimen the evidence supports, proposed or not, so that the best
    # ``top`` are always the first ``top`` of a longer list, and a tie cut off by ``top`` shows.
    ties: dict[int, list[str]] = defaultdict(list)
    for r in built:
        ties[r.score].append(r.id)
    return tuple(
        replace(r, rank=n, tied_with=tuple(i for i in ties[r.score] if i != r.id))
        for n, r in enumerate(built[:top], 1)
    )


def _pairing(
    catalog: evidence.Catalog,
    question: evidence.Question,
    used: list[evidence.Record],
    pairing_rules: list[ParsedRule],
) -> Pairing:
    """The pairing rules' contributions for the records that used a combination together,
    and those records' citations."""
    uses = catalog.uses_among(used, question)
    pairing = []
    for parsed in pairing_rules:
        assert parsed.rule.evidence is not None
        counted = evidence.counted(parsed.rule.evidence, uses, catalog, question, None)
        support = evidence.contribution(parsed.rule, counted)
        if support is not None:
            pairing.append(support)
    return tuple(pairing), catalog.cite(used)


def _pairings(
    tested: list[evidence.Record],
    routes: dict[str, ScoredCandidate],
    strategies: dict[str, ScoredCandidate],
) -> dict[tuple[str, str | None], list[evidence.Record]]:
    """Every (route, strategy or None) that these records of a source used with it, with
    those records: plain records pair the plain regimen, a record with a strategy pairs the
    regimen with that strategy."""
    found: dict[tuple[str, str | None], list[evidence.Record]] = defaultdict(list)
    for record in tested:
        if record.route not in routes:
            continue
        if not record.preconditioning:
            found[(record.route, None)].append(record)
        for strategy in record.preconditioning:
            if strategy in strategies:
                found[(record.route, strategy)].append(record)
    return found
