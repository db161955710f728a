"""Records as compact plain data for the compiled cache: a record becomes a list of its class
name and field values, in field order, so loading the cache builds records without parsing TOML
or running pydantic.

Most field values are plain (strings, numbers, tuples of them) and are kept as they are. A
record type's ``Shapes`` entry names the fields that hold records, directly or in a tuple, so
that rebuilding visits those alone rather than testing each of the values for a record.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from mscadvisor.kb.conditions import All, AnyOf, Compare, Not
from mscadvisor.kb.records import (
    RECORD_KINDS,
    Caveat,
    Citation,
    Etiology,
    EvidenceQuery,
    Expectation,
    RegistryNames,
    Table4Item,
    Tradeoff,
    to_plain,
)
from mscadvisor.record import Record, fields_of


def to_compact(value: Any) -> Any:
    """A record as compact plain data for the compiled cache: a record becomes a list of its
    class name and field values, a tuple stays a tuple, free-form dicts (rule conditions) are
    kept as plain data."""
    if isinstance(value, Record):
        return [type(value).__name__, *(to_compact(v) for v in fields_of(value).values())]
    if isinstance(value, tuple):
        return tuple(to_compact(v) for v in value)
    return to_plain(value)


# For each record type by name, the positions of the fields that hold records (see above).
Shapes = dict[str, tuple[int, ...]]


def shapes_of(records: Iterable[Any]) -> Shapes:
    """The shapes of these records in ``to_compact`` form and of every record they hold (in
    fields and tuples; never in a dict, which holds free-form plain data)."""
    shapes: dict[str, set[int]] = {}

    def walk(value: Any) -> bool:  # whether the value is or holds a record
        if type(value) is list:
            slots = shapes.setdefault(value[0], set())
            slots.update(n for n, field in enumerate(value[1:]) if walk(field))
            return True
        if type(value) is tuple:
            held = [walk(v) for v in value]  # every item walked, for the records it holds
            return any(held)
        return False

    for record in records:
        walk(record)
    return {name: tuple(sorted(slots)) for name, slots in shapes.items()}


def from_compact(data: Any, shapes: Shapes) -> Any:
    """Rebuild what ``to_compact`` made, without validation: only for data this program wrote
    itself from validated records (the compiled cache), with its ``shapes_of``."""
    if type(data) is tuple:
        return tuple([from_compact(v, shapes) for v in data])
    if type(data) is not list:
        return data
    values = data[1:]
    for n in shapes[data[0]]:
        values[n] = from_compact(values[n], shapes)
    return _RECORD_CLASSES[data[0]].from_values(values)


def from_compact_items(items: list[tuple[Any, str]], shapes: Shapes) -> list[tuple[Any, str]]:
    """``from_compact`` of each record of a kind, with its file."""
    return [(from_compact(record, shapes), file) for record, file in items]


_RECORD_CLASSES: dict[str, type[Record]] = {
    cls.__name__: cls
    for cls in (
        *RECORD_KINDS.values(),
        Citation,
        Etiology,
        Caveat,
        Table4Item,
        Tradeoff,
        EvidenceQuery,
        Expectation,
        RegistryNames,
        All,  # condition trees, kept parsed (see cache.py)
        AnyOf,
        Not,
        Compare,
    )
}

# The field names of every record type, in order: the compiled cache stores records by position.
RECORD_LAYOUT = ";".join(
    f"{name}:{','.join(cls._fields)}" for name, cls in sorted(_RECORD_CLASSES.items())
)
