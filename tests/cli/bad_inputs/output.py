"""Where the output goes: a COLUMNS that is no width, standard streams that are closed, full or
limited in size, output files that cannot be written, and readers that go away early."""

from __future__ import annotations

from pathlib import Path

from mscadvisor.errors import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE
from tests.cli.bad_inputs import BadInput, Setup
from tests.cli.bad_inputs.reading import text_file

PROFILES = '{"disease": "POF"}\n{"disease": "OP", "age": 70}\n'
MANY_PROFILES = PROFILES * 20  # a batch output far over the 8 KiB of `ulimit -f 8`
FULL = "No space left on device"
TOO_LARGE = "File too large"


def link_to(name: str, target: str) -> Setup:
    def setup(folder: Path) -> None:
        (folder / name).symlink_to(target)

    return setup


def columns(value: str) -> BadInput:
    """COLUMNS that is no width: ignored, the table printed as when it is unset."""
    return BadInput(
        f"columns-{value}",
        "set -o pipefail; {m} recommend -d OP | cat",
        EXIT_OK,
        "",
        env={"COLUMNS": value},
        stdout_fragment="Best regimen: DP-cells + IV",
    )


def reader_gone(command: str) -> BadInput:
    """A reader that closes the pipe before the first line: a success (README, exit codes)."""
    return BadInput(
        f"pipe-closed-{command.replace(' ', '-')}",
        f"set -o pipefail; {{m}} {command} | true",
        EXIT_OK,
        "",
    )


CASES: list[BadInput] = [
    columns("abc"),
    columns("0"),
    columns("-5"),
    columns("1e3"),
    BadInput(
        "columns-huge",  # clamped to 1000: a few hundred KiB, not a gigabyte of padding
        'test "$({m} recommend -d OP --detail | wc -c)" -lt 1000000',
        EXIT_OK,
        "",
        env={"COLUMNS": "10000000"},
    ),
    BadInput(
        "stdout-full",
        "{m} recommend -d OP > /dev/full",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write standard output: {FULL}",
    ),
    BadInput(
        "stdout-full-json",
        "{m} rules list -f json > /dev/full",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write standard output: {FULL}",
    ),
    BadInput(
        "stdout-full-report",
        "{m} rules check > /dev/full",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write standard output: {FULL}",
    ),
    BadInput(
        "stdout-too-large",
        "ulimit -f 8; {m} evidence > evidence.txt",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write standard output: {TOO_LARGE}",
        leaves=("evidence.txt",),  # the shell made it; the limit cut it
    ),
    BadInput(
        "stdout-closed",
        "{m} recommend -d OP >&-",
        EXIT_RUNTIME,
        "mscadvisor: error: standard output is closed",
    ),
    BadInput(
        "stderr-closed",  # the error goes nowhere, the exit code still tells
        "{m} recommend -d GOUT 2>&-",
        EXIT_USAGE,
        "",
    ),
    BadInput(
        "batch-output-full",
        "{m} batch in.jsonl -o /dev/full",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write /dev/full: {FULL}",
        text_file("in.jsonl", PROFILES),
    ),
    BadInput(
        "batch-stdout-full",  # ends as an output file that cannot be written: with the summary
        "{m} batch in.jsonl > /dev/full",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write standard output: {FULL}\nbatch: 0 row(s) read, "
        "0 scored, 0 rejected; stopped by the error: how many results the output holds is not "
        "known\n",
        text_file("in.jsonl", PROFILES),
    ),
    BadInput(
        "batch-stdout-full-csv",  # its header is the first write
        "{m} batch in.csv -f csv > /dev/full",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write standard output: {FULL}\nbatch: 0 row(s) read",
        text_file("in.csv", "disease,age\nPOF,30\nOP,70\n"),
    ),
    BadInput(
        "batch-stdout-closed",
        "{m} batch in.jsonl --jobs 2 >&-",
        EXIT_RUNTIME,
        "mscadvisor: error: standard output is closed\nbatch: 0 row(s) read",
        text_file("in.jsonl", PROFILES),
    ),
    BadInput(
        "batch-stdout-closed-csv",
        "{m} batch in.csv -f csv >&-",
        EXIT_RUNTIME,
        "mscadvisor: error: standard output is closed\nbatch: 0 row(s) read",
        text_file("in.csv", "disease,age\nPOF,30\n"),
    ),
    BadInput(
        "batch-output-too-large",
        "ulimit -f 8; {m} batch in.jsonl -o out.jsonl",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write out.jsonl: {TOO_LARGE}",
        text_file("in.jsonl", MANY_PROFILES),
    ),
    BadInput(
        "export-full",  # a special file is written through, so its error is the export's
        "{m} recommend -d OP --export full.svg",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write full.svg: {FULL}",
        link_to("full.svg", "/dev/full"),
    ),
    BadInput(
        "export-too-large",
        "ulimit -f 8; {m} recommend -d OP --export out.svg",
        EXIT_RUNTIME,
        f"mscadvisor: error: cannot write out.svg: {TOO_LARGE}",
    ),
    reader_gone("rules test"),
    reader_gone("rules list"),
    reader_gone("rules show T4-BM-D1-DONOR-AGE"),
    reader_gone("evidence"),
    reader_gone("trials -f json"),
    reader_gone("recommend -d OP --explain"),
    reader_gone("recommend -d OP -f markdown"),
    reader_gone("explain -d OP -c BM-cells"),
    reader_gone("schema recommendation"),
]
