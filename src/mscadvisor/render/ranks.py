"""The rank people read: rows that tie share the rank of the first of them, shown as '=N'."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Protocol


class Ranked(Protocol):
    @property
    def id(self) -> str: ...
    @property
    def rank(self) -> int: ...
    @property
    def tied_with(self) -> tuple[str, ...]: ...


def same_place(a: Ranked, b: Ranked) -> bool:
    """Whether two rows hold the same place in the ranking."""
    return a.id == b.id or a.id in b.tied_with


def rank_label(row: Ranked, ranked: Sequence[Ranked]) -> str:
    """'N' for a row alone in its place; '=N' with the first tied row's rank otherwise."""
    if not row.tied_with:
        return str(row.rank)
    first = next(x for x in ranked if same_place(x, row))
    return f"={first.rank}"


def place(row: Ranked, ranked: Sequence[Ranked]) -> str:
    """'Rank N of M', or 'Rank =N of M (tied with ...)': the place a table shows a row in."""
    tied = f" (tied with {', '.join(row.tied_with)})" if row.tied_with else ""
    return f"Rank {rank_label(row, ranked)} of {len(ranked)}{tied}"
