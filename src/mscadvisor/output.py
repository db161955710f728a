"""Writing results: JSON as UTF-8 bytes to stdout, text through a rich console.

Colour only on a terminal and never with NO_COLOR (rich honours both); a console that is not a
terminal gets a fixed width so piped tables do not wrap at 80 columns.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TYPE_CHECKING, Any

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


def console(stderr: bool = False) -> Console:
    from rich.console import Console

    stream = sys.stderr if stderr else sys.stdout
    terminal = stream.isatty()
    width = None if terminal else int(os.environ.get("COLUMNS", PIPED_WIDTH))
    return Console(file=stream, width=width, highlight=False, soft_wrap=False)
