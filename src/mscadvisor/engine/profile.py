"""The patient profile: read from a file and/or flags, checked against the catalog, normalised.

A profile that makes no sense is refused with a message naming the field, the value and what
was expected; one that is valid but partly unusable (a need that has no meaning for the disease,
a comorbidity no rule looks at) is accepted with a warning, never silently.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

from mscadvisor.errors import InputError, did_you_mean, quoted, quoted_data, unknown_value
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import Disease
from mscadvisor.kb.vocabulary import (
    PROFILE_FIELD_NAMES,
    PROFILE_FIELDS,
    ProfileField,
    disease_values,
    value_domains,
)
from mscadvisor.reading import Unreadable, decode, load_json, load_toml, read_file

MAX_PROFILE_BYTES = 1024 * 1024
POF_AGE_LIMIT = 40  # POF is ovarian decline before 40 (section MSCs: Premature ovarian failure)
_FIELD_NAMES = frozenset(PROFILE_FIELD_NAMES)
_DEFAULTS = {f.name: f.default for f in PROFILE_FIELDS}


class Profile:
    """A normalised profile: the canonical disease id and a value for every field of the
    vocabulary (``vocabulary.PROFILE_FIELDS``), its default where none was given; set fields
    are sorted tuples of unique ids. Immutable; fields are read as attributes."""

    # The fields live in the instance's __dict__, so reading one is a plain attribute lookup
    # (the engine reads several per profile); __setattr__ keeps them immutable.

    def __init__(self, disease: str, **values: Any) -> None:
        if not values.keys() <= _FIELD_NAMES:
            unknown = sorted(values.keys() - _FIELD_NAMES)
            raise TypeError(f"unknown profile field(s): {', '.join(unknown)}")
        self.__dict__.update(_DEFAULTS, **values, disease=disease)  # in the vocabulary's order

    @classmethod
    def _of_read(cls, disease: str, values: dict[str, Any]) -> Profile:
        """The profile of values build_profile has read (field names known good)."""
        profile = object.__new__(cls)
        fields = profile.__dict__
        fields.update(_DEFAULTS)  # in the vocabulary's order
        fields.update(values)
        fields["disease"] = disease
        return profile

    @property
    def _values(self) -> dict[str, Any]:
        return self.__dict__

    def __getattr__(self, name: str) -> Any:
        # Only called for a name that is not a field: typed access to fields for mypy.
        raise AttributeError(f"a profile has no field {name!r}")

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError("a profile is immutable: use replace()")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Profile) and self._values == other._values

    def __hash__(self) -> int:
        return hash(tuple(self._values.items()))

    def __repr__(self) -> str:
        return "Profile(" + ", ".join(f"{k}={v!r}" for k, v in self._values.items()) + ")"

    def replace(self, **changes: Any) -> Profile:
        values = {**self._values, **changes}
        return Profile(values.pop("disease"), **values)

    def shown(self) -> dict[str, str]:
        """Every field but the disease as people read it (see ``shown_value``)."""
        return {name: shown_value(self._values[name]) for name in PROFILE_FIELD_NAMES[1:]}

    def describe(self) -> str:
        """The profile in one line for people."""
        return ", ".join(f"{name}={value}" for name, value in self.shown().items())

    def to_dict(self) -> dict[str, Any]:
        return {
            name: list(value) if isinstance(value, tuple) else value
            for name, value in self._values.items()
        } | {"disease": self._values["disease"]}


def written_alike(value: Any) -> bool:
    """Whether every value equal to this profile value is written alike (in JSON, on a command
    line, as a Python literal): a str, int, bool or None, or a tuple of str, by exact type.
    (True == 1 and -0.0 == 0.0, and a subclass of str may print its own way.) Memos of a
    value's texts keep only these."""
    kind = type(value)
    return kind in SCALARS_WRITTEN_ALIKE or (kind is tuple and set(map(type, value)) <= _STR)


SCALARS_WRITTEN_ALIKE = frozenset({str, int, bool, type(None)})  # the single values of those
_STR = frozenset({str})


def shown_value(value: Any) -> str:
    """A profile value as people read it: unknown or empty as '-', booleans as yes/no, lists
    comma-separated."""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (tuple, list)):
        return ",".join(str(v) for v in value) or "-"
    return "-" if value is None else str(value)


def read_profile_file(path: Path) -> dict[str, Any]:
    """The raw fields of a JSON (.json) or TOML (.toml) profile file."""
    suffix = path.suffix.lower()
    try:
        data = read_file(path, MAX_PROFILE_BYTES)  # first: a folder or FIFO is said to be one
        if suffix not in (".json", ".toml"):
            raise Unreadable(f"unknown file type {suffix or '(none)'!r}; use a .json or .toml file")
        text = decode(data)
        if not text.strip():
            raise Unreadable("file is empty")
        parsed = load_json(text) if suffix == ".json" else load_toml(text)
    except Unreadable as exc:
        raise InputError(f"profile {path}: {exc}") from None
    if not isinstance(parsed, dict):
        raise InputError(f"profile {path}: expected an object of profile fields at the top level")
    return parsed


def merge_profile(
    kb: KnowledgeBase, profile_file: Path | None, flags: Mapping[str, Any]
) -> Profile:
    """The profile of a profile file with command-line flags on top; an empty flag (None, an
    empty list) leaves the file's value."""
    raw: dict[str, Any] = read_profile_file(profile_file) if profile_file else {}
    given = {k: v for k, v in flags.items() if v is not None and v != []}
    raw.update(given)
    origin = "command line"
    if profile_file:
        origin = f"profile {profile_file}" + (" with command-line flags" if given else "")
    return build_profile(raw, kb, origin)


