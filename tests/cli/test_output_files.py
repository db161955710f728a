"""Output files (recommend --export, batch -o) respect the user: a new file gets the mode the
umask gives, an overwritten file keeps its mode, and a symbolic link is followed (its target is
replaced, the link stays). A failed or killed run leaves no temporary file."""

from __future__ import annotations

import errno
import io
import os
import signal
import stat
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from mscadvisor.errors import MscAdvisorError
from mscadvisor.render.output_file import OutputFile
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
PROFILES = '{"disease": "POF"}\n{"disease": "OP", "age": 70}\n'


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def umask() -> Iterator[Callable[[int], None]]:
    """Set the process's umask for one test."""
    old = os.umask(0o022)
    os.umask(old)
    yield os.umask
    os.umask(old)


@pytest.fixture(params=["export", "batch"])
def write_to(request: pytest.FixtureRequest, cli: Cli, tmp_path: Path) -> Callable[[Path], int]:
    """Write a result to a path the way one command does; return the exit code."""
    profiles = tmp_path / "in" / "profiles.jsonl"
    profiles.parent.mkdir()
    profiles.write_text(PROFILES, encoding="utf-8")

    def write(path: Path) -> int:
        if request.param == "export":
            return cli("recommend", "-d", "POF", "--export", str(path)).code
        return cli("batch", str(profiles), "-o", str(path)).code

    return write


def written(path: Path) -> bool:
    text = path.read_text(encoding="utf-8")
    return text.startswith(("<!DOCTYPE html>", '{"line":1,'))


@pytest.mark.parametrize(("mask", "expected"), [(0o022, 0o644), (0o077, 0o600), (0o027, 0o640)])
def test_a_new_file_follows_the_umask(
    write_to: Callable[[Path], int],
    umask: Callable[[int], None],
    tmp_path: Path,
    mask: int,
    expected: int,
) -> None:
    umask(mask)
    target = tmp_path / "out.html"
    assert write_to(target) == 0
    assert written(target) and mode(target) == expected


@pytest.mark.parametrize("old_mode", [0o644, 0o600, 0o640, 0o444])
def test_an_overwritten_file_keeps_its_mode(
    write_to: Callable[[Path], int],
    umask: Callable[[int], None],
    tmp_path: Path,
    old_mode: int,
) -> None:
    umask(0o077)  # the umask plays no part when the file exists
    target = tmp_path / "report.html"
    target.write_text("old report\n", encoding="utf-8")
    target.chmod(old_mode)
    assert write_to(target) == 0
    assert written(target) and mode(target) == old_mode
    assert [p.name for p in tmp_path.iterdir() if p.name != "in"] == ["report.html"]


def test_a_symbolic_link_is_followed_and_stays_a_link(
    write_to: Callable[[Path], int], tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir()
    target = shared / "report.html"
    target.write_text("old report\n", encoding="utf-8")
    target.chmod(0o640)
    link = tmp_path / "latest.html"
    link.symlink_to(Path("shared") / "report.html")  # relative, as ln -s makes them
    chain = tmp_path / "chain.html"
    chain.symlink_to(link)
    assert write_to(chain) == 0
    assert chain.is_symlink() and link.is_symlink() and os.readlink(link) == "shared/report.html"
    assert written(target) and mode(target) == 0o640
    assert sorted(p.name for p in shared.iterdir()) == ["report.html"]  # no temporary file left
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "chain.html",
        "in",
        "latest.html",
        "shared",
    ]


def test_a_dangling_symbolic_link_creates_its_target(
    write_to: Callable[[Path], int], umask: Callable[[int], None], tmp_path: Path
) -> None:
    umask(0o027)
    link = tmp_path / "latest.html"
    link.symlink_to(tmp_path / "report.html")
    assert write_to(link) == 0
    assert link.is_symlink() and written(tmp_path / "report.html")
    assert mode(tmp_path / "report.html") == 0o640


def test_a_symbolic_link_loop_is_refused(write_to: Callable[[Path], int], tmp_path: Path) -> None:
    loop = tmp_path / "loop.html"
    loop.symlink_to(loop)
    assert write_to(loop) == 1
    assert loop.is_symlink()


def test_a_failed_batch_leaves_a_linked_file_as_it_was(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"disease": "GOUT"}\n', encoding="utf-8")
    result = cli("batch", str(bad), "--on-error", "fail", "-o", str(link))
    assert result.code == 2 and f"{link} was not written" in result.err
    assert target.read_text(encoding="utf-8") == "old\n" and link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.jsonl", "link.jsonl", "out.jsonl"]


