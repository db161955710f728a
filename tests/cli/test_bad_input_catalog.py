"""Runs the catalog of bad inputs (``tests/cli/bad_inputs``): each case ends within the time
limit with its exit code and a one-line message, no traceback, no "this is a bug", and nothing
partial or stray in its folder. Children run as an ordinary user would (file permissions apply
even when the tests run as root)."""

from __future__ import annotations

import importlib
import os
import pkgutil
import shlex
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from mscadvisor.cli.main import app
from tests.cli import bad_inputs
from tests.cli.bad_inputs import BadInput
from tests.privileges import obey_file_permissions

# Every module of the package holds the cases of one area.
CATALOG: list[BadInput] = [
    case
    for module in sorted(pkgutil.iter_modules(bad_inputs.__path__), key=lambda m: m.name)
    for case in importlib.import_module(f"{bad_inputs.__name__}.{module.name}").CASES
]
MESSAGE_CHARS = 2000
TIME_LIMIT = 60  # seconds; generous for a loaded machine, a hang still fails


def test_case_names_are_unique() -> None:
    names = [case.name for case in CATALOG]
    assert len(names) == len(set(names))
    assert len(names) >= 60  # every module was found


def path_parameters(command: Any, path: str = "mscadvisor") -> Iterator[tuple[str, Any]]:
    """Every parameter of the app and its commands that takes a path, by name, with its type
    (click's Path type, of whichever copy of click typer uses: the one with ``readable``)."""
    for parameter in command.params:
        if hasattr(parameter.type, "readable"):
            yield f"{path} {parameter.name}", parameter.type
    for name, sub in getattr(command, "commands", {}).items():
        yield from path_parameters(sub, f"{path} {name}")


def test_no_path_is_checked_by_the_parser() -> None:
    """click would refuse an unreadable path with its usage block: each reader says why a path
    cannot be read (or written) in one line of its own instead."""
    paths = dict(path_parameters(typer.main.get_command(app)))
    assert len(paths) > 20
    assert [name for name, kind in paths.items() if kind.readable or kind.exists] == []


@pytest.mark.subprocess
@pytest.mark.parametrize("case", CATALOG, ids=lambda case: case.name)
def test_bad_input(case: BadInput, tmp_path: Path) -> None:
    folder = tmp_path / "case"
    folder.mkdir()
    if case.setup is not None:
        case.setup(folder)
    before = set(os.listdir(folder))
    m = f"{shlex.quote(sys.executable)} -m mscadvisor"
    command = case.command.format(m=m, tmp=shlex.quote(str(folder)))
    env = {**os.environ, "COLUMNS": "80", **case.env}
    proc = subprocess.run(
        ["bash", "-c", command],
        cwd=folder,
        env=env,
        capture_output=True,
        timeout=TIME_LIMIT,
        preexec_fn=obey_file_permissions if os.geteuid() == 0 else None,
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == case.code, err
    assert case.fragment in err
    assert "Traceback" not in err and "this is a bug" not in err
    assert len(err) <= MESSAGE_CHARS, "a message names the bad value; it does not echo it whole"
    if case.stdout_fragment is not None:
        assert case.stdout_fragment in proc.stdout.decode("utf-8", "replace")
    assert set(os.listdir(folder)) - before <= set(case.leaves)
