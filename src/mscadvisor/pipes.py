"""Bytes handed from one process to another through a pipe, without Python objects in between.

A batch worker process writes its output lines to a pipe (``write_all``) and the process that
reads it moves them on to the output with splice(2) (``move``), so that megabytes of results
are neither pickled nor copied through the reader's memory. splice needs Linux (``CAN_SPLICE``);
elsewhere, and where the output cannot take it (a terminal, a file opened for appending, a
stream without a file), the bytes are read and written as usual. A function told a number of
bytes moves that many (``stage`` stops early when its target fills, and says what is left), and
a pipe that ends before they came is ``PipeEnded``.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import select
from collections.abc import Callable
from typing import Protocol

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no pipes to splice
    fcntl = None  # type: ignore[assignment]

CAN_SPLICE = hasattr(os, "splice") and hasattr(fcntl, "F_SETPIPE_SZ")
# The capacity asked for: the most a process may set without privileges (Linux's default
# /proc/sys/fs/pipe-max-size). A pipe that cannot have it keeps its own (64 KiB by default).
WANTED_CAPACITY = 1 << 20
# What splice cannot write to, so that the bytes are written as usual: a terminal or another
# device without splice support and a file opened for appending (EINVAL), a file system
# without it (ENOSYS, EOPNOTSUPP).
_NO_SPLICE = (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP)


class Output(Protocol):
    """A binary stream: a file object or standard output's buffer (captured output too)."""

    def write(self, data: bytes, /) -> object: ...
    def flush(self) -> object: ...
    def fileno(self) -> int: ...


class PipeEnded(Exception):
    """A pipe ended (its writer closed it or died) before the bytes expected of it came."""


def widened(fd: int) -> int:
    """The capacity of the pipe ``fd`` in bytes, after asking for WANTED_CAPACITY."""
    with contextlib.suppress(OSError):  # over the user's limit on pipe memory: as it was
        fcntl.fcntl(fd, fcntl.F_SETPIPE_SZ, WANTED_CAPACITY)
    return fcntl.fcntl(fd, fcntl.F_GETPIPE_SZ)


# The most pieces one writev takes. POSIX promises at least 16; a system may say -1 (no limit).
_IOV_MAX = max(16, os.sysconf("SC_IOV_MAX")) if "SC_IOV_MAX" in os.sysconf_names else 16


def write_all(fd: int, pieces: list[bytes]) -> None:
    """Write the pieces to fd, in order and whole, without joining them first."""
    for start in range(0, len(pieces), _IOV_MAX):
        group = pieces[start : start + _IOV_MAX]
        written = os.writev(fd, group)
        if written < sum(map(len, group)):  # cut short (by a signal): the rest, plainly
            rest = memoryview(b"".join(group))[written:]
            while rest:
                rest = rest[os.write(fd, rest) :]


def stage(source: int, staging: int, size: int) -> int:
    """Move size bytes from the pipe source into the empty pipe staging, waiting for them to
    come; what is left of size when staging fills up first (0 when it did not).

    A pipe's capacity is pages, and bytes that came a few at a time take a page each: a pipe of
    a megabyte can be full with less. Nothing drains staging while this runs, so a blocking
    splice would wait for ever; this one does not block, and waits for the source alone."""
    waiting = select.poll()
    waiting.register(source, select.POLLIN)
    room = select.poll()
    room.register(staging, select.POLLOUT)
    while size:
        try:
            moved = os.splice(source, staging, size, flags=os.SPLICE_F_NONBLOCK)
        except BlockingIOError:  # the source is empty, or staging is full
            if not room.poll(0):
                return size
            waiting.poll()
            continue
        if not moved:
            raise PipeEnded
        size -= moved
    return 0


def splice_exactly(source: int, target: int, size: int) -> None:
    """Move size bytes from the pipe source to target (a pipe, file or device) with splice."""
    while size:
        moved = os.splice(source, target, size)
        if not moved:
            raise PipeEnded
        size -= moved


def copy(source: int, write: Callable[[bytes], object], size: int) -> None:
    """Read size bytes from the pipe source, handing each read to write."""
    while size:
        data = os.read(source, size)
        if not data:
            raise PipeEnded
        write(data)
        size -= len(data)


def move(source: int, stream: Output, size: int) -> None:
    """Write size bytes waiting in the pipe source to stream, after what it has buffered:
    spliced where the stream's file takes it, else read and written."""
    stream.flush()
    if CAN_SPLICE:
        try:
            splice_exactly(source, stream.fileno(), size)
            return
        except io.UnsupportedOperation:  # a stream with no file beneath (captured output)
            pass
        except OSError as exc:
            # splice refuses such a file before it moves anything.
            if exc.errno not in _NO_SPLICE:
                raise
    copy(source, stream.write, size)
