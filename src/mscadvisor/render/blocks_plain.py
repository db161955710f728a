"""Blocks (``blocks``) written as plain text, character for character as rich 15 lays them out
without colour, but without importing rich's console: to a file or a pipe, importing and
running rich's layout would be most of the time a run takes.

Lines wrap between words as rich wraps them (its own ``divide_line`` finds the breaks, and its
cell widths measure the text), and a grid's columns are as wide as rich would make them: each as
wide as its widest cell (or its fixed width) with its padding, the ``rest`` column the width left.
Where rich would do more than that, ``laid_out`` declines and rich draws the answer: a grid too
wide for the screen (rich would narrow its columns), a tab or a line break in the text, a
character whose width depends on its neighbours (a zero-width joiner, an emoji presentation
selector), or blocks that say two things at once (a cut line that is also indented). Tests hold
the two to the same text. ``rich._wrap`` is private to rich: pyproject.toml keeps rich to the
major version whose layout this follows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import pairwise

from rich._wrap import divide_line  # rich's own line breaking: no console, no styles
from rich.cells import cell_len, set_cell_size

from mscadvisor.render.blocks import Block, Grid, GridColumn, Line, text_of
from mscadvisor.render.printable import printable

ELLIPSIS = "…"
# What rich lays out otherwise than character by character, once text is printable (which
# escapes the other line breaks): tabs, newlines, and what rich measures together with its
# neighbour (a zero-width joiner, variation selector 16).
_NOT_PLAIN = re.compile("[\t\n\u200d\ufe0f]")
_END_SPACE = re.compile(r"\s+$")


def laid_out(blocks: list[Block], width: int) -> str | None:
    """The blocks as text for a screen ``width`` wide, without the spaces rich pads lines with;
    None where rich is needed to lay one out."""
    lines: list[str] = []
    for block in blocks:
        laid = _grid(block, width) if isinstance(block, Grid) else _line(block, width)
        if laid is None:
            return None
        lines += laid
    return "".join(f"{line.rstrip(' ')}\n" for line in lines)


def _printed(text: str) -> str | None:
    """Data made printable; None for text that rich lays out otherwise (``_NOT_PLAIN``)."""
    text = printable(text)
    return None if _NOT_PLAIN.search(text) else text


def _line(block: Line, width: int) -> list[str] | None:
    text = _printed(text_of(block.runs))
    if text is None:
        return None
    indented = block.indent or block.hang
    if block.cut:
        return None if indented else [_fitted(text, width)]
    parts = _wrapped(text, width - block.indent - block.hang)
    return [
        " " * (block.indent if n == 0 else block.indent + block.hang) + part
        for n, part in enumerate(parts)
    ]


def _wrapped(text: str, width: int) -> list[str]:
    """text in lines at most ``width`` cells wide, broken between words, a word longer than a
    line split across lines; as rich's ``Text.wrap`` makes them."""
    breaks = [0, *divide_line(text, width, fold=True), len(text)]
    lines = []
    for start, end in pairwise(breaks):
        line = text[start:end]
        # Whitespace past the width goes, counted in characters as rich counts it (with
        # combining marks a line has more characters than cells), then any cells past it.
        excess = len(line) - width
        if excess > 0 and (space := _END_SPACE.search(line)) is not None:
            line = line[: len(line) - min(len(space.group()), excess)]
        lines.append(set_cell_size(line, width) if cell_len(line) > width else line)
    return lines


def _fitted(text: str, width: int) -> str:
    """text on one line of ``width`` cells, cut with an ellipsis where it is longer."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + ELLIPSIS


def _grid(grid: Grid, width: int) -> list[str] | None:
    columns = grid.columns
    rows = [_all_printed(column.header for column in columns)]
    rows += [_all_printed(text_of(cell) for cell in row) for row in grid.rows]
    title, caption = _printed(grid.title), _printed(grid.caption)
    if title is None or caption is None:
        return None
    texts = [row for row in rows if row is not None and len(row) == len(columns)]
    if len(texts) < len(rows):  # a cell rich lays out otherwise, or a row short of cells
        return None
    last = len(columns) - 1
    # A space either side of each cell, but before the first and after the last.
    pads = [(int(n > 0), int(n < last)) for n in range(last + 1)]
    widths = _widths(columns, texts, pads, width)
    if widths is None:
        return None
    lines = _wrapped(title, width) if title else []
    for row in texts:
        line = ""  # the cells side by side: no borders
        for n, column in enumerate(columns):
            left, right = pads[n]
            room = widths[n] - left - right
            cell = _fitted(row[n].rstrip() if column.right else row[n], room)
            padding = " " * (room - cell_len(cell))
            cell = padding + cell if column.right else cell + padding
            line += " " * left + cell + " " * right
        lines.append(line)
    return lines + (_wrapped(caption, width) if caption else [])


def _all_printed(texts: Iterable[str]) -> list[str] | None:
    """Each text made printable; None if rich lays one out otherwise."""
    printed = []
    for text in texts:
        shown = _printed(text)
        if shown is None:
            return None
        printed.append(shown)
    return printed


def _widths(
    columns: tuple[GridColumn, ...], rows: list[list[str]], pads: list[tuple[int, int]], width: int
) -> list[int] | None:
    """Each column's width with its padding, as rich gives it: its widest cell or its fixed
    width, and the one ``rest`` column the width the others leave; None where they do not fit
    (rich would narrow them) or the columns are not one ``rest`` column and others."""
    rest = [n for n, column in enumerate(columns) if column.rest]
    if len(rest) != 1 or columns[rest[0]].width is not None:
        return None
    widths = []
    for n, column in enumerate(columns):
        natural = column.width if column.width is not None else max(cell_len(r[n]) for r in rows)
        widths.append(min(natural + sum(pads[n]), width))
    (n,) = rest
    widths[n] = width - sum(w for m, w in enumerate(widths) if m != n)
    if min(w - sum(p) for w, p in zip(widths, pads, strict=True)) < 1:  # no room for a cell
        return None
    return widths
