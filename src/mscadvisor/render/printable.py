"""Text from data made safe to show: control characters written out as escapes.

Rule packs, rule trees and weights files are data anyone can hand the tool. A control character
in their text would act on the reader's terminal when printed (ESC clears the screen or sets the
window title, BEL rings, CR overwrites the line), makes an SVG export invalid XML, a bidi
override reorders what the reader sees, and a line or paragraph separator (U+2028, U+2029)
starts a new line where an editor or a layout honours it, which could pass off data as a line
of the tool's own. Every human format shows such a character as its Python
escape (``\\x1b``, ``\\u202e``) instead, so the reader sees that it is there. JSON keeps the
data as it is: JSON escapes control characters itself.
"""

from __future__ import annotations

import re

# C0 but newline and tab (layout), DEL, C1; the line and paragraph separators; the bidi
# embeddings, overrides and isolates; the surrogates and the two non-characters that XML does
# not allow. A pattern, compiled (and kept by ``re``) when first used: compiling it costs most
# of a millisecond, and JSON never needs it.
_UNPRINTABLE = "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"


def _escaped(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def printable(text: str) -> str:
    """text with every control character but newline and tab as a visible escape."""
    return re.sub(_UNPRINTABLE, _escaped, text)


# What HTML (and Markdown, which passes HTML through) reads as the start of a tag, a comment or
# a declaration, but the line break a Markdown table cell needs; a '<' before anything else
# ('age < 60', '<= 5') is text already. (Compiled when first used, as above.)
_TAG_START = r"<(?!br>)(?=[A-Za-z/!?])"


def markdown_text(text: str) -> str:
    """printable text in which no '<' starts HTML other than '<br>': a '<script>' in data shows
    as text."""
    return re.sub(_TAG_START, "&lt;", printable(text))
