"""batch: streaming, ordered, every row accounted for; and the Python API."""

from __future__ import annotations

import codecs
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

import mscadvisor
from mscadvisor import batch
from mscadvisor.errors import InputError
from tests.conftest import CliResult, read_terminal

Cli = Callable[..., CliResult]

GOOD = ['{"disease": "POF", "age": 34}', '{"disease": "OP", "modality": "cells"}']
MIXED = [
    GOOD[0],
    '{"disease": "GOUT"}',
    "not json",
    "",
    '{"disease": "AD", "age": 300}',
    "[1, 2]",
    GOOD[1],
]


def write(tmp_path: Path, name: str, lines: list[str], end: str = "\n") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def test_jsonl_lines_are_the_recommend_document_plus_line(tmp_path: Path, cli: Cli) -> None:
    result = cli("batch", str(write(tmp_path, "p.jsonl", GOOD)))
    assert result.code == 0
    lines = result.out.splitlines()
    assert len(lines) == 2
    first = json.loads(lines[0])
    single = cli("recommend", "--disease", "POF", "--age", "34", "-f", "json").json()
    assert first == {"line": 1, **single}
    assert json.loads(lines[1])["line"] == 2
    assert result.err.strip() == "batch: 2 row(s) read, 2 scored, 0 rejected"


def test_mixed_rows_are_scored_or_reported_in_order(tmp_path: Path, cli: Cli) -> None:
    result = cli("batch", str(write(tmp_path, "p.jsonl", MIXED)), "-f", "csv")
    assert result.code == 0
    rows = result.out.splitlines()
    assert rows[0].startswith("line,disease,source,source_score,route")
    assert [r.split(",")[:2] for r in rows[1:]] == [["1", "POF"], ["7", "OP"]]
    assert "line 2: unknown disease 'GOUT'" in result.err
    assert "line 3: invalid JSON" in result.err
    assert "line 5: field age: 300 is outside 0-120" in result.err
    assert "line 6: expected a JSON object" in result.err
    assert "batch: 6 row(s) read, 2 scored, 4 rejected" in result.err


