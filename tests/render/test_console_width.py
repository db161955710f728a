"""The width of a console (render/output.py): COLUMNS when it is a width, within 40 to 1000;
the default (120 when piped) when it is not."""

from __future__ import annotations

import pytest

from mscadvisor.render import output


@pytest.mark.parametrize(
    ("columns", "width"),
    [
        ("100", 100),
        ("80", 80),
        ("10", output.MIN_WIDTH),
        ("10000000", output.MAX_WIDTH),
        ("abc", output.PIPED_WIDTH),
        ("0", output.PIPED_WIDTH),
        ("-5", output.PIPED_WIDTH),
        ("", output.PIPED_WIDTH),
        ("1e3", output.PIPED_WIDTH),
        ("٣٣٣", output.PIPED_WIDTH),  # digits, but not ASCII ones
    ],
)
def test_columns_gives_the_width_when_it_is_one(
    columns: str, width: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", columns)
    assert output.console().width == width
    assert output.console(quiet=True).width == width


def test_without_columns_a_pipe_gets_the_piped_width(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("COLUMNS", raising=False)
    assert output.console().width == output.PIPED_WIDTH
