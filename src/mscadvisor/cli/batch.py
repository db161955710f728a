"""batch: score a file of profiles, streaming, with its output sink and progress display."""

import gc
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, BinaryIO

import typer

from mscadvisor import pipes
from mscadvisor.cli.root import check_required_kb, knowledge_source
from mscadvisor.engine import defaults
from mscadvisor.errors import EXIT_USAGE, InputError, MscAdvisorError, quoted
from mscadvisor.render.output import discard_stdout, is_terminal, stream_problem


class InputFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"


class BatchFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class OnError(StrEnum):
    skip = "skip"
    fail = "fail"


def batch(  # noqa: PLR0917 (typer maps each option to a parameter)
    ctx: typer.Context,
    source: Annotated[
        str,
        typer.Argument(
            metavar="INPUT",
            help="A JSONL or CSV file of profiles (the fields of --profile), "
            "or - for standard input.",
        ),
    ],
    input_format: Annotated[
        InputFormat,
        typer.Option(help="auto: by file suffix (.csv, else JSONL); standard input is sniffed."),
    ] = InputFormat.auto,
    fmt: Annotated[
        BatchFormat,
        typer.Option(
            "--format",
            "-f",
            help="jsonl: the recommend document per profile plus "
            "its input line; csv: the top candidates and scores per profile.",
        ),
    ] = BatchFormat.jsonl,
    output: Annotated[
        Path | None,
        typer.Option(
            "--output",
            "-o",
            readable=False,  # written, not read
            help="Write here (atomically) instead of stdout.",
        ),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Candidates per category, 0 = all: csv columns (default 1), jsonl "
            "list length (default all).",
        ),
    ] = None,
    regimens: Annotated[
        int, typer.Option(min=0, help="Regimens per profile in jsonl.")
    ] = defaults.REGIMENS,
    on_error: Annotated[
        OnError,
        typer.Option(
            help="skip: report a bad row and go on (exit 2 if no row is scored); fail: stop at it."
        ),
    ] = OnError.skip,
    jobs: Annotated[
        str,
        typer.Option(
            metavar="<N|auto>",
            help="Worker processes, 1 to 64 (order is preserved); auto: one per idle "
            "processor for a long input file, else 1, said in the summary.",
        ),
    ] = "1",
) -> None:
    """Score a file of profiles, one result per input row, streaming and in input order."""
    from mscadvisor import batch as batching

    workers = _jobs(jobs)
    # The console script starts without the garbage collector (cli/entry.py); a long run makes
    # garbage, so collect it again, but only over the objects made from now on.
    gc.freeze()
    gc.enable()

    knowledge = knowledge_source(ctx)
    # Fail early, and once, on a broken knowledge base or weights file, or other knowledge.
    kb = knowledge.open()
    check_required_kb(ctx, kb)
    stream = batching.open_input(source)
    if output is not None:
        batching.check_output_apart(stream, source, output)
    auto = batching.AutoJobs.measure(stream) if workers is None else None
    try:
        rows = batching.read_rows(stream, input_format.value, source, unparsed=True)
    except InputError as exc:  # a bad CSV header, checked before any row: name the input
        shown = "standard input" if source == batching.STDIN else source
        raise InputError(f"{shown}: {exc}") from None
    width = top if top is not None else (1 if fmt is BatchFormat.csv else 0)
    most = batching.most_candidates(kb)
    # 0 keeps them all: a JSONL line's whole lists, as many CSV columns as any category needs.
    width = min(width, most) if width > 0 else (most if fmt is BatchFormat.csv else 0)
    job = batching.Job(
        knowledge,
        fmt.value,
        width,
        regimens if fmt is BatchFormat.jsonl else 0,
    )
    sink = BatchSink(output)
    header = batching.csv_header(max(width, 1)).encode() if fmt is BatchFormat.csv else b""
    try:
        results_on_terminal = sink.file is None and is_terminal(sys.stdout)
        with (
            BatchProgress(stream, results_on_terminal=results_on_terminal) as progress,
            sink.abandoned_on_error(),
        ):
            summary = batching.run(
                job,
                rows,
                sink.write,
                progress.report,
                fail_fast=on_error is OnError.fail,
                jobs=auto.jobs if auto is not None else workers or 1,
                tick=progress.tick,
                move=sink.move,
                header=header,
            )
    except BrokenPipeError:
        if sink.file is not None:
            raise
        discard_stdout()  # a quiet success, as for any command
        return
    # Not a few bad rows but no good one: most often the input is not in the format read.
    none_scored = summary.stopped is None and summary.rejected > 0 and summary.scored == 0
    if summary.error is not None:
        sys.stderr.write(f"mscadvisor: error: {summary.error}\n")
    elif none_scored:
        sys.stderr.write(
            "mscadvisor: error: every row was rejected, so nothing was scored (the reasons are "
            "above; a file read in the wrong format rejects every row: see --input-format)\n"
        )
    text = summary.text(output_known=not sink.stdout_failed)
    sys.stderr.write(text + (f"; {auto.text()}" if auto else "") + "\n")
    if none_scored:
        sink.abandon()
        raise typer.Exit(EXIT_USAGE)
    if summary.stopped is None:
        sink.commit()
        return
    sink.abandon()
    if summary.error is not None:
        raise typer.Exit(summary.error.exit_code)
    raise typer.Exit(130 if summary.stopped == "interrupted" else EXIT_USAGE)


