"""batch: streaming, ordered, every row accounted for; and the Python API."""

from __future__ import annotations

import codecs
import io
import json
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import mscadvisor
from mscadvisor import batch
from mscadvisor.errors import InputError, MscAdvisorError
from tests.conftest import CliResult, read_terminal
from tests.knowledge_states import write_pack

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


def batch_with_output(args: list[str], output: Path, stdin_from: Path) -> Any:
    with stdin_from.open("rb") as stdin:
        return subprocess.run(
            [sys.executable, "-m", "mscadvisor", "batch", *args, "-o", str(output)],
            stdin=stdin,
            check=False,
            capture_output=True,
            text=True,
        )


@pytest.mark.parametrize("how", ["same name", "input link", "output link", "standard input"])
def test_an_output_that_would_replace_the_input_is_refused_and_the_input_kept(
    tmp_path: Path, how: str
) -> None:
    source = write(tmp_path, "p.jsonl", GOOD)
    before = source.read_bytes()
    link = tmp_path / "link.jsonl"
    link.symlink_to(source)
    given, output = {
        "same name": (str(source), source),
        "input link": (str(link), source),
        "output link": (str(source), link),  # the output follows the link to the input
        "standard input": ("-", source),
    }[how]
    proc = batch_with_output([given], output, stdin_from=source)
    assert proc.returncode == 2, proc.stderr
    assert f"--output {output}: is the batch input" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert source.read_bytes() == before


def test_an_output_that_is_a_hard_link_of_the_input_is_replaced_and_the_input_kept(
    tmp_path: Path,
) -> None:
    source = write(tmp_path, "p.jsonl", GOOD)
    before = source.read_bytes()
    other_name = tmp_path / "h.jsonl"
    other_name.hardlink_to(source)
    proc = batch_with_output([str(source)], other_name, stdin_from=source)
    assert proc.returncode == 0, proc.stderr
    assert source.read_bytes() == before
    assert [json.loads(x)["line"] for x in other_name.read_text("utf-8").splitlines()] == [1, 2]


def test_a_batch_that_scores_no_row_fails_and_writes_no_output(tmp_path: Path, cli: Cli) -> None:
    tabs = tmp_path / "tab.tsv"  # not CSV, so read as JSONL: every row is bad
    tabs.write_text("disease\tage\nPOF\t30\n", encoding="utf-8")
    target = tmp_path / "out.jsonl"
    target.write_text("old\n", encoding="utf-8")
    result = cli("batch", str(tabs), "-o", str(target))
    assert result.code == 2
    assert "every row was rejected, so nothing was scored" in result.err
    assert "2 row(s) read, 0 scored, 2 rejected" in result.err
    assert target.read_text("utf-8") == "old\n"
    one_good = write(tmp_path, "one.jsonl", ["not json", GOOD[0]])
    assert cli("batch", str(one_good), "-o", str(target)).code == 0


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
    [
        ("disease,colour", "unknown CSV column(s) 'colour'"),
        ("age,sex", "needs a 'disease'"),
        ("disease,age,disease, age", "CSV column(s) 'age', 'disease' given twice"),
    ],
)
def test_bad_csv_header(tmp_path: Path, cli: Cli, header: str, fragment: str) -> None:
    path = write(tmp_path, "p.csv", [header, "x,y"])
    result = cli("batch", str(path), "-f", "csv")
    assert result.code == 2 and f"{path}: line 1: " in result.err and fragment in result.err
    assert result.out == ""


def test_csv_columns_are_named_in_any_case(tmp_path: Path, cli: Cli) -> None:
    spreadsheet = cli(
        "batch", str(write(tmp_path, "s.csv", [" Disease ,AGE", "POF,30"])), "-f", "csv"
    )
    lowered = cli("batch", str(write(tmp_path, "l.csv", ["disease,age", "POF,30"])), "-f", "csv")
    assert spreadsheet.code == 0 and spreadsheet.out == lowered.out
    twice = cli("batch", str(write(tmp_path, "t.csv", ["disease,Disease", "POF,POF"])), "-f", "csv")
    assert twice.code == 2 and "CSV column(s) 'disease' given twice" in twice.err


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


