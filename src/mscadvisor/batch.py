"""Batch scoring: a stream of profiles (JSONL or CSV) in, one result per profile out, in order.

Memory does not grow with the input: lines are read with a bound on their length, and rows are
scored and written in small ordered chunks (in this process or across worker processes). A bad
row, whatever is wrong with it, is reported with its line number and either skipped or ends the
run; the counts of rows read, scored and rejected are always reported, also when the run is
interrupted or a worker process dies.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import os
import queue
import signal
import stat
import sys
import threading
import time
from collections.abc import Callable, Generator, Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, replace
from functools import partial
from operator import is_
from types import FrameType
from typing import TYPE_CHECKING, Any, BinaryIO, cast

from mscadvisor import pipes
from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import CATEGORY_KEYS, Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.errors import InputError, MscAdvisorError
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.opening import KnowledgeSource
from mscadvisor.kb.records import CATEGORIES
from mscadvisor.kb.vocabulary import PROFILE_FIELD_BY_NAME, PROFILE_FIELD_NAMES, parse_text
from mscadvisor.reading import Unreadable, kind_of, load_json

if TYPE_CHECKING:
    from multiprocessing.connection import Connection
    from pathlib import Path

# Spreadsheet programs often start UTF-8 files with a byte-order mark; it is not data.
BOM = codecs.BOM_UTF8
# The longest input line (one profile) read: far beyond any real profile, and a bound on memory
# for input that never ends a line (a binary file, a stream of zeros).
MAX_LINE = 1 << 20


@dataclass(frozen=True, slots=True)
class Row:
    line: int  # 1-based line number in the input
    fields: dict[str, Any] | None  # None when the line could not be parsed (or is not yet)
    error: str | None = None
    # A JSONL line not yet parsed: parsed where it is scored (see ``parsed``), so that the
    # process reading the input hands worker processes plain text.
    text: str | None = None

    # Rows are sent to worker processes by the hundred thousand: pickled as a tuple, not through
    # the generic state of a dataclass with slots (which looks up its fields for every row).
    def __reduce__(self) -> tuple[Any, ...]:
        return (Row, (self.line, self.fields, self.error, self.text))


@dataclass
class Summary:
    read: int = 0
    scored: int = 0
    rejected: int = 0
    last_line: int = 0  # input line of the last row whose result was written (or reported)
    stopped: str | None = None  # why the run ended early: "failed", "interrupted" or "error"
    error: MscAdvisorError | None = None  # what ended it, when "error"

    def text(self, *, output_known: bool = True) -> str:
        """The summary line. ``output_known`` False: the output failed during a write (a full
        disk), so which lines it holds, and whether the last is whole, is not known."""
        out = f"batch: {self.read} row(s) read, {self.scored} scored, {self.rejected} rejected"
        if self.stopped == "failed":
            out += f"; stopped at the bad row on line {self.last_line} (--on-error fail)"
        elif self.stopped == "interrupted":
            out += f"; interrupted after input line {self.last_line}"
        elif self.stopped == "error" and not output_known:
            out += "; stopped by the error: how many results the output holds is not known"
        elif self.stopped == "error":
            out += f"; stopped by the error after input line {self.last_line}"
        return out


class BadLine(Exception):
    """An input line that is not a row of text: longer than MAX_LINE bytes, or not UTF-8."""


class Lines:
    """The lines of a binary stream as text (with their line ends), numbered from 1.

    A line longer than ``limit`` bytes is never held whole: it is skipped to its end and
    ``BadLine`` raised in its place, as for a line that is not UTF-8; the next call goes on with
    the following line (so a CSV reader reading through this can report the row and go on).
    """

    def __init__(self, stream: BinaryIO, name: str, limit: int = MAX_LINE) -> None:
        self.stream = stream
        self.name = name
        self.limit = limit
        self.number = 0  # of the line last read

    def __iter__(self) -> Lines:
        return self

    def __next__(self) -> str:
        raw = self._read(self.limit + 1)
        if not raw:
            raise StopIteration
        self.number += 1
        if len(raw) > self.limit and not raw.endswith(b"\n"):
            while raw and not raw.endswith(b"\n"):
                raw = self._read(self.limit)
            raise BadLine(f"longer than {self.limit} bytes")
        if self.number == 1:
            raw = raw.removeprefix(BOM)
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise BadLine(f"not UTF-8 text (byte {exc.start} of the line)") from None

    def _read(self, size: int) -> bytes:
        try:
            return self.stream.readline(size)
        except OSError as exc:
            raise MscAdvisorError(
                f"batch input {self.name}: cannot read: {exc.strerror or exc}"
            ) from None


def read_jsonl(lines: Lines) -> Iterator[Row]:
    """The rows of JSONL lines, parsed (see ``jsonl_lines``)."""
    return map(parsed, jsonl_lines(lines))


def jsonl_lines(lines: Lines) -> Iterator[Row]:
    """The non-blank lines of JSONL input as rows still to be parsed (a line that is not text
    is a bad row already)."""
    while True:
        try:
            line = next(lines)
        except StopIteration:
            return
        except BadLine as exc:
            yield Row(lines.number, None, str(exc))
            continue
        if line.strip():
            yield Row(lines.number, None, text=line)


def parsed(row: Row) -> Row:
    """The row with its JSONL text parsed into fields, or the reason it cannot be."""
    if row.text is None:
        return row
    try:
        value = load_json(row.text.rstrip("\r\n"))
    except Unreadable as exc:
        # One line holds one document: its column is all the position there is to give.
        return Row(row.line, None, str(exc).replace("at line 1, column", "at column"))
    if not isinstance(value, dict):
        return Row(row.line, None, "expected a JSON object of profile fields")
    return Row(row.line, value)


def read_csv(lines: Lines) -> Iterator[Row]:
    """Rows of a CSV file whose header names profile fields; lists are ';'-separated.

    The header is checked at once (an unknown, repeated or missing column is an InputError
    before any row is read)."""
    # A cell never holds more than a line may (the default limit is lower, and global: say it).
    csv.field_size_limit(MAX_LINE)
    reader = csv.reader(lines)
    try:
        header = next(reader)
    except StopIteration:
        return iter(())
    except (csv.Error, BadLine) as exc:
        raise InputError(f"line 1: invalid CSV header: {exc}") from None
    # A spreadsheet's "Disease" or " Age " names its field: columns are read in any case.
    header = [h.strip() for h in header]
    header = [h.lower() if h.lower() in PROFILE_FIELD_NAMES else h for h in header]
    unknown = [h for h in header if h not in PROFILE_FIELD_NAMES]
    if unknown:
        raise InputError(
            f"line 1: unknown CSV column(s) {', '.join(map(repr, unknown))}; "
            f"valid: {', '.join(PROFILE_FIELD_NAMES)}"
        )
    repeated = sorted({h for h in header if header.count(h) > 1})
    if repeated:
        raise InputError(f"line 1: CSV column(s) {', '.join(map(repr, repeated))} given twice")
    if "disease" not in header:
        raise InputError("line 1: the CSV header needs a 'disease' column")
    return _csv_rows(reader, lines, header)


# Distinct cell texts whose values are kept per column: a column holds few (ids, ages, lists
# of ids), and a column of free text (a long tail of distinct texts) starts over at the bound.
CELL_MEMO = 4096
_EMPTY = object()  # the value of an empty cell: the field is left out


def _csv_rows(reader: Any, lines: Lines, header: list[str]) -> Iterator[Row]:
    specs = [PROFILE_FIELD_BY_NAME[h] for h in header]
    # Each column's values by their cell text (set fields as lists, shared: read only).
    values: list[dict[str, Any]] = [{} for _ in header]
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except BadLine as exc:
            yield Row(lines.number, None, str(exc))
            continue
        except csv.Error as exc:
            yield Row(lines.number, None, f"invalid CSV: {exc}")
            continue
        if not "".join(cells).strip():
            continue
        if len(cells) != len(header):
            yield Row(
                lines.number,
                None,
                f"expected {len(header)} cells (as in the header), found {len(cells)}",
            )
            continue
        try:
            fields = {}
            for name, spec, known, cell in zip(header, specs, values, cells, strict=True):
                value = known.get(cell)
                if value is None:  # not met yet (or unknown, None: read again, at no cost)
                    value = parse_text(spec, cell) if cell.strip() else _EMPTY
                    if len(known) >= CELL_MEMO:
                        known.clear()
                    known[cell] = value
                if value is not _EMPTY:
                    fields[name] = value
        except ValueError as exc:
            yield Row(lines.number, None, str(exc))
            continue
        yield Row(lines.number, fields)


STDIN = "-"


def open_input(source: str) -> BinaryIO:
    """The batch input opened for reading, or an InputError saying why it cannot be.

    A regular file or a pipe (a named FIFO, ``<(command)``, or standard input as ``-``, which may
    also be a terminal). A device, socket or folder is refused: ``/dev/zero`` never ends a line.
    The kind is checked on the open descriptor, so the file cannot be swapped after the check.
    """
    if source == STDIN:
        try:
            stream: BinaryIO = sys.stdin.buffer
        except (AttributeError, OSError):  # closed: None, or the command line's stand-in for it
            raise InputError("batch input -: standard input is closed") from None
        try:
            fd = stream.fileno()
        except (OSError, ValueError):  # a stream with no descriptor behind it (a test's stdin)
            return stream
        _check_kind(fd, "- (standard input)", terminal_ok=True)
        return stream
    # Opened as `cat` opens it: a FIFO waits for its writer. Any other kind of file opens at
    # once, and what is not a file or a pipe is refused before a byte is read.
    try:
        fd = os.open(source, os.O_RDONLY | getattr(os, "O_NOCTTY", 0))
    except FileNotFoundError:
        raise InputError(f"batch input {source}: no such file") from None
    except OSError as exc:
        raise InputError(f"batch input {source}: cannot read: {exc.strerror or exc}") from None
    try:
        _check_kind(fd, source, terminal_ok=False)
    except BaseException:
        os.close(fd)
        raise
    return os.fdopen(fd, "rb")


def check_output_apart(stream: BinaryIO, source: str, output: Path) -> None:
    """Refuse an --output that would replace the input (``output_file.target_of``): the same
    file by its name or through a symbolic link, or the file standard input reads (whose name
    is not known, so any name of it). A hard link of the input is another name, which a
    replaced output leaves as it was; a special file is written through, never replaced."""
    from mscadvisor.render.output_file import target_of

    try:
        target = target_of(output)
        written = os.stat(target)
        if not stat.S_ISREG(written.st_mode):
            return
        if source == STDIN:
            read = os.fstat(stream.fileno())
            same = (read.st_dev, read.st_ino) == (written.st_dev, written.st_ino)
        else:
            same = os.path.realpath(source) == os.path.realpath(target)
    except (OSError, ValueError):  # no such output yet, or an input without a descriptor
        return
    if same:
        shown = "standard input" if source == STDIN else source
        raise InputError(
            f"--output {output}: is the batch input ({shown}); the results would replace the "
            "rows they are made from: write them to another file"
        )


def _check_kind(fd: int, name: str, *, terminal_ok: bool) -> None:
    try:
        mode = os.fstat(fd).st_mode
    except OSError as exc:
        raise InputError(f"batch input {name}: cannot read: {exc.strerror or exc}") from None
    if stat.S_ISREG(mode) or stat.S_ISFIFO(mode) or (terminal_ok and os.isatty(fd)):
        return
    raise InputError(f"batch input {name}: is {kind_of(mode)}, not a file or pipe")


def read_rows(
    stream: BinaryIO, input_format: str, name: str, *, unparsed: bool = False
) -> Iterator[Row]:
    """Rows of a stream in "jsonl", "csv" or "auto" format: auto goes by the file name's
    suffix (.csv, else JSONL), or for standard input by its first character. ``unparsed``:
    JSONL rows are left as text, for the process that scores them to parse (see ``parsed``)."""
    if input_format == "auto":
        if name != STDIN:
            input_format = "csv" if name.lower().endswith(".csv") else "jsonl"
        else:
            start = stream.peek(64)[:64] if hasattr(stream, "peek") else b"{"
            start = start.removeprefix(BOM).lstrip()
            input_format = "jsonl" if start.startswith(b"{") else "csv"
    lines = Lines(stream, name)
    if input_format == "csv":
        return read_csv(lines)
    return jsonl_lines(lines) if unparsed else read_jsonl(lines)


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
        return self.to_json_bytes().decode("utf-8")

    def to_json_bytes(self) -> bytes:
        """``to_json`` in UTF-8."""
        return b"".join(self.json_pieces())

    def json_pieces(self) -> list[bytes]:
        """``to_json_bytes`` in pieces, as a batch joins them into a block of lines."""
        if self.top <= 0:
            return self.result.json_pieces(line=self.line)
        return [json.dumps(self.to_dict(), separators=(",", ":"), ensure_ascii=False).encode()]


# The output line of a scored row in UTF-8, in pieces (see BatchLine.json_pieces).
Formatter = Callable[[int, Recommendation], list[bytes]]


def formatter(output_format: str, top: int) -> Formatter:
    """The output line of a scored row."""
    if output_format == "csv":
        return CsvRows(max(top, 1))
    return partial(_jsonl_line, top=top)


def _jsonl_line(line: int, result: Recommendation, top: int) -> list[bytes]:
    pieces = (
        BatchLine(line, result, top).json_pieces() if top > 0 else result.json_pieces(line=line)
    )
    pieces.append(b"\n")
    return pieces


class CsvRows:
    """``csv_row`` in UTF-8, each made once but for its line number: a row shows a result's
    rankings, which results share (the engine memoizes them), so few distinct rows are made."""

    LIMIT = 4096  # rows kept; beyond, they are made again

    def __init__(self, top: int) -> None:
        self.top = top
        # By the disease and the identity of the rankings, which are kept alive beside it.
        self.made: dict[tuple[object, ...], tuple[tuple[object, ...], bytes]] = {}

    def __call__(self, line: int, result: Recommendation) -> list[bytes]:
        rankings = tuple([result.ranked[category] for category in CATEGORIES])
        key = (result.disease, *map(id, rankings))
        found = self.made.get(key)
        if found is None or not all(map(is_, found[0], rankings)):
            if len(self.made) >= self.LIMIT:
                self.made.clear()
            # What follows the line number (a number: never quoted).
            rest = csv_row(0, result, self.top).encode("utf-8")[1:]
            found = self.made[key] = (rankings, rest)
        return [str(line).encode(), found[1]]


def most_candidates(kb: KnowledgeBase) -> int:
    """The most candidates any category has for any disease: a --top beyond it adds nothing
    but empty cells (and memory), so it is cut down to this."""
    from mscadvisor.engine.candidates import candidates_for

    return max(
        (len(found) for disease in kb.diseases for found in candidates_for(kb, disease).values()),
        default=0,
    )


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


# The scoring state of this process (the one reading the input, or a worker), set by _start_worker.
_state: dict[str, _Worker] = {}


def _start_worker(job: Job) -> None:
    """Load the knowledge base once per process (from the compiled cache)."""
    kb = job.knowledge.open()
    _state["worker"] = _Worker(kb, formatter(job.output_format, job.top), job.regimens)


@dataclass(frozen=True, slots=True)
class Scored:
    """Consecutive rows scored: their output lines as one block, written at once."""

    rows: int
    last_line: int
    output: bytes


@dataclass(frozen=True, slots=True)
class Rejected:
    """A bad row, and why."""

    line: int
    reason: str


@dataclass(frozen=True, slots=True)
class Parcel:
    """Consecutive rows scored by a worker process, whose output lines (``size`` bytes) wait in
    a pipe instead of the message: the reading end is ``source``, set where it is received."""

    rows: int
    last_line: int
    size: int
    source: int = -1


Outcome = Scored | Rejected | Parcel


# The most bytes of lines joined into one block. Under the C allocator's threshold for
# mapping memory of its own (128 KiB by default), a block's memory is reused by the next one;
# blocks of megabytes (256 full JSON lines) left the heap to fragment as a batch went on.
BLOCK_BYTES = 64 << 10


def _score_chunk(rows: list[Row], block_bytes: int) -> list[Outcome]:
    """The outcomes of a chunk of rows in order, consecutive scored rows joined into blocks of
    up to block_bytes: few objects to hand back from a worker process, and few writes."""
    outcomes: list[Outcome] = []
    block: list[bytes] = []  # the pieces of the block's lines
    scored = last_line = 0
    per_block = 0  # lines per block, from the length of the first (lines are much alike)
    for row in rows:
        output, reason = _score(parsed(row))
        if output is not None:
            if not per_block:
                per_block = max(1, block_bytes // max(1, sum(map(len, output))))
            elif scored == per_block:
                outcomes.append(Scored(scored, last_line, b"".join(block)))
                block, scored = [], 0
            block += output
            scored += 1
            last_line = row.line
            continue
        if block:
            outcomes.append(Scored(scored, last_line, b"".join(block)))
            block, scored = [], 0
        outcomes.append(Rejected(row.line, reason or ""))
    if block:
        outcomes.append(Scored(scored, last_line, b"".join(block)))
    return outcomes


def _score(row: Row) -> tuple[list[bytes] | None, str | None]:
    """The row's output line in pieces, or why there is none."""
    worker = _state["worker"]
    if row.fields is None:
        return None, row.error
    try:
        profile = build_profile(row.fields, worker.kb, "row")
        return worker.render(row.line, score(worker.kb, profile, worker.regimens)), None
    except MscAdvisorError as exc:
        return None, str(exc).removeprefix("row: ")
    except Exception as exc:  # one row must not end the batch, even by a bug
        return None, f"internal error: {type(exc).__name__}: {exc} (this is a bug)"


