"""The gap map as a person reads it at 80 columns: grids that fit, cells that say the same with
or without colour, abbreviations explained, an ASCII fallback, and a legend."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from mscadvisor.engine.gaps import gap_map
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.render.gaps import print_gap_map

KB = load_knowledge_base()


def shown(*diseases: str, width: int = 80, file: io.StringIO | None = None) -> str:
    console = Console(width=width, file=file or io.StringIO(), color_system=None, record=True)
    print_gap_map(console, gap_map(KB, diseases or KB.diseases))
    return console.export_text()


def row(text: str, source: str, nth: int = 0) -> list[str]:
    """The cells of a source's row in the nth grid that has one, without the source."""
    bar = "│" if "│" in text else "|"  # a console that cannot show box lines gets ASCII ones
    lines = [line for line in text.splitlines() if line.startswith(f"{bar} {source} ")]
    return [cell.strip() for cell in lines[nth].strip(bar).split(bar)][1:]


def test_every_line_fits_80_columns_for_every_disease() -> None:
    text = shown()
    assert max(len(line) for line in text.splitlines()) <= 80


def test_pof_routes_fit_one_grid_with_the_counts_of_the_review() -> None:
    text = shown("POF")
    assert "sources x routes\n" in text  # one grid: not cut into columns
    header = next(line for line in text.splitlines() if "source" in line and "IV" in line)
    assert [h.strip() for h in header.strip("┃").split("┃")] == [
        *("source", "all", "IP", "IV", "OV", "implant", "NA")
    ]
    # All sources; by IP, IV, OV, implant; route not given.
    assert row(text, "BM-cells") == ["2·3 V", "--", "1·0 V", "1·3 V", "--", "--"]
    assert row(text, "UC-cells") == ["8·3 L", "--", "4·1 L", "4·2 V", "--", "--"]
    assert row(text, "BM-exosomes") == ["1·1 V", "1·0 V", "--", "0·1 ?", "--", "--"]
    assert row(text, "DP-cells") == ["traits", "--", "traits", "--", "--", "--"]
    assert row(text, "AM-cells")[0] == "prose V"
    assert "NA = route not given in the review" in " ".join(text.split())


def test_a_wide_view_is_cut_into_even_grids_of_whole_columns_with_a_key() -> None:
    text = shown("POF")
    assert "sources x preconditioning strategies (columns 1-5 of 10)" in text
    assert "sources x preconditioning strategies (columns 6-10 of 10)" in text
    # The second grid repeats the sources, without the column "all".
    second = row(text, "UC-cells", 2)
    assert len(second) == 5 and second[0] == "1·0 V"  # hypoxia, with hyaluronic acid [21]
    flat = " ".join(text.split())
    assert "hyalur… = hyaluronic-acid: Cross-linked hyaluronic acid scaffold" in flat
    assert "none = no strategy: the plain product" in flat
    # The key's "=" signs line up, whatever the length of the header before them.
    key = [line for line in text.splitlines() if line.startswith(("  none ", "  hyalur… "))]
    assert len(key) == 2 and len({line.index(" = ") for line in key}) == 1, key


def test_a_wider_console_needs_fewer_grids() -> None:
    text = shown("POF", width=140)
    assert "sources x preconditioning strategies\n" in text
    assert "columns" not in text


def test_a_console_too_narrow_for_two_columns_shows_one_a_grid() -> None:
    flat = " ".join(shown("SKIN", width=30).split())
    assert "sources x routes (columns 1-1 of 4)" in flat
    assert "sources x routes (columns 4-4 of 4)" in flat


def test_the_legend_explains_every_mark() -> None:
    flat = " ".join(shown("SKIN").split())
    for words in (
        "3·1 L 3 studies (Tables 1-2",
        "H ⊕⊕⊕⊕ high",
        "V ⊕◯◯◯ very low",
        "? not assessed",
        "prose V no record in Tables 1-3",
        "traits general traits only (Table 4",
        "-- no evidence in the review",
        "all the source by any route",
    ):
        assert words in flat


def test_an_ascii_console_gets_ascii_marks() -> None:
    class AsciiFile(io.StringIO):
        encoding = "ascii"

    text = shown("POF", file=AsciiFile())
    assert row(text, "BM-cells")[:4] == ["2/3 V", "--", "1/0 V", "1/3 V"]
    assert "hyalur. = hyaluronic-acid" in " ".join(text.split())
    assert "⊕" not in text and "…" not in text and "·" not in text


@pytest.mark.parametrize("color", [None, "standard"])
def test_cells_read_the_same_with_and_without_colour(color: str | None) -> None:
    console = Console(width=80, file=io.StringIO(), color_system=color, record=True)
    print_gap_map(console, gap_map(KB, ["OP"]))
    assert row(console.export_text(clear=False), "DP-cells")[:2] == ["2·0 L", "2·0 L"]
    if color:
        assert "\x1b[" in console.export_text(styles=True)
