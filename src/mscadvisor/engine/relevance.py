"""What of a profile a set of rule conditions can tell apart.

A condition is a tree of comparisons, each on one field. Two values of a field that every
comparison on that field judges alike (true, false or unknown) make every condition come out
alike, so two profiles whose values are judged alike fire the same rules. ``Relevance.key``
maps a profile to those judgements: a small key, bounded by the rules rather than by the
profiles, under which everything the rules decide can be memoized.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from mscadvisor.kb.conditions import Compare, Node, leaves, verdict

# Judgements kept per field; only set fields (any subset of their catalog) can approach it.
_MEMO_LIMIT = 4096


class _Field:
    """One profile field that some comparison reads, with its values' judgements so far."""

    __slots__ = ("compares", "condition_field", "is_set", "judged", "name")

    def __init__(self, name: str, condition_field: str, is_set: bool, compares: list[Compare]):
        self.name = name
        self.condition_field = condition_field
        self.is_set = is_set
        self.compares = tuple(compares)
        self.judged: dict[Any, tuple[bool | None, ...]] = {}

    def judge(self, value: Any) -> tuple[bool | None, ...]:
        context = {self.condition_field: frozenset(value) if self.is_set else value}
        judged = tuple(verdict(leaf, context) for leaf in self.compares)
        if len(self.judged) >= _MEMO_LIMIT:
            self.judged.clear()
        self.judged[value] = judged
        return judged


class Relevance:
    """The judgements of a profile's values by the comparisons of some conditions."""

    def __init__(self, conditions: Iterable[Node], fields: Iterable[tuple[str, str, bool]]):
        """``fields``: (condition field, profile field, whether it is a set) of every profile
        field; the ones no comparison reads are left out of the key."""
        compared: dict[str, list[Compare]] = {}
        for condition in conditions:
            for leaf in leaves(condition):
                compared.setdefault(leaf.field, []).append(leaf)
        self._fields = tuple(
            _Field(name, condition_field, is_set, compared[condition_field])
            for condition_field, name, is_set in fields
            if condition_field in compared
        )

    def key(self, values: Mapping[str, Any]) -> tuple[tuple[bool | None, ...], ...]:
        """The judgements of the profile's values (``values``: by profile field name)."""
        judged = []
        for field in self._fields:
            value = values[field.name]
            found = field.judged.get(value)
            judged.append(field.judge(value) if found is None else found)
        return tuple(judged)