MAX_JOBS = 64  # each worker holds a knowledge base and its memos: more only thrash
# --jobs auto: worker processes pay for their start (a fraction of a second each) and for
# handing rows and results between processes only on a long input and idle processors.
AUTO_MIN_BYTES = 8 << 20


@dataclass(frozen=True, slots=True)
class AutoJobs:
    """What --jobs auto chose, and from what."""

    jobs: int
    processors: int  # usable by this process
    busy: float  # processors kept busy by other work (``busy_processors``)
    input_bytes: int | None  # None: not a regular file (its length is not known)

    @classmethod
    def choose(cls, processors: int, busy: float, input_bytes: int | None) -> AutoJobs:
        """One worker process per idle processor (MAX_JOBS at most), or none (rows scored in
        this process) for an input under AUTO_MIN_BYTES or not a file, or with fewer than two
        processors idle: then workers would cost more than they spread."""
        idle = min(processors, int(processors - busy), MAX_JOBS)
        long_input = input_bytes is not None and input_bytes >= AUTO_MIN_BYTES
        return cls(idle if long_input and idle >= 2 else 1, processors, busy, input_bytes)

    @classmethod
    def measure(cls, stream: BinaryIO) -> AutoJobs:
        """The choice for this input on this machine, now."""
        try:
            processors = len(os.sched_getaffinity(0))
        except AttributeError:  # not Linux
            processors = os.cpu_count() or 1
        return cls.choose(processors, busy_processors(), file_size(stream))

    def text(self) -> str:
        chosen = "1 process" if self.jobs == 1 else f"{self.jobs} worker processes"
        size = "not a file" if self.input_bytes is None else f"{self.input_bytes:,} bytes"
        return (
            f"--jobs auto: {chosen} ({self.processors} processor(s), {self.busy:g} busy, "
            f"input {size})"
        )


