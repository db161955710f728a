"""JSON text exactly as ``json.dumps(document, indent=2, ensure_ascii=False)`` writes it, in
about a third of the time.

The standard library's C encoder does not indent, so an indented document goes through its
general Python encoder (any indent, separators, key order, hooks), which is most of the time a
JSON command spends after scoring. Documents here are plain data, and writing plain data with
the one layout used needs far less. A document holding anything else (a subclass, a number that
is not finite, a key that is not a string) is left to ``json.dumps``, so the text is the same
for every document but one that holds itself, which no result makes: that recurses here, where
``json.dumps`` says it is circular.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from json.encoder import encode_basestring  # the C implementation where there is one
from typing import Any


class _NotPlain(Exception):
    """The document holds a value only ``json.dumps`` knows how to write."""


def dumps(document: Any) -> str:
    """``json.dumps(document, indent=2, ensure_ascii=False)``."""
    parts: list[str] = []
    try:
        _write(document, "\n", parts.append)
    except _NotPlain:
        return json.dumps(document, indent=2, ensure_ascii=False)
    return "".join(parts)


def _finite(value: float) -> str:
    """A finite float's text; nan and inf are left to ``json.dumps``."""
    if value - value == 0:
        return float.__repr__(value)
    raise _NotPlain


# The text of each kind of scalar, by its type (a subclass's type is another: not plain). Most
# values of a document are scalars: written where their container is, with its key or separator.
_SCALARS: dict[type, Callable[[Any], str]] = {
    str: encode_basestring,
    int: int.__repr__,
    bool: {True: "true", False: "false"}.__getitem__,
    type(None): lambda _: "null",
    float: _finite,
}


def _write(value: Any, indent: str, write: Callable[[str], object]) -> None:
    """Append the text of ``value`` at nesting ``indent`` (a newline and the spaces of its
    depth) by calls to ``write``."""
    kind = type(value)
    scalar = _SCALARS.get(kind)
    if scalar is not None:  # a document that is a scalar: a container writes its own
        write(scalar(value))
        return
    if kind is dict:
        if not value:
            write("{}")
            return
        inner = indent + "  "
        separator, following = "{" + inner, "," + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            scalar = _SCALARS.get(type(item))
            if scalar is None:
                write(f"{separator}{encode_basestring(key)}: ")
                _write(item, inner, write)
            else:
                write(f"{separator}{encode_basestring(key)}: {scalar(item)}")
            separator = following
        write(indent + "}")
    elif kind is list or kind is tuple:
        if not value:
            write("[]")
            return
        inner = indent + "  "
        separator, following = "[" + inner, "," + inner
        for item in value:
            scalar = _SCALARS.get(type(item))
            if scalar is None:
                write(separator)
                _write(item, inner, write)
            else:
                write(separator + scalar(item))
            separator = following
        write(indent + "]")
    else:
        raise _NotPlain
