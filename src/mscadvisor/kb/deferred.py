"""A mapping made when it is first read.

The compiled cache holds records that no scoring reads: the rule test cases and the errata, more
than a third of the knowledge base's records. A run that recommends never reads them, so on a
cache hit they stay undecoded until a command (``rules test``, ``errata``) asks for them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import TypeVar

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
