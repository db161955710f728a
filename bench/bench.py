"""Benchmarks for the performance goals, as measured values and ratios from one run.

    python bench/bench.py            # full run (about two minutes)
    python bench/bench.py --quick    # fewer repetitions and smaller inputs

Start-up is compared with `python -c pass` in the same run (median of alternating runs), so a
busy machine slows both sides alike. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

PYTHON = sys.executable
SCRIPT = shutil.which("mscadvisor", path=str(Path(PYTHON).parent)) or "mscadvisor"


def timed(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    return time.perf_counter() - start


# Start-up commands, timed alternately. The reference rows are floors that no change inside this
# package can go below: typer's import, the same CLI doing no work (typer builds the whole command
# tree before it runs `--version`), and typer plus the rich modules that draw tables.
STARTUP = {
    "pass": [PYTHON, "-c", "pass"],
    "json": [SCRIPT, "recommend", "--disease", "POF", "--format", "json"],
    "table": [SCRIPT, "recommend", "--disease", "POF"],
    "typer": [PYTHON, "-c", "import typer"],
    "version": [SCRIPT, "--version"],
    "typer_rich": [PYTHON, "-c", "import typer, rich.console, rich.table"],
}


def startup_times(runs: int, env: dict[str, str]) -> dict[str, float]:
    """Median milliseconds of each start-up command."""
    for cmd in STARTUP.values():  # build the compiled cache and the bytecode caches first
        timed(cmd, env)
    samples: dict[str, list[float]] = {name: [] for name in STARTUP}
    for _ in range(runs):
        for name, cmd in STARTUP.items():
            samples[name].append(timed(cmd, env))
    return {name: statistics.median(values) * 1e3 for name, values in samples.items()}


LOAD = "knowledge base from the compiled cache"
PHASE_PROBE = (
    f"LOAD = {LOAD!r}\n"
    + """
import json, time
marks = [("start", time.perf_counter())]
def mark(name):
    marks.append((name, time.perf_counter()))
