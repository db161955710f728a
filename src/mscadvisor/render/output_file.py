"""Files written so that a reader never sees them half-written: ``--output`` and ``--export``.

Kept apart from ``output``, which every command imports for its standard output, because few
commands write a file.
"""

from __future__ import annotations

import contextlib
import errno
import os
from collections.abc import Callable
from pathlib import Path

from mscadvisor.errors import InputError, MscAdvisorError
from mscadvisor.pipes import move


def target_of(path: Path) -> Path:
    """The file that writing to path puts its text in place of: the final target of a symbolic
    link (relative links and chains resolved; a dangling link names the file to create), else
    path itself."""
    return Path(os.path.realpath(path)) if path.is_symlink() else path


class OutputFile:
    """Text written to a path so that a reader never sees it half-written.

    A regular file (or a new path) is written to a temporary file in its folder and put in its
    place on ``commit``; ``abandon`` drops the temporary file and leaves any old file as it was.
    On Linux the temporary file has no name (O_TMPFILE) until ``commit`` links it in, so a run
    killed mid-write (even by SIGKILL) leaves nothing behind; elsewhere it is a hidden
    ``.NAME.xxxx`` file beside the target. A special file such as /dev/null, a FIFO or a
    terminal is written straight through: renaming over it would replace the device itself.

    A file or pipe that standard output or standard error already writes to (``-o
    /dev/stdout``, or the file a shell redirected either to) is refused with an InputError:
    replacing it would discard what the stream wrote, and writing beside the stream would
    mix the two. A terminal is written straight through, as any special file.

    Permissions are the user's: a new file gets the mode the umask gives any new file (0644
    under umask 022), an overwritten file keeps its mode. A symbolic link is followed: the file
    it points to is replaced (in its own folder, keeping its mode) and the link stays a link.

    Every failure, on opening, writing or committing, is a MscAdvisorError naming the path, and
    leaves no temporary file.
    """

    def __init__(self, path: Path) -> None:
        import stat

        self.path = path
        self.target = path
        self.tmp: Path | None = None  # the temporary file; None when written straight through
        self._named = False  # whether tmp has a name in the folder (else /proc/self/fd/N)
        try:
            _refuse_a_standard_stream(path)
            self.target = target_of(path)  # messages keep the path the user gave
            try:
                old = self.target.stat()
            except FileNotFoundError:
                old = None
            if old is not None and not stat.S_ISREG(old.st_mode):
                self.handle = path.open("w", encoding="utf-8", newline="")
                return
            fd = self._temporary()
        except OSError as exc:
            raise self._error(exc) from None
        # A temporary file is made 0600 whatever the umask; give it the mode it would have had.
        mode = stat.S_IMODE(old.st_mode) if old is not None else 0o666 & ~_umask()
        try:
            os.fchmod(fd, mode)
        except OSError as exc:  # pragma: no cover - our own new file in a folder we can write
            os.close(fd)
            self._drop()
            raise self._error(exc) from None
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def _temporary(self) -> int:
        """A new file in the target's folder, open for writing: nameless where the system
        allows (Linux, most file systems), else a hidden name beside the target."""
        import tempfile

        folder = self.target.parent
        if hasattr(os, "O_TMPFILE") and os.path.isdir("/proc/self/fd"):
            try:
                fd = os.open(folder, os.O_TMPFILE | os.O_WRONLY, 0o600)
            except OSError as exc:
                # A file system without it, or a kernel that takes it for O_DIRECTORY.
                if exc.errno not in (errno.EOPNOTSUPP, errno.EINVAL, errno.EISDIR):
                    raise
            else:
                self.tmp = Path(f"/proc/self/fd/{fd}")
                return fd
        fd, name = tempfile.mkstemp(prefix=f".{self.target.name}.", dir=folder)
        self.tmp, self._named = Path(name), True
        return fd

    def write(self, text: str) -> None:
        self._written(lambda: self.handle.write(text))

    def write_bytes(self, data: bytes) -> None:
        """UTF-8 text already encoded; not to be mixed with ``write`` (each buffers apart)."""
        self._written(lambda: self.handle.buffer.write(data))

    def move_bytes(self, source: int, size: int) -> None:
        """size bytes of UTF-8 text waiting in the pipe source (``pipes.move``), as
        ``write_bytes`` would write them."""
        self._written(lambda: move(source, self.handle.buffer, size))

    def _written(self, write: Callable[[], object]) -> None:
        try:
            write()
        except OSError as exc:
            self.abandon()
            raise self._error(exc) from None

    def commit(self) -> None:
        try:
            self.handle.flush()
            if self.tmp is not None:
                self._put_in_place(self.tmp)
            self.handle.close()
        except OSError as exc:
            self.abandon()
            raise self._error(exc) from None

    def _put_in_place(self, tmp: Path) -> None:
        if self._named:
            os.replace(tmp, self.target)
            self._named = False
            return
        # linkat(2) follows /proc/self/fd/N to the nameless file only when asked to; Python
        # asks (follow_symlinks) only when it calls linkat, which a folder descriptor makes it.
        folder = os.open(self.target.parent, os.O_RDONLY | os.O_DIRECTORY)
        try:
            _link_over(tmp, folder, self.target.name)
        finally:
            os.close(folder)

    def abandon(self) -> None:
        with contextlib.suppress(OSError):  # what could not be flushed is thrown away anyway
            self.handle.close()
        self._drop()

    def _drop(self) -> None:
        if self._named and self.tmp is not None:
            self.tmp.unlink(missing_ok=True)
            self._named = False

    def _error(self, exc: OSError) -> MscAdvisorError:
        return MscAdvisorError(f"cannot write {self.path}: {exc.strerror or exc}")


