"""Warnings about a valid profile that the review cannot fully use."""

from __future__ import annotations

from functools import lru_cache

from mscadvisor.engine import citations
from mscadvisor.engine.profile import POF_AGE_LIMIT, Profile
from mscadvisor.engine.result import Notice
from mscadvisor.kb.conditions import compared_values
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import Citation


def profile_notices(profile: Profile, kb: KnowledgeBase) -> tuple[Notice, ...]:
    """Warnings about a valid profile that the review cannot fully use."""
    notices: list[Notice] = []
    disease = kb.diseases[profile.disease]
    for need_id in profile.needs:
        need = kb.needs[need_id]
        if need.diseases and profile.disease not in need.diseases:
            notices.append(
                Notice(
                    "need-not-applicable",
                    f"The need {need_id!r} has no meaning for {disease.id} ({disease.name}) in the "
                    f"review (it applies to {', '.join(need.diseases)}); it changes no score.",
                )
            )
    if profile.disease == "POF" and profile.age is not None and profile.age >= POF_AGE_LIMIT:
        notices.append(
            Notice(
                "age-outside-definition",
                f"POF is defined as ovarian decline before {POF_AGE_LIMIT}; age {profile.age} is "
                "outside that definition, so the evidence may not apply.",
                (citations.view(kb, Citation(section="msc-pof")),),
            )
        )
    used = used_profile_values(kb)
    for field, values in (
        ("profile.comorbidities", profile.comorbidities),
        ("profile.needs", profile.needs),
    ):
        for value in values:
            if (field, value) not in used:
                notices.append(
                    Notice(
                        "value-unused",
                        f"No rule in the knowledge base looks at {value!r} "
                        f"({field.removeprefix('profile.')}); it changes no score.",
                    )
                )
    return tuple(notices)


@lru_cache(maxsize=8)
def used_profile_values(kb: KnowledgeBase) -> frozenset[tuple[str, str]]:
    """(field, value) pairs that some rule's condition compares a profile against."""
    return frozenset(
        {pair for parsed in kb.rules.values() for pair in compared_values(parsed.when)}
    )
