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


def startup_ratios(runs: int, env: dict[str, str]) -> dict[str, float]:
    commands = {
        "pass": [PYTHON, "-c", "pass"],
        "json": [SCRIPT, "recommend", "--disease", "POF", "--format", "json"],
        "table": [SCRIPT, "recommend", "--disease", "POF"],
    }
    timed(commands["json"], env)  # build the compiled cache first
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, cmd in commands.items():
            samples[name].append(timed(cmd, env))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    return {
        "pass_ms": medians["pass"] * 1e3,
        "json_ms": medians["json"] * 1e3,
        "table_ms": medians["table"] * 1e3,
        "json_ratio": medians["json"] / medians["pass"],
        "table_ratio": medians["table"] / medians["pass"],
    }


LOAD_PROBE = """
import time
from mscadvisor import knowledge
start = time.perf_counter()
knowledge.load_knowledge_base()
print(time.perf_counter() - start)
"""


def cache_load_ms(runs: int, env: dict[str, str]) -> float:
    """Loading the knowledge base from a valid compiled cache, first load in a fresh process
    (imports done before the clock starts)."""
    subprocess.run([PYTHON, "-c", LOAD_PROBE], env=env, check=True, capture_output=True)
    values = [
        float(
            subprocess.run(
                [PYTHON, "-c", LOAD_PROBE], env=env, check=True, capture_output=True, text=True
            ).stdout
        )
        for _ in range(runs)
    ]
    return statistics.median(values) * 1e3


def random_rows(count: int, seed: int) -> list[dict[str, object]]:
    from mscadvisor.knowledge import load_knowledge_base

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
    from mscadvisor.engine import score
    from mscadvisor.knowledge import load_knowledge_base
    from mscadvisor.profile import build_profile

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
    env = {**os.environ, "MSCADVISOR_CACHE_DIR": cache}
    os.environ["MSCADVISOR_CACHE_DIR"] = cache
    rows: list[tuple[str, str, str, Callable[[], bool]]] = []

    startup = startup_ratios(runs, env)
    load_ms = cache_load_ms(runs, env)
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
            f"{startup['json_ratio']:.1f}x python -c pass ({startup['json_ms']:.0f} ms vs "
            f"{startup['pass_ms']:.0f} ms)",
            "<= 7x",
            lambda: startup["json_ratio"] <= 7,
        ),
        (
            "cold `recommend --disease POF` (table, piped)",
            f"{startup['table_ratio']:.1f}x python -c pass ({startup['table_ms']:.0f} ms)",
            "<= 10x",
            lambda: startup["table_ratio"] <= 10,
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
    shutil.rmtree(cache, ignore_errors=True)


if __name__ == "__main__":
    main()
