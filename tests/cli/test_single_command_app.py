"""A command line runs in an app of the one command it invokes (typer reads the signature of
every command it is given): that app must answer exactly as the whole app does."""

from __future__ import annotations

import ast
import subprocess
import sys

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


def test_running_one_command_imports_no_other_command_module() -> None:
    """What start-up saves by building one command: the other commands' modules stay unread."""
    probe = (
        "import sys; from mscadvisor.cli.main import main; "
        "main(['recommend', '-d', 'POF', '-f', 'json']); "
        "print(sorted(m for m in sys.modules if m.startswith('mscadvisor.cli.')))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    loaded = ast.literal_eval(out.strip().splitlines()[-1])
    assert loaded == [
        "mscadvisor.cli.main",
        "mscadvisor.cli.options",
        "mscadvisor.cli.recommend",
        "mscadvisor.cli.root",
    ]
