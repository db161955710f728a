"""The console script runs the CLI without the garbage collector; batch, which runs long and
makes garbage, turns it back on. At exit it skips the interpreter's teardown, but not what is
registered to run at exit."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from mscadvisor.cli import entry, main


@pytest.fixture
def collector_restored() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.usefixtures("collector_restored")
def test_the_command_runs_without_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(main, "main", lambda: seen.append(gc.isenabled()) or 3)
    with pytest.raises(SystemExit) as exited:
        entry.run()  # run inside pytest, so it exits back to pytest
    assert exited.value.code == 3 and seen == [False]


@pytest.mark.usefixtures("collector_restored")
def test_batch_turns_the_collector_back_on(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"disease": "OP"}) + "\n", encoding="utf-8")
    gc.disable()
    assert main.main(["batch", str(rows), "-o", str(tmp_path / "out.jsonl")]) == 0
    assert gc.isenabled()


# Code that makes a process say when it ends at once (``os._exit``).
ENDING_SAID = """
import os, sys

end_now = os._exit
def ending(code):
    sys.stderr.write(f"ended at once with {code}\\n")
    sys.stderr.flush()
    end_now(code)

os._exit = ending
"""
# A child process that says that too, and when something registered at exit runs, then runs a
# command through the console script.
CHILD = (
    ENDING_SAID
    + """
import atexit, threading, time

atexit.register(lambda: sys.stderr.write("atexit ran\\n"))
if sys.argv[1] == "thread":
    threading.Thread(target=lambda: (time.sleep(0.3), sys.stderr.write("thread ended\\n"))).start()
sys.argv = ["mscadvisor", *sys.argv[2:]]
from mscadvisor.cli.entry import run
run()
"""
)


def child(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(CHILD), *args],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.subprocess
@pytest.mark.parametrize(("args", "code"), [(["diseases", "-f", "json"], 0), (["nope"], 2)])
def test_the_process_ends_at_once_after_what_is_registered_to_run_at_exit(
    args: list[str], code: int
) -> None:
    proc = child("main", *args)
    assert proc.returncode == code
    assert proc.stderr.endswith(f"atexit ran\nended at once with {code}\n")
    if code == 0:
        assert len(json.loads(proc.stdout)["rows"]) == 6  # the whole document, flushed


@pytest.mark.subprocess
def test_python_dash_m_ends_at_once_too(tmp_path: Path) -> None:
    (tmp_path / "sitecustomize.py").write_text(ENDING_SAID, encoding="utf-8")
    path = os.pathsep.join([str(tmp_path), *sys.path])
    proc = subprocess.run(
        [sys.executable, "-m", "mscadvisor", "diseases", "-f", "json"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": path},
        check=False,
    )
    assert proc.returncode == 0 and proc.stderr.endswith("ended at once with 0\n")


@pytest.mark.subprocess
def test_a_run_inside_another_program_returns_to_it(tmp_path: Path) -> None:
    host = (
        "import runpy, sys\n"
        "sys.argv = ['mscadvisor', 'diseases', '-f', 'json']\n"
        "try:\n"
        "    runpy.run_module('mscadvisor', run_name='__main__')\n"
        "except SystemExit as exc:\n"
        "    sys.stderr.write(f'back in the host with {exc.code}\\n')\n"
    )
    proc = subprocess.run([sys.executable, "-c", host], capture_output=True, text=True, check=False)
    assert proc.returncode == 0 and proc.stderr.endswith("back in the host with 0\n")
    profile = tmp_path / "run.prof"
    subprocess.run(
        [sys.executable, "-m", "cProfile", "-o", str(profile), "-m", "mscadvisor", "diseases"],
        capture_output=True,
        check=True,
    )
    assert profile.stat().st_size > 0  # the profiler wrote what it measured


@pytest.mark.subprocess
def test_exit_waits_for_a_running_thread_as_the_interpreter_does() -> None:
    proc = child("thread", "diseases", "-f", "json")
    assert proc.returncode == 0
    assert proc.stderr.endswith("thread ended\natexit ran\n")  # no early end
    assert len(json.loads(proc.stdout)["rows"]) == 6


@pytest.mark.subprocess
@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full")
def test_output_that_cannot_be_flushed_at_exit_is_reported_as_the_interpreter_does() -> None:
    def exit_on_a_full_disk(how: str) -> tuple[int, str]:
        script = f"import sys; from mscadvisor.cli.entry import end; sys.stdout.write('x'); {how}"
        with open("/dev/full", "w") as full:
            proc = subprocess.run(
                [sys.executable, "-c", script],
                stdout=full,
                stderr=subprocess.PIPE,
                text=True,
                check=False,
            )
        return proc.returncode, proc.stderr

    code, error = exit_on_a_full_disk("end(0)")
    assert (code, error) == exit_on_a_full_disk("sys.exit(0)")
    assert code != 0 and "No space left on device" in error
