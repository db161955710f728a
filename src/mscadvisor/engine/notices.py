"""Warnings: about a valid profile that the review cannot fully use, and about a ranking
that the evidence and the ranking rule pull different ways."""

from __future__ import annotations

from functools import lru_cache

from mscadvisor.engine import citations
from mscadvisor.engine.evidence import GRADE_WORDS, GRADES
from mscadvisor.engine.profile import POF_AGE_LIMIT, Profile
from mscadvisor.engine.result import Notice, ScoredCandidate
from mscadvisor.kb.conditions import compared_values
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import GENERAL_LEVEL, Citation


def profile_notices(profile: Profile, kb: KnowledgeBase) -> tuple[Notice, ...]:
    """Warnings about a valid profile that the review cannot fully use. Each kind depends on
    one or two fields with small domains, so each is made once per value and shared."""
    return (
        _inapplicable_needs(kb, profile.disease, profile.needs)
        + _age_outside_definition(kb, profile.disease, profile.age)
        + _unused_values(kb, profile.comorbidities, profile.needs)
    )


@lru_cache(maxsize=1024)
def _inapplicable_needs(
    kb: KnowledgeBase, disease_id: str, needs: tuple[str, ...]
) -> tuple[Notice, ...]:
    disease = kb.diseases[disease_id]
    return tuple(
        Notice(
            "need-not-applicable",
            f"The need {need_id!r} has no meaning for {disease.id} ({disease.name}) in the "
            f"review (it applies to {', '.join(need.diseases)}); it changes no score.",
        )
        for need_id in needs
        if (need := kb.needs[need_id]).diseases and disease_id not in need.diseases
    )


@lru_cache(maxsize=1024)
def _age_outside_definition(
    kb: KnowledgeBase, disease_id: str, age: int | None
) -> tuple[Notice, ...]:
    if disease_id != "POF" or age is None or age < POF_AGE_LIMIT:
        return ()
    return (
        Notice(
            "age-outside-definition",
            f"POF is defined as ovarian decline before {POF_AGE_LIMIT}; age {age} is "
            "outside that definition, so the evidence may not apply.",
            (citations.view(kb, Citation(section="msc-pof")),),
        ),
    )


@lru_cache(maxsize=1024)
def _unused_values(
    kb: KnowledgeBase, comorbidities: tuple[str, ...], needs: tuple[str, ...]
) -> tuple[Notice, ...]:
    used = used_profile_values(kb)
    return tuple(
        Notice(
            "value-unused",
            f"No rule in the knowledge base looks at {value!r} "
            f"({field.removeprefix('profile.')}); it changes no score.",
        )
        for field, values in (
            ("profile.comorbidities", comorbidities),
            ("profile.needs", needs),
        )
        for value in values
        if (field, value) not in used
    )


@lru_cache(maxsize=8)
def used_profile_values(kb: KnowledgeBase) -> frozenset[tuple[str, str]]:
    """(field, value) pairs that some rule's condition compares a profile against."""
    return frozenset(
        {pair for parsed in kb.rules.values() for pair in compared_values(parsed.when)}
    )


def conflict_notices(sources: tuple[ScoredCandidate, ...]) -> tuple[Notice, ...]:
    """A conflict, stated, when a source ranked below the first has stronger direct evidence
    of efficacy than the first (for example clinical against animal only): the ranking rule
    decided between them, and the reader should see both sides."""
    if not sources:
        return ()
    top = sources[0]
    if not top.has_evidence:
        return (
            Notice(
                "no-evidence",
                "No source has evidence for this disease and modality in the review: the order "
                "rests only on general traits and expert synthesis, and ties break by "
                "certainty (from indirect evidence) and id.",
            ),
        )
    top_grade = _best_direct_grade(top)
    for other in sources[1:]:
        grade = _best_direct_grade(other)
        if grade is None or (top_grade is not None and grade >= top_grade):
            continue
        use = next(u for u in other.evidence if u.direct and u.role == "supports")
        top_basis = (
            f"its best direct evidence: {GRADE_WORDS[GRADES[top_grade]]}"
            if top_grade is not None
            else "it has no direct evidence"
        )
        synthesis = [c.rule for c in top.contributions if c.level == GENERAL_LEVEL and c.points > 0]
        return (
            Notice(
                "conflict",
                f"{top.id} ranks first ({top.score:+d}; {top_basis}"
                + (f"; expert synthesis {', '.join(synthesis)}" if synthesis else "")
                + f"), but {other.id} ({other.score:+d}) has stronger direct evidence: "
                f"{GRADE_WORDS[use.grade]} ({use.citation.label}"
                + (f", n={use.size}" if use.size else "")
                + f"), certainty {other.certainty.replace('-', ' ')}. "
                "Ranked by score, then certainty.",
                (top.contributions[0].citations[:1] if top.contributions else ()) + (use.citation,),
            ),
        )
    return ()


def _best_direct_grade(candidate: ScoredCandidate) -> int | None:
    grades = [
        GRADES.index(u.grade) for u in candidate.evidence if u.direct and u.role == "supports"
    ]
    return min(grades) if grades else None
