"""Reading what users hand over: files bounded in size, JSON and TOML bounded in nesting and in
the length of their numbers, and nothing but regular files.

Every reader of user input (profiles, weights, rule packs, batch rows) goes through here, so that
a FIFO cannot block, ``/dev/zero`` cannot fill memory, a document nested ten thousand deep cannot
overflow the stack, and a 5000-digit number cannot reach ``int()``. Problems come back as
``Unreadable`` with a message that names what is wrong, for the caller to prefix with what the
file is (a profile, a weights file, a rule file) and raise as its own kind of error.
"""

from __future__ import annotations

import json
import math
import os
import stat
from pathlib import Path
from typing import Any

MAX_DEPTH = 32  # no profile, weights or rule file nests more than a few levels
MAX_NUMBER_CHARS = 40  # a number written with more characters is not a value anyone means


class Unreadable(ValueError):
    """A file or document that cannot be used; the message says why, without the file's name."""


def kind_of(mode: int) -> str:
    """What a file that is not a regular file is, in words."""
    if stat.S_ISDIR(mode):
        return "a folder"
    if stat.S_ISFIFO(mode):
        return "a pipe or FIFO"
    if stat.S_ISSOCK(mode):
        return "a socket"
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        return "a device"
    return "not a regular file"


def read_file(path: Path, limit: int) -> bytes:
    """The bytes of a regular file of at most ``limit`` bytes.

    The file is opened without blocking (a FIFO with no writer would otherwise hang the open)
    and checked on the open descriptor, so it cannot be swapped between the check and the read;
    a file that grows past the limit while being read is refused too.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        fd = os.open(path, flags)
    except FileNotFoundError:
        raise Unreadable("no such file") from None
    except OSError as exc:  # a socket cannot even be opened: say what it is
        raise Unreadable(_why_not_opened(path, exc)) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise Unreadable(f"is {kind_of(info.st_mode)}, not a file")
        if info.st_size > limit:
            raise Unreadable(f"{info.st_size} bytes, over the {limit}-byte limit")
        chunks: list[bytes] = []
        size = 0
        while chunk := os.read(fd, min(1 << 20, limit + 1 - size)):
            chunks.append(chunk)
            size += len(chunk)
            if size > limit:
                raise Unreadable(f"grew past the {limit}-byte limit while being read")
    except OSError as exc:
        raise Unreadable(f"cannot read: {exc.strerror or exc}") from None
    finally:
        os.close(fd)
    return b"".join(chunks)


def _why_not_opened(path: Path, exc: OSError) -> str:
    try:
        mode = os.stat(path).st_mode
    except OSError:
        mode = stat.S_IFREG
    if not stat.S_ISREG(mode):
        return f"is {kind_of(mode)}, not a file"
    return f"cannot read: {exc.strerror or exc}"


def decode(data: bytes) -> str:
    """UTF-8 text (a leading byte-order mark is not data)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"not UTF-8 text (byte {exc.start})") from None


def _checked_length(text: str) -> str:
    if len(text) > MAX_NUMBER_CHARS:
        raise Unreadable(f"a number of {len(text)} characters (at most {MAX_NUMBER_CHARS})")
    return text


def _int(text: str) -> int:
    return int(_checked_length(text))


def _float(text: str) -> float:
    value = float(_checked_length(text))
    if not math.isfinite(value):
        raise Unreadable(f"number {text} is out of range (only finite numbers are allowed)")
    return value


def _refuse_constant(name: str) -> None:
    raise Unreadable(f"{name} is not a number JSON allows")


def _object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) < len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise Unreadable(f"duplicate key {key!r}")
            seen.add(key)
    return result


# One decoder for every document: a batch reads many small ones.
_DECODER = json.JSONDecoder(
    object_pairs_hook=_object,
    parse_int=_int,
    parse_float=_float,
    parse_constant=_refuse_constant,
)


def load_json(text: str) -> Any:
    """A JSON document, refusing duplicate keys, NaN and Infinity, overlong numbers and nesting
    deeper than MAX_DEPTH."""
    try:
        if text.startswith("\ufeff"):  # what json.loads says of it; the decoder would not
            raise json.JSONDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0)
        value = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise Unreadable(
            f"invalid JSON at line {exc.lineno}, column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise Unreadable(f"nested more than {MAX_DEPTH} levels deep") from None
    # Its integers are checked as they are read; its depth only where there are brackets enough
    # (a bracket inside a string only adds to the count): a batch reads many small documents.
    if text.count("{") + text.count("[") > MAX_DEPTH:
        check_depth(value)
    return value


def load_toml(text: str) -> dict[str, Any]:
    """A TOML document, refusing overlong numbers, non-finite floats and nesting deeper than
    MAX_DEPTH (TOML itself refuses duplicate keys)."""
    import tomllib  # here: most runs read no TOML (the compiled cache spares the rules)

    try:
        value = tomllib.loads(text, parse_float=_float)
    except tomllib.TOMLDecodeError as exc:
        raise Unreadable(f"invalid TOML: {exc}") from None
    except RecursionError:
        raise Unreadable(f"nested more than {MAX_DEPTH} levels deep") from None
    except Unreadable:
        raise
    except ValueError:  # int() refuses an integer of thousands of digits
        raise Unreadable(f"an integer of more than {MAX_NUMBER_CHARS} digits") from None
    check_depth(value)
    return value


def check_depth(value: Any) -> None:
    """Refuse a parsed document nested deeper than MAX_DEPTH, or holding an integer longer than
    MAX_NUMBER_CHARS digits (TOML reads its integers itself)."""
    pending: list[tuple[Any, int]] = [(value, 0)]
    while pending:
        item, depth = pending.pop()
        if isinstance(item, dict):
            children: Any = item.values()
        elif isinstance(item, list):
            children = item
        else:
            if isinstance(item, int) and not isinstance(item, bool):
                _check_int(item)
            continue
        if depth >= MAX_DEPTH:
            raise Unreadable(f"nested more than {MAX_DEPTH} levels deep")
        pending += [(child, depth + 1) for child in children]


_INT_LIMIT = 10**MAX_NUMBER_CHARS


def _check_int(value: int) -> None:
    if not -_INT_LIMIT < value < _INT_LIMIT:
        raise Unreadable(f"an integer of more than {MAX_NUMBER_CHARS} digits")
