"""Records as compact plain data for the compiled cache: a record becomes a list of its class
name and field values, in field order, so loading the cache builds records without parsing TOML
or running pydantic."""

from __future__ import annotations

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


def from_compact(data: Any) -> Any:
    """Rebuild what ``to_compact`` made, without validation: only for data this program wrote
    itself from validated records (the compiled cache)."""
    kind = type(data)
    if kind is list:
        return _RECORD_CLASSES[data[0]].from_values(
            [from_compact(v) if type(v) is list or type(v) is tuple else v for v in data[1:]]
        )
    if kind is tuple:
        # Plain values, most of the data, are kept without a call each: that halves the load.
        return tuple([from_compact(v) if type(v) is list or type(v) is tuple else v for v in data])
    return data


def from_compact_items(items: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """``from_compact`` of each record of a kind, with its file."""
    return [(from_compact(record), file) for record, file in items]


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