def build_profile(raw: Mapping[str, Any], kb: KnowledgeBase, origin: str) -> Profile:
    """Check raw profile fields against the catalog and return the normalised profile.

    Every field is read by its kind in the vocabulary; a missing or null field takes its
    default."""
    if not raw.keys() <= _FIELD_NAMES:
        key = next(key for key in raw if key not in _FIELD_NAMES)
        raise InputError(
            f"{origin}: unknown profile field {quoted(key)}"
            f"{did_you_mean(str(key), PROFILE_FIELD_NAMES)}; valid: "
            f"{', '.join(PROFILE_FIELD_NAMES)}"
        )
    if raw.get("disease") is None:
        raise InputError(
            f"{origin}: the disease is required (--disease, or 'disease' in a profile)"
        )
    name = _text(raw["disease"], "disease", origin)
    try:
        disease = kb.resolve_disease(name)
    except InputError as exc:  # said where, as for every other field
        raise InputError(f"{origin}: {exc}") from None
    accepted, disease_id = _accepted(kb), disease.id
    values: dict[str, Any] = {}
    for spec in _READ_FIELDS:
        name = spec.name
        value = raw.get(name)
        if value is None:
            continue
        # Kept: short strings, ints, bools and short lists of strings, by their exact types
        # (True == 1; a subclass of str may print its own way), so the memo stays small.
        kind = type(value)
        if kind is str:
            keep = len(value) <= MEMO_CHARS
        elif kind is list:
            keep = len(value) <= MEMO_ITEMS and set(map(type, value)) <= _STR
        else:
            keep = kind is int or kind is bool
        memo_key = (name, disease_id, kind, tuple(value) if kind is list else value) if keep else ()
        read = accepted.get(memo_key) if keep else None
        if read is None:
            read = _read(spec, value, kb, disease, origin)
            if keep:
                if len(accepted) >= ACCEPTED_LIMIT:
                    accepted.clear()
                accepted[memo_key] = read
        values[name] = read
    return Profile._of_read(disease_id, values)


_READ_FIELDS = PROFILE_FIELDS[1:]  # all but the disease, read first


# A batch reads the same few values of each field over and over: the values accepted so far,
# keyed by what reading one depends on. Only accepted values are kept, so a refusal always
# names its own row; and only small ones, so the memo stays small whatever the input.
ACCEPTED_LIMIT = 2048
MEMO_CHARS = 64  # the longest string kept
MEMO_ITEMS = 8  # the longest list kept (its items are ids of the catalog: short)


@lru_cache(maxsize=8)
def _accepted(kb: KnowledgeBase) -> dict[tuple[Any, ...], Any]:
    return {}


def _read(
    spec: ProfileField,
    value: Any,
    kb: KnowledgeBase,
    disease: Disease,
    origin: str,
) -> Any:
    """One field's value, checked against its kind and allowed values."""
    kind = spec.kind
    if kind == "bool":
        if not isinstance(value, bool):
            raise InputError(
                f"{_where(spec, origin)}: expected true or false, got {quoted_data(value)}"
            )
        return value
    if kind == "int":
        if not isinstance(value, int) or isinstance(value, bool):
            raise InputError(
                f"{_where(spec, origin)}: expected a whole number of {spec.unit}, "
                f"got {quoted_data(value)}"
            )
        if not spec.low <= value <= spec.high:  # type: ignore[operator]
            raise InputError(
                f"{_where(spec, origin)}: {value} is outside {spec.low}-{spec.high} {spec.unit}"
            )
        return value
    known = _domains(kb)[spec.domain or ""]
    if kind == "set":
        if isinstance(value, str) or not isinstance(value, list):
            raise InputError(
                f"{_where(spec, origin)}: expected a list of {spec.item} ids, "
                f"got {quoted_data(value)}"
            )
        for item in value:
            if not isinstance(item, str):
                raise InputError(
                    f"{_where(spec, origin)}: expected {spec.item} ids, got {quoted_data(item)}"
                )
            if item not in known:
                raise unknown_value(spec.item or "", item, known, where=origin)
        return tuple(sorted(set(value)))
    text = _text(value, spec.name, origin)
    chosen = _casefolded(kb)[spec.domain or ""].get(text.casefold())
    allowed = disease_values(spec, disease) if spec.per_disease else known
    if chosen is None:  # no such value for any disease: the ones this disease takes are listed
        raise unknown_value(spec.name, text, allowed, where=origin)
    if chosen not in allowed:
        owners = [d.id for d in kb.diseases.values() if chosen in disease_values(spec, d)]
        hint = f" (it applies to {', '.join(owners)})" if owners else did_you_mean(text, allowed)
        raise InputError(
            f"{_where(spec, origin)}: {quoted(text)} does not apply to {disease.id} "
            f"({disease.name}){hint}; valid for {disease.id}: {', '.join(allowed)}"
        )
    return chosen


def _where(spec: ProfileField, origin: str) -> str:
    """Where a bad value was given, for its message."""
    return f"{origin}: field {spec.name}"


@lru_cache(maxsize=8)
def _domains(kb: KnowledgeBase) -> dict[str, tuple[str, ...]]:
    return value_domains(kb)


@lru_cache(maxsize=8)
def _casefolded(kb: KnowledgeBase) -> dict[str, dict[str, str]]:
    """Each domain's values by their case-folded spelling (the first in sorted order, where two
    fold alike): any case of a value reads as it."""
    folded: dict[str, dict[str, str]] = {}
    for domain, values in _domains(kb).items():
        spellings = folded[domain] = {}
        for value in sorted(values):
            spellings.setdefault(value.casefold(), value)
    return folded


def _text(value: Any, key: str, origin: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InputError(
            f"{origin}: field {key}: expected a non-empty string, got {quoted_data(value)}"
        )
    return value.strip()
