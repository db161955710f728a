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

    terminal = sys.stdout.isatty()
    width = None if terminal and not quiet else int(os.environ.get("COLUMNS", PIPED_WIDTH))
    return Console(
        file=io.StringIO() if quiet else None,
        width=width,
        highlight=False,
        soft_wrap=False,
        record=record,
    )


def export_console(console: Console, path: Path) -> None:
    """Save what a recording console printed as HTML or SVG, atomically."""
    if path.suffix.lower() == ".svg":
        text = console.export_svg(title="mscadvisor")
    else:
        text = console.export_html()
    write_file_atomically(path, text.encode("utf-8"))


def write_file_atomically(path: Path, data: bytes) -> None:
    """Replace path with data in one step (temporary file, then rename): a reader never sees a
    half-written file and a failure leaves the old file as it was."""
    import tempfile

    folder = path.parent if str(path.parent) else Path(".")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=folder)
    except OSError as exc:
        raise MscAdvisorError(f"cannot write {path}: {exc.strerror}") from None
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise MscAdvisorError(f"cannot write {path}: {exc.strerror}") from None
