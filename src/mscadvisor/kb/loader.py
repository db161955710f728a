"""Stage 1: find rule files and parse their TOML into raw records, remembering where each came from.

No meaning is checked here beyond the file layout (each top-level key names a record kind whose
value is an array of tables, and test cases sit in test-case files); ``validation.py`` checks the
records themselves.

A file's name says what it holds: ``NAME.cases.toml`` holds the ``[[case]]`` records that test
the rules of ``NAME.toml`` beside it, and only those; every other ``*.toml`` file holds knowledge
and no ``[[case]]``. So test cases can be told from knowledge without parsing a file, and a
rule's tests are found next to it. A pack's manifest, ``pack.toml`` at its root, is one record
of its own (see ``packs.py``).
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.kb.digest import sha256
from mscadvisor.kb.packs import MANIFEST, Stamp, list_pack
from mscadvisor.kb.records import MANIFEST_KIND, RECORD_KINDS
from mscadvisor.reading import Unreadable, decode, load_toml, read_file
from mscadvisor.record import Record

MAX_RULE_FILE_BYTES = 4 * 1024 * 1024
CASES_SUFFIX = ".cases.toml"


def is_cases_file(path: str | Path) -> bool:
    """Whether a rule file is a test-case file (``NAME.cases.toml``), by its name."""
    return Path(path).name.endswith(CASES_SUFFIX)


class RawRecord(Record):
    kind: str
    data: dict[str, Any]
    file: str  # path shown in messages
    index: int  # position within its array in that file, from 1


@functools.cache  # where the package is does not change while it runs
def shipped_rules_dir() -> Path:
    """The knowledge base shipped with the package.

    An installed wheel carries it as ``mscadvisor/rules``; a source checkout (editable install)
    keeps it at the repository's top-level ``rules/``.
    """
    package = Path(__file__).resolve().parents[1]
    packaged = package / "rules"
    if packaged.is_dir():
        return packaged
    return package.parents[1] / "rules"


class SourceFile(Record):
    """One rule file as listed: the path messages show for it and its stamp (``packs.Stamp``,
    what the compiled cache is keyed by); ``manifest``: the ``pack.toml`` of a pack (see
    ``packs.py``) rather than a rule file."""

    shown: str
    stamp: Stamp | None
    manifest: bool = False


class SourceText(Record):
    """A listed rule file's bytes and their sha256 (a pack's hash is made of its files')."""

    file: SourceFile
    content: bytes
    sha256: bytes


def list_sources(root: Path) -> list[SourceFile]:
    """The manifest and rule files of a root, which is a pack (see ``packs.py``); the shipped
    tree is trusted as the program is."""
    listing = list_pack(root, trusted=root == shipped_rules_dir())
    paths = (listing.manifest, *listing.rule_files)
    return [
        SourceFile(path, file_stamp, path is listing.manifest)
        for path, file_stamp in zip(paths, listing.stamps, strict=True)
    ]


def read_sources(files: Sequence[SourceFile]) -> list[SourceText]:
    """The bytes of each file, in the order given; KnowledgeBaseError names every file that
    cannot be read."""
    texts: list[SourceText] = []
    problems: list[str] = []
    for file in files:
        try:
            content = read_file(Path(file.shown), MAX_RULE_FILE_BYTES)
        except Unreadable as exc:
            problems.append(f"{file.shown}: {exc}")
            continue
        texts.append(SourceText(file, content, sha256(content).digest()))
    if problems:
        raise KnowledgeBaseError(problems)
    return texts


def parse_source(source: SourceText) -> list[RawRecord]:
    """Parse one rule file into raw records."""
    shown = source.file.shown
    try:
        document = load_toml(decode(source.content))
    except Unreadable as exc:
        raise KnowledgeBaseError([f"{shown}: {exc}"]) from None
    if source.file.manifest:
        return [_manifest_record(shown, document)]
    records: list[RawRecord] = []
    problems: list[str] = []
    for kind, value in document.items():
        if kind not in RECORD_KINDS or kind == MANIFEST_KIND:
            problems.append(
                f"{shown}: unknown top-level key {kind!r}; expected one of "
                f"{', '.join(k for k in RECORD_KINDS if k != MANIFEST_KIND)} "
                f"(each as [[{kind}]] array of tables)"
            )
            continue
        if (misplaced := _misplaced(shown, kind)) is not None:
            problems.append(misplaced)
            continue
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            problems.append(f"{shown}: {kind!r} must be an array of tables, written [[{kind}]]")
            continue
        records += [RawRecord(kind, item, shown, n) for n, item in enumerate(value, 1)]
    if problems:
        raise KnowledgeBaseError(problems)
    return records


def _manifest_record(shown: str, document: dict[str, Any]) -> RawRecord:
    """A pack's manifest as one record; records of the knowledge base do not belong in it."""
    misplaced = [kind for kind in document if kind in RECORD_KINDS]
    if misplaced:
        raise KnowledgeBaseError(
            [
                f"{shown}: [[{kind}]] in the pack's manifest: {MANIFEST} names the pack (name, "
                f"version, description); put the {kind} records in another file, such as "
                "rules.toml"
                for kind in misplaced
            ]
        )
    return RawRecord(MANIFEST_KIND, document, shown, 1)


def _misplaced(shown: str, kind: str) -> str | None:
    """Why records of this kind may not be in this file, or None when they may."""
    name = Path(shown).name
    if is_cases_file(name) and kind != "case":
        return (
            f"{shown}: [[{kind}]] in a test-case file: a *{CASES_SUFFIX} file holds only "
            f"[[case]] records; put the {kind} records in a rule file such as "
            f"{name.removesuffix(CASES_SUFFIX)}.toml"
        )
    if not is_cases_file(name) and kind == "case":
        return (
            f"{shown}: [[case]] outside a test-case file: test cases go in a file named "
            f"*{CASES_SUFFIX} beside the rules they test, here "
            f"{name.removesuffix('.toml')}{CASES_SUFFIX}"
        )
    return None


def parse_sources(sources: Sequence[SourceText]) -> list[RawRecord]:
    """Raw records of every source, reporting the problems of all files at once."""
    records: list[RawRecord] = []
    problems: list[str] = []
    for source in sources:
        try:
            records += parse_source(source)
        except KnowledgeBaseError as exc:
            problems += exc.problems
    if problems:
        raise KnowledgeBaseError(problems)
    return records
