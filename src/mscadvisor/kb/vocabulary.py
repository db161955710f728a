"""The words of the knowledge base and the profile: which values each field takes.

Record types, cross-reference checks, the condition language and the profile readers all take
their allowed values from here, so that a field or a value is declared once.
"""

from __future__ import annotations

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

# Candidate fields that exist for each category.
CANDIDATE_FIELDS = {
    "source": {"candidate.id", "candidate.tissue", "candidate.modality", "candidate.perinatal"},
    "route": {"candidate.id"},
    "preconditioning": {
        "candidate.id",
        "candidate.kind",
        "candidate.modalities",
        "candidate.tissues",
    },
    "regimen": set(),
}
