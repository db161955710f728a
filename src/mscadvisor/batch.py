"""Batch scoring: a stream of profiles (JSONL or CSV) in, one result per profile out, in order.

Memory does not grow with the input: rows are read, scored and written one at a time (or in
ordered chunks across worker processes). A bad row is reported with its line number and either
skipped or ends the run; the counts of rows read, scored and rejected are always reported.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import CATEGORY_KEYS, Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.errors import InputError, MscAdvisorError
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.opening import KnowledgeSource
from mscadvisor.kb.records import CATEGORIES
from mscadvisor.kb.vocabulary import PROFILE_FIELD_BY_NAME, PROFILE_FIELD_NAMES, parse_text

# Spreadsheet programs often start UTF-8 files with a byte-order mark; it is not data.
BOM = codecs.BOM_UTF8


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # 1-based line number in the input
    fields: dict[str, Any] | None  # None when the line could not be parsed
    error: str | None = None


@dataclass
class Summary:
    read: int = 0
    scored: int = 0
    rejected: int = 0
    last_line: int = 0  # input line of the last row handled
    stopped: str | None = None  # why the run ended early: "failed" or "interrupted"

    def text(self) -> str:
        out = f"batch: {self.read} row(s) read, {self.scored} scored, {self.rejected} rejected"
        if self.stopped == "failed":
            out += f"; stopped at the bad row on line {self.last_line} (--on-error fail)"
        elif self.stopped == "interrupted":
            out += f"; interrupted after input line {self.last_line}"
        return out


def read_jsonl(lines: Iterable[bytes]) -> Iterator[Row]:
    for number, raw in enumerate(lines, 1):
        try:
            line = (raw.removeprefix(BOM) if number == 1 else raw).decode("utf-8")
        except UnicodeDecodeError as exc:
            yield Row(number, None, f"not UTF-8 text (byte {exc.start} of the line)")
            continue
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield Row(number, None, f"invalid JSON at column {exc.colno}: {exc.msg}")
            continue
        if not isinstance(value, dict):
            yield Row(number, None, "expected a JSON object of profile fields")
            continue
        yield Row(number, value)


def read_csv(lines: Iterable[str]) -> Iterator[Row]:
    """Rows of a CSV file whose header names profile fields; lists are ';'-separated.

    The header is checked at once (an unknown or missing column is an InputError before any
    row is read)."""
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return iter(())
    except csv.Error as exc:
        raise InputError(f"line 1: invalid CSV header: {exc}") from None
    header = [h.strip() for h in header]
    unknown = [h for h in header if h not in PROFILE_FIELD_NAMES]
    if unknown:
        raise InputError(
            f"line 1: unknown CSV column(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(PROFILE_FIELD_NAMES)}"
        )
    if "disease" not in header:
        raise InputError("line 1: the CSV header needs a 'disease' column")
    return _csv_rows(reader, header)


def _csv_rows(reader: Any, header: list[str]) -> Iterator[Row]:
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Row(reader.line_num, None, f"invalid CSV: {exc}")
            continue
        if not any(c.strip() for c in cells):
            continue
        if len(cells) != len(header):
            yield Row(
                reader.line_num,
                None,
                f"expected {len(header)} cells (as in the header), found {len(cells)}",
            )
            continue
        try:
            fields = {
                h: parse_text(PROFILE_FIELD_BY_NAME[h], c)
                for h, c in zip(header, cells, strict=True)
                if c.strip() != ""
            }
        except ValueError as exc:
            yield Row(reader.line_num, None, str(exc))
            continue
        yield Row(reader.line_num, fields)


def open_input(path: Path) -> BinaryIO:
    """A batch input file opened for reading, or an InputError saying why it cannot be."""
    if path.is_dir():
        raise InputError(f"batch input {path}: is a folder, not a file")
    try:
        return path.open("rb")
    except FileNotFoundError:
        raise InputError(f"batch input {path}: no such file") from None
    except OSError as exc:
        raise InputError(f"batch input {path}: cannot read: {exc.strerror}") from None


def read_rows(stream: BinaryIO, input_format: str, name: str | None) -> Iterator[Row]:
    """Rows of a stream in "jsonl", "csv" or "auto" format: auto goes by the file name's
    suffix (.csv, else JSONL), or for a nameless stream (stdin) by its first character."""
    if input_format == "auto":
        if name is not None:
            input_format = "csv" if name.lower().endswith(".csv") else "jsonl"
        else:
            start = stream.peek(64)[:64] if hasattr(stream, "peek") else b"{"
            start = start.removeprefix(BOM).lstrip()
            input_format = "jsonl" if start.startswith(b"{") else "csv"
    if input_format == "jsonl":
        return read_jsonl(stream)
    return read_csv(io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline=""))


CSV_COLUMNS = ("line", "disease")


def csv_header(top: int) -> str:
    columns = list(CSV_COLUMNS)
    for category in CATEGORIES:
        for n in range(1, top + 1):
            suffix = "" if top == 1 else f"_{n}"
            columns += [f"{category}{suffix}", f"{category}{suffix}_score"]
    return _csv_line(columns)


def csv_row(line: int, result: Recommendation, top: int) -> str:
    cells: list[Any] = [line, result.disease]
    for category in CATEGORIES:
        ranked = result.ranked[category]
        for n in range(top):
            cells += [ranked[n].id, ranked[n].score] if n < len(ranked) else ["", ""]
    return _csv_line(cells)


def _csv_line(cells: list[Any]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerow(cells)
    return buffer.getvalue()


@dataclass(frozen=True, slots=True)
class BatchLine:
    """One line of JSONL output: the input line number, then the recommend document (with its
    ``schema_version``); ``schemas/batch-line.schema.json`` publishes the shape."""

    line: int  # 1-based line number of the row in the input
    result: Recommendation
    top: int = 0  # candidates kept per category; 0 keeps them all

    def to_dict(self) -> dict[str, Any]:
        doc = {"line": self.line, **self.result.to_dict()}
        if self.top > 0:
            for key in CATEGORY_KEYS.values():
                doc[key] = doc[key][: self.top]
        return doc

    def to_json(self) -> str:
        """``to_dict`` as one compact JSON line (without the newline)."""
        if self.top <= 0:
            return self.result.to_json_line(line=self.line)
        return json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False)


Formatter = Callable[[int, Recommendation], str]


def formatter(output_format: str, top: int) -> Formatter:
    if output_format == "csv":
        return lambda line, result: csv_row(line, result, max(top, 1))
    return lambda line, result: BatchLine(line, result, top).to_json() + "\n"


@dataclass(frozen=True, slots=True)
class Job:
    """What scoring a row needs, picklable so that worker processes can rebuild it."""

    knowledge: KnowledgeSource
    output_format: str
    top: int
    regimens: int


@dataclass
class _Worker:
    kb: KnowledgeBase
    render: Formatter
    regimens: int


# The scoring state of this process, set by _start_worker (also the initializer of workers).
_state: dict[str, _Worker] = {}


def _start_worker(job: Job) -> None:
    """Load the knowledge base once per process (from the compiled cache)."""
    kb = job.knowledge.open()
    _state["worker"] = _Worker(kb, formatter(job.output_format, job.top), job.regimens)


def _score(row: Row) -> tuple[int, str | None, str | None]:
    """(line, output text, None) for a good row, (line, None, reason) for a bad one."""
    worker = _state["worker"]
    if row.fields is None:
        return row.line, None, row.error
    try:
        profile = build_profile(row.fields, worker.kb, "row")
    except MscAdvisorError as exc:
        return row.line, None, str(exc).removeprefix("row: ")
    return row.line, worker.render(row.line, score(worker.kb, profile, worker.regimens)), None


def run(
    job: Job,
    rows: Iterable[Row],
    write: Callable[[str], object],
    report: Callable[[str], object],
    *,
    fail_fast: bool,
    jobs: int = 1,
    tick: Callable[[], object] = lambda: None,
) -> Summary:
    """Score every row in input order, writing results and reporting bad rows as they come.

    ``fail_fast`` stops at the first bad row (``summary.stopped`` says why). With
    ``jobs`` > 1 rows are scored in ordered chunks by that many worker processes.
    """
    summary = Summary()
    _start_worker(job)
    results: Iterable[tuple[int, str | None, str | None]]
    pool = None
    if jobs > 1:
        import multiprocessing

        pool = multiprocessing.get_context("spawn").Pool(jobs, _start_worker, (job,))
        results = pool.imap(_score, rows, chunksize=256)
    else:
        results = map(_score, rows)
    try:
        for line, text, error in results:
            summary.read += 1
            summary.last_line = line
            tick()
            if text is not None:
                write(text)
                summary.scored += 1
                continue
            summary.rejected += 1
            report(f"line {line}: {error}")
            if fail_fast:
                summary.stopped = "failed"
                break
    except KeyboardInterrupt:
        summary.stopped = "interrupted"
    finally:
        if pool is not None:
            pool.terminate()
    return summary
