"""Blocks written as plain lines are the lines rich draws without colour, character for
character; the plain writer declines only what it cannot lay out as rich does."""

from __future__ import annotations

import io
import os
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
from mscadvisor.render.blocks_plain import plain_lines
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
                plain = plain_lines(blocks, width)
                if plain is None:
                    declined.append(width)
                    continue
                assert plain == drawn_by_rich(blocks, width), (profile, width, top)
    # The plain writer is the one a pipe gets: it declines only screens too narrow for a grid.
    assert all(width < 80 for width in declined), declined


# Words, spaces, long words, the certainty symbols, wide characters, markup, control characters.
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
    "漢字",
    "\u00a0",  # a space that is not " "
    "[b]",
    "\\",
    "\x1b",
    "\t",
]
TEXT = st.lists(st.sampled_from([*PIECES, "\n"]), max_size=25).map("".join)
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
).filter(lambda line: not (line.cut and (line.indent or line.hang)))


@st.composite
def grids(draw: st.DrawFn) -> Grid:
    count = draw(st.integers(1, 5))
    rest = draw(st.integers(0, count - 1))
    columns = tuple(
        GridColumn(
            draw(st.sampled_from(["#", "id", "score", "why (points add up)"])),
            right=draw(st.booleans()),
            width=None if n == rest else draw(st.none() | st.integers(1, 6)),
            rest=n == rest,
        )
        for n in range(count)
    )
    rows = draw(st.lists(st.tuples(*[RUNS] * count), max_size=4))
    return Grid(draw(TEXT), columns, tuple(rows), draw(TEXT))


@settings(max_examples=300, deadline=None)
@given(
    blocks=st.lists(LINES | grids(), min_size=1, max_size=4),
    width=st.integers(output.MIN_WIDTH, 130),
)
def test_any_blocks_are_written_as_rich_draws_them_or_left_to_rich(
    blocks: list[Block], width: int
) -> None:
    plain = plain_lines(blocks, width)
    if plain is not None:
        assert plain == drawn_by_rich(blocks, width)
    texts = [run.text for block in blocks if isinstance(block, Line) for run in block.runs]
    if all(isinstance(b, Line) for b in blocks) and not any("\n" in t or "\t" in t for t in texts):
        assert plain is not None  # lines of plain text are never left to rich


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
