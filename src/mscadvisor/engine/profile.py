"""The patient profile: read from a file and/or flags, checked against the catalog, normalised.

A profile that makes no sense is refused with a message naming the field, the value and what
was expected; one that is valid but partly unusable (a need that has no meaning for the disease,
a comorbidity no rule looks at) is accepted with a warning, never silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from mscadvisor.errors import InputError, did_you_mean, unknown_value
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.vocabulary import PROFILE_DONORS, SEXES

MIN_AGE, MAX_AGE = 0, 120
MAX_PROFILE_BYTES = 1024 * 1024
POF_AGE_LIMIT = 40  # POF is ovarian decline before 40 (section MSCs: Premature ovarian failure)


@dataclass(frozen=True, slots=True)
class Profile:
    """A normalised profile: canonical disease id, sorted unique lists."""

    disease: str
    age: int | None = None
    sex: str | None = None
    donor: str = "any"
    modality: str = "any"
    avoid_invasive_harvest: bool = False
    comorbidities: tuple[str, ...] = ()
    etiology: str | None = None
    needs: tuple[str, ...] = ()

    def describe(self) -> str:
        """The profile in one line for people: unknown or empty values as '-'."""

        def shown(value: Any) -> str:
            if isinstance(value, bool):
                return "yes" if value else "no"
            if isinstance(value, tuple):
                return ",".join(value) or "-"
            return "-" if value is None else str(value)

        return ", ".join(
            f"{name}={shown(getattr(self, name))}"
            for name in self.__dataclass_fields__
            if name != "disease"
        )

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["comorbidities"] = list(self.comorbidities)
        out["needs"] = list(self.needs)
        return out


PROFILE_FIELDS = tuple(Profile.__dataclass_fields__)


def read_profile_file(path: Path) -> dict[str, Any]:
    """The raw fields of a JSON (.json) or TOML (.toml) profile file."""
    import tomllib  # here, not at the top: most runs take their profile from flags

    suffix = path.suffix.lower()
    if suffix not in (".json", ".toml"):
        raise InputError(
            f"profile {path}: unknown file type {suffix or '(none)'!r}; use a .json or .toml file"
        )
    try:
        if path.is_dir():
            raise InputError(f"profile {path}: is a folder, not a file")
        size = path.stat().st_size
        if size > MAX_PROFILE_BYTES:
            raise InputError(f"profile {path}: {size} bytes, over the {MAX_PROFILE_BYTES} limit")
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"profile {path}: no such file") from None
    except OSError as exc:
        raise InputError(f"profile {path}: cannot read: {exc.strerror}") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"profile {path}: not UTF-8 text (byte {exc.start})") from None
    if not text.strip():
        raise InputError(f"profile {path}: file is empty")
    try:
        parsed = json.loads(text) if suffix == ".json" else tomllib.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            f"profile {path}: invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"profile {path}: invalid TOML: {exc}") from None
    if not isinstance(parsed, dict):
        raise InputError(f"profile {path}: expected an object of profile fields at the top level")
    return parsed


def merge_profile(
    kb: KnowledgeBase, profile_file: Path | None, flags: Mapping[str, Any]
) -> Profile:
    """The profile of a profile file with command-line flags on top; an empty flag (None, an
    empty list) leaves the file's value."""
    raw: dict[str, Any] = read_profile_file(profile_file) if profile_file else {}
    raw.update({k: v for k, v in flags.items() if v is not None and v != []})
    origin = f"profile {profile_file} with command-line flags" if profile_file else "command line"
    return build_profile(raw, kb, origin)


def build_profile(raw: Mapping[str, Any], kb: KnowledgeBase, origin: str) -> Profile:
    """Check raw profile fields against the catalog and return the normalised profile."""
    for key in raw:
        if key not in PROFILE_FIELDS:
            raise InputError(
                f"{origin}: unknown profile field {key!r}"
                f"{did_you_mean(str(key), PROFILE_FIELDS)}; valid: "
                f"{', '.join(PROFILE_FIELDS)}"
            )
    if raw.get("disease") is None:
        raise InputError(
            f"{origin}: the disease is required (--disease, or 'disease' in a profile)"
        )
    disease = kb.resolve_disease(_text(raw, "disease", origin))
    age = raw.get("age")
    if age is not None and (not isinstance(age, int) or isinstance(age, bool)):
        raise InputError(f"{origin}: field age: expected a whole number of years, got {age!r}")
    if age is not None and not MIN_AGE <= age <= MAX_AGE:
        raise InputError(f"{origin}: field age: {age} is outside {MIN_AGE}-{MAX_AGE} years")
    sex = _choice(raw, "sex", SEXES, origin, None)
    if sex is not None and sex not in disease.sexes:
        raise InputError(
            f"{origin}: field sex: {disease.id} ({disease.name}) applies only to "
            f"{' or '.join(disease.sexes)} patients, got {sex!r}"
        )
    donor = _choice(raw, "donor", PROFILE_DONORS, origin, "any")
    modality = _choice(raw, "modality", (*kb.modalities, "any"), origin, "any")
    avoid = raw.get("avoid_invasive_harvest", False)
    if not isinstance(avoid, bool):
        raise InputError(
            f"{origin}: field avoid_invasive_harvest: expected true or false, got {avoid!r}"
        )
    comorbidities = _id_list(raw, "comorbidities", "comorbidity", kb.comorbidities, origin)
    needs = _id_list(raw, "needs", "need", kb.needs, origin)
    etiology = None
    if raw.get("etiology") is not None:
        etiology = _text(raw, "etiology", origin)
        valid = [e.id for e in disease.etiologies]
        if etiology not in valid:
            owner = next(
                (d.id for d in kb.diseases.values() if etiology in {e.id for e in d.etiologies}),
                None,
            )
            why = f" (it is an etiology of {owner})" if owner else did_you_mean(etiology, valid)
            raise InputError(
                f"{origin}: field etiology: {etiology!r} is not an etiology of "
                f"{disease.id}{why}; valid: {', '.join(valid)}"
            )
    return Profile(
        disease=disease.id,
        age=age,
        sex=sex,
        donor=donor,
        modality=modality,
        avoid_invasive_harvest=avoid,
        comorbidities=comorbidities,
        etiology=etiology,
        needs=needs,
    )


def _text(raw: Mapping[str, Any], key: str, origin: str) -> str:
    value = raw[key]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"{origin}: field {key}: expected a non-empty string, got {value!r}")
    return value.strip()


def _choice(
    raw: Mapping[str, Any], key: str, choices: tuple[str, ...], origin: str, default: str | None
) -> Any:
    if raw.get(key) is None:
        return default
    value = _text(raw, key, origin).lower()
    if value not in choices:
        raise unknown_value(f"{key} in {origin}", value, choices)
    return value


def _id_list(
    raw: Mapping[str, Any], key: str, what: str, known: Mapping[str, Any], origin: str
) -> tuple[str, ...]:
    values = raw.get(key) or []
    if isinstance(values, str) or not isinstance(values, list):
        raise InputError(f"{origin}: field {key}: expected a list of {what} ids, got {values!r}")
    for value in values:
        if not isinstance(value, str):
            raise InputError(f"{origin}: field {key}: expected {what} ids, got {value!r}")
        if value not in known:
            raise unknown_value(f"{what} in {origin}", value, known)
    return tuple(sorted(set(values)))
