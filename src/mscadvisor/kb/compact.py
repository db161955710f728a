"""Records as compact plain data for the compiled cache: a record becomes a list of its class
name and field values, in field order, so loading the cache builds records without parsing TOML
or running pydantic.

Most field values are plain (strings, numbers, tuples of them) and are kept as they are;
rebuilding visits only the fields that hold records (``HOLDING_RECORDS``) rather than testing
each of the values for a record.

Equal records recur: a fifth of the records are citations given again elsewhere, and two
thirds of the nodes of the rules' condition trees recur. ``shared`` makes them one object
before the cache is written, which ``marshal`` then writes once and loads as one, and rebuilding
with a memo makes one record of each.
"""

from __future__ import annotations

from typing import Any

from mscadvisor.kb.conditions import All, AnyOf, Compare, Not
from mscadvisor.kb.records import (
    RECORD_KINDS,
    Case,
    Caveat,
    Citation,
    Disease,
    Erratum,
    Etiology,
    EvidenceQuery,
    Expectation,
    Modality,
    Preconditioning,
    RegistryNames,
    Route,
    Rule,
    Table4Item,
    Tissue,
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


def shared(data: Any, seen: dict[str, Any]) -> Any:
    """``to_compact`` data with its equal records made one object: the first of them in
    ``seen``, by their text (records are plain data, and equal plain data has equal text)."""
    if type(data) is tuple:
        return tuple(shared(v, seen) for v in data)
    if type(data) is not list:
        return data
    _, slots = _DECODING[data[0]]
    values = list(data)
    for n in slots:
        values[n + 1] = shared(values[n + 1], seen)
    return seen.setdefault(repr(values), values)


def from_compact(data: Any, made: dict[int, Any]) -> Any:
    """Rebuild what ``to_compact`` made, without validation: only for data this program wrote
    itself from validated records (the compiled cache). ``made``: the records rebuilt so far,
    by the data they were made from, which outlives it: one record of each object."""
    if type(data) is tuple:
        return tuple([from_compact(v, made) for v in data])
    if type(data) is not list:
        return data
    record = made.get(id(data))
    if record is None:
        cls, slots = _DECODING[data[0]]
        values = data[1:]
        for n in slots:
            values[n] = from_compact(values[n], made)
        record = made[id(data)] = cls.from_values(values)
    return record


def from_compact_items(items: list[tuple[Any, str]], made: dict[int, Any]) -> list[tuple[Any, str]]:
    """``from_compact`` of each record of a kind, with its file."""
    return [(from_compact(record, made), file) for record, file in items]


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

# The fields of each record type that hold records (one, an optional one, or a tuple of them);
# the others hold plain data. A test checks this against the types' annotations.
HOLDING_RECORDS: dict[type[Record], tuple[str, ...]] = {
    Disease: ("etiologies", "caveats", "citations", "registry"),
    Etiology: ("citations",),
    Caveat: ("citations",),
    Tissue: ("advantages", "disadvantages"),
    Modality: ("tradeoffs",),
    Tradeoff: ("citations",),
    Route: ("citations",),
    Preconditioning: ("citations",),
    Erratum: ("citations",),
    Rule: ("citations", "evidence"),
    Case: ("expect",),
    All: ("children",),
    AnyOf: ("children",),
    Not: ("child",),
}
# By class name, as a compact record starts: its class and the positions of its fields that
# hold records.
_DECODING = {
    name: (cls, tuple(cls._fields.index(field) for field in HOLDING_RECORDS.get(cls, ())))
    for name, cls in _RECORD_CLASSES.items()
}

# The field names of every record type, in order, and those that hold records: the compiled
# cache stores records by position.
RECORD_LAYOUT = ";".join(
    f"{name}:{','.join(cls._fields)}:{','.join(HOLDING_RECORDS.get(cls, ()))}"
    for name, cls in sorted(_RECORD_CLASSES.items())
)
