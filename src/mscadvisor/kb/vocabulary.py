"""The words of the knowledge base and the profile, each declared once.

Every profile field (its type, allowed values, default, one-line doc, text spelling and
command-line flag), every field the condition language of rules can test, and the value sets
that record types and cross-reference checks use. The profile reader, the condition language,
what-if, batch input, the CLI's profile options, shell completion and the generated docs all
derive from these tables: adding a profile field means adding one ``ProfileField`` here (and,
where its values are data, a catalog file that lists them).
"""

from __future__ import annotations

import re
from typing import Any, Literal

from mscadvisor.errors import quoted
from mscadvisor.record import Record

PROFILE_DONORS = ("autologous", "allogeneic", "any")
SEXES = ("female", "male")
PRECONDITIONING_KINDS = (
    "preconditioning",
    "engineering",
    "combination",
    "biomaterial",
    "selection",
)
# Which evidence match keys make sense for which candidate category.
MATCH_KEYS_BY_CATEGORY = {
    "source": {"disease", "tissue", "modality", "etiology"},
    "route": {"disease", "route", "modality", "etiology"},
    "preconditioning": {"disease", "preconditioning", "modality", "etiology"},
    "regimen": {"disease", "tissue", "modality", "route", "preconditioning"},
}

Kind = Literal["str", "int", "bool", "set"]


class ProfileField(Record):
    """One field of a patient profile.

    ``domain`` names the set of valid values (see ``Domains``); ``per_disease`` fields take
    only the values the profile's disease allows. ``flag`` and ``flag_help`` describe the
    command-line option; a ``set`` field's flag is repeatable and names one value.
    """

    name: str
    kind: Kind
    doc: str
    flag: str
    flag_help: str
    short_flag: str = ""
    domain: str | None = None
    default: Any = None
    item: str = ""  # a set field: what one value is called in messages ("need")
    per_disease: bool = False
    low: int | None = None  # an int field: its valid range
    high: int | None = None
    unit: str = ""

    @property
    def condition_field(self) -> str:
        return f"profile.{self.name}"


PROFILE_FIELDS: tuple[ProfileField, ...] = (
    ProfileField(
        "disease",
        "str",
        "disease id or alias",
        "--disease",
        "Disease id or alias: POF, AD (Alzheimer's), AS, OP, SKIN, FRAILTY. Required unless "
        "the profile file gives it.",
        short_flag="-d",
        domain="disease",
    ),
    ProfileField(
        "age",
        "int",
        "patient age in years (may be unknown)",
        "--age",
        "Patient age in years (0-120).",
        low=0,
        high=120,
        unit="years",
    ),
    ProfileField(
        "sex",
        "str",
        "female or male (may be unknown)",
        "--sex",
        "female or male.",
        domain="sex",
        per_disease=True,
    ),
    ProfileField(
        "donor",
        "str",
        "autologous, allogeneic or any",
        "--donor",
        "Where the cells come from: autologous, allogeneic, any (default any).",
        domain="donor",
        default="any",
    ),
    ProfileField(
        "modality",
        "str",
        "cells, exosomes, any",
        "--modality",
        "cells, exosomes (cell-free) or any (default any).",
        domain="profile_modality",
        default="any",
    ),
    ProfileField(
        "avoid_invasive_harvest",
        "bool",
        "no invasive harvest",
        "--avoid-invasive-harvest",
        "The patient will not undergo a painful or invasive collection.",
        default=False,
    ),
    ProfileField(
        "comorbidities",
        "set",
        "comorbidity ids",
        "--comorbidity",
        "Repeatable: diabetes, obesity, thromboembolism, cardiovascular, immunocompromised, "
        "cancer-history.",
        domain="comorbidity",
        default=(),
        item="comorbidity",
    ),
    ProfileField(
        "etiology",
        "str",
        "etiology id (may be unknown)",
        "--etiology",
        "An etiology of the disease (see `mscadvisor diseases`).",
        domain="etiology",
        per_disease=True,
    ),
    ProfileField(
        "needs",
        "set",
        "need ids",
        "--need",
        "Repeatable: large-cell-dose, durable-effect, fertility.",
        domain="need",
        default=(),
        item="need",
    ),
)
PROFILE_FIELD_NAMES = tuple(f.name for f in PROFILE_FIELDS)
PROFILE_FIELD_BY_NAME = {f.name: f for f in PROFILE_FIELDS}
# Profile fields that rules test as profile.*; the disease is tested as disease.*.
CONDITION_PROFILE_FIELDS = tuple(f for f in PROFILE_FIELDS if f.name != "disease")