@pytest.mark.parametrize("name", ["p.csv", "p.jsonl", "-"])  # -: standard input, sniffed
def test_a_byte_order_mark_is_not_data(name: str) -> None:
    text = "disease,age\nPOF,34\n" if name == "p.csv" else '{"disease": "POF", "age": 34}\n'
    for start in (b"", codecs.BOM_UTF8):
        stream = io.BufferedReader(io.BytesIO(start + text.encode()))
        rows = list(batch.read_rows(stream, "auto", name))
        assert [(r.line, r.fields, r.error) for r in rows] == [
            (2 if name == "p.csv" else 1, {"disease": "POF", "age": 34}, None)
        ]
        stream = io.BufferedReader(io.BytesIO(start + text.encode()))
        unparsed = batch.read_rows(stream, "auto", name, unparsed=True)
        assert [batch.parsed(row) for row in unparsed] == rows


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


@pytest.mark.subprocess
def test_no_bar_is_drawn_among_results_written_to_the_terminal(tmp_path: Path) -> None:
    import os
    import pty

    rows = [json.dumps({"disease": "POF", "age": 30})] * 600 + ['{"disease": "GOUT"}']
    command = [sys.executable, "-m", "mscadvisor", "batch", str(write(tmp_path, "p.jsonl", rows))]
    primary, secondary = pty.openpty()
    proc = subprocess.Popen(
        [*command, "-f", "csv"],
        stdout=secondary,
        stderr=secondary,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "100"},
    )
    os.close(secondary)
    lines = read_terminal(primary, proc).splitlines()
    assert not any("%" in line or " rows " in line for line in lines)  # no bar
    assert sum(line.startswith(("1,POF", "600,POF")) for line in lines) == 2
    assert any(line.startswith("mscadvisor: line 601: unknown disease 'GOUT'") for line in lines)


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


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda kb: mscadvisor.recommend("OP", kb), "profile: expected a Profile or a mapping"),
        (lambda kb: mscadvisor.recommend(None, kb), "profile: expected a Profile or a mapping"),
        (lambda kb: mscadvisor.recommend_many("OP", kb), "profiles: expected several profiles"),
        (lambda kb: mscadvisor.recommend({"disease": "OP"}, None), "kb: expected a KnowledgeBase"),
        (
            lambda kb: mscadvisor.recommend({"disease": "OP"}, kb, regimens=-1),
            "regimens: expected a whole number of 0 or more, got -1",
        ),
        (lambda kb: mscadvisor.load_knowledge_base(weights=5), "weights: expected a path"),
        (lambda kb: mscadvisor.load_knowledge_base(packs=[3]), "packs: expected a path"),
    ],
)
def test_python_api_names_a_wrong_argument(call: Callable[[Any], object], message: str) -> None:
    """Not an AttributeError or TypeError from deep inside: the argument and what it takes."""
    with pytest.raises(InputError, match=re.escape(message)):
        call(mscadvisor.load_knowledge_base())


