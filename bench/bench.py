"""Benchmarks for the performance goals, each printed as measured / goal / met, with every
comparison a ratio between things measured in the same run.

    python bench/bench.py                  # full run (several minutes)
    python bench/bench.py --quick          # fewer repetitions and smaller inputs (said so)
    python bench/bench.py --startup-check  # under a minute: cold JSON vs a minimal typer app;
                                           # exits 1 when the ratio exceeds 1.6x its goal

Start-up is timed as the median of alternating runs, so a busy machine slows every side alike;
no wall-clock threshold is used anywhere. Nothing here is asserted by the test suite.
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
import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

PYTHON = sys.executable
# The command line as an installed console script runs it, written from pyproject.toml into the
# run's own folder, so that the run measures these sources whatever is installed.
WORK = Path(tempfile.mkdtemp(prefix="mscadvisor-bench-"))
SCRIPT = str(WORK / "mscadvisor")
LAUNCHER = """#!{python}
import sys
from {module} import {function}
if __name__ == "__main__":  # not in --jobs workers, which import the main module
    sys.exit({function}())
"""


def write_launcher(path: Path, target: str) -> None:
    module, function = target.split(":")
    path.write_text(LAUNCHER.format(python=PYTHON, module=module, function=function))
    path.chmod(0o755)


JSON_GOAL_VS_TYPER = 1.15
JSON_GOAL_VS_PASS = 6.5
STARTUP_CHECK_MARGIN = 1.6  # --startup-check fails above 1.6 x 1.15: a regression, not noise


def timed(cmd: list[str], env: dict[str, str], pipe: bool = False) -> float:
    """Wall time of a command; ``pipe``: its standard output is a pipe that is read to the end
    (as a shell pipeline would), else /dev/null."""
    start = time.perf_counter()
    if pipe:
        subprocess.run(cmd, capture_output=True, env=env, check=True)
    else:
        subprocess.run(
            cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True
        )
    return time.perf_counter() - start


def alternating(commands: dict[str, tuple[list[str], bool]], runs: int, env: dict[str, str]):
    """Median milliseconds of each (command, piped), run in turn ``runs`` times after one
    warm-up run each (which builds the compiled cache and the bytecode caches)."""
    for cmd, pipe in commands.values():
        timed(cmd, env, pipe)
    samples: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, (cmd, pipe) in commands.items():
            samples[name].append(timed(cmd, env, pipe))
    return {name: statistics.median(values) * 1e3 for name, values in samples.items()}


JSON_COMMAND = [SCRIPT, "recommend", "--disease", "POF", "--format", "json"]
MINIMAL_APP = """\"""A one-command typer app printing a JSON document: a typer CLI's floor.\"""
import json
import sys

import typer

DOCUMENT = {document!r}

app = typer.Typer(add_completion=False)


@app.command()
def recommend(disease: str = typer.Option(...), format: str = typer.Option("table")) -> None:
    sys.stdout.write(json.dumps(DOCUMENT, indent=2, ensure_ascii=False) + "\\n")
"""


def minimal_typer_app(folder: Path, env: dict[str, str]) -> tuple[list[str], dict[str, str]]:
    """A minimal one-command typer app printing the same JSON document as ``JSON_COMMAND``,
    launched like this package's console script; its command line and environment."""
    output = subprocess.run(JSON_COMMAND, env=env, check=True, capture_output=True).stdout
    (folder / "minimal_app.py").write_text(
        MINIMAL_APP.format(document=json.loads(output)), encoding="utf-8"
    )
    launcher = folder / "minimal-app"
    write_launcher(launcher, "minimal_app:app")
    path = os.pathsep.join(p for p in (str(folder), env.get("PYTHONPATH")) if p)
    app_env = {**env, "PYTHONPATH": path}
    cmd = [str(launcher), "--disease", "POF", "--format", "json"]  # its one command is the app
    same = subprocess.run(cmd, env=app_env, check=True, capture_output=True).stdout
    assert abs(len(same) - len(output)) <= len(output) // 100, (len(same), len(output))
    return cmd, app_env