import typer.main
mark("import typer")
from mscadvisor.cli import main as cli
typer.main.get_command(cli.app)
mark("command tree: typer reads every command's signature")
from mscadvisor.engine import scoring as engine
from mscadvisor.kb import knowledge
from mscadvisor.render import output
from mscadvisor.engine import profile
mark("this package's imports for recommend")
kb = knowledge.load_knowledge_base()
mark(LOAD)
result = engine.score(kb, profile.build_profile({"disease": "POF"}, kb, "bench"), 3)
mark("profile and scoring")
output.json_text(result.to_dict())
mark("JSON text")
from mscadvisor.render.table import print_recommendation
mark("table only: rich and the table module")
print_recommendation(output.console(quiet=True), result, 5, False)
mark("table only: rich lays out the tables")
print(json.dumps([(name, (t - marks[i][1]) * 1e3) for i, (name, t) in enumerate(marks[1:])]))
"""
)


def phase_profile(runs: int, env: dict[str, str]) -> list[tuple[str, float]]:
    """Where the start-up of `recommend --disease POF` goes, each phase's median in a fresh
    process (the interpreter's own start-up is not included). The knowledge-base phase is the
    first load from a valid compiled cache, with its imports done before the clock starts."""
    samples = [
        json.loads(
            subprocess.run(
                [PYTHON, "-c", PHASE_PROBE], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return [
        (name, statistics.median(sample[i][1] for sample in samples))
        for i, (name, _) in enumerate(samples[0])
    ]


def random_rows(count: int, seed: int) -> list[dict[str, object]]:
    from mscadvisor.kb.knowledge import load_knowledge_base

    kb = load_knowledge_base()
    rnd = random.Random(seed)
    diseases = sorted(kb.diseases)
    rows = []
    for _ in range(count):
        disease = kb.diseases[rnd.choice(diseases)]
        row: dict[str, object] = {
            "disease": disease.id,
            "age": rnd.randint(18, 95),
            "donor": rnd.choice(["autologous", "allogeneic", "any"]),
            "modality": rnd.choice(["cells", "exosomes", "any"]),
            "avoid_invasive_harvest": rnd.random() < 0.3,
            "comorbidities": rnd.sample(sorted(kb.comorbidities), rnd.randint(0, 2)),
            "needs": rnd.sample(["large-cell-dose", "durable-effect"], rnd.randint(0, 1)),
        }
        if rnd.random() < 0.3:
            row["etiology"] = rnd.choice([e.id for e in disease.etiologies])
        rows.append(row)
    return rows


def engine_rate(count: int) -> tuple[float, float]:
    """Profiles per second through the engine, contributions kept: first pass and warm."""
    from mscadvisor.engine.profile import build_profile
    from mscadvisor.engine.scoring import score
    from mscadvisor.kb.knowledge import load_knowledge_base

    kb = load_knowledge_base()
    profiles = [build_profile(row, kb, "bench") for row in random_rows(count, seed=1)]

    def one_pass() -> float:
        start = time.perf_counter()
        for profile in profiles:
            score(kb, profile)
        return count / (time.perf_counter() - start)

    first = one_pass()
    return first, max(one_pass() for _ in range(3))


def write_inputs(folder: Path, count: int) -> tuple[Path, Path]:
    rows = random_rows(count, seed=2)
    jsonl, csv = folder / f"profiles-{count}.jsonl", folder / f"profiles-{count}.csv"
    columns = [
        "disease",
        "age",
        "donor",
        "modality",
        "avoid_invasive_harvest",
        "comorbidities",
        "etiology",
        "needs",
    ]
    with jsonl.open("w") as j, csv.open("w") as c:
        c.write(",".join(columns) + "\n")
        for row in rows:
            j.write(json.dumps(row) + "\n")
            cells = [
                ";".join(v)
                if isinstance(v, list)
                else str(v).lower()
                if isinstance(v, bool)
                else str(v)
                for v in (row.get(name, "") for name in columns)
            ]
            c.write(",".join(cells) + "\n")
    return jsonl, csv


def batch_rate(args: list[str], count: int, env: dict[str, str]) -> float:
    return count / timed([SCRIPT, "batch", *args, "--output", os.devnull], env)


MEMORY_PROBE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mb(args: list[str], env: dict[str, str]) -> float:
    out = subprocess.run(
        [PYTHON, "-c", MEMORY_PROBE, SCRIPT, "batch", *args],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="fewer runs, smaller inputs")
    options = parser.parse_args()
    runs = 7 if options.quick else 21
    big = 100_000 if options.quick else 1_000_000
    cache = tempfile.mkdtemp(prefix="mscadvisor-bench-cache-")
    # Bytecode caches as an installed wheel has them, even in an editable install whose shell
    # sets PYTHONDONTWRITEBYTECODE (recompiling the package on each run costs about 20 ms).
    env = {**os.environ, "MSCADVISOR_CACHE_DIR": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["MSCADVISOR_CACHE_DIR"] = cache
    rows: list[tuple[str, str, str, Callable[[], bool]]] = []

    startup = startup_times(runs, env)
    ratio = {name: ms / startup["pass"] for name, ms in startup.items()}
    phases = phase_profile(runs, env)
    load_ms = dict(phases)[LOAD]
    first_rate, warm_rate = engine_rate(10_000)
    with tempfile.TemporaryDirectory() as folder:
        jsonl, csv = write_inputs(Path(folder), 100_000)
        csv_rate = batch_rate([str(csv), "--format", "csv"], 100_000, env)
        jsonl_rate = batch_rate([str(jsonl)], 100_000, env)
        _, csv_big = write_inputs(Path(folder), big)
        small_mb = peak_rss_mb([str(csv), "--format", "csv", "--output", os.devnull], env)
        big_mb = peak_rss_mb([str(csv_big), "--format", "csv", "--output", os.devnull], env)

    rows = [
        (
            "cold `recommend --disease POF --format json`",
            f"{ratio['json']:.1f}x python -c pass ({startup['json']:.0f} ms vs "
            f"{startup['pass']:.0f} ms)",
            "<= 7x",
            lambda: ratio["json"] <= 7,
        ),
        (
            "cold `recommend --disease POF` (table, piped)",
            f"{ratio['table']:.1f}x python -c pass ({startup['table']:.0f} ms)",
            "<= 10x",
            lambda: ratio["table"] <= 10,
        ),
        (
            "knowledge base load from the compiled cache",
            f"{load_ms:.1f} ms",
            "<= 5 ms",
            lambda: load_ms <= 5,
        ),
        (
            "engine, 10k random profiles, contributions kept (warm)",
            f"{warm_rate:,.0f} profiles/s (first pass {first_rate:,.0f}/s)",
            ">= 100,000/s",
            lambda: warm_rate >= 100_000,
        ),
        (
            "batch, 100k profiles, CSV summary",
            f"{csv_rate:,.0f} profiles/s",
            ">= 30,000/s",
            lambda: csv_rate >= 30_000,
        ),
        (
            "batch, 100k profiles, full JSONL with contributions",
            f"{jsonl_rate:,.0f} profiles/s",
            ">= 8,000/s",
            lambda: jsonl_rate >= 8_000,
        ),
        (
            f"batch peak memory, 100k vs {big:,} profiles",
            f"{small_mb:.0f} MB vs {big_mb:.0f} MB ({big_mb / small_mb:.2f}x)",
            "flat",
            lambda: big_mb / small_mb < 1.2,
        ),
    ]
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cpu(s), Python "
        f"{platform.python_version()}"
    )
    print(f"{'what':58} {'measured':48} {'goal':14} met")
    for what, measured, goal, met in rows:
        print(f"{what:58} {measured:48} {goal:14} {'yes' if met() else 'NO'}")
    print("\nstart-up floors, from the same runs:")
    for name, what in (
        ("typer", "`python -c 'import typer'`"),
        ("version", "`mscadvisor --version` (typer + this command tree, no work)"),
        ("typer_rich", "`python -c 'import typer, rich.console, rich.table'`"),
    ):
        print(f"  {what:65} {ratio[name]:.1f}x ({startup[name]:.0f} ms)")
    print("\nwhere `recommend --disease POF` spends its start-up, after the interpreter's own:")
    for what, ms in phases:
        print(f"  {what:65} {ms / startup['pass']:.1f}x ({ms:.1f} ms)")
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
