"""Bad batch inputs: special files, closed standard input, rows no one can score and headers
that cannot be read. A bad row is reported and skipped (exit 0, the summary says so); input that
cannot be read at all ends the run before any row (exit 2)."""

from __future__ import annotations

from pathlib import Path

from mscadvisor.errors import EXIT_OK, EXIT_USAGE
from tests.cli.bad_inputs import BadInput, Setup
from tests.cli.bad_inputs.reading import DEEP_JSON, NINES, fifo, text_file

GOOD_ROW = '{"disease": "POF"}'


def jsonl(*rows: str) -> Setup:
    """in.jsonl: the bad rows, then a good one that must still be scored."""
    return text_file("in.jsonl", "\n".join([*rows, GOOD_ROW]) + "\n")


def skipped(name: str, row: str, fragment: str) -> BadInput:
    return BadInput(
        f"batch-row-{name}",
        "{m} batch in.jsonl -f csv",
        EXIT_OK,
        f"line 1: {fragment}",
        jsonl(row),
        stdout_fragment="\n2,POF,",
    )


def writer_and_fifo(folder: Path) -> None:
    fifo("in.jsonl")(folder)


def jobs(name: str, value: str) -> BadInput:
    return BadInput(
        f"batch-jobs-{name}",
        f"{{m}} batch in.jsonl --jobs {value}",
        EXIT_USAGE,
        "is not a whole number from 1 to 64, or auto",
        jsonl(),
    )


CASES: list[BadInput] = [
    jobs("5000-digits", NINES),
    jobs("too-many", "65"),
    jobs("fullwidth-digit", "\uff12"),
    jobs("zero", "0"),
    skipped("5000-digit-age", f'{{"disease": "OP", "age": {NINES}}}', "a number of 5000"),
    skipped("deep-nesting", DEEP_JSON, "nested more than 32 levels deep"),
    skipped("nan", '{"disease": "OP", "age": NaN}', "NaN is not a number JSON allows"),
    skipped("duplicate-key", '{"disease": "OP", "disease": "POF"}', "duplicate key 'disease'"),
    skipped("over-long-line", '{"disease": "OP", "x": "' + "a" * (1 << 20) + '"}', "longer than"),
    BadInput(
        "batch-csv-duplicate-column",
        "{m} batch in.csv",
        EXIT_USAGE,
        "line 1: CSV column(s) 'disease' given twice",
        text_file("in.csv", "disease,age,disease\nOP,70,POF\n"),
    ),
    BadInput(
        "batch-csv-5000-digit-age",
        "{m} batch in.csv -f csv",
        EXIT_OK,
        "line 2: field age: expected a whole number",
        text_file("in.csv", f"disease,age\nOP,{NINES}\nPOF,30\n"),
        stdout_fragment="\n3,POF,",
    ),
    BadInput(
        "batch-dev-zero",
        "{m} batch /dev/zero",
        EXIT_USAGE,
        "batch input /dev/zero: is a device, not a file or pipe",
    ),
    BadInput(
        "batch-stdin-dev-zero",
        "{m} batch - < /dev/zero",
        EXIT_USAGE,
        "batch input - (standard input): is a device, not a file or pipe",
    ),
    BadInput(
        "batch-stdin-closed",
        "{m} batch - <&-",
        EXIT_USAGE,
        "batch input -: standard input is closed",
    ),
    BadInput(
        "batch-folder",
        "{m} batch .",
        EXIT_USAGE,
        "batch input .: is a folder, not a file or pipe",
    ),
    BadInput(
        "batch-named-fifo-is-streamed",
        "(printf '%s\\n' '{{\"disease\": \"OP\"}}' > in.jsonl &) ; {m} batch in.jsonl -f csv",
        EXIT_OK,
        "batch: 1 row(s) read, 1 scored, 0 rejected",
        writer_and_fifo,
        stdout_fragment="\n1,OP,",
    ),
    BadInput(
        "batch-huge-top",
        "{m} batch in.jsonl -f csv --top 10000000",
        EXIT_OK,
        "batch: 1 row(s) read, 1 scored, 0 rejected",
        jsonl(),
        stdout_fragment="source_12_score,",
    ),
]
