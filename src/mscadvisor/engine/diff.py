"""How and why recommendations change between two knowledge states.

Each profile is scored on both; every candidate whose place, score or certainty differs is
listed with the knowledge edits behind it: those of the rules and records that contributed to
its score on either side (the rules that fired, excluded it or gave its caveats, the studies and
trials they counted or it was judged on, the weights of those rules or their groups, and its
own tissue, modality, route or strategy record). A candidate that moved with no such edit moved
because others did. ``to_dict`` gives the JSON whose shape ``schemas/diff.schema.json``
publishes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mscadvisor import __version__
from mscadvisor.engine.profile import Profile, build_profile
from mscadvisor.engine.result import (
    DISCLAIMER,
    SCHEMA_VERSION,
    Recommendation,
    ScoredCandidate,
)
from mscadvisor.engine.scoring import score
from mscadvisor.errors import InputError
from mscadvisor.kb.edits import Edit
from mscadvisor.kb.fingerprint import knowledge_sha256
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.opening import KnowledgeSource
from mscadvisor.kb.records import CATEGORIES


@dataclass(frozen=True, slots=True)
class Standing:
    """Where a candidate stands in one result: its place as people read it (tied candidates
    share the first one's), or the rule that excluded it, or neither when it is no candidate."""

    place: int | None = None
    tied: bool = False
    score: int | None = None
    certainty: str | None = None
    excluded_by: str | None = None

    def text(self) -> str:
        if self.place is not None:
            return f"{'=' if self.tied else ''}{self.place} {self.score:+d}"
        return f"excluded ({self.excluded_by})" if self.excluded_by else "-"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.place,
            "tied": self.tied,
            "score": self.score,
            "certainty": self.certainty,
            "excluded_by": self.excluded_by,
        }


@dataclass(frozen=True, slots=True)
class CandidateChange:
    category: str
    id: str
    old: Standing
    new: Standing
    because: tuple[str, ...]  # keys of the edits behind the change, in the edits' order

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "id": self.id,
            "old": self.old.to_dict(),
            "new": self.new.to_dict(),
            "because": list(self.because),
        }


@dataclass(frozen=True, slots=True)
class FirstChange:
    """A category whose first-ranked candidate changed, and the edits behind either one."""

    category: str
    old: str | None
    new: str | None
    because: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "old": self.old,
            "new": self.new,
            "because": list(self.because),
        }


@dataclass(frozen=True, slots=True)
class ProfileDiff:
    origin: str  # where the profile came from: "default profile", "command line", "line 3"
    old: Recommendation
    new: Recommendation
    changes: tuple[CandidateChange, ...]
    firsts: tuple[FirstChange, ...]

    @property
    def judged_for(self) -> tuple[str | None, str | None]:
        return self.old.judged_for, self.new.judged_for

    def headline(self, edits: Mapping[str, Edit]) -> str:
        """The answer first: 'POF: first source changed from X to Y because E1 / E2'."""
        name = self.new.disease
        if not self.changes:
            return f"{name}: no change"
        parts = []
        source_edits: set[str] = set()
        for first in self.firsts:
            moved = f"first {_singular(first.category)} changed from {first.old} to {first.new}"
            own = [edits[key].text() for key in first.because if key not in source_edits]
            if first.category == "source":
                source_edits = set(first.because)
            elif self.old.judged_for != self.new.judged_for:
                moved += f" (judged for {self.new.judged_for} now)"
            parts.append(moved + (f" because {' / '.join(own)}" if own else ""))
        if not parts:
            top = self.new.ranked["source"]
            parts.append(f"first source still {top[0].id if top else 'none'}")
            biggest = self._biggest_change()
            if biggest is not None:
                because = " / ".join(edits[key].text() for key in biggest.because)
                parts.append(
                    f"{biggest.id} {biggest.old.text()} -> {biggest.new.text()} because {because}"
                )
            parts.append(f"{len(self.changes)} rank or score change(s)")
        return f"{name}: " + "; ".join(parts)

    def _biggest_change(self) -> CandidateChange | None:
        """The change with an edit behind it that moved a score most (sources first)."""
        explained = [c for c in self.changes if c.because]
        return max(
            explained,
            key=lambda c: (c.category == "source", abs((c.new.score or 0) - (c.old.score or 0))),
            default=None,
        )

    def to_dict(self, edits: Mapping[str, Edit]) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "disease": self.new.disease,
            "profile": self.new.profile.to_dict(),
            "headline": self.headline(edits),
            "changed": bool(self.changes),
            "routes_and_preconditioning_for": {
                "old": self.old.judged_for,
                "new": self.new.judged_for,
            },
            "firsts": [f.to_dict() for f in self.firsts],
            "changes": [c.to_dict() for c in self.changes],
        }


@dataclass(frozen=True, slots=True)
class KnowledgeDiff:
    old: KnowledgeBase
    new: KnowledgeBase
    edits: tuple[Edit, ...]
    profiles: tuple[ProfileDiff, ...]

    @property
    def changed(self) -> bool:
        """Whether any profile's recommendation changed (what --exit-code reports)."""
        return any(p.changes for p in self.profiles)

    @property
    def by_key(self) -> dict[str, Edit]:
        return {e.key: e for e in self.edits}

    def to_dict(self) -> dict[str, Any]:
        edits = self.by_key
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": {"name": "mscadvisor", "version": __version__},
            "disclaimer": DISCLAIMER,
            "old": _state(self.old),
            "new": _state(self.new),
            "changed": self.changed,
            "edits": [e.to_dict() for e in self.edits],
            "profiles": [p.to_dict(edits) for p in self.profiles],
        }


# A profile to compare: where it came from, and the profile as each side reads it.
Compared = tuple[str, Profile, Profile]


