"""Complete regimens: a source, a route and optionally a preconditioning strategy that the
evidence has actually used together, scored as the sum of their parts plus pairing rules."""

from __future__ import annotations

from collections import defaultdict

from mscadvisor.engine import evidence
from mscadvisor.engine.candidates import source_id
from mscadvisor.engine.result import Regimen, ScoredCandidate
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule
from mscadvisor.kb.records import Study, Trial

Key = tuple[str, str, str | None]  # source id, route id, preconditioning id or None


PairingRules = list[tuple[ParsedRule, tuple[Study | Trial, ...]]]


def propose(
    kb: KnowledgeBase,
    disease_id: str,
    ranked_lists: dict[str, tuple[ScoredCandidate, ...]],
    rules: PairingRules,
    top: int,
) -> tuple[Regimen, ...]:
    """The best ``top`` regimens whose parts a study or trial of the disease used together.

    ``rules`` are the regimen rules that fired, each with the records it may count. Pairs no
    record supports (a route only ever used with exosomes, proposed for cells) are never
    proposed.
    """
    if top <= 0:
        return ()
    ranked = {cat: {c.id: c for c in cs} for cat, cs in ranked_lists.items()}
    pairings = _pairings(kb, disease_id, ranked)
    built = []
    for (src, route, pre), records in pairings.items():
        pairing = []
        for parsed, counted in rules:
            matched = [r for r in records if r in counted]
            if matched:
                pairing.append(evidence.contribution(kb, parsed.rule, matched))
        built.append(
            Regimen(
                0,
                ranked["source"][src],
                ranked["route"][route],
                ranked["preconditioning"][pre] if pre else None,
                tuple(pairing),
                evidence.cite(kb, records),
            )
        )
    built.sort(key=lambda r: (-r.score, r.id))
    return tuple(
        Regimen(n, r.source, r.route, r.preconditioning, r.pairing, r.paired_by)
        for n, r in enumerate(built[:top], 1)
    )


def _pairings(
    kb: KnowledgeBase, disease_id: str, ranked: dict[str, dict[str, ScoredCandidate]]
) -> dict[Key, list[Study | Trial]]:
    """Every (source, route, preconditioning) combination of ranked candidates that in vivo
    studies or trials of the disease used, with those records."""
    found: dict[Key, list[Study | Trial]] = defaultdict(list)
    records: list[Study | Trial] = [s for s in kb.studies if s.setting == "in-vivo"]
    records += kb.trials.values()
    for record in records:
        src = source_id(record.tissue, record.modality)
        if (
            record.disease != disease_id
            or record.route is None
            or src not in ranked["source"]
            or record.route not in ranked["route"]
        ):
            continue
        found[(src, record.route, None)].append(record)
        for pre in record.preconditioning:
            if pre in ranked["preconditioning"]:
                found[(src, record.route, pre)].append(record)
    return found