def _jobs(value: str) -> int | None:
    """--jobs as a number of processes, or None for auto."""
    from mscadvisor.batch import MAX_JOBS

    if value == "auto":
        return None
    if not (value.isascii() and value.isdigit() and len(value) <= 3) or not (
        1 <= int(value) <= MAX_JOBS
    ):
        raise typer.BadParameter(
            f"{quoted(value)} is not a whole number from 1 to {MAX_JOBS}, or auto",
            param_hint="--jobs",
        )
    return int(value)


class BatchSink:
    """Batch output: stdout, or --output (see output_file.OutputFile) committed only on success.

    Written as UTF-8 bytes, on stdout whatever the locale: JSON and CSV results are data, not
    messages."""

    def __init__(self, output: Path | None) -> None:
        from mscadvisor.render.output_file import OutputFile

        self.file = OutputFile(output) if output is not None else None
        if self.file is None:
            sys.stdout.flush()  # anything printed as text before the bytes that follow
        self.write = self.file.write_bytes if self.file else self._write_stdout
        self.stdout_failed = False

    def _write_stdout(self, data: bytes) -> None:
        with self._stdout_errors():
            sys.stdout.buffer.write(data)

    def move(self, source: int, size: int) -> None:
        """Write size bytes waiting in the pipe source (``pipes.move``), as ``write`` would."""
        if self.file is None:
            with self._stdout_errors():
                pipes.move(source, sys.stdout.buffer, size)
        else:
            self.file.move_bytes(source, size)

    @contextmanager
    def _stdout_errors(self) -> Iterator[None]:
        """A standard output that cannot be written (a full disk) ends the run as an output
        file that cannot be written does: with the summary. The reader gone (``| head``) is
        no error."""
        try:
            yield
        except BrokenPipeError:
            raise
        except OSError as exc:
            self.stdout_failed = True
            raise MscAdvisorError(stream_problem(exc)) from None

    def commit(self) -> None:
        if self.file is None:
            sys.stdout.buffer.flush()
        else:
            self.file.commit()

    @contextmanager
    def abandoned_on_error(self) -> Iterator[None]:
        """Leave no output file behind if the run fails with an error."""
        try:
            yield
        except BaseException:
            self.abandon()
            raise

    def abandon(self) -> None:
        """Stop without a result file: stdout keeps its complete lines; a file is discarded."""
        if self.file is None:
            if not self.stdout_failed:  # else it has said so, and takes nothing more
                sys.stdout.buffer.flush()
            return
        self.file.abandon()
        if self.file.tmp is not None:
            sys.stderr.write(f"mscadvisor: {self.file.path} was not written\n")


class BatchProgress:
    """Progress on stderr when it is a terminal: a bar over the input file's bytes (a running
    count for a pipe), with bad-row reports printed above it. Plain reports otherwise, and
    when the results themselves stream to the terminal (a bar would be drawn among them)."""

    EVERY = 256  # rows between updates: the display refreshes a few times a second anyway

    def __init__(self, stream: BinaryIO, *, results_on_terminal: bool = False) -> None:
        self.stream = stream
        self.results_on_terminal = results_on_terminal
        self.rows = 0
        self.progress: Any = None

    def __enter__(self) -> "BatchProgress":
        if self.results_on_terminal or not is_terminal(sys.stderr):
            return self
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        from mscadvisor.batch import file_size
        from mscadvisor.render.output import console

        size = file_size(self.stream)
        self.sized = size is not None
        self.progress = Progress(
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=console(stderr=True),
            transient=True,
        )
        self.task = self.progress.add_task("batch", total=size, rows=0)
        self.progress.start()
        return self

    def tick(self, rows: int = 1) -> None:
        before, self.rows = self.rows, self.rows + rows
        if self.progress is not None and before // self.EVERY != self.rows // self.EVERY:
            done = self.stream.tell() if self.sized else None
            self.progress.update(self.task, completed=done, rows=self.rows)

    def report(self, message: str) -> None:
        if self.progress is None:
            sys.stderr.write(f"mscadvisor: {message}\n")
        else:
            self.progress.console.print(f"mscadvisor: {message}", markup=False, soft_wrap=True)

    def __exit__(self, *_: object) -> None:
        if self.progress is not None:
            self.progress.stop()
