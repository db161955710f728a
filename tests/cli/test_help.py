"""Help and usage: -V, global options given after the command, every command's examples, and
the command lists of --help in full."""

from __future__ import annotations

import shlex
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from mscadvisor import __version__
from mscadvisor.cli.main import app
from mscadvisor.errors import EXIT_USAGE
from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def commands(command: Any = None, path: tuple[str, ...] = ()) -> Iterator[tuple[str, ...]]:
    """The path of every command and group, the root included (as ())."""
    command = command or typer.main.get_command(app)
    yield path
    for name in getattr(command, "commands", {}):
        yield from commands(command.commands[name], (*path, name))


def examples(help_text: str) -> list[str]:
    lines = help_text.splitlines()
    start = lines.index("  Examples:") + 1
    return [line.strip() for line in lines[start:] if line.strip()]


def test_short_version_option(cli: Cli) -> None:
    assert cli("-V").out == cli("--version").out == f"mscadvisor {__version__}\n"


@pytest.mark.parametrize(
    ("argv", "suggestion"),
    [
        (["recommend", "-d", "OP", "--rules", "pack"], "mscadvisor --rules pack recommend ..."),
        (["rules", "test", "--weights=w.toml"], "mscadvisor --weights=w.toml rules test ..."),
        (["cache", "--rules", "my pack", "info"], "mscadvisor --rules 'my pack' cache ..."),
        (["batch", "-", "--color", "never"], "mscadvisor --color never batch ..."),
        (["--rules", "a", "explain", "--rules", "b"], "mscadvisor --rules b explain ..."),
        (["errata", "--weights"], "mscadvisor --weights WEIGHTS errata ..."),
    ],
)
def test_a_global_option_after_the_command_says_where_it_goes(
    cli: Cli, argv: list[str], suggestion: str
) -> None:
    result = cli(*argv)
    option = next(a for a in argv[1:] if a.startswith("-") and a not in ("-d", "-")).split("=")[0]
    assert result.code == EXIT_USAGE and result.out == ""
    assert (
        f"Error: {option} is a global option: put it before the command: {suggestion}" in result.err
    )
    assert "Traceback" not in result.err and "No such option" not in result.err


@pytest.mark.parametrize("option", ["-V", "--version", "--show-completion", "--install-completion"])
def test_an_option_that_answers_alone_is_not_said_to_go_before_the_command(
    cli: Cli, option: str
) -> None:
    result = cli("diseases", option)
    assert result.code == EXIT_USAGE and result.out == ""
    assert (
        f"Error: {option} is a global option that answers alone, without a command: "
        f"mscadvisor {option}"
    ) in result.err
    assert "before the command" not in result.err


@pytest.mark.parametrize("argv", [["recommend", "--bogus"], ["--bogus"], ["rules", "--profile"]])
def test_other_unknown_options_keep_the_usual_message(cli: Cli, argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code == EXIT_USAGE and result.out == ""
    assert f"No such option: {argv[-1]}" in result.err and "global" not in result.err


@pytest.mark.parametrize("path", list(commands()), ids=lambda p: " ".join(p) or "mscadvisor")
def test_every_help_ends_with_examples_one_per_line(cli: Cli, path: tuple[str, ...]) -> None:
    result = cli(*path, "--help")
    assert result.code == 0
    found = examples(result.out)
    assert found, result.out
    for line in found:
        after = line.split("mscadvisor ", 1)[1]  # global options, then the command
        assert f"{' '.join(path)} " in f"{after} ", line
        assert len(line) <= 76, f"example wider than the 80-column help: {line}"


def test_command_lists_give_each_summary_in_full(cli: Cli) -> None:
    root = typer.main.get_command(app)
    for path in commands():
        group = root
        for name in path:
            group = group.commands[name]  # type: ignore[attr-defined]
        if not hasattr(group, "commands"):
            continue
        text = cli(*path, "--help").out
        listing = text[text.index("Commands:") : text.index("Examples:")]
        assert "..." not in listing
        flat = " ".join(listing.split())
        for name, command in group.commands.items():  # type: ignore[attr-defined]
            first = " ".join((command.help or "").split("\n\n")[0].split())
            summary = " ".join((command.short_help or first).split())
            assert summary and f"{name} {summary}" in flat, (path, name)
            assert summary == first or name == "rules", (name, summary, first)


RUNNABLE_SKIPS = ("|", ">", "my-pack", "/tmp/", "cohort", "weights.toml", "cache clear")
RUNNABLE_SKIPS += ("trials-refresh",)  # reads registry exports the user downloaded


def test_examples_that_need_no_files_run(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = 0
    for path in commands():
        for line in examples(cli(*path, "--help").out):
            if any(skip in line for skip in RUNNABLE_SKIPS):
                continue
            result = cli(*shlex.split(line)[1:])
            assert result.code == 0, (line, result.err)
            ran += 1
    assert ran >= 30
    assert (tmp_path / "pof.html").stat().st_size > 0


@pytest.mark.parametrize(
    ("argv", "name"),
    [
        (["batch"], "INPUT"),
        (["reference"], "NUMBER"),
        (["rules", "check"], "DIRECTORY"),
        (["rules", "test"], "PACK"),
        (["rules", "show"], "RULE_ID"),
    ],
)
def test_usage_lines_name_arguments_in_upper_case(cli: Cli, argv: list[str], name: str) -> None:
    usage = cli(*argv, "--help").out.splitlines()[0]
    assert usage.startswith(f"Usage: mscadvisor {' '.join(argv)} [OPTIONS] ")
    assert usage.split("[OPTIONS] ")[1].strip("[]{}") == name  # not the parameter's name


@pytest.mark.parametrize(
    ("command", "says"),
    [
        ("recommend", "Required unless the profile file gives it."),
        ("explain", "Required unless the profile file gives it."),
        ("diff", "with no profile option, --profile or --batch, every disease's default"),
    ],
)
def test_disease_help_says_what_each_command_does_without_one(
    cli: Cli, command: str, says: str
) -> None:
    """diff compares every disease without one; the others need one."""
    text = " ".join(cli(command, "--help").out.split())
    disease = text[text.index("--disease") :][:260]
    assert says in disease
    assert "Required unless the profile file gives it" not in disease or command != "diff"
