"""Knowledge made when it is first read.

The compiled cache holds records that no scoring reads: the rule test cases and the errata, more
than a third of the knowledge base's records. A run that recommends never reads them, so on a
cache hit they stay undecoded until a command (``rules test``, ``errata``) asks for them.
Likewise the knowledge hash of records read from the rule files without the cache: it is
computed when an output first reports it (JSON, Markdown, the full tables), and not for the
answer at a glance. (The cache keeps the hash it was written with.)
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any, Generic, TypeVar

K = TypeVar("K")
V = TypeVar("V")


class Deferred(Mapping[K, V]):
    """The mapping ``make()`` returns, made on first use and kept."""

    __slots__ = ("_made", "_make")

    def __init__(self, make: Callable[[], Mapping[K, V]]) -> None:
        self._make = make
        self._made: Mapping[K, V] | None = None

    def _mapping(self) -> Mapping[K, V]:
        made = self._made
        if made is None:
            made = self._made = self._make()
        return made

    def __getitem__(self, key: K) -> V:
        return self._mapping()[key]

    def __iter__(self) -> Iterator[K]:
        return iter(self._mapping())

    def __len__(self) -> int:
        return len(self._mapping())


class Once(Generic[V]):
    """The value ``make()`` returns, made when first asked for and kept. It pickles as that
    value, so a copy (sent to a worker process) neither carries what made it nor makes it
    again."""

    __slots__ = ("_make", "_value")
    _make: Callable[[], V] | None
    _value: V  # set once made

    def __init__(self, make: Callable[[], V]) -> None:
        self._make = make

    @staticmethod
    def of(value: V) -> Once[V]:
        """A Once already made: ``value``."""
        return _once_made(value)

    def get(self) -> V:
        make = self._make
        if make is not None:
            self._value = make()
            self._make = None  # and what it held, with it
        return self._value

    def __reduce__(self) -> tuple[Any, ...]:
        return (_once_made, (self.get(),))

    # Compared and shown by value, as the value itself would be in a record that holds it.
    def __eq__(self, other: object) -> bool:
        return isinstance(other, Once) and self.get() == other.get()

    __hash__ = None  # type: ignore[assignment]  # as mutable values are: not by identity

    def __repr__(self) -> str:
        return repr(self.get())


def _once_made(value: V) -> Once[V]:
    once: Once[V] = Once.__new__(Once)
    once._make = None
    once._value = value
    return once
