"""Blocks written as plain lines are the lines rich draws without colour, character for
character; the plain writer declines only what it cannot lay out as rich does."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.scoring import score
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.render import output
from mscadvisor.render.answer import answer_blocks
from mscadvisor.render.blocks import Block, Grid, GridColumn, Line, Run
from mscadvisor.render.blocks_plain import laid_out
from mscadvisor.render.blocks_rich import print_blocks

KB = load_knowledge_base()
PROFILES = (
    {},
    {"modality": "exosomes"},
    {"donor": "autologous", "age": 75, "sex": "female", "needs": ["durable-effect"]},
)


NO_COLOUR = ("NO_COLOR", "FORCE_COLOR", "COLUMNS")


def drawn_by_rich(blocks: list[Block], width: int) -> str:
    """What rich prints of the blocks to a pipe ``width`` wide, without colour, as `recommend`
    makes its console."""
    piped = io.StringIO()
    with pytest.MonkeyPatch.context() as patch:
        for name in NO_COLOUR:
            patch.delenv(name, raising=False)
        patch.setattr(output, "_color_mode", "auto")
        patch.setattr(sys, "stdout", piped)
        patch.setenv("COLUMNS", str(width))
        print_blocks(output.console(), blocks)
    return piped.getvalue()


@pytest.mark.parametrize("disease", sorted(KB.diseases))
def test_every_answer_is_written_as_rich_draws_it(disease: str) -> None:
    declined = []
    for profile in PROFILES:
        result = score(KB, build_profile({"disease": disease, **profile}, KB, "test"))
        for width in (40, 46, 53, 61, 72, 80, 97, 120, 163):
            for top in (0, 3):
                blocks = answer_blocks(result, top, True, width)
                plain = laid_out(blocks, width)
                if plain is None:
                    declined.append(width)
                    continue
                assert plain == drawn_by_rich(blocks, width), (profile, width, top)
    # The plain writer is the one a pipe gets: it declines only screens too narrow for a grid.
    assert all(width < 80 for width in declined), declined


# Words, spaces, long words, the certainty symbols, wide characters, markup, control
# characters, combining marks, and what rich measures with its neighbour or as a line break.
PIECES = [
    "ab",
    "c",
    "xyzxyzxyzxyz",
    " ",
    "  ",
    "-",
    "⊕◯",
    "·",
    "é",
    "e\u0301",  # e and a combining accent: two characters, one cell
    "漢字",
    "\u00a0",  # a space that is not " "
    "[b]",
    "\\",
    "\x1b",
    "\t",
    "\n",
    "\u2028",
    "\u200d",
    "\ufe0f",
]
# Mostly text that the plain writer lays out itself: what it declines is rarer.
TEXT = st.lists(st.sampled_from(PIECES[:14] * 3 + PIECES[14:]), max_size=25).map("".join)
RUNS = st.lists(
    st.builds(Run, TEXT, st.sampled_from(["", "dim", "bold"])), min_size=1, max_size=3
).map(tuple)
LINES = st.builds(
    Line,
    RUNS,
    style=st.sampled_from(["", "dim"]),
    cut=st.booleans(),
    indent=st.integers(0, 4),
    hang=st.integers(0, 2),
)


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    count = draw(st.integers(1, 5))
    rest = draw(st.integers(0, count - 1))
    columns = tuple(
        GridColumn(
            draw(st.sampled_from(["#", "id", "score", "why (points add up)"]) | TEXT),
            right=draw(st.booleans()),
            width=draw(st.none() | st.integers(1, 6)) if n != rest or draw(st.booleans()) else None,
            rest=n == rest,
        )
        for n in range(count)
    )
    cells = st.lists(RUNS, min_size=count - 1, max_size=count).map(tuple)  # now and then short
    return Grid(draw(TEXT), columns, tuple(draw(st.lists(cells, max_size=4))), draw(TEXT))


@settings(max_examples=300, deadline=None)
@given(
    blocks=st.lists(LINES | grids(), min_size=1, max_size=4),
    width=st.integers(output.MIN_WIDTH, 130),
)
def test_any_blocks_are_written_as_rich_draws_them_or_left_to_rich(
    blocks: list[Block], width: int
) -> None:
    plain = laid_out(blocks, width)
    if plain is not None:
        assert plain == drawn_by_rich(blocks, width)
    if all(isinstance(b, Line) and plain_line(b) for b in blocks):
        assert plain is not None  # lines of plain text are never left to rich


def plain_line(line: Block) -> bool:
    """Whether a line is one the plain writer lays out: text without what rich lays out
    otherwise, not both cut and indented."""
    assert isinstance(line, Line)
    text = "".join(run.text for run in line.runs)
    return not re.search("[\t\n\u200d\ufe0f]", text) and not (
        line.cut and (line.indent or line.hang)
    )


@pytest.mark.parametrize(
    ("block", "width"),
    [
        # A line with more characters than cells, wrapped: rich drops its last space.
        (Line((Run("e\u0301" * 30 + "\u00a0"),)), 40),
        # A zero-width joiner before the padding of its cell: rich measures the two together.
        (
            Grid(
                "t",
                (GridColumn("id"), GridColumn("why", rest=True)),
                (((Run("a\u200d"),), (Run("y"),)), ((Run("abcd"),), (Run("y"),))),
            ),
            40,
        ),
        # A line separator inside a cell: shown escaped, as data.
        (
            Grid(
                "t",
                (GridColumn("id"), GridColumn("why", rest=True)),
                (((Run("abcdefghij\u2028k"),), (Run("y"),)),),
            ),
            40,
        ),
        # A header written as markup is text all the same.
        (Grid("t", (GridColumn("[bold]id[/bold]"), GridColumn("i\x1bd", rest=True)), ()), 40),
        # A cut line that is also indented: rich wraps it.
        (Line((Run("word " * 20),), cut=True, indent=2), 40),
        # A row short of a cell, and a width on the rest column.
        (Grid("t", (GridColumn("id"), GridColumn("why", rest=True)), (((Run("x"),),),)), 40),
        (Grid("t", (GridColumn("id"), GridColumn("why", rest=True, width=30)), ()), 60),
    ],
)
def test_what_rich_lays_out_otherwise_is_left_to_rich(block: Block, width: int) -> None:
    plain = laid_out([block], width)
    assert plain is None or plain == drawn_by_rich([block], width)


def imported(*args: str, **env: str) -> tuple[set[str], str]:
    """The modules a run of the CLI to a pipe imports, and what it printed."""
    run = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "mscadvisor", *args],
        capture_output=True,
        text=True,
        check=True,
        env={**{k: v for k, v in os.environ.items() if k not in NO_COLOUR}, **env},
    )
    return {line.split("|")[-1].strip() for line in run.stderr.splitlines()}, run.stdout


def test_the_answer_to_a_pipe_imports_no_rich_console() -> None:
    """What the plain writer saves: rich's console and tables are not imported at all."""
    modules, text = imported("recommend", "-d", "POF")
    assert text.startswith("POF: Premature ovarian failure")
    assert "Best regimen:" in text
    assert not {"rich.console", "rich.table", "rich.text"} & modules


def test_the_answer_in_colour_is_drawn_by_rich() -> None:
    modules, text = imported("recommend", "-d", "POF", FORCE_COLOR="1")
    assert "rich.console" in modules
    assert "\x1b[1m" in text  # bold