def _refuse_a_standard_stream(path: Path) -> None:
    """InputError when path is the file or pipe that standard output or standard error writes
    to (by device and inode, following links such as /dev/stdout); a terminal is not refused."""
    import stat

    try:
        named = os.stat(path)
    except OSError:  # not there yet, or a link loop: opening it says why
        return
    if stat.S_ISCHR(named.st_mode):
        return
    for fd, stream in ((1, "standard output"), (2, "standard error")):
        try:
            written = os.fstat(fd)
        except OSError:  # closed
            continue
        if (written.st_dev, written.st_ino) == (named.st_dev, named.st_ino):
            instead = "leave the option out to write there" if fd == 1 else "name another file"
            raise InputError(
                f"{path}: is where {stream} already goes, which writing it would mix with or "
                f"replace; {instead}"
            )


def _link_over(tmp: Path, folder: int, name: str) -> None:
    """Give the nameless file tmp the name in folder, replacing any file of that name in one
    step."""
    try:
        os.link(tmp, name, dst_dir_fd=folder)  # a new file: in place at once
        return
    except FileExistsError:
        pass
    # Over an old file: linked in under a hidden name, then renamed over it.
    for _ in range(100):
        hidden = f".{name}.{os.urandom(4).hex()}"
        try:
            os.link(tmp, hidden, dst_dir_fd=folder)
        except FileExistsError:  # pragma: no cover - a name taken by chance
            continue
        try:
            os.replace(hidden, name, src_dir_fd=folder, dst_dir_fd=folder)
        except OSError:
            os.unlink(hidden, dir_fd=folder)
            raise
        return
    raise FileExistsError(errno.EEXIST, "no free temporary name")  # pragma: no cover


def _umask() -> int:
    """The process's umask (reading it means setting it: briefly to the strictest value)."""
    mask = os.umask(0o077)
    os.umask(mask)
    return mask


def write_file_atomically(path: Path, data: str) -> None:
    """Replace path with data in one step (see OutputFile)."""
    out = OutputFile(path)
    out.write(data)
    out.commit()
