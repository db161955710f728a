"""Writing results: JSON as UTF-8 bytes to stdout, text through a rich console.

Colour only on a terminal and never with NO_COLOR (rich honours both); a console that is not a
terminal gets a fixed width so piped tables do not wrap at 80 columns.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mscadvisor.errors import MscAdvisorError

if TYPE_CHECKING:
    from rich.console import Console

PIPED_WIDTH = 120


def json_text(document: Any) -> str:
    """Deterministic JSON: same document, same bytes."""
    return json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def write_json(document: Any) -> None:
    # JSON is UTF-8 whatever the locale says; writing bytes avoids encoding errors.
    sys.stdout.flush()
    sys.stdout.buffer.write(json_text(document).encode("utf-8"))
    sys.stdout.buffer.flush()


def write_text(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def console(*, record: bool = False, quiet: bool = False) -> Console:
    """A console on stdout; ``record`` keeps what it prints for export, ``quiet`` renders into
    memory only (to render for export alone)."""
    import io

    from rich.console import Console

    class QuietPipeConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # handled like any closed pipe: a quiet exit (cli.main)

    terminal = sys.stdout.isatty()
    width = None if terminal and not quiet else int(os.environ.get("COLUMNS", PIPED_WIDTH))
    return QuietPipeConsole(
        file=io.StringIO() if quiet else None,
        width=width,
        highlight=False,
        emoji=False,  # rule text is data: a ':name:' in it is printed as typed
        soft_wrap=False,
        record=record,
    )


def unicode_ok(console: Console) -> bool:
    """Whether the console's encoding can show box and bar characters."""
    return console.encoding.lower().replace("-", "").startswith("utf")


def symbols(text: str, unicode: bool) -> str:
    """Text with the GRADE certainty circles in ASCII where the console cannot show them."""
    return text if unicode else text.replace("⊕", "+").replace("◯", "o")


def export_console(console: Console, path: Path) -> None:
    """Save what a recording console printed as HTML or SVG, atomically."""
    if path.suffix.lower() == ".svg":
        text = console.export_svg(title="mscadvisor")
    else:
        text = console.export_html()
    write_file_atomically(path, text)


class OutputFile:
    """Text written to a path so that a reader never sees it half-written.

    A regular file (or a new path) is written to a temporary file beside it and renamed over it
    on ``commit``; ``abandon`` removes the temporary file and leaves any old file as it was. A
    special file such as /dev/null, a FIFO or a terminal is written straight through: renaming
    over it would replace the device itself.
    """

    def __init__(self, path: Path) -> None:
        import stat
        import tempfile

        self.path = path
        self.tmp: Path | None = None
        try:
            special = path.exists() and not stat.S_ISREG(path.stat().st_mode)
            if special:
                self.handle = path.open("w", encoding="utf-8", newline="")
                return
            fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        except OSError as exc:
            raise MscAdvisorError(f"cannot write {path}: {exc.strerror}") from None
        self.tmp = Path(name)
        self.handle = os.fdopen(fd, "w", encoding="utf-8", newline="")

    def write(self, text: str) -> None:
        self.handle.write(text)

    def commit(self) -> None:
        try:
            self.handle.close()
            if self.tmp is not None:
                os.replace(self.tmp, self.path)
        except OSError as exc:
            self.abandon()
            raise MscAdvisorError(f"cannot write {self.path}: {exc.strerror}") from None

    def abandon(self) -> None:
        self.handle.close()
        if self.tmp is not None:
            self.tmp.unlink(missing_ok=True)


def write_file_atomically(path: Path, data: str) -> None:
    """Replace path with data in one step (see OutputFile)."""
    out = OutputFile(path)
    try:
        out.write(data)
    except OSError as exc:
        out.abandon()
        raise MscAdvisorError(f"cannot write {path}: {exc.strerror}") from None
    out.commit()
