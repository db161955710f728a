"""Shared fixtures: the shipped knowledge base, a copy of the rules tree, and a CLI runner."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from mscadvisor.cli.main import main
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from mscadvisor.kb.loader import shipped_rules_dir
from tests.privileges import obey_file_permissions


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Keep the compiled cache of test runs (and their subprocesses) out of the user's folder."""
    folder = tmp_path_factory.mktemp("cache")
    os.environ["MSCADVISOR_CACHE_DIR"] = str(folder)
    return folder


@pytest.fixture(scope="session", autouse=True)
def interruptible() -> Iterator[None]:
    """Ctrl-C as a terminal sends it: the tests of interrupted runs need SIGINT to raise
    KeyboardInterrupt here and in the commands they start, even in a test run started with
    SIGINT ignored (as a shell starts a script's background jobs); a command started from here
    gets the default action back when it execs."""
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    yield
    signal.signal(signal.SIGINT, previous)


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge_base()


@pytest.fixture
def rules_copy(tmp_path: Path) -> Path:
    """A writable copy of the shipped rules tree, for breaking on purpose."""
    target = tmp_path / "rules"
    shutil.copytree(shipped_rules_dir(), target)
    return target


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self) -> Any:
        return json.loads(self.out)


@pytest.fixture
def cli(capsys: pytest.CaptureFixture[str]) -> Callable[..., CliResult]:
    """Run the CLI in process and capture its exit code, stdout and stderr."""

    def run(*args: str) -> CliResult:
        code = main(list(args))
        captured = capsys.readouterr()
        return CliResult(code, captured.out, captured.err)

    return run


def read_terminal(primary: int, proc: subprocess.Popen[bytes]) -> str:
    """Everything a child process wrote to a pseudo-terminal, once it has exited (0)."""
    shown = b""
    while True:
        try:
            chunk = os.read(primary, 4096)
        except OSError:  # the terminal closes with the process
            break
        if not chunk:
            break
        shown += chunk
    os.close(primary)
    assert proc.wait() == 0
    return shown.decode("utf-8", "replace")


@dataclass
class Unprivileged:
    """A folder and a way to run the CLI in it as an ordinary user would, so that permission
    checks apply: as root (which reads and writes anything) the child gives up the capabilities
    that bypass file permissions; as anyone else it runs as is. The child gets no compiled
    cache, so that the test sees only the file it is about."""

    folder: Path
    as_root: bool

    def run(self, *args: str, env: dict[str, str] | None = None) -> CliResult:
        """The CLI's answer to args; env: environment variables to set (or to let the child
        use a cache: MSCADVISOR_NO_CACHE=0)."""
        import sys

        proc = subprocess.run(
            [sys.executable, "-m", "mscadvisor", *args],
            cwd=self.folder,
            env={**os.environ, "MSCADVISOR_NO_CACHE": "1", **(env or {})},
            preexec_fn=obey_file_permissions if self.as_root else None,
            capture_output=True,
            text=True,
            check=False,
        )
        return CliResult(proc.returncode, proc.stdout, proc.stderr)


@pytest.fixture
def unprivileged(tmp_path: Path) -> Unprivileged:
    return Unprivileged(tmp_path, as_root=os.geteuid() == 0)