def compare(
    old: KnowledgeBase,
    new: KnowledgeBase,
    edits: tuple[Edit, ...],
    profiles: Iterable[Compared],
    source: str | None = None,
) -> KnowledgeDiff:
    """Score each profile on both knowledge bases and explain the changes."""
    compared = []
    for origin, old_profile, new_profile in profiles:
        before = score(old, old_profile, source=source)
        after = score(new, new_profile, source=source)
        compared.append(_profile_diff(origin, (old, before), (new, after), edits))
    return KnowledgeDiff(old, new, edits, tuple(compared))


def default_profiles(old: KnowledgeBase, new: KnowledgeBase) -> list[Compared]:
    """The default profile (the disease alone) of every disease both knowledge bases hold."""
    return [
        ("default profile", *sides({"disease": d}, old, new, "default profile"))
        for d in new.diseases
        if d in old.diseases
    ]


def sides(
    fields: Mapping[str, Any], old: KnowledgeBase, new: KnowledgeBase, where: str
) -> tuple[Profile, Profile]:
    """The profile as each side reads it. An InputError names a side only when the other side
    takes the profile (the knowledge differs there); one that both refuse is the profile's own."""
    made: list[Profile] = []
    refused: list[tuple[str, str]] = []
    for side, kb in (("old", old), ("new", new)):
        try:
            made.append(build_profile(fields, kb, where))
        except InputError as exc:
            refused.append((side, str(exc)))
    if not refused:
        return made[0], made[1]
    side, message = refused[0]
    named = where if len(refused) == 2 else f"{where} ({side} knowledge)"
    raise InputError(
        named + message.removeprefix(where) if message.startswith(where) else f"{named}: {message}"
    )


Side = tuple[KnowledgeBase, Recommendation]


def _profile_diff(origin: str, old: Side, new: Side, edits: Sequence[Edit]) -> ProfileDiff:
    """Routes and strategies are judged for a source; when each side judges them for another
    one, the edits that changed the source change them too."""
    changes = []
    firsts: list[FirstChange] = []
    for category in CATEGORIES:
        inherited: tuple[str, ...] = ()
        if category != "source" and old[1].judged_for != new[1].judged_for:
            inherited = next((f.because for f in firsts if f.category == "source"), ())
        ids = dict.fromkeys(
            [c.id for _, r in (old, new) for c in r.ranked[category]]
            + [e.id for _, r in (old, new) for e in r.excluded if e.category == category]
        )
        for ident in ids:
            before, after = _standing(old[1], category, ident), _standing(new[1], category, ident)
            if before != after:
                because = _merged(edits, _because(edits, (old, new), category, ident), inherited)
                changes.append(CandidateChange(category, ident, before, after, because))
        tops = [r.ranked[category][0].id if r.ranked[category] else None for _, r in (old, new)]
        if tops[0] != tops[1]:
            keys = {
                key
                for ident in tops
                if ident is not None
                for key in _because(edits, (old, new), category, ident)
            }
            because = _merged(edits, tuple(keys), inherited)
            firsts.append(FirstChange(category, tops[0], tops[1], because))
    return ProfileDiff(origin, old[1], new[1], tuple(changes), tuple(firsts))


def _merged(edits: Sequence[Edit], *keys: tuple[str, ...]) -> tuple[str, ...]:
    """The edit keys of any of ``keys``, in the edits' order."""
    wanted = {key for group in keys for key in group}
    return tuple(e.key for e in edits if e.key in wanted)


def _standing(result: Recommendation, category: str, ident: str) -> Standing:
    ranked = result.ranked[category]
    row = next((c for c in ranked if c.id == ident), None)
    if row is None:
        rule = next(
            (e.rule for e in result.excluded if e.category == category and e.id == ident), None
        )
        return Standing(excluded_by=rule)
    first = next(x for x in ranked if x.id == row.id or x.id in row.tied_with)
    return Standing(first.rank, bool(row.tied_with), row.score, row.certainty)


def _because(
    edits: Sequence[Edit], sides: Iterable[Side], category: str, ident: str
) -> tuple[str, ...]:
    """The edits of what made the candidate's standing on either side."""
    touched: set[str] = set()
    for kb, result in sides:
        touched |= _touched(kb, result, category, ident)
    return tuple(e.key for e in edits if e.key in touched)


def _touched(kb: KnowledgeBase, result: Recommendation, category: str, ident: str) -> set[str]:
    """The edit keys that could have moved this candidate in this result."""
    row: ScoredCandidate | None = next((c for c in result.ranked[category] if c.id == ident), None)
    rules = {e.rule for e in result.excluded if e.category == category and e.id == ident}
    records: set[str] = set()
    own = {f"{category}:{ident}"}
    if row is not None:
        rules |= {c.rule for c in row.contributions} | set(row.caveat_rules)
        records |= {r for c in row.contributions for r in c.records}
        records |= {e.record for e in row.evidence}
        if row.tissue is not None:
            own |= {f"tissue:{row.tissue}", f"modality:{row.modality}"}
    groups = {kb.rules[r].rule.group for r in rules if r in kb.rules}
    return (
        own
        | {f"rule:{r}" for r in rules}
        | {f"weight:rule:{r}" for r in rules}
        | {f"weight:group:{g}" for g in groups}
        | {f"{kind}:{r}" for r in records for kind in ("study", "trial")}
    )


def _state(kb: KnowledgeBase) -> dict[str, Any]:
    base = KnowledgeSource.of(kb).base
    return {
        **kb.identity(),
        "base": None if base is None else str(base),
        "knowledge_sha256": knowledge_sha256(kb),
    }


def _singular(category: str) -> str:
    return {"source": "source", "route": "route", "preconditioning": "strategy"}[category]
