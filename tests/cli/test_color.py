"""Colour: --color auto|always|never beside NO_COLOR and FORCE_COLOR, for every console the tool
makes. Without colour there is no escape code at all, bold and italic included."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mscadvisor.render import output
from tests.conftest import CliResult, read_terminal

Cli = Callable[..., CliResult]
ESCAPE = "\x1b["
STYLE = re.compile(r"\x1b\[[0-9;]*m")  # colour, bold, italic (not cursor movement)
COLOUR = re.compile(r"\x1b\[(?:[0-9]+;)*3[0-8][;m]")  # a foreground colour
TABLES = (["recommend", "-d", "POF"], ["explain", "-d", "OP", "-c", "BM-cells"], ["errata"])


@pytest.fixture(autouse=True)
def colour_setting_reset(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The colour setting outlives a run (each run of the CLI sets it): leave it as found."""
    for name in ("NO_COLOR", "FORCE_COLOR"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TERM", "xterm-256color")
    yield
    output.set_color("auto")


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("argv", TABLES, ids=lambda a: a[0])
@pytest.mark.parametrize(
    ("options", "env", "styled"),
    [
        ([], {}, False),  # not a terminal
        ([], {"FORCE_COLOR": "1"}, True),
        ([], {"FORCE_COLOR": ""}, False),  # set but empty counts as unset
        ([], {"NO_COLOR": "1", "FORCE_COLOR": "1"}, False),  # NO_COLOR wins
        (["--color", "always"], {}, True),
        (["--color", "always"], {"NO_COLOR": "1"}, True),  # the flag overrides the variable
        (["--color", "always"], {"TERM": "dumb"}, True),
        (["--color", "never"], {"FORCE_COLOR": "1"}, False),
        (["--color", "auto"], {}, False),
    ],
)
def test_color_option_and_variables_when_piped(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    argv: list[str],
    options: list[str],
    env: dict[str, str],
    styled: bool,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    result = cli(*options, *argv)
    assert result.code == 0
    assert (ESCAPE in result.out) is styled
    if styled:  # bold, and colours where the table has any (errata has none)
        assert "\x1b[1m" in result.out
        assert bool(COLOUR.search(result.out)) is (argv[0] != "errata")


@pytest.mark.parametrize(
    ("options", "env", "styled"),
    [
        ([], {}, True),
        ([], {"NO_COLOR": "1"}, False),
        ([], {"TERM": "dumb"}, False),
        (["--color", "never"], {}, False),
        (["--color", "always"], {"NO_COLOR": "1"}, True),
    ],
)
def test_color_on_a_terminal(
    cli: Cli,
    monkeypatch: pytest.MonkeyPatch,
    options: list[str],
    env: dict[str, str],
    styled: bool,
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("COLUMNS", "100")
    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stdout", terminal)
    assert cli(*options, "recommend", "-d", "POF").code == 0
    assert (ESCAPE in terminal.getvalue()) is styled


def test_an_unknown_color_mode_is_a_usage_error(cli: Cli) -> None:
    result = cli("--color", "sometimes", "errata")
    assert result.code == 2 and result.out == "" and "sometimes" in result.err
    with pytest.raises(ValueError, match="sometimes"):
        output.set_color("sometimes")


@pytest.mark.parametrize(("mode", "styled"), [("never", False), ("always", True)])
def test_the_batch_progress_console_follows_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, mode: str, styled: bool
) -> None:
    from mscadvisor.cli.batch import BatchProgress

    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    output.set_color(mode)
    path = tmp_path / "p.jsonl"
    path.write_text('{"disease": "POF"}\n', encoding="utf-8")
    with path.open("rb") as stream, BatchProgress(stream) as progress:
        progress.report("line 7: unknown disease 'GOUT'")
    assert (progress.progress.console.color_system is not None) is styled
    assert bool(STYLE.search(terminal.getvalue())) is styled


def run_in_a_terminal(argv: list[str], env: dict[str, str]) -> str:
    """What the CLI writes to a pseudo-terminal (a real one, not a flag saying so)."""
    import pty

    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "mscadvisor", *argv],
        stdout=secondary,
        stderr=subprocess.DEVNULL,
        env={
            **{k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")},
            "COLUMNS": "100",
            "TERM": "xterm-256color",
            **env,
        },
    )
    os.close(secondary)
    return read_terminal(primary, proc)


@pytest.mark.subprocess
def test_no_color_in_a_real_terminal_means_no_escape_codes() -> None:
    recommend = ["recommend", "-d", "POF"]
    assert STYLE.search(run_in_a_terminal(recommend, {}))
    assert ESCAPE not in run_in_a_terminal(recommend, {"NO_COLOR": "1"})
    assert ESCAPE not in run_in_a_terminal(["--color", "never", *recommend], {})


def test_exports_keep_their_styles_without_colour(cli: Cli, tmp_path: Path) -> None:
    export = tmp_path / "pof.html"
    result = cli("--color", "never", "recommend", "-d", "POF", "--export", str(export))
    assert result.code == 0 and ESCAPE not in result.out
    html = export.read_text(encoding="utf-8")
    assert "font-weight: bold" in html and ESCAPE not in html
