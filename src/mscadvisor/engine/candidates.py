"""Stage 3: the candidates of each category for a disease, with the attributes rules test."""

from __future__ import annotations

from typing import Any

from mscadvisor.kb.conditions import compile_condition, partial_verdict
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule
from mscadvisor.kb.records import Disease
from mscadvisor.record import Record


class Candidate(Record):
    category: str
    id: str
    label: str
    attributes: dict[str, Any]  # the candidate.* fields of the condition language
    caveats: tuple[str, ...] = ()
    tissue: str | None = None
    modality: str | None = None


NO_SOURCE = ""  # what a source candidate is judged for: nothing but itself


def source_id(tissue: str, modality: str) -> str:
    return f"{tissue}-{modality}"


def candidates_for(kb: KnowledgeBase, disease_id: str) -> dict[str, tuple[Candidate, ...]]:
    """Every candidate of every category for the disease, before any profile filter."""
    sources = []
    for tissue in kb.tissues.values():
        caveats = (
            ()
            if tissue.in_table4
            else (
                f"{tissue.name} is absent from Table 4: no advantages or limitations are scored, "
                "only study evidence.",
            )
        )
        for modality in kb.modalities:
            ident = source_id(tissue.id, modality)
            sources.append(
                Candidate(
                    category="source",
                    id=ident,
                    label=f"{tissue.label}, {modality}",
                    attributes={
                        "candidate.id": ident,
                        "candidate.tissue": tissue.id,
                        "candidate.modality": modality,
                        "candidate.perinatal": tissue.perinatal,
                    },
                    caveats=caveats,
                    tissue=tissue.id,
                    modality=modality,
                )
            )
    routes = [
        Candidate(
            category="route",
            id=route.id,
            label=f"{route.id}: {route.name}" if route.id.isupper() else route.name,
            attributes={"candidate.id": route.id},
            caveats=(route.note,) if route.note else (),
        )
        for route in kb.routes.values()
        if disease_id in route.diseases and not route.in_vitro
    ]
    strategies = []
    for pre in kb.preconditioning.values():
        if disease_id not in pre.diseases:
            continue
        tested = f"Reported with {', '.join(pre.tissues)} ({', '.join(pre.modalities)})."
        strategies.append(
            Candidate(
                category="preconditioning",
                id=pre.id,
                label=pre.name,
                attributes={
                    "candidate.id": pre.id,
                    "candidate.kind": pre.kind,
                    "candidate.modalities": frozenset(pre.modalities),
                    "candidate.tissues": frozenset(pre.tissues),
                },
                caveats=(tested, pre.note) if pre.note else (tested,),
            )
        )
    return {
        "source": tuple(sources),
        "route": tuple(routes),
        "preconditioning": tuple(strategies),
    }


def judged(
    candidates: dict[str, tuple[Candidate, ...]], category: str
) -> list[tuple[str, dict[str, Any], Candidate]]:
    """(source id, condition attributes, candidate) for every way a candidate is judged:
    sources on their own, routes and strategies given each source."""
    subjects = [NO_SOURCE] if category == "source" else [s.id for s in candidates["source"]]
    return [
        (subject, attributes, c)
        for subject in subjects
        for attributes, c in judged_for(candidates, category, subject)
    ]


def judged_for(
    candidates: dict[str, tuple[Candidate, ...]], category: str, subject: str
) -> list[tuple[dict[str, Any], Candidate]]:
    """(condition attributes, candidate) for every candidate of a category judged for a subject:
    sources on their own (``NO_SOURCE``), routes and strategies given the source ``subject``."""
    if category == "source":
        return [(c.attributes, c) for c in candidates["source"]] if subject == NO_SOURCE else []
    source = next((s for s in candidates["source"] if s.id == subject), None)
    if source is None or category not in candidates:
        return []
    given = source_attributes(source)
    return [({**c.attributes, **given}, c) for c in candidates[category]]


def source_attributes(source: Candidate) -> dict[str, Any]:
    return {"source.tissue": source.tissue, "source.modality": source.modality}


def can_fire_for(kb: KnowledgeBase, parsed: ParsedRule, disease: Disease) -> bool:
    """Whether some profile for this disease could make the rule fire: it selects one of the
    disease's candidates and the disease alone does not make its condition false."""
    known = {"disease.id": disease.id, "disease.systems": frozenset(disease.systems)}
    if partial_verdict(parsed.when, known) is False:
        return False
    if parsed.rule.category == "regimen":
        return True
    selects = compile_condition(parsed.applies_to)
    candidates = candidates_for(kb, disease.id)
    return any(selects(attributes) for _, attributes, _ in judged(candidates, parsed.rule.category))


def spellings(kb: KnowledgeBase, disease_id: str) -> dict[str, str]:
    """Every way to name a candidate of the disease, case-folded, to its id: the id itself, and
    a source as any alias of its tissue with its modality ('adipose-exosomes' for AD-exosomes)."""
    names: dict[str, str] = {}
    for category in candidates_for(kb, disease_id).values():
        for c in category:
            names[c.id.casefold()] = c.id
            if c.tissue is not None and c.modality is not None:
                for alias in kb.tissues[c.tissue].aliases:
                    names[source_id(alias, c.modality).casefold()] = c.id
    return names