def test_python_api_takes_one_pack_as_a_path(tmp_path: Path) -> None:
    """A single folder, as --rules takes it (a string was read one letter per pack)."""
    pack = write_pack(tmp_path / "my-pack", "")
    for packs in (str(pack), pack, [str(pack)]):
        kb = mscadvisor.load_knowledge_base(packs=packs)
        assert [p.path for p in kb.packs] == [str(pack)]


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
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_interrupted_batch_says_the_last_line_written_and_resumes_from_it(
    tmp_path: Path, jobs: str
) -> None:
    import signal

    rows = [json.dumps({"disease": "POF", "age": a % 100}) for a in range(100_000)]
    source = write(tmp_path, "big.jsonl", rows)
    command = [sys.executable, "-m", "mscadvisor", "batch", "-f", "csv", "--jobs", jobs]
    proc = subprocess.Popen(
        [*command, str(source)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stderr is not None
    first = [proc.stdout.readline() for _ in range(2000)]
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()  # not communicate(): it would skip what readline buffered
    err = proc.stderr.read()
    proc.wait(timeout=60)
    assert proc.returncode == 130
    assert "Traceback" not in err
    lines = "".join([*first, rest]).splitlines()
    assert lines[0].startswith("line,disease")
    assert all(len(line.split(",")) == 8 for line in lines)  # complete rows only
    numbers = [int(line.split(",")[0]) for line in lines[1:]]
    assert numbers == list(range(1, len(numbers) + 1))
    match = re.search(r"interrupted after input line (\d+)", err)
    assert match is not None and int(match.group(1)) == numbers[-1]
    # The README's way to resume: the rows after that line, numbered from 1 again.
    resumed = subprocess.run(
        [*command, "-"],
        input="\n".join(rows[numbers[-1] :]) + "\n",
        capture_output=True,
        text=True,
        check=True,
    )
    offset = numbers[-1]
    again = [line.split(",", 1) for line in resumed.stdout.splitlines()[1:]]
    assert [int(n) + offset for n, _ in again] == list(range(offset + 1, len(rows) + 1))


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ('{"disease": "OP", "age": ' + "9" * 5000 + "}", "a number of 5000 characters"),
        ("[" * 5000 + "]" * 5000, "nested more than 32 levels deep"),
        ('{"disease": "OP", "age": NaN}', "NaN is not a number JSON allows"),
        ('{"disease": "OP", "disease": "POF"}', "duplicate key 'disease'"),
        ('{"disease": "OP"', "invalid JSON at column 17"),
    ],
)
def test_one_bad_row_never_ends_the_batch(
    tmp_path: Path, cli: Cli, row: str, fragment: str
) -> None:
    result = cli("batch", str(write(tmp_path, "p.jsonl", [GOOD[0], row, GOOD[1]])), "-f", "csv")
    assert result.code == 0
    assert [r.split(",")[:2] for r in result.out.splitlines()[1:]] == [["1", "POF"], ["3", "OP"]]
    assert f"line 2: {fragment}" in result.err
    assert "batch: 3 row(s) read, 2 scored, 1 rejected" in result.err


def test_a_row_that_makes_scoring_fail_is_reported_and_the_batch_goes_on(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_score = batch.score

    def flaky(kb: object, profile: object, regimens: int) -> object:
        if getattr(profile, "disease", None) == "OP":
            raise ZeroDivisionError("division by zero")
        return real_score(kb, profile, regimens)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "score", flaky)
    result = cli("batch", str(write(tmp_path, "p.jsonl", [GOOD[1], GOOD[0]])), "-f", "csv")
    assert result.code == 0
    assert "line 1: internal error: ZeroDivisionError: division by zero" in result.err
    assert [r.split(",")[0] for r in result.out.splitlines()[1:]] == ["2"]
    assert "batch: 2 row(s) read, 1 scored, 1 rejected" in result.err


@pytest.mark.parametrize("input_format", ["jsonl", "csv"])
def test_an_over_long_line_is_a_bad_row_skipped_to_its_end(input_format: str) -> None:
    head = "disease,age\n" if input_format == "csv" else ""
    good = "POF,34\n" if input_format == "csv" else '{"disease": "POF", "age": 34}\n'
    long = "OP," + "9" * 100 if input_format == "csv" else '{"disease": "' + "x" * 100 + '"}'
    data = (head + good + long + "\n" + good).encode()
    lines = batch.Lines(io.BufferedReader(io.BytesIO(data)), "p", limit=40)
    reader = batch.read_csv(lines) if input_format == "csv" else batch.read_jsonl(lines)
    first = 2 if input_format == "csv" else 1
    assert [(r.line, r.error) for r in reader] == [
        (first, None),
        (first + 1, "longer than 40 bytes"),
        (first + 2, None),
    ]


