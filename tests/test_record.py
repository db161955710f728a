"""Record, the cheap frozen dataclass: it must behave as a frozen dataclass does, whichever way
it is built."""

from __future__ import annotations

import dataclasses
import pickle
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscadvisor.record import Record, fields_of, replace


class Point(Record):
    x: int
    label: str = "p"
    tags: tuple[str, ...] = ()


@dataclasses.dataclass(frozen=True)
class Twin:
    """The stdlib dataclass Point stands for, as the reference."""

    x: int
    label: str = "p"
    tags: tuple[str, ...] = ()


values = st.tuples(st.integers(), st.text(max_size=3), st.lists(st.text(max_size=2)).map(tuple))


@given(values, st.integers(0, 3), st.randoms())
def test_any_way_of_building_gives_the_same_record(
    fields: tuple[Any, ...], positional: int, random: Any
) -> None:
    names = list(fields_of(Point(*fields)))
    keywords = dict(zip(names[positional:], fields[positional:], strict=True))
    shuffled = dict(random.sample(sorted(keywords.items()), len(keywords)))
    built = Point(*fields[:positional], **shuffled)
    reference = Twin(*fields)
    assert built == Point(*fields) == Point.from_values(fields)
    assert hash(built) == hash(Point(*fields))
    assert fields_of(built) == dataclasses.asdict(reference)
    assert repr(built) == repr(reference).replace("Twin", "Point")
    assert pickle.loads(pickle.dumps(built)) == built
    changed = Point(fields[0], "q", fields[2])
    assert replace(built, label="q") == changed
    # The hash is kept once computed: a copy, pickled or replaced, must not carry the old one.
    assert hash(pickle.loads(pickle.dumps(built))) == hash(built)
    assert hash(replace(built, label="q")) == hash(changed)


def test_defaults_and_refusals() -> None:
    assert Point(1) == Point(1, "p", ())
    assert Point(1) != Twin(1) and Point(1) != Point(2)
    for build in (Point, lambda: Point(1, x=2), lambda: Point(1, "a", (), 4)):
        with pytest.raises(TypeError):
            build()
    with pytest.raises(TypeError, match="no field"):
        replace(Point(1), colour="red")
    for count in (2, 4):  # a damaged compiled cache: the wrong count of values for a record
        with pytest.raises(ValueError, match=f"Point: {count} values for 3 fields"):
            Point.from_values((1, "p", (), "extra")[:count])


def test_frozen() -> None:
    point = Point(1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        point.x = 2  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        del point.x
