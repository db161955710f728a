"""Bytes handed through a pipe: written whole and in order, moved on exactly, to whatever
output takes them (spliced, or read and written where splice cannot write)."""

from __future__ import annotations

import contextlib
import fcntl
import io
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor import pipes


@pytest.fixture
def pipe() -> Iterator[tuple[int, int]]:
    read_end, write_end = os.pipe()
    yield read_end, write_end
    for end in (read_end, write_end):
        with contextlib.suppress(OSError):  # closed by the test
            os.close(end)


def write_in_background(fd: int, pieces: list[bytes]) -> threading.Thread:
    """Write pieces to a pipe on a thread: more than a pipe holds would block the test."""
    writer = threading.Thread(target=pipes.write_all, args=(fd, pieces))
    writer.start()
    return writer


@settings(max_examples=25, deadline=None)
@given(
    pieces=st.lists(st.binary(max_size=3000), max_size=40),
    many=st.booleans(),
)
def test_pieces_arrive_whole_and_in_order(pieces: list[bytes], many: bool) -> None:
    if many:  # more pieces than one writev takes
        pieces = pieces * 2000 if pieces else [b"x"] * 3000
    read_end, write_end = os.pipe()
    try:
        writer = write_in_background(write_end, pieces)
        received = bytearray()
        pipes.copy(read_end, received.extend, sum(map(len, pieces)))
        writer.join()
    finally:
        os.close(read_end)
        os.close(write_end)
    assert bytes(received) == b"".join(pieces)


@pytest.mark.parametrize("splice", [True, False])
@pytest.mark.parametrize("target", ["file", "appended file", "pipe", "no file"])
def test_moved_bytes_follow_what_the_stream_buffered(
    tmp_path: Path,
    pipe: tuple[int, int],
    monkeypatch: pytest.MonkeyPatch,
    splice: bool,
    target: str,
) -> None:
    """A file opened for appending is one that splice refuses, and a stream without a file one
    it cannot reach: the bytes are written as usual."""
    if splice and not pipes.CAN_SPLICE:
        pytest.skip("no splice on this system")
    monkeypatch.setattr(pipes, "CAN_SPLICE", splice)
    read_end, write_end = pipe
    data = bytes(range(256)) * 1000  # more than a pipe holds at first
    writer = write_in_background(write_end, [data])
    if target == "no file":  # captured output: a stream without a file beneath
        stream = io.BytesIO()
        stream.write(b"first ")
        pipes.move(read_end, stream, len(data))
        result = stream.getvalue()
    elif target == "pipe":
        out_read, out_write = os.pipe()
        received = bytearray()
        reader = threading.Thread(target=_read_all, args=(out_read, received))
        reader.start()
        with open(out_write, "wb") as stream:
            stream.write(b"first ")
            pipes.move(read_end, stream, len(data))
        reader.join()
        os.close(out_read)
        result = bytes(received)
    else:
        path = tmp_path / "out"
        path.write_bytes(b"old " if target == "appended file" else b"")
        with path.open("ab" if target == "appended file" else "wb") as stream:
            stream.write(b"first ")
            pipes.move(read_end, stream, len(data))
        result = path.read_bytes().removeprefix(b"old ")
    writer.join()
    assert result == b"first " + data


def _read_all(fd: int, into: bytearray) -> None:
    while chunk := os.read(fd, 1 << 16):
        into.extend(chunk)


@pytest.mark.parametrize("how", ["copy", "splice"])
def test_a_pipe_that_ends_early_is_pipe_ended(pipe: tuple[int, int], how: str) -> None:
    if how == "splice" and not pipes.CAN_SPLICE:
        pytest.skip("no splice on this system")
    read_end, write_end = pipe
    os.write(write_end, b"half")
    os.close(write_end)
    with open(os.devnull, "wb") as devnull:
        take = {
            "copy": lambda: pipes.copy(read_end, io.BytesIO().write, 8),
            "splice": lambda: pipes.splice_exactly(read_end, devnull.fileno(), 8),
        }[how]
        with pytest.raises(pipes.PipeEnded):
            take()


@pytest.mark.skipif(not pipes.CAN_SPLICE, reason="pipe sizes are Linux's")
def test_a_widened_pipe_says_its_capacity(pipe: tuple[int, int]) -> None:
    capacity = pipes.widened(pipe[1])
    # The capacity asked for, or (over the user's limit on pipe memory) the one it had.
    assert capacity == pipes.WANTED_CAPACITY or 4096 <= capacity < pipes.WANTED_CAPACITY


@pytest.mark.skipif(not pipes.CAN_SPLICE, reason="splice is Linux's")
def test_staging_takes_bytes_as_they_come_and_says_when_it_filled_up(
    pipe: tuple[int, int],
) -> None:
    read_end, write_end = pipe
    staged, staging = os.pipe()
    try:
        # Bytes that come later are waited for.
        later = threading.Timer(0.05, os.write, (write_end, b"b" * 3000))
        later.start()
        os.write(write_end, b"a" * 1000)
        assert pipes.stage(read_end, staging, 4000) == 0
        later.join()
        assert os.read(staged, 8000) == b"a" * 1000 + b"b" * 3000
        # A one-page pipe holds one write of 10 bytes: the next 10 find it full, and wait in
        # the source to be read from there.
        fcntl.fcntl(staging, fcntl.F_SETPIPE_SZ, 4096)
        os.write(write_end, b"c" * 10)
        assert pipes.stage(read_end, staging, 10) == 0
        os.write(write_end, b"d" * 10)
        assert pipes.stage(read_end, staging, 10) == 10
        assert os.read(staged, 100) == b"c" * 10
        assert os.read(read_end, 100) == b"d" * 10
        # A source that ends first.
        fcntl.fcntl(staging, fcntl.F_SETPIPE_SZ, 65536)
        os.write(write_end, b"e" * 5)
        os.close(write_end)
        with pytest.raises(pipes.PipeEnded):
            pipes.stage(read_end, staging, 10)
    finally:
        os.close(staged)
        os.close(staging)
