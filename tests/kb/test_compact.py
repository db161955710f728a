"""Records as the compiled cache keeps them: rebuilt exactly, visiting only the fields that the
record types say hold records."""

from __future__ import annotations

import typing
from typing import Any

import pytest

from mscadvisor.kb import compact
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.record import Record

CLASSES = sorted(compact._RECORD_CLASSES.values(), key=lambda cls: cls.__name__)


def holds(hint: Any, kind: type) -> bool:
    """Whether a type hint is, or has among its arguments at any depth, a subclass of kind."""
    origin = typing.get_origin(hint)
    if isinstance(hint, type) and origin is None and issubclass(hint, kind):
        return True
    return origin is kind or any(holds(arg, kind) for arg in typing.get_args(hint))


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_the_fields_holding_records_are_those_the_types_say(cls: type[Record]) -> None:
    hints = typing.get_type_hints(cls)
    expected = tuple(name for name in cls._fields if holds(hints[name], Record))
    assert compact.HOLDING_RECORDS.get(cls, ()) == expected


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_no_field_holds_a_list(cls: type[Record]) -> None:
    """A record is kept as a list, so a list in a field would be read back as a record."""
    hints = typing.get_type_hints(cls)
    assert [name for name in cls._fields if holds(hints[name], list)] == []


def test_every_shipped_record_is_rebuilt_equal(kb: KnowledgeBase) -> None:
    records = [
        *kb.sections.values(),
        *kb.diseases.values(),
        *kb.tissues.values(),
        *kb.modalities.values(),
        *kb.routes.values(),
        *kb.preconditioning.values(),
        *kb.studies,
        *kb.trials.values(),
        *kb.errata.values(),
        *kb.cases.values(),
        *(r.rule for r in kb.rules.values()),
        *(tree for r in kb.rules.values() for tree in (r.applies_to, r.when)),
    ]
    assert [compact.from_compact(compact.to_compact(r), {}) for r in records] == records
