"""What-if: how the answer moves when the profile changes, one field or several at a time."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from mscadvisor.engine.profile import POF_AGE_LIMIT, Profile, build_profile
from mscadvisor.engine.result import DISCLAIMER, SCHEMA_VERSION, Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.errors import InputError, did_you_mean, quoted
from mscadvisor.kb import conditions
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import CATEGORIES, Disease
from mscadvisor.kb.vocabulary import (
    CONDITION_PROFILE_FIELDS,
    PROFILE_FIELD_BY_NAME,
    ProfileField,
    disease_values,
    parse_text,
    value_domains,
)
from mscadvisor.record import Record

# What-if fields by every spelling accepted: the field name and its flag (without "--").
FIELD_NAMES = {
    spelling: spec.name
    for spec in CONDITION_PROFILE_FIELDS
    for spelling in (spec.name, spec.flag.removeprefix("--"))
}


class Movement(Record):
    category: str
    id: str
    baseline_rank: int | None  # None: not ranked (excluded or not a candidate)
    changed_rank: int | None
    baseline_score: int | None
    changed_score: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "id": self.id,
            "baseline_rank": self.baseline_rank,
            "what_if_rank": self.changed_rank,
            "baseline_score": self.baseline_score,
            "what_if_score": self.changed_score,
        }


class TopChange(Record):
    """A single-field change that changes the top choice of a category."""

    field: str
    value: Any
    category: str
    before: str | None
    after: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "field": self.field,
            "value": self.value,
            "category": self.category,
            "from": self.before,
            "to": self.after,
        }


class WhatIf(Record):
    """A recommendation beside the one for the changed profile, and every candidate that moved;
    ``to_dict`` gives the JSON whose shape ``schemas/what-if.schema.json`` publishes."""

    baseline: Recommendation
    changed: Recommendation
    moved: tuple[Movement, ...]
    changes: tuple[str, ...] = ()  # the FIELD=VALUE changes asked for

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "disclaimer": DISCLAIMER,
            "baseline": self.baseline.to_dict(),
            "what_if": self.changed.to_dict(),
            "changes": [m.to_dict() for m in self.moved],
            "reproduce": self.baseline.reproduce.what_if(self.changes)
            if self.baseline.reproduce
            else None,
        }


def what_if(
    kb: KnowledgeBase,
    baseline: Recommendation,
    changes: list[str],
    regimen_count: int,
    source: str | None = None,
) -> WhatIf:
    """The baseline compared with the recommendation for its profile with each FIELD=VALUE
    change applied (see ``apply_changes``), scored with as many regimens, and routes judged
    for ``source`` (default: each side's top source)."""
    changed = score(kb, apply_changes(kb, baseline.profile, changes), regimen_count, source)
    return WhatIf(baseline, changed, tuple(movements(baseline, changed)), tuple(changes))


def apply_changes(kb: KnowledgeBase, profile: Profile, changes: list[str]) -> Profile:
    """The profile with each FIELD=VALUE change applied, validated like any profile."""
    raw = profile.to_dict()
    changed: dict[str, str] = {}
    for change in changes:
        name, sep, text = change.partition("=")
        field = FIELD_NAMES.get(name.strip().lower())
        if not sep or field is None:
            raise InputError(
                f"--what-if {quoted(change)}: expected FIELD=VALUE with FIELD one of "
                f"{', '.join(sorted(set(FIELD_NAMES.values())))}"
                + (did_you_mean(name, FIELD_NAMES) if sep else "")
            )
        if field in changed:  # the later would silently win
            several = PROFILE_FIELD_BY_NAME[field].kind == "set"
            raise InputError(
                f"--what-if {quoted(change)}: {field} is already changed by "
                f"{quoted(changed[field])}; change a field once"
                + (f" (a list takes several values: {field}=a,b)" if several else "")
            )
        changed[field] = change
        try:
            raw[field] = parse_text(PROFILE_FIELD_BY_NAME[field], text)
        except ValueError as exc:
            raise InputError(f"--what-if {quoted(change)}: {exc}") from None
    return build_profile(raw, kb, "--what-if")


def movements(baseline: Recommendation, changed: Recommendation) -> list[Movement]:
    """Every candidate whose rank or score differs between the two recommendations."""
    moved = []
    for category in CATEGORIES:
        before = {c.id: c for c in baseline.ranked[category]}
        after = {c.id: c for c in changed.ranked[category]}
        for ident in sorted({*before, *after}):
            b, a = before.get(ident), after.get(ident)
            if b and a and (b.rank, b.score) == (a.rank, a.score):
                continue
            moved.append(
                Movement(
                    category,
                    ident,
                    b.rank if b else None,
                    a.rank if a else None,
                    b.score if b else None,
                    a.score if a else None,
                )
            )
    return moved


def sensitivity(kb: KnowledgeBase, profile: Profile) -> list[TopChange]:
    """Single-field changes (age across its thresholds, donor, modality, each comorbidity and
    need, harvest, etiology) that change the top choice of a category, and to what."""
    baseline = _tops(score(kb, profile))
    found = []
    for field, value, variant in _variants(kb, profile):
        tops = _tops(score(kb, variant))
        found += [
            TopChange(field, value, category, baseline[category], tops[category])
            for category in CATEGORIES
            if tops[category] != baseline[category]
        ]
    return found


def _tops(result: Recommendation) -> dict[str, str | None]:
    return {c: (result.ranked[c][0].id if result.ranked[c] else None) for c in CATEGORIES}


def thresholds(kb: KnowledgeBase, spec: ProfileField) -> list[int]:
    """Every value of a numeric field at which some rule (or the POF age warning) changes its
    verdict."""
    found = {POF_AGE_LIMIT} if spec.name == "age" else set()
    for parsed in kb.rules.values():
        found |= {
            leaf.value
            for leaf in conditions.leaves(parsed.when)
            if leaf.field == spec.condition_field and isinstance(leaf.value, int)
        }
    return sorted(found)


def _variants(kb: KnowledgeBase, profile: Profile) -> Iterator[tuple[str, Any, Profile]]:
    """Each single-field change worth trying: every other value of a choice, unknown for an
    optional field, both sides of every threshold of a number, each set member toggled."""
    disease = kb.diseases[profile.disease]
    domains = value_domains(kb)
    for spec in CONDITION_PROFILE_FIELDS:
        current = getattr(profile, spec.name)
        for label, value in _alternatives(kb, spec, current, disease, domains):
            yield spec.name, label, profile.replace(**{spec.name: value})


def _alternatives(
    kb: KnowledgeBase,
    spec: ProfileField,
    current: Any,
    disease: Disease,
    domains: dict[str, tuple[str, ...]],
) -> Iterator[tuple[Any, Any]]:
    """(label, value) of the other values of one field."""
    if spec.kind == "bool":
        yield not current, not current
        return
    if spec.kind == "set":
        for value in sorted(domains[spec.domain or ""]):
            label = f"-{value}" if value in current else f"+{value}"
            yield label, tuple(sorted(set(current) ^ {value}))
        return
    options: list[Any] = [] if spec.default is not None else [None]
    if spec.kind == "int":
        for threshold in thresholds(kb, spec):
            options += [threshold - 1, threshold]
    elif spec.per_disease:
        options += disease_values(spec, disease)
    else:
        options += domains[spec.domain or ""]
    for value in dict.fromkeys(options):
        if value != current:
            yield value, value