class FieldSpec(Record):
    """A field of the condition language."""

    scope: Literal["candidate", "profile"]  # "profile" covers the profile and the disease
    kind: Kind
    domain: str | None = None  # name of the set of valid values, checked against the catalog
    doc: str = ""  # what the field is, for the generated docs
    may_be_unknown: bool = False  # the profile may leave it unknown (None)


# Every field a rule condition can test.
FIELDS: dict[str, FieldSpec] = {
    **{
        f.condition_field: FieldSpec("profile", f.kind, f.domain, f.doc, f.default is None)
        for f in CONDITION_PROFILE_FIELDS
    },
    "disease.id": FieldSpec("profile", "str", "disease", "disease id"),
    "disease.systems": FieldSpec("profile", "set", "system", "organ-system tags"),
    "candidate.id": FieldSpec("candidate", "str", None, "candidate id"),
    "candidate.tissue": FieldSpec("candidate", "str", "tissue", "source tissue id"),
    "candidate.modality": FieldSpec("candidate", "str", "modality", "source modality id"),
    "candidate.perinatal": FieldSpec("candidate", "bool", None, "tissue collected at birth"),
    "candidate.kind": FieldSpec("candidate", "str", "preconditioning_kind", "strategy kind"),
    "candidate.modalities": FieldSpec("candidate", "set", "modality", "modalities tested"),
    "candidate.tissues": FieldSpec("candidate", "set", "tissue", "tissues tested"),
    "source.tissue": FieldSpec("candidate", "str", "tissue", "tissue of the source judged for"),
    "source.modality": FieldSpec("candidate", "str", "modality", "modality of that source"),
}

# Candidate fields that exist for each category.
CANDIDATE_FIELDS = {
    "source": {"candidate.id", "candidate.tissue", "candidate.modality", "candidate.perinatal"},
    "route": {"candidate.id", "source.tissue", "source.modality"},
    "preconditioning": {
        "candidate.id",
        "candidate.kind",
        "candidate.modalities",
        "candidate.tissues",
        "source.tissue",
        "source.modality",
    },
    "regimen": set(),
}

# How values are spelled in text (what-if changes, CSV cells): one set of words everywhere.
TRUE_WORDS = ("true", "yes", "1")
FALSE_WORDS = ("false", "no", "0")
UNKNOWN_WORDS = ("", "-", "none", "unknown")
MAX_INT_DIGITS = 6  # no field needs more; longer numbers are refused before int() reads them
# Patterns, compiled (and kept by ``re``) when first used: most runs read no value as text.
_LIST_SEPARATORS = "[;,]"
_WHOLE_NUMBER = "-?[0-9]+"


def parse_text(spec: ProfileField, text: str) -> Any:
    """A profile value from its text spelling; ValueError says what was expected.

    A set field takes values separated by ',' or ';'; a word of ``UNKNOWN_WORDS`` leaves an
    optional field unknown (None) and a set field empty.
    """
    text = text.strip()
    word = text.lower()
    if word in UNKNOWN_WORDS:
        return [] if spec.kind == "set" else None
    if spec.kind == "set":
        return [v.strip() for v in re.split(_LIST_SEPARATORS, text) if v.strip()]
    if spec.kind == "bool":
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise ValueError(
            f"field {spec.name}: expected true, yes or 1, or false, no or 0, got {quoted(text)}"
        )
    if spec.kind == "int":
        if len(text) > MAX_INT_DIGITS or not re.fullmatch(_WHOLE_NUMBER, text):
            raise ValueError(
                f"field {spec.name}: expected a whole number of {spec.unit}, got {quoted(text)}"
            )
        return int(text)
    return text


def value_domains(catalog: Any) -> dict[str, tuple[str, ...]]:
    """Valid values of each domain, in catalog order, from a knowledge base (or its catalog
    while it is built)."""
    from mscadvisor.kb.records import SYSTEMS  # here: the CLI reads this module at start-up

    return {
        "sex": SEXES,
        "donor": PROFILE_DONORS,
        "profile_modality": (*catalog.modalities, "any"),
        "comorbidity": tuple(catalog.comorbidities),
        "etiology": tuple(e.id for d in catalog.diseases.values() for e in d.etiologies),
        "need": tuple(catalog.needs),
        "disease": tuple(catalog.diseases),
        "system": SYSTEMS,
        "tissue": tuple(catalog.tissues),
        "modality": tuple(catalog.modalities),
        "preconditioning_kind": PRECONDITIONING_KINDS,
    }


def disease_values(spec: ProfileField, disease: Any) -> tuple[str, ...]:
    """The values a per-disease field takes for this disease."""
    if spec.domain == "sex":
        return tuple(disease.sexes)
    return tuple(e.id for e in disease.etiologies)
