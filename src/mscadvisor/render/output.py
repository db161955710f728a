"""Writing results: JSON as UTF-8 bytes to stdout, text through a rich console (files, atomically:
``output_file``).

Colour follows ``--color`` (see ``set_color``): ``auto`` styles only on a terminal, never with
NO_COLOR and always with FORCE_COLOR. Without colour a console writes no escape code at all (no
bold or italic either). A console that is not a terminal gets a fixed width so piped tables do
not wrap at 80 columns.

Every text a console prints passes ``printable`` first (``SafeConsole.render_str``, where rich
turns each string of a table, title or line into text), so no control character from data
reaches a terminal or an export.
"""

from __future__ import annotations

import errno
import os
import re
import sys
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from mscadvisor.errors import InputError
from mscadvisor.render.printable import printable

if TYPE_CHECKING:
    from rich.console import Console
    from rich.text import Text

PIPED_WIDTH = 120
# The widths COLUMNS may ask for: narrower, no table has room for a word; wider is no screen,
# and only pads every line (a huge value would write gigabytes of spaces).
MIN_WIDTH, MAX_WIDTH = 40, 1000
COLOR_MODES = ("auto", "always", "never")
_color_mode = "auto"


def set_color(mode: str) -> None:
    """Choose colour for every console made from now on: auto, always or never (--color)."""
    global _color_mode  # noqa: PLW0603 (one setting per run, made by the root command)
    if mode not in COLOR_MODES:
        raise ValueError(f"colour mode {mode!r} is not one of {', '.join(COLOR_MODES)}")
    _color_mode = mode


def wants_color(stream: Any) -> bool:
    """Whether a console on stream styles its output. ``auto``: not with NO_COLOR, always with
    FORCE_COLOR (each when set and not empty; NO_COLOR wins), else only on a terminal other than
    TERM=dumb. ``always`` and ``never`` override both variables, as flags override the
    environment."""
    if _color_mode != "auto":
        return _color_mode == "always"
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return is_terminal(stream) and not _dumb_terminal()


def _dumb_terminal() -> bool:
    return os.environ.get("TERM", "").lower() in ("dumb", "unknown")


def _color_options(stream: Any) -> dict[str, Any]:
    """Console arguments for the colour wanted on stream. Without colour there is no colour
    system, so rich writes no style escape at all (its own NO_COLOR handling drops colours but
    keeps bold and italic)."""
    if not wants_color(stream):
        return {"color_system": None}
    # rich detects the colour depth of a terminal; on one it takes for dumb (or not a terminal,
    # with --color always or FORCE_COLOR) it would pick none, so ask for the 16 basic colours.
    # no_color=False: rich would otherwise drop colours under NO_COLOR, even with --color always.
    return {
        "force_terminal": True,
        "color_system": "standard" if _dumb_terminal() else "auto",
        "no_color": False,
    }


def json_text(document: Any) -> str:
    """Deterministic JSON: same document, same bytes."""
    # Here, not at the top: the root command imports this module on every run.
    from mscadvisor.render.indented_json import dumps

    return dumps(document) + "\n"


def write_json(document: Any) -> None:
    # JSON is UTF-8 whatever the locale says; writing bytes avoids encoding errors.
    sys.stdout.flush()
    sys.stdout.buffer.write(json_text(document).encode("utf-8"))
    sys.stdout.buffer.flush()


# What writing can run into but reading cannot: such an error is the output's.
WRITE_ERRORS = (errno.ENOSPC, errno.EFBIG, errno.EDQUOT)


def stream_problem(exc: OSError) -> str:
    """The one line for an OSError of a standard stream."""
    if exc.filename is not None:
        return f"{exc.filename}: {exc.strerror}"
    if exc.errno == errno.EBADF and str(exc.strerror).startswith("standard "):
        return str(exc.strerror)  # a ClosedStream names itself
    if exc.errno in WRITE_ERRORS:
        return f"cannot write standard output: {exc.strerror}"
    return f"standard input or output: {exc.strerror or exc}"