def test_a_line_is_never_held_longer_than_the_limit() -> None:
    class Endless(io.RawIOBase):
        """Zeros without end, counting what is read."""

        taken = 0

        def readable(self) -> bool:
            return True

        def readinto(self, buffer: Any) -> int:
            if self.taken > 50 * len(buffer):
                return 0  # a bounded test: an end far beyond what one line may hold
            buffer[:] = bytes(len(buffer))
            self.taken += len(buffer)
            return len(buffer)

    lines = batch.Lines(io.BufferedReader(Endless(), 4096), "zeros", limit=4096)
    with pytest.raises(batch.BadLine, match="longer than 4096 bytes"):
        next(lines)


def test_huge_top_is_cut_to_the_most_candidates(tmp_path: Path, cli: Cli) -> None:
    most = batch.most_candidates(mscadvisor.load_knowledge_base())
    result = cli("batch", str(write(tmp_path, "p.jsonl", GOOD)), "-f", "csv", "--top", "100000")
    assert result.code == 0
    header = result.out.splitlines()[0].split(",")
    assert len(header) == 2 + 3 * 2 * most
    assert header[-2:] == [f"preconditioning_{most}", f"preconditioning_{most}_score"]
    full = cli("batch", str(write(tmp_path, "q.jsonl", GOOD)), "--top", "100000")
    assert full.out == cli("batch", str(write(tmp_path, "r.jsonl", GOOD))).out
    # --top 0 is all, as for recommend and JSONL: every column, not the default one.
    every = cli("batch", str(write(tmp_path, "s.jsonl", GOOD)), "-f", "csv", "--top", "0")
    assert every.out == result.out


@pytest.mark.subprocess
def test_stdout_is_utf8_whatever_the_locale(tmp_path: Path) -> None:
    import os

    proc = subprocess.run(
        [sys.executable, "-m", "mscadvisor", "batch", str(write(tmp_path, "p.jsonl", GOOD))],
        capture_output=True,
        env={**os.environ, "PYTHONIOENCODING": "ascii"},
        check=True,
    )
    first = json.loads(proc.stdout.decode("utf-8").splitlines()[0])
    assert first["sources"][0]["certainty_label"] == "⊕⊕◯◯ low"


def big_input(tmp_path: Path, count: int = 100_000) -> Path:
    return write(tmp_path, "big.jsonl", [json.dumps({"disease": "POF", "age": 30})] * count)


@pytest.mark.subprocess
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_closed_pipe_ends_the_batch_quietly(tmp_path: Path, jobs: str) -> None:
    m = f"{sys.executable} -m mscadvisor"
    proc = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {m} batch big.jsonl --jobs {jobs} | head -1"],
        cwd=big_input(tmp_path).parent,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert (proc.returncode, proc.stderr) == (0, "")
    assert json.loads(proc.stdout)["line"] == 1


