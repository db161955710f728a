"""The errata on what a candidate's place rests on: the places where the review contradicts
itself about a study or trial it was judged on, or about what a rule that scored it, gave it a
caveat or excluded it cites or declares, for ``explain``."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mscadvisor.engine import citations
from mscadvisor.engine.result import CitationView, Exclusion, Recommendation, ScoredCandidate
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import GENERAL_LEVEL, Erratum, Rule, Study, Trial
from mscadvisor.record import Record, fields_of


class ErratumNote(Record):
    """An erratum on what a candidate's place rests on: a place where the review contradicts
    itself about a study, trial, reference or Table 4 item that ties it to the candidate
    (``errata_on``)."""

    on: tuple[CitationView, ...]  # what the candidate cites that the erratum is about
    erratum: Erratum
    citations: tuple[CitationView, ...]  # the erratum's own, resolved

    def to_dict(self) -> dict[str, Any]:
        return {
            "on": [c.to_dict() for c in self.on],
            # As a row of ``mscadvisor errata --format json``: its fields, as plain JSON data,
            # with its citations resolved.
            "erratum": {
                **fields_of(self.erratum),
                "readings": list(self.erratum.readings),
                "citations": [c.to_dict() for c in self.citations],
            },
        }


def errata_for(
    kb: KnowledgeBase,
    result: Recommendation,
    candidate: ScoredCandidate | None,
    exclusions: tuple[Exclusion, ...],
) -> tuple[ErratumNote, ...]:
    """The errata on a candidate as scored in result, or on its exclusions when it has none."""
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
    return errata_on(kb, cited)


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