# Writes an output file, says so, and waits to be killed.
WRITER = """
import sys, time
from pathlib import Path
from mscadvisor.render.output_file import OutputFile
out = OutputFile(Path(sys.argv[1]))
out.write("half a report\\n" * 10000)
out.handle.flush()
print("writing", flush=True)
time.sleep(120)
"""


@pytest.mark.subprocess
@pytest.mark.parametrize("old", [None, "old report\n"])
def test_a_run_killed_while_writing_leaves_nothing_behind(tmp_path: Path, old: str | None) -> None:
    folder = tmp_path / "out"
    folder.mkdir()
    target = folder / "report.html"
    if old is not None:
        target.write_text(old, encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-c", WRITER, str(target)], stdout=subprocess.PIPE, text=True
    ) as child:
        assert child.stdout is not None and child.stdout.readline() == "writing\n"
        child.send_signal(signal.SIGKILL)
        child.wait()
    assert [p.name for p in folder.iterdir()] == ([] if old is None else ["report.html"])
    if old is not None:
        assert target.read_text(encoding="utf-8") == old


@pytest.fixture
def without_tmpfile(monkeypatch: pytest.MonkeyPatch) -> None:
    """A system without O_TMPFILE: the temporary file is a hidden one beside the target."""
    monkeypatch.delattr(os, "O_TMPFILE", raising=False)


@pytest.mark.usefixtures("without_tmpfile")
@pytest.mark.parametrize("old_mode", [None, 0o640])
def test_without_o_tmpfile_a_named_temporary_file_is_renamed_into_place(
    tmp_path: Path, umask: Callable[[int], None], old_mode: int | None
) -> None:
    umask(0o022)
    target = tmp_path / "report.html"
    if old_mode is not None:
        target.write_text("old report\n", encoding="utf-8")
        target.chmod(old_mode)
    out = OutputFile(target)
    assert out.tmp is not None and out.tmp.name.startswith(".report.html.")
    out.write("new report\n")
    out.commit()
    assert target.read_text(encoding="utf-8") == "new report\n"
    assert mode(target) == (old_mode or 0o644)
    assert [p.name for p in tmp_path.iterdir()] == ["report.html"]


class FullDisk(io.StringIO):
    def write(self, text: str) -> int:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


@pytest.mark.parametrize("tmpfile", [True, False], ids=["o-tmpfile", "named"])
def test_a_failed_write_is_an_error_and_leaves_no_temporary_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, tmpfile: bool
) -> None:
    if not tmpfile:
        monkeypatch.delattr(os, "O_TMPFILE", raising=False)
    target = tmp_path / "out.jsonl"
    out = OutputFile(target)
    out.handle.close()
    out.handle = FullDisk()
    with pytest.raises(MscAdvisorError, match=f"cannot write {target}: No space left on device"):
        out.write("a line\n")
    out.abandon()  # again, as a caller cleaning up would: nothing left to do
    assert list(tmp_path.iterdir()) == []


@pytest.mark.subprocess
@pytest.mark.parametrize(
    ("stdout", "output"),
    [("file", "/dev/stdout"), ("file", "same name"), ("pipe", "/dev/stdout")],
)
def test_an_output_that_standard_output_writes_to_is_refused(
    tmp_path: Path, stdout: str, output: str
) -> None:
    """`{ ...; batch -o /dev/stdout; } >> log` would replace log (what it held and what the
    shell appended); with a pipe, the results would go beside the stream. Refused, and log is
    left as the shell writes it."""
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text(PROFILES, encoding="utf-8")
    log = tmp_path / "log.txt"
    log.write_text("kept\n", encoding="utf-8")
    named = "/dev/stdout" if output == "/dev/stdout" else str(log)
    command = [sys.executable, "-m", "mscadvisor", "batch", str(profiles), "-o", named]
    if stdout == "file":
        with log.open("a", encoding="utf-8") as stream:
            done = subprocess.run(
                command, stdout=stream, stderr=subprocess.PIPE, text=True, check=False
            )
    else:
        done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 2
    assert done.stderr == (
        f"mscadvisor: error: {named}: is where standard output already goes, which writing it "
        "would mix with or replace; leave the option out to write there\n"
    )
    assert log.read_text(encoding="utf-8") == "kept\n"


@pytest.mark.subprocess
def test_naming_the_device_standard_output_writes_to_is_not_refused(tmp_path: Path) -> None:
    """A character device (here /dev/null; a terminal alike) is written straight through, never
    replaced: naming the one stdout writes to is harmless."""
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text(PROFILES, encoding="utf-8")
    command = [sys.executable, "-m", "mscadvisor", "batch", str(profiles), "-o", "/dev/stdout"]
    done = subprocess.run(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, check=False
    )
    assert done.returncode == 0, done.stderr
