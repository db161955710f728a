"""Errors a user can act on, each with the exit code the CLI returns for it.

Exit codes (the same for every command): 0 success, 1 error at run time, 2 invalid usage or
input, 3 invalid knowledge base or rule pack, 4 the knowledge state is not the one required
(--require-kb).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable

EXIT_OK = 0
EXIT_RUNTIME = 1
EXIT_USAGE = 2
EXIT_KNOWLEDGE_BASE = 3
EXIT_KNOWLEDGE_MISMATCH = 4


class MscAdvisorError(Exception):
    """Base class: a message meant for the user, and an exit code."""

    exit_code = EXIT_RUNTIME


class InputError(MscAdvisorError):
    """A command-line value or profile that cannot be used."""

    exit_code = EXIT_USAGE


class KnowledgeBaseError(MscAdvisorError):
    """A rules tree that does not load or does not validate; lists the problems found, the
    first ``shown`` of them (every one with None, as `rules check` lists them)."""

    exit_code = EXIT_KNOWLEDGE_BASE

    def __init__(self, problems: list[str], shown: int | None = 50) -> None:
        self.problems = problems
        if len(problems) == 1:  # one problem: one line
            super().__init__(f"invalid knowledge base: {problems[0]}")
            return
        shown_problems = problems if shown is None else problems[:shown]
        more = len(problems) - len(shown_problems)
        lines = [f"invalid knowledge base ({len(problems)} problems):"]
        lines += [f"  - {p}" for p in shown_problems]
        if more:
            lines.append(f"  ... and {more} more")
        super().__init__("\n".join(lines))


class KnowledgeMismatchError(MscAdvisorError):
    """The knowledge state (rules, packs and weights) is not the one a command was pinned to."""

    exit_code = EXIT_KNOWLEDGE_MISMATCH


QUOTED_CHARS = 60  # a value quoted in a message is cut to this, so a message stays one line


def quoted(value: object) -> str:
    """A value as a message quotes it: its repr (which escapes control characters), cut short
    when long, saying how long it was."""
    return _cut(repr(value), value)


def _cut(text: str, value: object) -> str:
    """``text``, as a message writes ``value``, cut short when long, saying how long it was: a
    string's own length (not that of its repr, with quotes and escapes), else the text's."""
    if len(text) <= QUOTED_CHARS:
        return text
    length = len(value) if isinstance(value, str) else len(text)
    return f"{text[: QUOTED_CHARS - 10]}... ({length} characters)"


def quoted_data(value: object) -> str:
    """A value read from a profile or weights file as the file wrote it: true, false and null as
    in JSON and TOML (not Python's True and None), also inside a list or table, a TOML date or
    time in its own form; anything else as ``quoted`` gives it."""
    return _cut(_as_written(value), value)


def _as_written(value: object) -> str:
    import datetime as dt  # only for a message: this module is imported by every command

    if value is None or isinstance(value, bool):
        return "null" if value is None else str(value).lower()
    if isinstance(value, dt.date | dt.time):
        return f"{value.isoformat()} (a {type(value).__name__})"
    if isinstance(value, list | tuple):
        return f"[{', '.join(map(_as_written, value))}]"
    if isinstance(value, dict):
        return f"{{{', '.join(f'{k!r}: {_as_written(v)}' for k, v in value.items())}}}"
    return repr(value)


def did_you_mean(value: str, choices: Iterable[str]) -> str:
    """A ' (did you mean X?)' hint for a misspelt value, or an empty string."""
    by_folded = {c.casefold(): c for c in choices}
    close = difflib.get_close_matches(value.casefold(), list(by_folded), n=1, cutoff=0.6)
    return f" (did you mean {by_folded[close[0]]!r}?)" if close else ""


LISTED_IN_FULL = 12  # more valid values than this are counted, and where to list them is said


def unknown_value(
    what: str,
    value: str,
    choices: Iterable[str],
    listed_by: str | None = None,
    *,
    where: str | None = None,
    aliases: Iterable[str] = (),
) -> InputError:
    """An InputError for a value outside a known set, listing the valid ones (or, when there
    are many and a command lists them, saying which); ``where`` names the input it came from.
    A misspelt alias is suggested as well as a misspelt id."""
    options = sorted(set(choices))
    valid = ", ".join(options)
    if listed_by is not None and len(options) > LISTED_IN_FULL:
        valid = f"{len(options)} ids, listed by `{listed_by}`"
    prefix = f"{where}: " if where else ""
    hint = did_you_mean(value, [*options, *aliases])
    return InputError(f"{prefix}unknown {what} {quoted(value)}{hint}; valid: {valid}")