def startup_times(runs: int, env: dict[str, str], folder: Path, only_json: bool = False):
    """Median milliseconds of the start-up commands, alternated; the minimal typer app runs
    with its own folder on the path (``env`` is the same otherwise)."""
    app, app_env = minimal_typer_app(folder, env)
    env = app_env  # the extra folder on the path holds only the app
    commands = {
        "json": (JSON_COMMAND, True),
        "typer_app": (app, True),
    }
    if not only_json:
        commands |= {
            "pass": ([PYTHON, "-c", "pass"], False),
            "table": ([SCRIPT, "recommend", "--disease", "POF"], True),
            "typer": ([PYTHON, "-c", "import typer"], False),
        }
    return alternating(commands, runs, env)


LOAD = "knowledge base from the compiled cache"
PHASE_PROBE = (
    f"LOAD = {LOAD!r}\n"
    + """
import gc, json, time
gc.disable()  # as the console script runs
marks = [("start", time.perf_counter())]
def mark(name):
    marks.append((name, time.perf_counter()))
import typer.main
mark("import typer")
from mscadvisor.cli import main as cli
typer.main.get_command(cli.build_app("recommend"))
mark("command line: its module, and typer reads the command's signature")
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
from mscadvisor.render.answer import answer_blocks
from mscadvisor.render.blocks_plain import laid_out
mark("table only: the answer's modules (to a pipe: no rich console)")
laid_out(answer_blocks(result, 3, True, 120), 120)
mark("table only: the answer laid out as plain lines")
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


def bare_loop(kb: Any) -> Callable[[Any], object]:
    """The reference floor of this job: for each profile, the rules indexed by disease and
    candidate in dicts, each rule's condition checked and its points summed (an evidence rule
    counting its points for one record), the top source chosen by the sum, then its routes
    and strategies scored the same way. No contributions, evidence or certainty are kept."""
    from mscadvisor.engine.candidates import NO_SOURCE, candidates_for, judged
    from mscadvisor.engine.scoring import profile_context
    from mscadvisor.kb.conditions import compile_condition

    index: dict[str, tuple[dict[tuple[str, str, str], list[Any]], dict[str, list[str]]]] = {}
    for disease in kb.diseases:
        candidates = candidates_for(kb, disease)
        rules: dict[tuple[str, str, str], list[Any]] = {}
        for parsed in kb.rules.values():
            rule = parsed.rule
            points = rule.points if rule.evidence is None else rule.evidence.points_each
            if rule.category == "regimen" or not points:
                continue
            when, selects = compile_condition(parsed.when), compile_condition(parsed.applies_to)
            for subject, attributes, candidate in judged(candidates, rule.category):
                if selects(attributes):
                    key = (rule.category, subject, candidate.id)
                    rules.setdefault(key, []).append((when, points))
        ids = {category: [c.id for c in cs] for category, cs in candidates.items()}
        index[disease] = (rules, ids)

    def total(context: dict[str, Any], rules: Iterable[tuple[Any, int]]) -> int:
        return sum(points for when, points in rules if when(context))

    def one(profile: Any) -> object:
        rules, ids = index[profile.disease]
        context = profile_context(profile, kb)
        sources = {
            c: total(context, rules.get(("source", NO_SOURCE, c), ())) for c in ids["source"]
        }
        top = max(sources, key=sources.__getitem__)
        return sources, {
            category: {c: total(context, rules.get((category, top, c), ())) for c in ids[category]}
            for category in ("route", "preconditioning")
        }

    return one


def rates(passes: dict[str, Callable[[], None]], count: int, runs: int) -> dict[str, float]:
    """Median items per second of each pass, run in turn ``runs`` times after one warm-up."""
    for one_pass in passes.values():
        one_pass()
    samples: dict[str, list[float]] = {name: [] for name in passes}
    for _ in range(runs):
        for name, one_pass in passes.items():
            start = time.perf_counter()
            one_pass()
            samples[name].append(count / (time.perf_counter() - start))
    return {name: statistics.median(values) for name, values in samples.items()}


def in_process_rates(count: int, runs: int) -> dict[str, float]:
    """Profiles per second, warm, in this process: the engine with contributions kept and the
    bare loop over the same rules; the API's recommend + to_dict and batch's JSONL line encoder
    (score + to_json_line). The first pass of the engine (empty memos) is measured alone."""
    from mscadvisor.api import recommend
    from mscadvisor.engine.profile import build_profile
    from mscadvisor.engine.scoring import score
    from mscadvisor.kb.knowledge import load_knowledge_base

    kb = load_knowledge_base()
    profiles = [build_profile(row, kb, "bench") for row in random_rows(count, seed=1)]
    bare = bare_loop(kb)
    start = time.perf_counter()
    for profile in profiles:
        score(kb, profile)
    first = count / (time.perf_counter() - start)

    def engine() -> None:
        for profile in profiles:
            score(kb, profile)

    def bare_pass() -> None:
        for profile in profiles:
            bare(profile)

    def api() -> None:
        for profile in profiles:
            recommend(profile, kb).to_dict()

    def lines() -> None:
        for line, profile in enumerate(profiles, 1):
            score(kb, profile).to_json_line(line=line)

    measured = rates({"engine": engine, "bare": bare_pass}, count, runs)
    measured |= rates({"api": api, "lines": lines}, count, runs)
    return measured | {"first": first}


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


def batch_run(args: list[str], env: dict[str, str]) -> tuple[float, str]:
    """Wall time of a batch run, and what it said on stderr (its summary)."""
    start = time.perf_counter()
    run = subprocess.run(
        [SCRIPT, "batch", *args, "--output", os.devnull],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=env,
        text=True,
        check=True,
    )
    return time.perf_counter() - start, run.stderr


def batch_seconds(args: list[str], env: dict[str, str], runs: int = 1) -> float:
    """Wall time of a batch run, the least of ``runs`` (the runs that others on a shared
    machine slowed say nothing of the program's own rate, as timeit's minimum)."""
    return min(batch_run(args, env)[0] for _ in range(runs))


def alternating_batch_runs(
    variants: dict[str, list[str]], env: dict[str, str], runs: int
) -> dict[str, tuple[float, list[str]]]:
    """The least wall time of each variant's runs, taken in turn so that compared runs meet
    the same machine, and what each of its runs said. Each round starts one variant further
    on, so that no variant always runs right after the same other one (after the one that
    kept every processor busy, say)."""
    samples: dict[str, list[tuple[float, str]]] = {name: [] for name in variants}
    names = list(variants)
    for round_ in range(runs):
        for name in names[round_ % len(names) :] + names[: round_ % len(names)]:
            samples[name].append(batch_run(variants[name], env))
    return {
        name: (min(t for t, _ in taken), [said for _, said in taken])
        for name, taken in samples.items()
    }


def auto_chose(said: str) -> str:
    """What ``--jobs auto`` chose, as a run's summary says it ("1 process")."""
    return said.rpartition("--jobs auto: ")[2].partition(" (")[0].strip() or "?"