def discard_stdout() -> None:
    """Send standard output to /dev/null, once its reader went away (``| head``): what is still
    buffered then goes nowhere, rather than fail again at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def write_text(text: str) -> None:
    sys.stdout.buffer.write(text.encode("utf-8"))
    sys.stdout.buffer.flush()


def write_lines(lines: Iterable[str]) -> None:
    """Plain lines for people (the reports of the rules commands), data in them printable."""
    for line in lines:
        sys.stdout.write(printable(line) + "\n")
    sys.stdout.flush()


def console(*, record: bool = False, quiet: bool = False, stderr: bool = False) -> Console:
    """A console on stdout (``stderr``: on stderr, at the terminal's width); ``record`` keeps
    what it prints for export, ``quiet`` renders into memory only (to render for export alone).
    Every console of the tool is made here, so --color, NO_COLOR and FORCE_COLOR apply to all."""
    import io

    from rich.console import Console

    class SafeConsole(Console):
        def on_broken_pipe(self) -> None:
            raise BrokenPipeError  # handled like any closed pipe: a quiet exit (cli.main)

        def render_str(self, text: str, **options: Any) -> Text:
            return super().render_str(printable(text), **options)

    stream = sys.stderr if stderr else sys.stdout
    file: Any = io.StringIO() if quiet else None
    if not quiet and not is_terminal(stream):
        file = _Trimmed(stream)  # a file or pipe gets no padding at the ends of lines
    return SafeConsole(
        file=file,
        stderr=stderr,
        width=text_width(stream, quiet),
        highlight=False,
        emoji=False,  # rule text is data: a ':name:' in it is printed as typed
        soft_wrap=False,
        record=record,
        **({} if quiet else _color_options(stream)),
    )


def is_terminal(stream: Any) -> bool:
    """Whether a stream is a terminal; a missing, closed or odd stream is not."""
    try:
        return stream is not None and bool(stream.isatty())
    except (AttributeError, OSError, ValueError):  # no such method, or a closed stream
        return False


# Spaces at the end of a line, before any style codes that close it (compiled, and kept by
# ``re``, when first used: JSON and plain text never need it).
_LINE_END_PADDING = r" +((?:\x1b\[[0-9;]*m)*)\n"


class _Trimmed:
    """A text stream for rich that drops the spaces it pads lines with (tables fill the
    width), so that a file or a pipe gets lines without trailing blanks. Rich writes what it
    renders in whole lines, each print at once."""

    def __init__(self, stream: Any) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(re.sub(_LINE_END_PADDING, "\\1\n", text))
        return len(text)

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return False

    def fileno(self) -> int:
        return int(self._stream.fileno())

    @property
    def encoding(self) -> str:
        return encoding_of(self._stream)


def encoding_of(stream: Any) -> str:
    """The encoding text written to stream takes (UTF-8 where it says none)."""
    return str(getattr(stream, "encoding", None) or "utf-8")


def write_plain(text: str) -> None:
    """Text laid out without rich (``blocks_plain``) to stdout, in the stream's own encoding
    as a console writes (JSON and Markdown are UTF-8 whatever it says)."""
    sys.stdout.write(text)
    sys.stdout.flush()


def text_width(stream: Any, quiet: bool = False) -> int:
    """The console's width: COLUMNS when it is a whole number, brought within MIN_WIDTH to
    MAX_WIDTH; else the terminal's width (80 when it reports none), or PIPED_WIDTH when not on a
    terminal or rendering into memory. A COLUMNS that is no width (``abc``, ``0``, ``-5``) is
    ignored."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isascii() and columns.isdigit() and int(columns) > 0:
        return min(max(int(columns), MIN_WIDTH), MAX_WIDTH)
    try:
        terminal = not quiet and is_terminal(stream)
        width = os.get_terminal_size(stream.fileno()).columns if terminal else PIPED_WIDTH
    except (OSError, ValueError):  # no terminal after all
        width = PIPED_WIDTH
    return min(max(width, MIN_WIDTH), MAX_WIDTH) if width > 0 else 80


def unicode_ok(console: Console) -> bool:
    """Whether the console's encoding can show box and bar characters."""
    return unicode_encoding(console.encoding)


def unicode_encoding(encoding: str) -> bool:
    """Whether text in this encoding can show box and bar characters."""
    return encoding.lower().replace("-", "").startswith("utf")


def print_indented(
    console: Console, line: str, style: str = "dim", indent: int = 2, hang: int = 0
) -> None:
    """A line of plain text, indented, its wrapped parts indented too (rich would wrap them to
    the first column, out from under their line), by ``hang`` more than the first."""
    from rich.text import Text

    # A Text is printed as it is, past the console's own filter: the data in it is made
    # printable here (control characters from a rule pack never reach the terminal).
    print_wrapped(console, Text(printable(line), style=style), indent, hang)


def print_wrapped(console: Console, text: Text, indent: int, hang: int) -> None:
    """Printable text wrapped to the console, each part indented (see ``print_indented``)."""
    from rich.text import Text

    for n, part in enumerate(text.wrap(console, console.width - indent - hang)):
        console.print(Text(" " * (indent if n == 0 else indent + hang)) + part)


def symbols(text: str, unicode: bool) -> str:
    """Text with the GRADE certainty circles in ASCII where the console cannot show them."""
    return text if unicode else text.replace("⊕", "+").replace("◯", "o")


EXPORT_FORMATS = (".html", ".svg")


def check_export(path: Path | None) -> None:
    """Refuse an --export name whose ending picks no format, before any work is done."""
    if path is not None and path.suffix.lower() not in EXPORT_FORMATS:
        raise InputError(
            f"--export {path}: expected a file name ending in .html or .svg, such as "
            "report.html (the ending picks the format)"
        )


def export(path: Path, draw: Callable[[Console], None]) -> None:
    """Save, as HTML or SVG and atomically, what ``draw`` prints to a console. Called before
    a command prints its result: a command whose export fails then prints none (its exit code
    says it failed, and no output looks like a result)."""
    recorder = console(record=True, quiet=True)
    recorder.width = text_width(sys.stdout)  # as the terminal would show it
    draw(recorder)
    if path.suffix.lower() == ".svg":
        text = recorder.export_svg(title="mscadvisor")
    else:
        text = recorder.export_html()
    from mscadvisor.render.output_file import write_file_atomically

    write_file_atomically(path, text)
