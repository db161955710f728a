"""The README's examples are executed: every command line of its ```sh blocks and its API block.

Each ```sh block runs line by line, in order, in a scratch folder, with the CLI in process (the
``cli`` fixture). The files the examples read come from the README itself: every ```toml block
whose first line names a file (``# my-pack/pack.toml``, ``# weights.toml``) is written there, and
the profile file example becomes ``profile.toml`` and the batch cohorts ``cohort.jsonl`` and
``cohort.csv`` (batch rows "have the fields of a profile file"); the example files of
``docs/examples/`` are copied to the same path in the folder. ``/tmp/`` in a command is that
folder. ``A && B`` runs both; ``... | jq ...`` runs the left side and checks that it printed JSON;
``cat FILE | mscadvisor ...`` gives the file as standard input; ``> FILE`` checks that something
was printed. Every command must exit 0.

Not run, and why (``SKIPPED``): installing into a virtual environment (the package under test is
already importable) and the development tools (pytest, ruff, mypy, lint-imports, coverage,
``.ci/run``): running the suite, or tools that are not the tool, from inside the suite. Any other
command fails the test, so a new README example is either run here or skipped on purpose.
"""

from __future__ import annotations

import io
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

import mscadvisor
from mscadvisor.kb.loader import shipped_rules_dir
from tests.conftest import CliResult

README = Path(__file__).resolve().parents[2] / "README.md"
Cli = Callable[..., CliResult]


@dataclass(frozen=True)
class Block:
    lang: str
    heading: str  # the nearest heading above the block
    text: str


def readme_blocks() -> list[Block]:
    blocks, heading, lang, lines = [], "", None, []
    for line in README.read_text(encoding="utf-8").splitlines():
        if lang is None and line.startswith("#"):
            heading = line.lstrip("#").strip()
        elif line.startswith("```"):
            if lang is None:
                lang, lines = line[3:].strip(), []
            else:
                blocks.append(Block(lang, heading, "\n".join(lines) + "\n"))
                lang = None
        elif lang is not None:
            lines.append(line)
    return blocks


BLOCKS = readme_blocks()
SH_BLOCKS = [b for b in BLOCKS if b.lang == "sh"]

# argv prefixes that are not run, with the reason (see the module docstring)
SKIPPED: tuple[tuple[tuple[str, ...], str], ...] = (
    (("python3", "-m", "venv"), "creates a virtual environment"),
    (("pip", "install"), "installs the package, which the tests already import"),
    (("python", "-m", "pytest"), "runs the whole suite, from inside it"),
    (("ruff",), "development tool"),
    (("mypy",), "development tool"),
    (("lint-imports",), "development tool"),
    (("coverage",), "development tool"),
    (("bash", ".ci/run"), "the CI script: the whole suite in a fresh venv"),
)


def skip_reason(argv: list[str]) -> str | None:
    program = [Path(argv[0]).name, *argv[1:]]
    for prefix, reason in SKIPPED:
        if tuple(program[: len(prefix)]) == prefix:
            return reason
    return None


def write_readme_files(folder: Path) -> None:
    """The files the README shows: named ```toml blocks, the profile file and cohorts from it."""
    for block in BLOCKS:
        named = re.match(r"# (\S+\.toml)\n", block.text)
        if block.lang == "toml" and named and not named.group(1).startswith("rules/"):
            target = folder / named.group(1)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(block.text, encoding="utf-8")
    shutil.copytree(README.parent / "docs" / "examples", folder / "docs" / "examples")
    profile_text = profile_block().text
    (folder / "profile.toml").write_text(profile_text, encoding="utf-8")
    profile = tomllib.loads(profile_text)
    (folder / "cohort.jsonl").write_text(json.dumps(profile) + "\n", encoding="utf-8")
    cells = {
        k: ";".join(v) if isinstance(v, list) else str(v).lower() if isinstance(v, bool) else v
        for k, v in profile.items()
    }
    header = ",".join(cells)
    row = ",".join(str(v) for v in cells.values())
    (folder / "cohort.csv").write_text(f"{header}\n{row}\n", encoding="utf-8")


def profile_block() -> Block:
    (block,) = [b for b in BLOCKS if b.lang == "toml" and b.text.startswith('disease = "')]
    return block


def run_segment(argv: list[str], cli: Cli, folder: Path, stdin: bytes | None) -> CliResult:
    program = Path(argv[0]).name
    if program == "cp" and argv[1:3] == ["-r", "rules"]:
        shutil.copytree(shipped_rules_dir(), argv[3])
        return CliResult(0, "", "")
    if program == "python" and argv[1:3] == ["-m", "mscadvisor.cli.docs"]:
        from mscadvisor.cli import docs

        docs.main(argv[3:])
        return CliResult(0, "", "")
    assert program == "mscadvisor", f"README command neither run nor skipped: {argv}"
    if stdin is None:
        return cli(*argv[1:])
    saved = sys.stdin
    sys.stdin = io.TextIOWrapper(io.BytesIO(stdin), encoding="utf-8")
    try:
        return cli(*argv[1:])
    finally:
        sys.stdin = saved


