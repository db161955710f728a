"""What a text answer is made of, apart from how it is drawn: lines of styled runs and grids.

A view that says what to show as blocks can be drawn by rich (``blocks_rich``: on a terminal,
in colour) or written as plain lines (``blocks_plain``: to a file or a pipe, without rich's
console). Both give the same characters; the plain writer declines what rich would lay out
otherwise, and rich draws it then.

Text here is data as it is, not rich markup: each drawer makes it printable itself.
"""

from __future__ import annotations

from mscadvisor.record import Record


class Run(Record):
    """Text in one style (a rich style such as "bold" or "dim"; "" for none)."""

    text: str
    style: str = ""


Runs = tuple[Run, ...]  # styled text: runs one after another


class Line(Record):
    """A line of runs, wrapped between words to the width, with ``style`` over all of it.
    ``cut``: kept to one screen line, ending in an ellipsis where it is longer. ``indent``: each
    wrapped part indented, by ``hang`` more after the first (not with ``cut``)."""

    runs: Runs
    style: str = ""
    cut: bool = False
    indent: int = 0
    hang: int = 0


class GridColumn(Record):
    """A column of a grid: never wrapped, its text cut with an ellipsis where it is longer.
    ``width`` fixes its width; the one ``rest`` column (without a width) takes the width the
    others leave."""

    header: str
    right: bool = False
    width: int | None = None
    rest: bool = False


class Grid(Record):
    """A table without borders as wide as the screen, a space either side of each cell (not
    at the edges): a title above it and a caption below, both left-aligned."""

    title: str
    columns: tuple[GridColumn, ...]
    rows: tuple[tuple[Runs, ...], ...]  # each row a cell per column
    caption: str = ""


Block = Line | Grid


def text_of(runs: Runs) -> str:
    """The text of runs, without their styles."""
    return "".join(run.text for run in runs)
