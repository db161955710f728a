"""Determinism (same bytes whatever the hash seed or cache) and the safety of the data layer
(rule files are data: no code runs, no stray writes, no network)."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mscadvisor.kb.knowledge import load_knowledge_base
from tests.conftest import CliResult
from tests.packs import new_pack

SRC = Path(__file__).resolve().parents[2] / "src" / "mscadvisor"
ARGS = ["recommend", "--disease", "OP", "--age", "70", "--donor", "autologous", "-f", "json"]


def run(env: dict[str, str]) -> bytes:
    return subprocess.run(
        [sys.executable, "-m", "mscadvisor", *ARGS],
        env={**os.environ, **env},
        capture_output=True,
        check=True,
    ).stdout


@pytest.mark.subprocess
def test_same_bytes_across_hash_seeds() -> None:
    outputs = {run({"PYTHONHASHSEED": seed}) for seed in ("0", "1", "12345")}
    assert len(outputs) == 1


@pytest.mark.subprocess
def test_same_bytes_with_and_without_the_cache(tmp_path: Path) -> None:
    cache = {"MSCADVISOR_CACHE_DIR": str(tmp_path / "cache")}
    first = run(cache)  # builds the cache
    assert any((tmp_path / "cache").iterdir())
    assert run(cache) == first  # reads it
    assert run({**cache, "MSCADVISOR_NO_CACHE": "1"}) == first


def test_no_code_execution_primitives_in_the_package() -> None:
    forbidden = re.compile(r"(?<![\w.])(eval|exec|compile)\(|\bpickle\b|__import__\(")
    offenders = [
        f"{path.name}:{n}"
        for path in SRC.rglob("*.py")
        for n, line in enumerate(path.read_text("utf-8").splitlines(), 1)
        if forbidden.search(line) and not line.lstrip().startswith("#")
    ]
    assert offenders == []
    imports = sorted(
        str(p.relative_to(SRC))
        for p in SRC.rglob("*.py")
        if "import_module(" in p.read_text("utf-8")
    )
    # Fixed tables, never data: the package's lazy public names, and the command modules the
    # command line imports for the one command it runs.
    assert imports == ["__init__.py", "cli/main.py"]


CODE_PACK = """
[[reference]]
ref = 900
first_author = "__import__('os').system('touch {sentinel}')"
authors = "{{{{7*7}}}} ${{{{7*7}}}} `touch {sentinel}`"
title = "'; DROP TABLE rules; --"
journal = "../../../../etc/passwd"
year = 2024
pmid_status = "missing"

[[rule]]
id = "../../evil"
group = "os.system('touch')"
category = "source"
summary = "exec(open('{sentinel}', 'w').write('x'))"
rationale = "lambda: __import__('subprocess').run(['touch', '{sentinel}'])"
applies_to = {{ field = "candidate.tissue", op = "eq", value = "BM" }}
points = 1
level = "expert-synthesis"
citations = [{{ ref = 900 }}]
"""


def test_code_and_path_text_in_a_rule_pack_is_plain_data(
    tmp_path: Path, cli: Callable[..., CliResult]
) -> None:
    sentinel = tmp_path / "pwned"
    pack = new_pack(tmp_path / "pack")
    (pack / "evil.toml").write_text(CODE_PACK.format(sentinel=sentinel), encoding="utf-8")
    kb = load_knowledge_base([pack])
    assert kb.rules["../../evil"].rule.summary.startswith("exec(")
    for argv in (
        ["recommend", "-d", "OP", "-f", "json"],
        ["recommend", "-d", "OP", "--explain"],
        ["rules", "show", "../../evil"],
        ["reference", "900"],
        ["explain", "-d", "OP", "-c", "BM-cells"],
    ):
        assert cli("--rules", str(pack), *argv).code == 0
    doc = cli("--rules", str(pack), "recommend", "-d", "OP", "-f", "json").json()
    bm = next(s for s in doc["sources"] if s["id"] == "BM-cells")
    assert "exec(open(" in next(
        c["reason"] for c in bm["contributions"] if c["rule"] == "../../evil"
    )
    assert not sentinel.exists()
    assert not (tmp_path.parent / "evil").exists()


def test_writes_only_the_output_and_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., CliResult]
) -> None:
    home, work, cache = tmp_path / "home", tmp_path / "work", tmp_path / "cache"
    for folder in (home, work):
        folder.mkdir()
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(cache))
    monkeypatch.chdir(work)
    profiles = work / "in.jsonl"
    profiles.write_text('{"disease": "POF"}\n', encoding="utf-8")
    for argv in (
        ["recommend", "-d", "POF", "--export", "out.html"],
        ["batch", "in.jsonl", "-o", "out.jsonl"],
        ["explain", "-d", "POF", "-c", "UC-cells", "-f", "json"],
        ["rules", "test"],
        ["evidence", "-f", "json"],
    ):
        assert cli(*argv).code == 0
    assert sorted(p.name for p in work.iterdir()) == ["in.jsonl", "out.html", "out.jsonl"]
    assert list(home.iterdir()) == []
    assert all(p.name.startswith("kb-") for p in cache.iterdir())


def test_no_network_connection_is_ever_opened(
    monkeypatch: pytest.MonkeyPatch, cli: Callable[..., CliResult], tmp_path: Path
) -> None:
    def refuse(*_: object, **__: object) -> None:
        raise AssertionError("a network connection was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    profiles = tmp_path / "in.jsonl"
    profiles.write_text('{"disease": "AD"}\n', encoding="utf-8")
    for argv in (
        ["recommend", "-d", "AD", "--export", str(tmp_path / "x.svg")],
        ["batch", str(profiles)],
        ["reference", "64", "-f", "json"],
        ["rules", "show", "EV-SRC-CLINICAL-UNCONTROLLED"],
        ["explain", "-d", "AD", "-c", "IN"],
    ):
        assert cli(*argv).code == 0