def file_size(stream: BinaryIO) -> int | None:
    """The length of the input, where it is a regular file (None for a pipe or a terminal)."""
    try:
        info = os.fstat(stream.fileno())
    except (OSError, ValueError):  # a stream without a file behind it
        return None
    return info.st_size if stat.S_ISREG(info.st_mode) else None


LOADAVG = "/proc/loadavg"
READINGS = 5  # of LOADAVG, 5 ms apart, for busy_processors


def busy_processors() -> float:
    """Processors that other work keeps busy now: on Linux the threads running or ready to run
    (the fourth field of /proc/loadavg) other than this one, the median of a few readings 5 ms
    apart (one reading is one instant). The load average lags a minute behind: right after a
    long job it still counts the processors that job has left. Elsewhere, the load average over
    the last minute all the same."""
    try:
        readings = []
        for n in range(READINGS):
            if n:
                time.sleep(0.005)
            with open(LOADAVG, "rb") as loadavg:
                readings.append(int(loadavg.read(4096).split()[3].split(b"/")[0]) - 1)
        return float(max(0, sorted(readings)[(READINGS - 1) // 2]))
    except (OSError, IndexError, ValueError):
        try:
            return os.getloadavg()[0]
        except (AttributeError, OSError):  # no load average (Windows)
            return 0.0


CHUNK = 256  # rows sent to a worker at once
# Chunks in flight per worker: its next rows wait while it scores, and few enough to bound memory.
# (A worker whose lines fill its pipe waits for the parent to move them, a few milliseconds.)
AHEAD = 2
WORKER_DIED = "a worker process ended unexpectedly (killed, or out of memory?)"


def _pool_worker(
    job: Job, tasks: Connection, results: Connection, lines: Connection, room: int
) -> None:
    """A worker process: scores each chunk of rows it receives, until it receives None.

    A chunk's outcomes go back on ``results``, but for parcels of output lines of at most
    ``room`` bytes (``_parcelled``), which follow on the pipe ``lines``."""
    # Ctrl-C reaches the whole process group: the parent stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        _start_worker(job)
    except Exception as exc:
        results.send(MscAdvisorError(f"a worker process could not start: {exc}"))
        return
    # Chunks are received on a thread of their own, as results are in the parent, so that no
    # send waits for the other side to finish a send of its own (both pipes full: a deadlock).
    inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
    threading.Thread(target=_receive, args=(tasks, inbox), daemon=True).start()
    try:
        while (chunk := inbox.get()) is not None:
            told, blocks = _told(chunk, room)
            # The outcomes first: the parent moves each parcel on as it comes, so that the pipe
            # never has to hold a chunk's lines whole (megabytes of JSON).
            results.send(told)
            pipes.write_all(lines.fileno(), blocks)
    except OSError:  # the parent is gone: nobody is waiting for the results
        return


def _told(chunk: list[Row], room: int) -> tuple[list[Outcome], list[bytes]]:
    """A chunk's outcomes as a worker tells them, and the blocks of their parcels in order.
    Where the pipes could not be widened, room is less than BLOCK_BYTES: blocks are then cut to
    half of it, since their lines are counted from the first one's length and may be longer.
    (No room: no splice, every block goes in the message.)"""
    return _parcelled(_score_chunk(chunk, min(BLOCK_BYTES, room // 2) or BLOCK_BYTES), room)


def _parcelled(outcomes: list[Outcome], room: int) -> tuple[list[Outcome], list[bytes]]:
    """The outcomes with each run of consecutive scored blocks that together fit in ``room``
    bytes told as one Parcel, and the blocks of those parcels, in order. A block larger
    than room on its own stays in its Scored outcome."""
    told: list[Outcome] = []
    blocks: list[bytes] = []
    rows = last_line = size = 0  # of the parcel being made

    def close_parcel() -> None:
        nonlocal rows, size
        if rows:
            told.append(Parcel(rows, last_line, size))
            rows = size = 0

    for outcome in outcomes:
        if not isinstance(outcome, Scored) or len(outcome.output) > room:
            close_parcel()
            told.append(outcome)
            continue
        if size + len(outcome.output) > room:
            close_parcel()
        blocks.append(outcome.output)
        rows += outcome.rows
        last_line = outcome.last_line
        size += len(outcome.output)
    close_parcel()
    return told, blocks


def _receive(pipe: Connection, inbox: queue.SimpleQueue[Any]) -> None:
    """Put each message of a pipe into inbox, then None once the pipe ends (its other side
    closed it or died)."""
    while True:
        try:
            message = pipe.recv()
        except (EOFError, OSError):
            message = None
        inbox.put(message)
        if message is None:
            return


class _Channel:
    """A worker process and its own pipes (rows out, outcomes back, output lines back, and a
    staging pipe in this process). Nothing is shared between workers (no queue, no
    lock), so a worker killed at any moment leaves nothing half-written or held for the others,
    and its death is seen at once: only it holds the other end of its results pipe, which ends
    with it."""

    def __init__(self, context: Any, job: Job) -> None:
        tasks_out, self.tasks = context.Pipe(duplex=False)
        self.results, results_in = context.Pipe(duplex=False)
        self.lines, lines_in = context.Pipe(duplex=False)
        # A parcel is moved from ``lines`` into the staging pipe whole before any of it is
        # written, so that a worker that dies mid-parcel leaves no part of a line in the output.
        # Parcels fill half the staging pipe at most (``pipes.stage`` says why a full one holds
        # less).
        self.staging_read, self.staging_write = os.pipe()
        room = 0  # without splice, every block goes back in its message
        try:
            if pipes.CAN_SPLICE:
                pipes.widened(self.lines.fileno())  # so that a worker can write further ahead
                room = pipes.widened(self.staging_write) // 2
            self.process = context.Process(
                target=_pool_worker, args=(job, tasks_out, results_in, lines_in, room), daemon=True
            )
            self.process.start()
        except BaseException:
            for end in (self.staging_read, self.staging_write):
                os.close(end)
            raise
        # The worker's ends: held by the worker alone, so they end with it.
        for end in (tasks_out, results_in, lines_in):
            end.close()
        self.inbox: queue.SimpleQueue[Any] = queue.SimpleQueue()
        self.reader = threading.Thread(target=_receive, args=(self.results, self.inbox))
        self.reader.start()

    def send(self, chunk: list[Row] | None) -> None:
        try:
            self.tasks.send(chunk)
        except OSError:  # the worker's end of the pipe is closed: it is gone
            raise MscAdvisorError(WORKER_DIED) from None

    def receive(self) -> Iterator[Outcome]:
        """A chunk's outcomes, each Parcel staged whole (see ``__init__``). A parcel's bytes wait
        in the one staging pipe: they must be moved on before the next outcome is asked for."""
        answer = self.inbox.get()
        if answer is None:
            raise MscAdvisorError(WORKER_DIED)
        if isinstance(answer, MscAdvisorError):
            raise answer
        for outcome in cast("list[Outcome]", answer):
            if not isinstance(outcome, Parcel):
                yield outcome
                continue
            try:
                staged = self._stage(outcome)
            except pipes.PipeEnded:
                raise MscAdvisorError(WORKER_DIED) from None
            yield staged

    def _stage(self, parcel: Parcel) -> Outcome:
        """The parcel, whole in the staging pipe; or, where that pipe filled up first, read
        whole into a Scored block."""
        left = pipes.stage(self.lines.fileno(), self.staging_write, parcel.size)
        if not left:
            return replace(parcel, source=self.staging_read)
        block = bytearray()
        pipes.copy(self.staging_read, block.extend, parcel.size - left)
        pipes.copy(self.lines.fileno(), block.extend, left)
        return Scored(parcel.rows, parcel.last_line, bytes(block))

    def stop(self, *, at_once: bool) -> None:
        if at_once:
            self.process.terminate()
        else:
            self.send(None)

    def close(self) -> None:
        self.process.join()
        self.reader.join()  # the pipe has ended with the process
        for pipe in (self.tasks, self.results, self.lines):
            pipe.close()
        os.close(self.staging_read)
        os.close(self.staging_write)


def _chunks(rows: Iterable[Row], size: int) -> Iterator[list[Row]]:
    """The rows in lists of ``size``. An input that cannot be read further (MscAdvisorError)
    first gives the rows read before it, so that they are scored and written all the same."""
    chunk: list[Row] = []
    try:
        for row in rows:
            chunk.append(row)
            if len(chunk) == size:
                yield chunk
                chunk = []
    except MscAdvisorError:
        if chunk:
            yield chunk
        raise
    if chunk:
        yield chunk


def _pooled(job: Job, rows: Iterable[Row], jobs: int) -> Generator[Outcome, None, None]:
    """Outcomes in input order, scored in chunks by ``jobs`` worker processes: chunk i goes to
    worker i % jobs, so each worker's results come back in order on its own pipe. A worker
    that dies or cannot start ends the run with an MscAdvisorError; any early end (an error,
    Ctrl-C, the reader of the output gone) stops the workers at once."""
    import multiprocessing

    context = multiprocessing.get_context("spawn")
    workers: list[_Channel] = []
    try:
        for _ in range(jobs):
            workers.append(_Channel(context, job))
        sent = received = 0
        chunks = _chunks(rows, CHUNK)
        unreadable: MscAdvisorError | None = None
        while True:
            try:
                chunk = next(chunks, None)
            except MscAdvisorError as exc:  # the input failed: the rows sent are still scored
                unreadable, chunk = exc, None
            if chunk is None:
                break
            workers[sent % jobs].send(chunk)
            sent += 1
            if sent - received > AHEAD * jobs:
                yield from workers[received % jobs].receive()
                received += 1
        while received < sent:
            yield from workers[received % jobs].receive()
            received += 1
        for worker in workers:
            worker.stop(at_once=False)
        if unreadable is not None:
            raise unreadable
    except BaseException:
        for worker in workers:
            worker.stop(at_once=True)
        raise
    finally:
        for worker in workers:
            worker.close()


class _DeferredInterrupt:
    """Ctrl-C between rows, never inside one: a SIGINT that arrives while rows' results are
    written and counted takes effect once they are, so an interrupted run's summary names exactly
    the last line written. Elsewhere (reading, scoring) it interrupts at once.

    Installed only where Python's own handler is (the main thread, SIGINT not ignored)."""

    def __init__(self) -> None:
        self.writing = False
        self.pending = False
        self.previous: Any = None

    def __enter__(self) -> _DeferredInterrupt:
        if (
            threading.current_thread() is threading.main_thread()
            and signal.getsignal(signal.SIGINT) is signal.default_int_handler
        ):
            self.previous = signal.signal(signal.SIGINT, self._handle)
        return self

    def __exit__(self, *_: object) -> None:
        if self.previous is not None:
            signal.signal(signal.SIGINT, self.previous)

    def _handle(self, _signal: int, _frame: FrameType | None) -> None:
        if not self.writing:
            raise KeyboardInterrupt
        self.pending = True

    @contextmanager
    def deferred(self) -> Iterator[None]:
        self.writing = True
        try:
            yield
        finally:
            self.writing = False
        if self.pending:
            raise KeyboardInterrupt


def run(
    job: Job,
    rows: Iterable[Row],
    write: Callable[[bytes], object],
    report: Callable[[str], object],
    *,
    fail_fast: bool,
    jobs: int = 1,
    tick: Callable[[int], object] = lambda rows: None,
    move: Callable[[int, int], object] | None = None,
    header: bytes = b"",
) -> Summary:
    """Score every row in input order, writing results and reporting bad rows as they come,
    after ``header`` (the CSV header line).

    ``write`` is given the output lines of consecutive scored rows as one block of UTF-8, and
    ``tick`` their number. ``fail_fast`` stops at the first bad row, Ctrl-C after the block
    being written, an MscAdvisorError (unreadable input, a worker that died) at once;
    ``summary.stopped`` says which. With ``jobs`` > 1 rows are scored in ordered chunks by that
    many worker processes, and the lines of their parcels wait in a pipe: ``move(source, size)``
    puts them in the output (by default they are read and given to ``write``). A closed output
    pipe (BrokenPipeError) is not caught: the workers are stopped and it propagates, for the
    caller to end quietly.
    """
    move_lines = move or (lambda source, size: pipes.copy(source, write, size))
    summary = Summary()
    outcomes: Generator[Outcome, None, None]
    if jobs > 1:
        outcomes = _pooled(job, rows, jobs)
    else:
        _start_worker(job)
        outcomes = (
            outcome
            for chunk in _chunks(rows, CHUNK)
            for outcome in _score_chunk(chunk, BLOCK_BYTES)
        )
    try:
        if header:
            write(header)
        with _DeferredInterrupt() as interrupt, closing(outcomes):
            for outcome in outcomes:
                with interrupt.deferred():
                    if isinstance(outcome, Rejected):
                        summary.read += 1
                        summary.rejected += 1
                        summary.last_line = outcome.line
                        tick(1)
                        report(f"line {outcome.line}: {outcome.reason}")
                    else:
                        if isinstance(outcome, Parcel):
                            move_lines(outcome.source, outcome.size)
                        else:
                            write(outcome.output)
                        summary.read += outcome.rows
                        summary.scored += outcome.rows
                        summary.last_line = outcome.last_line
                        tick(outcome.rows)
                if isinstance(outcome, Rejected) and fail_fast:
                    summary.stopped = "failed"
                    break
    except KeyboardInterrupt:
        summary.stopped = "interrupted"
    except MscAdvisorError as exc:
        summary.stopped = "error"
        summary.error = exc
    return summary
