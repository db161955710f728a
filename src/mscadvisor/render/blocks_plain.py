"""Blocks (``blocks``) written as plain lines, character for character as rich lays them out
without colour, but without importing rich's console: to a file or a pipe, importing and
running rich's layout would be most of the time a run takes.

Lines wrap between words as rich wraps them (its own ``divide_line`` finds the breaks, and its
cell widths measure the text), and a grid's columns are as wide as rich would make them: each as
wide as its widest cell (or its fixed width) with its padding, the ``rest`` column the width left.
Where rich would do more than that (a grid too wide for the screen, whose columns it would
narrow; a tab or a line break in the text), ``plain_lines`` declines and rich draws the answer.
Tests hold the two to the same text.
"""

from __future__ import annotations

from itertools import pairwise

from rich._wrap import divide_line  # rich's own line breaking: no console, no styles
from rich.cells import cell_len, set_cell_size

from mscadvisor.render.blocks import Block, Grid, Line, plain_text
from mscadvisor.render.printable import printable

ELLIPSIS = "…"


def plain_lines(blocks: list[Block], width: int) -> str | None:
    """The blocks as lines of text for a screen ``width`` wide, without the spaces rich pads
    lines with; None where rich is needed to lay one out."""
    lines: list[str] = []
    for block in blocks:
        laid = _grid(block, width) if isinstance(block, Grid) else _line(block, width)
        if laid is None:
            return None
        lines += laid
    return "".join(f"{line.rstrip(' ')}\n" for line in lines)


def _line(block: Line, width: int) -> list[str] | None:
    text = _printed(plain_text(block.runs))
    if text is None:
        return None
    if block.cut:
        return [_fitted(text, width)]
    parts = _wrapped(text, width - block.indent - block.hang)
    return [
        " " * (block.indent if n == 0 else block.indent + block.hang) + part
        for n, part in enumerate(parts)
    ]


def _printed(text: str) -> str | None:
    """Data made printable; None for text that rich would lay out in more than one way (a
    line break splits it, a tab expands)."""
    text = printable(text)
    return None if "\n" in text or "\t" in text else text


def _wrapped(text: str, width: int) -> list[str]:
    """text in lines at most ``width`` cells wide, broken between words, a word longer than a
    line split across lines; as rich's ``Text.wrap`` makes them. (A line keeps the spaces after
    its last word up to the width: rich cuts what is past it.)"""
    breaks = [0, *divide_line(text, width, fold=True), len(text)]
    lines = [text[start:end] for start, end in pairwise(breaks)]
    return [set_cell_size(line, width) if cell_len(line) > width else line for line in lines]


def _fitted(text: str, width: int) -> str:
    """text on one line of ``width`` cells, cut with an ellipsis where it is longer."""
    if cell_len(text) <= width:
        return text
    return set_cell_size(text, width - 1) + ELLIPSIS


def _grid(grid: Grid, width: int) -> list[str] | None:
    rows = [[column.header for column in grid.columns]]
    for runs in grid.rows:
        cells = [_printed(plain_text(cell)) for cell in runs]
        if None in cells:
            return None
        rows.append([cell for cell in cells if cell is not None])
    title, caption = _printed(grid.title), _printed(grid.caption)
    if title is None or caption is None:
        return None
    last = len(grid.columns) - 1
    # A space either side of each cell, but before the first and after the last.
    pads = [(int(n > 0), int(n < last)) for n in range(last + 1)]
    widths = []
    for n, column in enumerate(grid.columns):
        natural = column.width if column.width is not None else max(cell_len(r[n]) for r in rows)
        widths.append(min(natural + sum(pads[n]), width))
    rest = [n for n, column in enumerate(grid.columns) if column.rest]
    if len(rest) != 1:  # none, or more to share the width by rich's ratios
        return None
    (n,) = rest
    widths[n] = max(1 + sum(pads[n]), width - sum(w for m, w in enumerate(widths) if m != n))
    if sum(widths) > width or min(w - sum(p) for w, p in zip(widths, pads, strict=True)) < 1:
        return None  # rich would narrow columns
    lines = _wrapped(title, width) if title else []
    for row in rows:
        line = ""  # the cells side by side: no borders
        for n, column in enumerate(grid.columns):
            left, right = pads[n]
            room = widths[n] - left - right
            cell = _fitted(row[n].rstrip() if column.right else row[n], room)
            padding = " " * (room - cell_len(cell))
            cell = padding + cell if column.right else cell + padding
            line += " " * left + cell + " " * right
        lines.append(line)
    return lines + (_wrapped(caption, width) if caption else [])
