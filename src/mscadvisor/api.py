"""The public Python API: the same code path as the command line, for notebooks and pipelines.

    >>> from mscadvisor import load_knowledge_base, make_profile, recommend
    >>> kb = load_knowledge_base()
    >>> result = recommend(make_profile(kb, disease="OP", modality="cells"), kb)
    >>> result.ranked["source"][0].id
    'DP-cells'

The scorer is a pure function of (knowledge base, profile): the same inputs give the same result.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

from mscadvisor.engine import defaults
from mscadvisor.engine.profile import Profile, build_profile
from mscadvisor.engine.result import Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.errors import InputError
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.opening import KnowledgeSource


def load_knowledge_base(
    packs: Sequence[str | Path] | str | Path = (), weights: str | Path | None = None
) -> KnowledgeBase:
    """The shipped knowledge base, with rule packs on top (a folder, or a list of them) and
    weights applied if given."""
    if isinstance(packs, str | Path):
        packs = [packs]
    return KnowledgeSource(
        tuple(_path(p, "packs") for p in packs),
        None if weights is None else _path(weights, "weights"),
    ).open()


def _path(value: object, argument: str) -> Path:
    if not isinstance(value, str | Path):
        raise InputError(f"{argument}: expected a path, got {type(value).__name__} {value!r}")
    return Path(value)


def make_profile(kb: KnowledgeBase, **fields: Any) -> Profile:
    """A validated profile from the fields of a profile file (disease, age, sex, donor, ...)."""
    return build_profile(fields, kb, "profile")


def recommend(
    profile: Profile | Mapping[str, Any],
    kb: KnowledgeBase,
    *,
    regimens: int = defaults.REGIMENS,
    source: str | None = None,
) -> Recommendation:
    """Score every candidate for the profile (a Profile, or a mapping of profile fields);
    routes and preconditioning are judged for ``source`` (default: the top source)."""
    if not isinstance(kb, KnowledgeBase):
        raise InputError(
            f"kb: expected a KnowledgeBase (load_knowledge_base()), got {type(kb).__name__}"
        )
    if type(regimens) is not int or regimens < 0:
        raise InputError(f"regimens: expected a whole number of 0 or more, got {regimens!r}")
    if not isinstance(profile, Profile):
        if not isinstance(profile, Mapping):
            raise InputError(
                "profile: expected a Profile or a mapping of profile fields such as "
                f"{{'disease': 'OP'}}, got {type(profile).__name__} {profile!r:.60}"
            )
        profile = build_profile(profile, kb, "profile")
    return score(kb, profile, regimens, source)


def recommend_many(
    profiles: Iterable[Profile | Mapping[str, Any]],
    kb: KnowledgeBase,
    *,
    regimens: int = defaults.REGIMENS,
) -> Iterable[Recommendation]:
    """Score a stream of profiles lazily, in order."""
    if isinstance(profiles, str | bytes | Mapping):
        raise InputError(
            "profiles: expected several profiles (a list or another iterable of them), got "
            f"{type(profiles).__name__}; recommend() scores one"
        )
    return (recommend(p, kb, regimens=regimens) for p in profiles)