def test_on_error_fail_writes_nothing_and_keeps_the_old_file(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "out.csv"
    target.write_text("old\n", encoding="utf-8")
    result = cli(
        "batch",
        str(write(tmp_path, "p.jsonl", MIXED)),
        "-f",
        "csv",
        "--on-error",
        "fail",
        "-o",
        str(target),
    )
    assert result.code == 2
    assert "stopped at the bad row on line 2" in result.err
    assert target.read_text(encoding="utf-8") == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.csv", "p.jsonl"]


def test_output_file_is_replaced_on_success(tmp_path: Path, cli: Cli) -> None:
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    assert cli("batch", str(write(tmp_path, "p.jsonl", GOOD)), "-o", str(target)).code == 0
    assert [json.loads(x)["line"] for x in target.read_text("utf-8").splitlines()] == [1, 2]
    unwritable = cli(
        "batch", str(write(tmp_path, "q.jsonl", GOOD)), "-o", str(tmp_path / "no" / "out.jsonl")
    )
    assert unwritable.code == 1 and "cannot write" in unwritable.err


def test_csv_input(tmp_path: Path, cli: Cli) -> None:
    path = write(
        tmp_path,
        "p.csv",
        [
            "disease,age,comorbidities,avoid_invasive_harvest",
            "OP,70,diabetes;obesity,yes",
            "POF,abc,,no",
            "AD,60,,maybe",
            "SKIN,40,,no,extra",
            "AS,,,",
        ],
    )
    result = cli("batch", str(path), "-f", "csv", "--top", "2")
    assert result.code == 0
    rows = result.out.splitlines()
    assert rows[0].split(",")[2:6] == ["source_1", "source_1_score", "source_2", "source_2_score"]
    assert [r.split(",")[0] for r in rows[1:]] == ["2", "6"]
    assert "line 3: field age: expected a whole number" in result.err
    assert "line 4: field avoid_invasive_harvest" in result.err
    assert "line 5: expected 4 cells (as in the header), found 5" in result.err


@pytest.mark.parametrize(
    ("header", "fragment"),
    [("disease,colour", "unknown CSV column(s) 'colour'"), ("age,sex", "needs a 'disease'")],
)
def test_bad_csv_header(tmp_path: Path, cli: Cli, header: str, fragment: str) -> None:
    result = cli("batch", str(write(tmp_path, "p.csv", [header, "x,y"])), "-f", "csv")
    assert result.code == 2 and fragment in result.err and result.out == ""


def test_empty_truncated_and_binary_input(tmp_path: Path, cli: Cli) -> None:
    empty = cli("batch", str(write(tmp_path, "e.jsonl", [], end="")))
    assert empty.code == 0 and "0 row(s) read" in empty.err
    truncated = cli("batch", str(write(tmp_path, "t.jsonl", [GOOD[0], '{"disease": "PO'], end="")))
    assert "line 2: invalid JSON" in truncated.err and "1 scored, 1 rejected" in truncated.err
    binary = tmp_path / "b.jsonl"
    binary.write_bytes(GOOD[0].encode() + b"\n\xff\xfe\n")
    result = cli("batch", str(binary))
    assert "line 2: not UTF-8 text" in result.err and "1 scored, 1 rejected" in result.err


def test_missing_and_folder_input(tmp_path: Path, cli: Cli) -> None:
    assert "no such file" in cli("batch", str(tmp_path / "none.jsonl")).err
    assert "is a folder" in cli("batch", str(tmp_path)).err


@pytest.mark.parametrize("name", ["p.csv", "p.jsonl", None])  # None: standard input, sniffed
def test_a_byte_order_mark_is_not_data(name: str | None) -> None:
    text = "disease,age\nPOF,34\n" if name == "p.csv" else '{"disease": "POF", "age": 34}\n'
    for start in (b"", codecs.BOM_UTF8):
        stream = io.BufferedReader(io.BytesIO(start + text.encode()))
        rows = list(batch.read_rows(stream, "auto", name))
        assert [(r.line, r.fields, r.error) for r in rows] == [
            (2 if name == "p.csv" else 1, {"disease": "POF", "age": 34}, None)
        ]


def test_csv_from_a_spreadsheet_with_a_byte_order_mark(tmp_path: Path, cli: Cli) -> None:
    path = tmp_path / "cohort.csv"
    path.write_text("disease,age\nPOF,34\n", encoding="utf-8-sig")
    result = cli("batch", str(path), "-f", "csv")
    # The disease column was read (no BOM glued to its name): POF's top source, UC-cells.
    assert result.code == 0 and result.out.splitlines()[1].startswith("2,POF,UC-cells,")


@pytest.mark.subprocess
def test_stdin_and_jobs_keep_order(tmp_path: Path) -> None:
    rows = [
        json.dumps({"disease": d, "age": a}) for a in range(20, 80) for d in ("POF", "OP", "AD")
    ]
    data = "\n".join(rows) + "\n"
    outputs = []
    for jobs in ("1", "2"):
        proc = subprocess.run(
            [sys.executable, "-m", "mscadvisor", "batch", "-", "-f", "csv", "--jobs", jobs],
            input=data,
            capture_output=True,
            text=True,
            check=True,
        )
        outputs.append(proc.stdout)
    assert outputs[0] == outputs[1]
    assert [line.split(",")[0] for line in outputs[0].splitlines()[1:]] == [
        str(n) for n in range(1, len(rows) + 1)
    ]


@pytest.mark.subprocess
def test_progress_bar_and_reports_on_a_terminal(tmp_path: Path) -> None:
    import os
    import pty

    rows = [json.dumps({"disease": "POF", "age": 30})] * 3000 + ['{"disease": "GOUT"}']
    out = tmp_path / "out.csv"
    command = [sys.executable, "-m", "mscadvisor", "batch", str(write(tmp_path, "p.jsonl", rows))]
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [*command, "-f", "csv", "-o", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=secondary,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(secondary)
    text = read_terminal(primary, proc)
    assert " rows" in text and "%" in text  # the bar: share of the file read, rows scored
    assert "mscadvisor: line 3001: unknown disease 'GOUT'" in text
    assert "batch: 3001 row(s) read, 3000 scored, 1 rejected" in text
    assert len(out.read_text("utf-8").splitlines()) == 3001  # header + scored rows


class FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.mark.parametrize("piped", [False, True])
def test_progress_counts_rows_and_prints_reports_above_the_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, piped: bool
) -> None:
    from mscadvisor.cli.batch import BatchProgress

    terminal = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", terminal)
    path = write(tmp_path, "p.jsonl", GOOD * 300)
    with path.open("rb") as stream:
        source = io.BufferedReader(io.BytesIO(stream.read())) if piped else stream
        with BatchProgress(source) as progress:
            for _ in range(600):
                source.readline()
                progress.tick()
            progress.report("line 7: unknown disease 'GOUT'")
            task = progress.progress.tasks[0]
            assert task.fields["rows"] == 512  # updated every 256 rows
            assert task.total == (None if piped else path.stat().st_size)
            first_512 = sum(len(line) for line in path.read_bytes().splitlines(True)[:512])
            assert task.completed == (0 if piped else first_512)
    assert "mscadvisor: line 7: unknown disease 'GOUT'" in terminal.getvalue()


def test_python_api() -> None:
    kb = mscadvisor.load_knowledge_base()
    profile = mscadvisor.make_profile(kb, disease="OP", modality="cells")
    assert isinstance(profile, mscadvisor.Profile)
    result = mscadvisor.recommend(profile, kb)
    assert isinstance(result, mscadvisor.Recommendation)
    # Two animal studies and the head-to-head [41] put dental pulp ahead of bone marrow (one).
    assert result.ranked["source"][0].id == "DP-cells"
    many = list(
        mscadvisor.recommend_many(
            [{"disease": "AD", "modality": "exosomes"}, {"disease": "POF"}], kb
        )
    )
    # Routes are judged given the top source: AD-exosomes (intranasal trial), and for POF
    # UC-cells, for which [18] found intravenous better than intraovarian.
    assert [r.judged_for for r in many] == ["AD-exosomes", "UC-cells"]
    assert [r.ranked["route"][0].id for r in many] == ["IN", "IV"]
    with pytest.raises(InputError, match="unknown disease"):
        mscadvisor.recommend({"disease": "GOUT"}, kb)
    with pytest.raises(AttributeError):
        _ = mscadvisor.nothing  # type: ignore[attr-defined]


def test_output_to_a_special_file_writes_through(tmp_path: Path, cli: Cli) -> None:
    """A FIFO (like /dev/null) must be written to, never replaced by a renamed file."""
    import os
    import stat
    import threading

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[str] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_text("utf-8")))
    reader.start()
    result = cli("batch", str(write(tmp_path, "p.jsonl", GOOD)), "-f", "csv", "-o", str(fifo))
    reader.join(timeout=30)
    assert result.code == 0
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received[0].splitlines()[0].startswith("line,disease")
    assert len(received[0].splitlines()) == 3


@pytest.mark.subprocess
def test_interrupted_batch_leaves_complete_lines_and_says_where(tmp_path: Path) -> None:
    import signal

    rows = (
        "\n".join(
            json.dumps({"disease": d, "age": a % 100}) for a in range(100_000) for d in ("POF",)
        )
        + "\n"
    )
    source = tmp_path / "big.jsonl"
    source.write_text(rows, encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "mscadvisor", "batch", str(source), "-f", "csv"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    first = [proc.stdout.readline() for _ in range(200)]
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()  # not communicate(): it would skip what readline buffered
    assert proc.stderr is not None
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 130
    lines = (("".join(first)) + rest).splitlines()
    assert lines[0].startswith("line,disease")
    assert all(len(line.split(",")) == 8 for line in lines)  # complete rows only
    numbers = [int(line.split(",")[0]) for line in lines[1:]]
    assert numbers == list(range(1, len(numbers) + 1))
    match = re.search(r"interrupted after input line (\d+)", err)
    assert match is not None and int(match.group(1)) >= len(numbers)
    assert "Traceback" not in err