def accepts_jobs_auto(folder: Path, env: dict[str, str]) -> bool:
    """Whether the version measured has ``--jobs auto`` (tried on one row)."""
    one_row = folder / "one-row.jsonl"
    one_row.write_text('{"disease": "POF"}\n', encoding="utf-8")
    probe = [SCRIPT, "batch", str(one_row), "--jobs", "auto", "--output", os.devnull]
    return subprocess.run(probe, check=False, env=env, capture_output=True).returncode == 0


MEMORY_PROBE = """
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def peak_rss_mb(args: list[str], env: dict[str, str]) -> float:
    out = subprocess.run(
        [PYTHON, "-c", MEMORY_PROBE, SCRIPT, "batch", *args, "--output", os.devnull],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out) / 1024


Row = tuple[str, str, str, bool]


def startup_rows(startup: dict[str, float], load_ms: float) -> list[Row]:
    def vs(name: str, base: str) -> float:
        return startup[name] / startup[base]

    json_pass, json_app = vs("json", "pass"), vs("json", "typer_app")
    return [
        (
            "cold `recommend --disease POF --format json`",
            f"{json_pass:.2f}x pass, {json_app:.2f}x minimal typer app "
            f"({startup['json']:.0f} / {startup['pass']:.0f} / {startup['typer_app']:.0f} ms)",
            f"<= {JSON_GOAL_VS_PASS}x, <= {JSON_GOAL_VS_TYPER}x",
            json_pass <= JSON_GOAL_VS_PASS and json_app <= JSON_GOAL_VS_TYPER,
        ),
        (
            "cold `recommend --disease POF`, table to a pipe",
            f"{vs('table', 'pass'):.2f}x pass ({startup['table']:.0f} ms)",
            "<= 9x",
            vs("table", "pass") <= 9,
        ),
        (
            "knowledge base load from the compiled cache, fresh process",
            f"{load_ms / startup['pass']:.2f}x pass ({load_ms:.1f} ms)",
            "<= 0.4x",
            load_ms / startup["pass"] <= 0.4,
        ),
    ]


def engine_rows(measured: dict[str, float], count: int) -> list[Row]:
    engine, bare = measured["engine"], measured["bare"]
    api, lines = measured["api"], measured["lines"]
    return [
        (
            f"engine, warm, contributions kept ({count:,} random profiles)",
            f"{engine:,.0f}/s, {engine / bare:.2f}x bare loop ({bare:,.0f}/s; "
            f"first pass {measured['first']:,.0f}/s)",
            ">= 100k/s, >= 0.6x",
            engine >= 100_000 and engine / bare >= 0.6,
        ),
        (
            "API `recommend` + `to_dict`",
            f"{api:,.0f}/s, {api / lines:.2f}x batch JSONL lines ({lines:,.0f}/s)",
            ">= 0.8x",
            api / lines >= 0.8,
        ),
    ]


BATCH_RUNS = 3


def batch_rows(folder: Path, quick: bool, env: dict[str, str]) -> list[Row]:
    count = 50_000 if quick else 200_000
    small, big = (20_000, 200_000) if quick else (100_000, 1_000_000)
    scaled = " (quick: smaller inputs)" if quick else ""
    jsonl, csv = write_inputs(folder, count)
    runs = 1 if quick else BATCH_RUNS
    csv_rate = count / batch_seconds([str(csv), "--format", "csv"], env, runs)
    jsonl_rate = count / batch_seconds([str(jsonl)], env, runs)
    rows: list[Row] = [
        (
            f"batch CSV / JSONL, {count:,} profiles, best of {runs}{scaled}",
            f"{csv_rate:,.0f}/s / {jsonl_rate:,.0f}/s",
            ">= 30k/s / >= 10k/s",
            csv_rate >= 30_000 and jsonl_rate >= 10_000,
        )
    ]
    small_inputs, big_inputs = write_inputs(folder, small), write_inputs(folder, big)
    for input_format, position in (("csv", 1), ("jsonl", 0)):
        args = ["--format", input_format]
        low = peak_rss_mb([str(small_inputs[position]), *args], env)
        high = peak_rss_mb([str(big_inputs[position]), *args], env)
        rows.append(
            (
                f"batch peak RSS {input_format}, {small:,} vs {big:,} rows{scaled}",
                f"{high / low:.2f}x ({low:.0f} MB vs {high:.0f} MB)",
                "<= 1.1x",
                high / low <= 1.1,
            )
        )
    jobs = os.cpu_count() or 1
    variants = {"1": [str(jsonl), "--jobs", "1"], "many": [str(jsonl), "--jobs", str(jobs)]}
    with_auto = accepts_jobs_auto(folder, env)
    if with_auto:
        variants["auto"] = [str(jsonl), "--jobs", "auto"]
    timed_runs = alternating_batch_runs(variants, env, runs)
    one, many = timed_runs["1"][0], timed_runs["many"][0]
    measured = f"--jobs {jobs}: {one / many:.2f}x faster"
    met = one / many >= 1.5
    if with_auto:
        auto, said = timed_runs["auto"]
        # Auto decides by the load when it starts, so each run may choose otherwise.
        chose = ", ".join(sorted({auto_chose(s) for s in said}))
        measured += f"; --jobs auto: {one / auto:.2f}x (chose {chose})"
        met = met or auto <= one * 1.05  # "never loses", within the noise the best of runs leaves
    rows.append(
        (
            f"--jobs N vs --jobs 1, {count:,} JSONL profiles, best of {runs} in turn{scaled}",
            measured,
            ">= 1.5x, or auto never loses",
            met,
        )
    )
    return rows


def print_rows(rows: list[Row]) -> None:
    print(f"{'what':62} {'measured':70} {'goal':30} met")
    for what, measured, goal, met in rows:
        print(f"{what:62} {measured:70} {goal:30} {'yes' if met else 'NO'}")


def startup_check(env: dict[str, str], folder: Path) -> int:
    """Cold JSON against the minimal typer app only; 1 when above the goal with its margin."""
    startup = startup_times(11, env, folder, only_json=True)
    ratio = startup["json"] / startup["typer_app"]
    limit = JSON_GOAL_VS_TYPER * STARTUP_CHECK_MARGIN
    print(
        f"cold `recommend --format json` / minimal typer app: {ratio:.2f}x "
        f"({startup['json']:.0f} ms / {startup['typer_app']:.0f} ms); "
        f"limit {limit:.2f}x (goal {JSON_GOAL_VS_TYPER}x with a {STARTUP_CHECK_MARGIN}x margin)"
    )
    return 0 if ratio <= limit else 1


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--quick", action="store_true", help="fewer runs, smaller inputs")
    mode.add_argument(
        "--startup-check", action="store_true", help="only cold JSON vs a minimal typer app"
    )
    options = parser.parse_args()
    scripts = tomllib.loads((Path(__file__).parent.parent / "pyproject.toml").read_text())
    write_launcher(Path(SCRIPT), scripts["project"]["scripts"]["mscadvisor"])
    cache = str(WORK / "cache")  # a fresh compiled cache, built by the first run
    # Bytecode caches as an installed wheel has them, even in an editable install whose shell
    # sets PYTHONDONTWRITEBYTECODE (recompiling the package on each run costs about 20 ms).
    env = {**os.environ, "MSCADVISOR_CACHE_DIR": cache}
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    os.environ["MSCADVISOR_CACHE_DIR"] = cache
    with tempfile.TemporaryDirectory() as folder:
        if options.startup_check:
            return startup_check(env, Path(folder))
        runs = 7 if options.quick else 21
        startup = startup_times(runs, env, Path(folder))
        phases = phase_profile(runs, env)
        count = 20_000
        measured = in_process_rates(count, 3 if options.quick else 7)
        rows = startup_rows(startup, dict(phases)[LOAD]) + engine_rows(measured, count)
        rows += batch_rows(Path(folder), options.quick, env)
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cpu(s), Python "
        f"{platform.python_version()}; medians of {runs} alternating runs"
    )
    print_rows(rows)
    print("\nstart-up floors, from the same runs:")
    for name, what in (
        ("typer", "`python -c 'import typer'`"),
        ("typer_app", "a minimal one-command typer app printing the same JSON"),
    ):
        print(f"  {what:65} {startup[name] / startup['pass']:.2f}x pass ({startup[name]:.0f} ms)")
    # The `pass` goal holds only while the floor leaves room for the work above it.
    room = JSON_GOAL_VS_PASS * startup["pass"] / startup["typer_app"]
    what = f"room the app leaves under the {JSON_GOAL_VS_PASS}x pass goal"
    print(
        f"  {what:65} cold JSON at most {room:.2f}x the app (measured "
        f"{startup['json'] / startup['typer_app']:.2f}x)"
    )
    print("\nwhere `recommend --disease POF` spends its start-up, after the interpreter's own:")
    for what, ms in phases:
        print(f"  {what:65} {ms / startup['pass']:.2f}x pass ({ms:.1f} ms)")
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(WORK, ignore_errors=True)
