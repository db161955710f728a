"""What-if: how the answer moves when the profile changes, one field or several at a time."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from mscadvisor.engine.profile import POF_AGE_LIMIT, Profile, build_profile
from mscadvisor.engine.result import DISCLAIMER, SCHEMA_VERSION, Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.errors import InputError, did_you_mean
from mscadvisor.kb import conditions
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import CATEGORIES
from mscadvisor.kb.vocabulary import PROFILE_DONORS, SEXES

LIST_FIELDS = {"comorbidities": "comorbidity", "needs": "need"}
# What-if fields, with the flag spellings accepted as synonyms.
FIELD_NAMES = {
    "age": "age",
    "sex": "sex",
    "donor": "donor",
    "modality": "modality",
    "avoid_invasive_harvest": "avoid_invasive_harvest",
    "avoid-invasive-harvest": "avoid_invasive_harvest",
    "etiology": "etiology",
    "comorbidities": "comorbidities",
    "comorbidity": "comorbidities",
    "needs": "needs",
    "need": "needs",
}


@dataclass(frozen=True, slots=True)
class Movement:
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


@dataclass(frozen=True, slots=True)
class TopChange:
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


@dataclass(frozen=True, slots=True)
class WhatIf:
    """A recommendation beside the one for the changed profile, and every candidate that moved;
    ``to_dict`` gives the JSON whose shape ``schemas/what-if.schema.json`` publishes."""

    baseline: Recommendation
    changed: Recommendation
    moved: tuple[Movement, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "disclaimer": DISCLAIMER,
            "baseline": self.baseline.to_dict(),
            "what_if": self.changed.to_dict(),
            "changes": [m.to_dict() for m in self.moved],
        }


def what_if(
    kb: KnowledgeBase, baseline: Recommendation, changes: list[str], regimen_count: int
) -> WhatIf:
    """The baseline compared with the recommendation for its profile with each FIELD=VALUE
    change applied (see ``apply_changes``), scored with as many regimens."""
    changed = score(kb, apply_changes(kb, baseline.profile, changes), regimen_count)
    return WhatIf(baseline, changed, tuple(movements(baseline, changed)))


def apply_changes(kb: KnowledgeBase, profile: Profile, changes: list[str]) -> Profile:
    """The profile with each FIELD=VALUE change applied, validated like any profile."""
    raw = profile.to_dict()
    for change in changes:
        name, sep, text = change.partition("=")
        field = FIELD_NAMES.get(name.strip().lower())
        if not sep or field is None:
            raise InputError(
                f"--what-if {change!r}: expected FIELD=VALUE with FIELD one of "
                f"{', '.join(sorted(set(FIELD_NAMES.values())))}"
                + (did_you_mean(name, FIELD_NAMES) if sep else "")
            )
        raw[field] = _value(field, text.strip(), change)
    return build_profile(raw, kb, "--what-if")


def _value(field: str, text: str, change: str) -> Any:
    if field in LIST_FIELDS:
        return [v.strip() for v in text.split(",") if v.strip()]
    if field == "avoid_invasive_harvest":
        if text.lower() not in ("true", "false", "yes", "no"):
            raise InputError(f"--what-if {change!r}: expected true or false")
        return text.lower() in ("true", "yes")
    if field == "age":
        if text.lower() in ("", "none", "unknown"):
            return None
        if not text.isdigit():
            raise InputError(f"--what-if {change!r}: age must be a whole number of years")
        return int(text)
    return None if text.lower() in ("", "none") else text


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


def age_thresholds(kb: KnowledgeBase) -> list[int]:
    """Every age at which some rule (or the POF age warning) changes its verdict."""
    found = {POF_AGE_LIMIT}
    for parsed in kb.rules.values():
        found |= {
            leaf.value
            for leaf in conditions.leaves(parsed.when)
            if leaf.field == "profile.age" and isinstance(leaf.value, int)
        }
    return sorted(found)


def _variants(kb: KnowledgeBase, profile: Profile) -> Iterator[tuple[str, Any, Profile]]:
    disease = kb.diseases[profile.disease]
    ages: list[int | None] = [None]
    for threshold in age_thresholds(kb):
        ages += [threshold - 1, threshold]
    for age in ages:
        if age != profile.age:
            yield "age", age, replace(profile, age=age)
    for donor in PROFILE_DONORS:
        if donor != profile.donor:
            yield "donor", donor, replace(profile, donor=donor)
    for modality in (*kb.modalities, "any"):
        if modality != profile.modality:
            yield "modality", modality, replace(profile, modality=modality)
    for sex in SEXES:
        if sex != profile.sex and sex in disease.sexes:
            yield "sex", sex, replace(profile, sex=sex)
    yield (
        "avoid_invasive_harvest",
        not profile.avoid_invasive_harvest,
        replace(profile, avoid_invasive_harvest=not profile.avoid_invasive_harvest),
    )
    for field in LIST_FIELDS:
        current: tuple[str, ...] = getattr(profile, field)
        for value in sorted(getattr(kb, field)):
            toggled = tuple(sorted(set(current) ^ {value}))
            label = f"-{value}" if value in current else f"+{value}"
            changes: dict[str, Any] = {field: toggled}
            yield field, label, replace(profile, **changes)
    for etiology in [None, *(e.id for e in disease.etiologies)]:
        if etiology != profile.etiology:
            yield "etiology", etiology, replace(profile, etiology=etiology)
