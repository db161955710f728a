"""The evidence-gap map as terminal grids: one per view of each disease, sources down, routes or
strategies across, each cell a count and a certainty letter, coloured by certainty.

Colour only repeats what the text says (the letter, "prose", "traits", "--"), so the grid reads
the same without it. A view wider than the console is cut into several grids of whole columns,
each repeating the source names; a route or strategy id longer than a cell is abbreviated and
the abbreviation explained under the grid.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rich.console import Console
from rich.table import Table
from rich.text import Text

from mscadvisor.engine.certainty import SYMBOLS
from mscadvisor.engine.gaps import Cell, Column, DiseaseGaps, GapMap, View
from mscadvisor.engine.result import DISCLAIMER_SHORT
from mscadvisor.render.output import symbols, unicode_ok

CELL_WIDTH = 7  # "12·10 V" at most
LETTERS = {"high": "H", "moderate": "M", "low": "L", "very-low": "V", "not-assessed": "?"}
LEVEL_STYLES = {
    "high": "bold green",
    "moderate": "green",
    "low": "yellow",
    "very-low": "red",
    "not-assessed": "magenta",
}
STATUS_STYLES = {"prose": "cyan", "traits": "blue", "none": "dim"}
NONE_MARK = "--"
UNBOUNDED = 10_000
NOT_ASSESSED_WORDS = "not assessed (no record reports efficacy)"
TITLES = {"route": "sources x routes", "preconditioning": "sources x preconditioning strategies"}
SPECIAL_HEADERS = {"not-given": "NA", "none": "none"}


def print_gap_map(console: Console, gaps: GapMap) -> None:
    unicode = unicode_ok(console)
    console.print(Text(DISCLAIMER_SHORT, style="italic yellow"))
    for disease in gaps.diseases:
        _print_disease(console, disease, unicode)
    _print_legend(console, unicode)


def _print_disease(console: Console, disease: DiseaseGaps, unicode: bool) -> None:
    console.print(Text(f"{disease.disease}: {disease.name}", style="bold"))
    for view in disease.views:
        layout = _Layout(view, _headers(view.columns, unicode), unicode)
        parts = layout.parts(console)
        for start, stop in parts:
            where = f" (columns {start + 1}-{stop} of {len(view.columns)})"
            console.print(Text(TITLES[view.kind] + (where if len(parts) > 1 else ""), "bold"))
            console.print(layout.grid(start, stop))
        key = Table.grid(padding=(0, 1))
        key.add_column(no_wrap=True, style="dim")  # the header, then "=" in a column of its own
        key.add_column(no_wrap=True, style="dim")
        key.add_column(style="dim")
        for column, header in zip(view.columns, layout.headers, strict=True):
            if header != column.id:
                named = column.name if column.id is None else f"{column.id}: {column.name}"
                key.add_row(f"  {header}", "=", named)
        console.print(key)
        console.print()


def _headers(columns: Sequence[Column], unicode: bool) -> list[str]:
    """Each column's header: its id where it fits a cell, else an abbreviation, unique within
    the view."""
    ellipsis = "…" if unicode else "."
    headers: list[str] = []
    for column in columns:
        if column.id is None:
            headers.append(SPECIAL_HEADERS[column.kind])
            continue
        header = column.id
        if len(header) > CELL_WIDTH:
            header = column.id[: CELL_WIDTH - 1] + ellipsis
            number = 2
            while header in headers:
                header = f"{column.id[: CELL_WIDTH - 2]}{number}{ellipsis}"
                number += 1
        headers.append(header)
    return headers


@dataclass(frozen=True)
class _Layout:
    """A view as grids of some of its columns each."""

    view: View
    headers: list[str]
    unicode: bool

    def parts(self, console: Console) -> list[tuple[int, int]]:
        """The columns cut into as few runs as fit the console's width, as even as they fit
        (at least one column a run, however narrow the console)."""
        greedy: list[tuple[int, int]] = []
        start, total = 0, len(self.view.columns)
        while start < total:
            stop = start + 1
            while stop < total and self.fits(console, start, stop + 1):
                stop += 1
            greedy.append((start, stop))
            start = stop
        # As many runs, the longer ones last (the first also holds the column "all").
        stops = [total * (i + 1) // len(greedy) for i in range(len(greedy))]
        even = list(zip([0, *stops[:-1]], stops, strict=True))
        return even if all(self.fits(console, a, b) for a, b in even) else greedy

    def fits(self, console: Console, start: int, stop: int) -> bool:
        unbounded = console.options.update_width(UNBOUNDED)  # the grid's natural width
        return console.measure(self.grid(start, stop), options=unbounded).maximum <= console.width

    def grid(self, start: int, stop: int) -> Table:
        """The grid of columns start to stop (and the column "all" in the first grid)."""
        table = Table()
        table.add_column("source", no_wrap=True)
        first = start == 0
        if first:
            table.add_column("all", justify="center", no_wrap=True, min_width=CELL_WIDTH)
        for header in self.headers[start:stop]:
            table.add_column(header, justify="center", no_wrap=True, min_width=CELL_WIDTH)
        for row in self.view.rows:
            overall = [_cell_text(row.overall, self.unicode)] if first else []
            cells = (_cell_text(c, self.unicode) for c in row.cells[start:stop])
            table.add_row(row.source.id, *overall, *cells)
        return table


def _cell_text(cell: Cell, unicode: bool) -> Text:
    letter = LETTERS[cell.certainty.level]
    status = cell.status
    if status == "evidence":
        joint = "·" if unicode else "/"
        text = f"{len(cell.studies)}{joint}{len(cell.trials)} {letter}"
        return Text(text, style=LEVEL_STYLES[cell.certainty.level])
    if status == "prose":
        return Text(f"prose {letter}", style=STATUS_STYLES[status])
    if status == "traits":
        return Text("traits", style=STATUS_STYLES[status])
    return Text(NONE_MARK, style=STATUS_STYLES[status])


def _print_legend(console: Console, unicode: bool) -> None:
    joint = "·" if unicode else "/"
    levels = Text("and the best certainty:")
    for number, (level, letter) in enumerate(LETTERS.items()):
        circles = symbols(SYMBOLS[level], unicode)
        words = f"{circles} {level.replace('-', ' ')}" if circles else NOT_ASSESSED_WORDS
        levels.append("  " if number else " ")
        levels.append(f"{letter} {words}", LEVEL_STYLES[level])
    legend = Table.grid(padding=(0, 2))
    legend.add_column(no_wrap=True)
    legend.add_column()
    legend.add_row(
        Text(f"3{joint}1 L", LEVEL_STYLES["low"]),
        Text.assemble(
            "3 studies (Tables 1-2: animal or cell culture) and 1 clinical study (Table 3 "
            "or the prose) of exactly that combination, ",
            levels,
        ),
    )
    legend.add_row(
        Text("prose V", STATUS_STYLES["prose"]),
        "no record in Tables 1-3, but a finding of the prose that a rule scores",
    )
    legend.add_row(
        Text("traits", STATUS_STYLES["traits"]),
        "general traits only (Table 4, expert synthesis): they count for relevance, "
        "not as evidence",
    )
    legend.add_row(Text(NONE_MARK, STATUS_STYLES["none"]), "no evidence in the review")
    legend.add_row("all", "the source by any route, with or without a strategy")
    console.print(Text("Legend", style="bold"))
    console.print(legend)
    console.print(
        Text("Records, citations and certainty reasons of every cell: --format json.", "dim")
    )
