"""A command line runs in an app of the one command it invokes (typer reads the signature of
every command it is given): that app must answer exactly as the whole app does."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

from mscadvisor.cli.main import TOP_LEVEL, build_app, invoked_command


@pytest.mark.parametrize(
    ("args", "command"),
    [
        (["recommend", "-d", "POF"], "recommend"),
        (["--rules", "recommend", "explain"], "explain"),  # a pack folder named like a command
        (["--rules=pack", "--weights", "w.toml", "rules", "test"], "rules"),
        (["--color", "never", "-V", "cache", "info"], "cache"),
        (["--help"], None),
        (["-h", "recommend"], None),
        (["recomend"], None),  # a typo: the whole app suggests the command meant
        (["--", "recommend"], None),
        ([], None),
    ],
)
def test_invoked_command(args: list[str], command: str | None) -> None:
    assert invoked_command(args) == command


def test_shell_completion_gets_the_whole_app(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("_MSCADVISOR_COMPLETE", "complete_bash")
    assert invoked_command(["recommend"]) is None


@pytest.mark.parametrize("name", sorted(TOP_LEVEL))
def test_one_command_app_answers_as_the_whole_app(name: str) -> None:
    runner = CliRunner()
    for args in ([name, "--help"], [name, "--no-such-option"], ["--rules"]):
        alone = runner.invoke(build_app(name), args, prog_name="mscadvisor")
        whole = runner.invoke(build_app(), args, prog_name="mscadvisor")
        assert (alone.exit_code, alone.output) == (whole.exit_code, whole.output), args
    assert [c.name for c in build_app(name).registered_commands] in ([name], [])
