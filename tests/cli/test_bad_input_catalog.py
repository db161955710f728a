"""Runs the catalog of bad inputs (``tests/cli/bad_inputs``): each case ends within the time
limit with its exit code and a one-line message, no traceback, no "this is a bug", and nothing
partial or stray in its folder."""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli.bad_inputs import BadInput, batch, reading

CATALOG: list[BadInput] = [*reading.CASES, *batch.CASES]
TIME_LIMIT = 60  # seconds; generous for a loaded machine, a hang still fails


def test_case_names_are_unique() -> None:
    names = [case.name for case in CATALOG]
    assert len(names) == len(set(names))


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
        check=False,
    )
    err = proc.stderr.decode("utf-8", "replace")
    assert proc.returncode == case.code, err
    assert case.fragment in err
    assert "Traceback" not in err and "this is a bug" not in err
    if case.stdout_fragment is not None:
        assert case.stdout_fragment in proc.stdout.decode("utf-8", "replace")
    assert set(os.listdir(folder)) - before <= set(case.leaves)
