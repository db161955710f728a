"""JSON text exactly as ``json.dumps(document, indent=2, ensure_ascii=False)`` writes it, in
about half the time.

The standard library's C encoder does not indent, so an indented document goes through its
general Python encoder (any indent, separators, key order, hooks), which is most of the time a
JSON command spends after scoring. Documents here are plain data, and writing plain data with
the one layout used needs far less. A document holding anything else (a subclass, a number that
is not finite, a key that is not a string) is left to ``json.dumps``, so the text never differs.
"""

from __future__ import annotations

import json
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


def _write(value: Any, indent: str, write: Any) -> None:
    """Append the text of ``value`` at nesting ``indent`` (a newline and the spaces of its
    depth) by calls to ``write``."""
    kind = type(value)
    if kind is str:
        write(encode_basestring(value))
    elif kind is dict:
        if not value:
            write("{}")
            return
        inner = indent + "  "
        separator = "{" + inner
        for key, item in value.items():
            if type(key) is not str:
                raise _NotPlain
            write(separator)
            write(encode_basestring(key))
            write(": ")
            _write(item, inner, write)
            separator = "," + inner
        write(indent + "}")
    elif kind is list or kind is tuple:
        if not value:
            write("[]")
            return
        inner = indent + "  "
        separator = "[" + inner
        for item in value:
            write(separator)
            _write(item, inner, write)
            separator = "," + inner
        write(indent + "]")
    elif value is None:
        write("null")
    elif value is True:
        write("true")
    elif value is False:
        write("false")
    elif kind is int:
        write(int.__repr__(value))
    elif kind is float and value - value == 0:  # finite: nan and inf are written another way
        write(float.__repr__(value))
    else:
        raise _NotPlain
