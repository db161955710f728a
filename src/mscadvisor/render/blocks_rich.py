"""Blocks (``blocks``) drawn by rich: in colour on a terminal, and wherever the plain writer
declines to lay one out."""

from __future__ import annotations

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mscadvisor.render.blocks import Block, Grid, Runs
from mscadvisor.render.output import print_wrapped
from mscadvisor.render.printable import printable


def print_blocks(console: Console, blocks: list[Block]) -> None:
    for block in blocks:  # an indented line wraps: it is not also cut
        if isinstance(block, Grid):
            console.print(_table(block))
        elif block.indent or block.hang:
            print_wrapped(console, _text(block.runs, block.style), block.indent, block.hang)
        elif block.cut:
            console.print(
                _text(block.runs), style=block.style or None, no_wrap=True, overflow="ellipsis"
            )
        else:
            console.print(_text(block.runs), style=block.style or None)


def _text(runs: Runs, style: str = "") -> Text:
    """The runs as rich text, made printable (a Text is printed as it is, past the console's
    own filter)."""
    text = Text(style=style)
    for run in runs:
        text.append(printable(run.text), style=run.style or None)
    return text


def _table(grid: Grid) -> Table:
    # rich styles a title or caption given as markup; as Text (no markup to escape) it keeps
    # its own style, so it is given rich's style for titles and captions here.
    table = Table(
        title=Text(printable(grid.title), style="table.title"),
        title_justify="left",
        box=None,
        expand=True,
        pad_edge=False,
    )
    for column in grid.columns:
        table.add_column(
            Text(printable(column.header)),
            justify="right" if column.right else "left",
            no_wrap=True,
            width=column.width,
            overflow="ellipsis",
            ratio=1 if column.rest else None,
        )
    for row in grid.rows:
        table.add_row(*(_text(cell) for cell in row))
    if grid.caption:
        table.caption = Text(printable(grid.caption), style="table.caption")
        table.caption_justify = "left"
    return table