def run_line(line: str, cli: Cli, folder: Path) -> tuple[int, list[str]]:
    """Run one README command line; return how many parts ran and why the others did not."""
    tokens = shlex.split(line.replace("/tmp/", f"{folder}/"), comments=True)
    ran, skipped = 0, []
    while tokens:
        cut = tokens.index("&&") if "&&" in tokens else len(tokens)
        segment, tokens = tokens[:cut], tokens[cut + 1 :]
        stdin = None
        if segment[0] == "cat" and segment[2] == "|":
            stdin, segment = (folder / segment[1]).read_bytes(), segment[3:]
        piped = segment[segment.index("|") + 1 :] if "|" in segment else []
        redirected = segment[segment.index(">") + 1 :] if ">" in segment else []
        argv = segment[: len(segment) - len(piped) - len(redirected) - bool(piped or redirected)]
        reason = skip_reason(argv)
        if reason is not None:
            skipped.append(f"{shlex.join(argv)}: {reason}")
            continue
        result = run_segment(argv, cli, folder, stdin)
        ran += 1
        assert result.code == 0, f"{line}\nexit {result.code}\n{result.err}"
        if piped:
            assert piped[0] == "jq", f"unhandled pipe in {line!r}"
            json.loads(result.out)
        if redirected:
            assert result.out.strip(), f"{line}: nothing printed"
    return ran, skipped


@pytest.mark.parametrize(
    "block",
    [
        # A block that starts worker processes (--jobs) runs code outside this process.
        pytest.param(b, marks=[pytest.mark.subprocess] if "--jobs" in b.text else [])
        for b in SH_BLOCKS
    ],
    ids=[f"{n}-" + re.sub(r"\W+", "-", b.heading).strip("-") for n, b in enumerate(SH_BLOCKS)],
)
def test_sh_block(block: Block, cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write_readme_files(tmp_path)
    monkeypatch.chdir(tmp_path)
    ran, skipped = 0, []
    for line in block.text.splitlines():
        if line.strip():
            line_ran, reasons = run_line(line, cli, tmp_path)
            ran, skipped = ran + line_ran, skipped + reasons
    if not ran:
        pytest.skip("; ".join(skipped))


def test_the_readme_has_the_examples_this_test_runs() -> None:
    headings = {b.heading for b in SH_BLOCKS}
    assert {"recommend", "explain: why, why not, why not first", "batch"} <= headings
    assert "Rule packs and weights" in headings
    commands = "".join(b.text for b in SH_BLOCKS)
    assert "--rules my-pack" in commands and "--weights weights.toml" in commands


def test_the_answer_at_80_columns_is_what_the_command_prints(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The README shows `recommend --disease POF` at 80 columns: it must stay what it prints."""
    text = README.read_text(encoding="utf-8")
    shown = text.split("`mscadvisor recommend --disease POF` at 80 columns:\n\n```\n")[1]
    shown = shown.split("\n```\n")[0]
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("recommend", "--disease", "POF")
    assert result.code == 0
    assert [line.rstrip() for line in result.out.splitlines()] == shown.splitlines()


def test_the_knowledge_hashes_shown_are_those_computed(tmp_path: Path) -> None:
    """Every knowledge sha256 the README shows (16 or 64 hex digits) is the shipped rules' or,
    with the README's half-animal.toml, theirs with those weights; but the one made up to
    show a mismatch."""
    from mscadvisor.kb.fingerprint import knowledge_sha256

    write_readme_files(tmp_path)
    computed = [
        knowledge_sha256(mscadvisor.load_knowledge_base()),
        knowledge_sha256(mscadvisor.load_knowledge_base(weights=tmp_path / "half-animal.toml")),
    ]
    shown = set(re.findall(r"\b[0-9a-f]{64}\b|\b[0-9a-f]{16}\b", README.read_text("utf-8")))
    assert len(shown) >= 3
    made_up = "0123456789abcdef"
    assert {h for h in shown if not any(c.startswith(h) for c in computed)} == {made_up}


def test_profile_file_example(cli: Cli, tmp_path: Path) -> None:
    write_readme_files(tmp_path)
    result = cli("recommend", "--profile", str(tmp_path / "profile.toml"), "--format", "json")
    assert result.code == 0, result.err
    assert result.json()["query"]["profile"]["etiology"] == "diabetic"


def test_rule_pack_override_example(cli: Cli, tmp_path: Path) -> None:
    """The README's pack replaces T4-BM-D1-DONOR-AGE; the shipped cases naming it still load
    and test the overriding rule, and the override shows in the result."""
    write_readme_files(tmp_path)
    pack = str(tmp_path / "my-pack")
    tested = cli("rules", "test", pack, "--format", "json")
    assert tested.code == 0, tested.out
    cases = {case["id"] for case in tested.json()["cases"]}
    assert {"CASE-T4-OP-OWN-MARROW-AT-70", "CASE-LAB-OP-OWN-MARROW-AT-55"} <= cases
    args = ("recommend", "-d", "OP", "--donor", "autologous", "--age", "55", "-f", "json")
    rules_fired = {
        c["rule"]
        for source in cli("--rules", pack, *args).json()["sources"]
        for c in source["contributions"]
    }
    assert "LAB-BM-DONOR-AGE-50" in rules_fired and "T4-BM-D1-DONOR-AGE" not in rules_fired
    shown = cli("--rules", pack, "rules", "show", "t4-bm-d1-donor-age")
    assert shown.code == 2
    assert "rule 'T4-BM-D1-DONOR-AGE' is overridden by 'LAB-BM-DONOR-AGE-50'" in shown.err


@pytest.mark.subprocess
def test_python_api_block(tmp_path: Path) -> None:
    (block,) = [b for b in BLOCKS if b.lang == "python" and b.heading == "Python API"]
    script = tmp_path / "api_example.py"
    script.write_text(block.text, encoding="utf-8")
    src = str(Path(mscadvisor.__file__).resolve().parents[1])
    path = os.pathsep.join(p for p in (src, os.environ.get("PYTHONPATH")) if p)
    proc = subprocess.run(
        [sys.executable, str(script)],
        check=False,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": path},
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    assert len(lines) == 3 and lines[1].startswith("POF ") and lines[2].startswith("AD ")