def children(pid: int) -> list[int]:
    """The child processes of pid, from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if entry.name.isdigit() and int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.mark.subprocess
@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="finds workers through /proc")
@pytest.mark.parametrize("output", ["stdout", "file"])
def test_a_killed_worker_ends_the_batch_with_an_error(tmp_path: Path, output: str) -> None:
    import os
    import signal
    import time

    target = tmp_path / "out.csv"
    command = [sys.executable, "-m", "mscadvisor", "batch", str(big_input(tmp_path, 300_000))]
    command += ["-f", "csv", "--jobs", "2"] + (["-o", str(target)] if output == "file" else [])
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stderr is not None
    workers: list[int] = []
    while len(workers) < 2 and proc.poll() is None:
        # The workers, not the resource tracker: they run the spawned mscadvisor code.
        workers = [
            pid
            for pid in children(proc.pid)
            if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes()
        ]
        time.sleep(0.05)
    os.kill(workers[0], signal.SIGKILL)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 1, err
    assert "mscadvisor: error: a worker process ended unexpectedly" in err
    assert re.search(r"batch: (\d+) row\(s\) read.*stopped by the error after input line", err)
    assert "Traceback" not in err
    assert all(len(line.split(",")) == 8 for line in out.splitlines())  # complete rows only
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.jsonl"]
    assert children(proc.pid) == []


def test_a_worker_that_cannot_start_ends_the_batch(tmp_path: Path) -> None:
    from mscadvisor.kb.opening import KnowledgeSource

    job = batch.Job(KnowledgeSource(packs=(tmp_path / "gone",)), "csv", 1, 0)
    rows = [batch.Row(n, {"disease": "POF"}) for n in range(1, 1000)]
    written: list[str] = []
    summary = batch.run(job, rows, written.append, written.append, fail_fast=False, jobs=2)
    assert summary.stopped == "error" and written == []
    assert str(summary.error).startswith("a worker process could not start: invalid knowledge")


def test_ctrl_c_while_rows_are_written_stops_after_them_and_counts_them(kb: Any) -> None:
    import os
    import signal

    from mscadvisor.kb.opening import KnowledgeSource

    written: list[bytes] = []

    def write(block: bytes) -> None:
        if len(written) == 1:  # Ctrl-C arrives in the middle of writing rows 4 and 5
            os.kill(os.getpid(), signal.SIGINT)
        written.append(block)

    job = batch.Job(KnowledgeSource(), "csv", 1, 0)
    # Bad rows (3 and 6) part the scored ones into blocks: 1-2, 4-5 and 7-9.
    rows = [batch.Row(n, {"disease": "GOUT" if n % 3 == 0 else "POF"}) for n in range(1, 10)]
    summary = batch.run(job, rows, write, lambda report: None, fail_fast=False)
    assert summary.stopped == "interrupted"
    assert (summary.last_line, summary.read, summary.scored) == (5, 5, 4)
    lines = b"".join(written).decode().splitlines()
    assert [line.split(",")[0] for line in lines] == ["1", "2", "4", "5"]


def test_scored_rows_between_bad_ones_are_written_as_one_block(kb: Any) -> None:
    from mscadvisor.kb.opening import KnowledgeSource

    blocks: list[bytes] = []
    reports: list[str] = []
    job = batch.Job(KnowledgeSource(), "csv", 1, 0)
    rows = [batch.Row(n, {"disease": "GOUT" if n in (3, 4) else "POF"}) for n in range(1, 8)]
    summary = batch.run(job, rows, blocks.append, reports.append, fail_fast=False)
    assert [[line.split(b",")[0] for line in block.splitlines()] for block in blocks] == [
        [b"1", b"2"],
        [b"5", b"6", b"7"],
    ]
    assert [report.split(":")[0] for report in reports] == ["line 3", "line 4"]
    assert (summary.read, summary.scored, summary.rejected, summary.last_line) == (7, 5, 2, 7)


@pytest.mark.parametrize("output_format", ["jsonl", "csv"])
def test_blocks_hold_about_block_bytes_of_lines_and_change_no_output(
    kb: Any, monkeypatch: pytest.MonkeyPatch, output_format: str
) -> None:
    from mscadvisor.kb.opening import KnowledgeSource

    job = batch.Job(KnowledgeSource(), output_format, 0, 1)
    rows = [batch.Row(n, {"disease": "POF", "age": 20 + n}) for n in range(1, 8)]
    whole: list[bytes] = []
    batch.run(job, rows, whole.append, lambda report: None, fail_fast=False)
    line = whole[0].splitlines(keepends=True)[0]
    monkeypatch.setattr(batch, "BLOCK_BYTES", 3 * len(line))  # lines are much alike in length
    blocks: list[bytes] = []
    summary = batch.run(job, rows, blocks.append, lambda report: None, fail_fast=False)
    assert [block.count(b"\n") for block in blocks] == [3, 3, 1]
    assert b"".join(blocks) == b"".join(whole) and summary.scored == 7


@settings(max_examples=200, deadline=None)
@given(
    processors=st.integers(1, 256),
    busy=st.floats(0, 100, allow_nan=False),
    input_bytes=st.none() | st.integers(0, 1 << 40),
)
def test_jobs_auto_runs_workers_only_on_idle_processors_and_a_long_file(
    processors: int, busy: float, input_bytes: int | None
) -> None:
    chosen = batch.AutoJobs.choose(processors, busy, input_bytes).jobs
    idle = processors - busy
    assert 1 <= chosen <= max(1, min(int(idle), batch.MAX_JOBS))
    if input_bytes is None or input_bytes < batch.AUTO_MIN_BYTES or idle < 2:
        assert chosen == 1
    else:
        assert chosen == min(int(idle), batch.MAX_JOBS) >= 2
    # More load never means more workers.
    assert batch.AutoJobs.choose(processors, busy + 1, input_bytes).jobs <= chosen


def test_jobs_auto_says_what_it_chose(tmp_path: Path, cli: Cli) -> None:
    result = cli("batch", str(write(tmp_path, "p.jsonl", GOOD)), "--jobs", "auto")
    assert result.code == 0
    summary = result.err.strip().splitlines()[-1]
    assert summary.startswith("batch: 2 row(s) read, 2 scored, 0 rejected; --jobs auto: 1 process")
    assert summary.endswith(", input 69 bytes)")  # a short file: no workers, whatever the load


@pytest.mark.parametrize("jobs", ["0", "-1", "two", "", "65", "0064x"])
def test_jobs_is_a_whole_number_or_auto(tmp_path: Path, cli: Cli, jobs: str) -> None:
    result = cli("batch", str(write(tmp_path, "p.jsonl", GOOD)), "--jobs", jobs)
    assert result.code == 2 and "is not a whole number from 1 to 64, or auto" in result.err


@pytest.mark.subprocess
@pytest.mark.parametrize("output_format", ["jsonl", "csv"])
def test_output_is_the_same_whatever_the_jobs(tmp_path: Path, output_format: str) -> None:
    # Ages past 120 are bad rows too: every chunk has some.
    rows = [json.dumps({"disease": d, "age": a}) for a in range(20, 500) for d in ("POF", "OP")]
    rows[100:100] = MIXED  # bad rows inside a chunk
    source = write(tmp_path, "p.jsonl", rows)
    outputs = {}
    command = [sys.executable, "-m", "mscadvisor", "batch", str(source), "-f", output_format]
    for jobs in ("1", "2", "auto"):
        proc = subprocess.run(
            [*command, "--jobs", jobs],
            capture_output=True,
            check=True,
        )
        outputs[jobs] = (proc.stdout, re.sub(r"; --jobs auto: .*", "", proc.stderr.decode()))
    assert outputs["1"] == outputs["2"] == outputs["auto"]
    assert b"line 104: invalid JSON" not in outputs["1"][0]
    assert "line 103: invalid JSON" in outputs["1"][1]


def test_csv_rows_are_made_once_per_ranking_and_bounded(
    kb: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mscadvisor.engine.profile import build_profile
    from mscadvisor.engine.scoring import score

    monkeypatch.setattr(batch.CsvRows, "LIMIT", 4)
    rows = batch.CsvRows(2)
    profiles = [
        build_profile({"disease": disease, "age": age, "modality": modality}, kb, "test")
        for disease in ("POF", "OP", "AD")
        for age in (30, 70)
        for modality in ("cells", "exosomes")
    ]
    for line, profile in enumerate(profiles * 2, 1):
        result = score(kb, profile, 0)
        assert b"".join(rows(line, result)) == batch.csv_row(line, result, 2).encode()
        assert len(rows.made) <= 4


def test_csv_cells_read_once_per_column_give_the_values_read_each_time(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from mscadvisor.kb.vocabulary import PROFILE_FIELD_BY_NAME, parse_text

    monkeypatch.setattr(batch, "CELL_MEMO", 3)
    header = ["disease", "age", "comorbidities", "avoid_invasive_harvest"]
    cells = [
        ["OP", str(age), ";".join(["diabetes", "obesity"][: age % 3]), ["yes", "no", ""][age % 3]]
        for age in range(30, 50)
    ]
    text = "\n".join(",".join(row) for row in [header, *cells]) + "\n"
    rows = batch.read_csv(batch.Lines(io.BufferedReader(io.BytesIO(text.encode())), "p.csv"))
    assert [row.fields for row in rows] == [
        {
            name: parse_text(PROFILE_FIELD_BY_NAME[name], cell)
            for name, cell in zip(header, row, strict=True)
            if cell
        }
        for row in cells
    ]


@pytest.mark.parametrize("jobs", [1, 2])
def test_rows_read_before_the_input_fails_are_scored_and_written(kb: Any, jobs: int) -> None:
    """Rows are scored in chunks; an input that cannot be read further (a disk error) must not
    take the rows already read of the chunk with it."""
    from mscadvisor.kb.opening import KnowledgeSource

    def rows() -> Iterator[batch.Row]:
        for n in (1, 2, 3):
            yield batch.Row(n, {"disease": "POF"})
        raise MscAdvisorError("cohort.jsonl: cannot read: Input/output error")

    written: list[bytes] = []
    job = batch.Job(KnowledgeSource(), "csv", 1, 0)
    summary = batch.run(
        job, rows(), written.append, lambda report: None, fail_fast=False, jobs=jobs
    )
    assert summary.stopped == "error" and "Input/output error" in str(summary.error)
    assert (summary.read, summary.scored, summary.last_line) == (3, 3, 3)
    assert [line.split(",")[0] for line in b"".join(written).decode().splitlines()] == [
        "1",
        "2",
        "3",
    ]


outcome_lists = st.lists(
    st.one_of(
        st.builds(
            lambda rows, size: ("scored", rows, size), st.integers(1, 4), st.integers(1, 120)
        ),
        st.just(("rejected", 1, 0)),
    ),
    max_size=30,
)


@settings(max_examples=200, deadline=None)
@given(kinds=outcome_lists, room=st.integers(0, 300))
def test_parcels_keep_every_line_in_order_and_fit_the_room(
    kinds: list[tuple[str, int, int]], room: int
) -> None:
    outcomes: list[batch.Outcome] = []
    line = 0
    for kind, rows, size in kinds:
        line += rows
        if kind == "scored":
            outcomes.append(batch.Scored(rows, line, bytes([line % 256]) * size))
        else:
            outcomes.append(batch.Rejected(line, "bad"))
    told, blocks = batch._parcelled(outcomes, room)
    # Told back in place, each parcel's bytes (taken from the blocks in turn) give every outcome.
    pending = b"".join(blocks)
    rebuilt: list[batch.Outcome] = []
    for outcome in told:
        if isinstance(outcome, batch.Parcel):
            assert 0 < outcome.size <= room
            rebuilt.append(batch.Scored(outcome.rows, outcome.last_line, pending[: outcome.size]))
            pending = pending[outcome.size :]
        else:
            assert not isinstance(outcome, batch.Scored) or len(outcome.output) > room
            rebuilt.append(outcome)
    assert pending == b""
    assert merged(rebuilt) == merged(outcomes)


def merged(outcomes: list[batch.Outcome]) -> list[object]:
    """Outcomes with consecutive scored blocks made one: what a run writes and counts."""
    out: list[object] = []
    for outcome in outcomes:
        if isinstance(outcome, batch.Scored) and out and isinstance(out[-1], batch.Scored):
            last = out[-1]
            out[-1] = batch.Scored(
                last.rows + outcome.rows, outcome.last_line, last.output + outcome.output
            )
        else:
            out.append(outcome)
    return out


def test_where_pipes_stay_narrow_a_worker_still_tells_its_lines_in_parcels(kb: Any) -> None:
    """A pipe that cannot be widened keeps 64 KiB, so a parcel has room for 32 KiB: a worker
    cuts its blocks to fit, rather than send every block of BLOCK_BYTES pickled."""
    from mscadvisor.kb.opening import KnowledgeSource

    batch._start_worker(batch.Job(KnowledgeSource(), "csv", 0, 1))
    rows = [batch.Row(n, {"disease": "POF", "age": n % 90 + 18}) for n in range(1, 2001)]
    room = 32 << 10
    told, blocks = batch._told(rows, room)
    assert all(isinstance(outcome, batch.Parcel) for outcome in told)
    assert sum(outcome.rows for outcome in told if isinstance(outcome, batch.Parcel)) == 2000
    assert max(map(len, blocks)) <= room < sum(map(len, blocks))


@pytest.mark.parametrize("room", ["none", "one page", "staging full", "wide"])
def test_worker_output_is_the_same_whatever_room_its_pipes_have(
    kb: Any, monkeypatch: pytest.MonkeyPatch, room: str
) -> None:
    """Without splice every block comes back in its message; in pipes of one page full JSON
    lines do too, and CSV lines in parcels of half a page; in wide ones, both in parcels. A
    parcel that finds the staging pipe full is read from both pipes."""
    from mscadvisor import pipes
    from mscadvisor.kb.opening import KnowledgeSource

    if room != "none" and not pipes.CAN_SPLICE:
        pytest.skip("no splice on this system")
    if room == "none":
        monkeypatch.setattr(pipes, "CAN_SPLICE", False)
    elif room == "one page":
        monkeypatch.setattr(pipes, "WANTED_CAPACITY", 4096)
    elif room == "staging full":
        staged_some = pipes.stage

        def staging_full(source: int, staging: int, size: int) -> int:
            half = size // 2  # staged, and then the pipe is full: the rest is left
            return size - half + staged_some(source, staging, half)

        monkeypatch.setattr(pipes, "stage", staging_full)
    rows = [
        batch.Row(n, {"disease": "GOUT" if n % 97 == 0 else "POF", "age": n % 90 + 18})
        for n in range(1, 700)
    ]
    for output_format in ("jsonl", "csv"):
        job = batch.Job(KnowledgeSource(), output_format, 0, 1)
        outputs = []
        for jobs in (1, 2):
            written: list[bytes] = []
            reports: list[str] = []
            summary = batch.run(
                job, rows, written.append, reports.append, fail_fast=False, jobs=jobs
            )
            outputs.append((b"".join(written), reports, summary))
        assert outputs[0] == outputs[1]
        assert outputs[0][2].scored == 692 and len(outputs[0][1]) == 7


@pytest.mark.parametrize(
    ("loadavg", "busy"),
    [("0.52 0.58 0.59 1/467 31337\n", 0), ("3.10 2.00 1.00 4/467 31337\n", 3)],
)
def test_busy_processors_are_those_running_now_but_this_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, loadavg: str, busy: int
) -> None:
    path = tmp_path / "loadavg"
    path.write_text(loadavg)
    monkeypatch.setattr(batch, "LOADAVG", str(path))
    assert batch.busy_processors() == busy


def test_busy_processors_fall_back_on_the_load_average(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(batch, "LOADAVG", str(tmp_path / "none"))
    monkeypatch.setattr(batch.os, "getloadavg", lambda: (1.5, 1.0, 0.5))
    assert batch.busy_processors() == 1.5


def test_busy_processors_are_the_median_of_a_few_readings(monkeypatch: pytest.MonkeyPatch) -> None:
    readings = iter(
        [b"9 9 9 5/99 1", b"1 1 1 1/99 1", b"2 2 2 2/99 1", b"1 1 1 9/99 1", b"0 0 0 1/99 1"]
    )
    monkeypatch.setattr(batch, "open", lambda path, mode: io.BytesIO(next(readings)), raising=False)
    monkeypatch.setattr(batch.time, "sleep", lambda seconds: None)
    assert batch.busy_processors() == 1  # the running threads less this one: 4 0 1 8 0
