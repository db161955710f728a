"""The catalog of bad inputs: every way a user can hand the CLI something it cannot use, each
with the exit code and the message it must end with.

Each module of this package holds the cases of one area as ``CASES``; ``test_bad_input_catalog``
runs them all in a child process (so FIFOs, closed descriptors and full disks are real), with a
time limit (a hang fails the case), and checks that nothing was left behind in the case's folder.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

Setup = Callable[[Path], None]


@dataclass(frozen=True)
class BadInput:
    """One bad input and what the CLI must answer to it.

    ``command`` is a shell line run in the case's folder: ``{m}`` stands for the CLI and
    ``{tmp}`` for the folder, which ``setup`` fills first. Whatever setup made is all the folder
    may hold afterwards unless ``leaves`` names more.
    """

    name: str
    command: str
    code: int
    fragment: str  # must appear in stderr
    setup: Setup | None = None
    env: Mapping[str, str] = field(default_factory=dict)
    leaves: tuple[str, ...] = ()  # names the run may add to the folder (an output it completed)
    stdout_fragment: str | None = None  # when the run must also print something
