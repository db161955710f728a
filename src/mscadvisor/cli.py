"""The command line: parses arguments, calls the library, prints. Nothing else lives here.

Exit codes: 0 success, 1 error at run time (and failing rule tests), 2 invalid usage or input,
3 invalid knowledge base or rule pack.

Annotations here are real objects, not postponed strings: typer reads every command's signature
on every call, and resolving string annotations would add milliseconds to each start-up.
"""

import os
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from mscadvisor import __version__
from mscadvisor.errors import EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, InputError, MscAdvisorError

if TYPE_CHECKING:
    from mscadvisor.knowledge import KnowledgeBase
    from mscadvisor.records import Disease
    from mscadvisor.views import View

DISCLAIMER_SHORT = "Research decision support, not medical advice."
RULES_ENV = "MSCADVISOR_RULES"

app = typer.Typer(
    name="mscadvisor",
    help=(
        "Recommend MSC and MSC-exosome sources, administration routes and preconditioning for "
        "aging-related diseases, explaining every point of every score with the rule and the "
        f"citation behind it. {DISCLAIMER_SHORT}"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(
    help="Check, test, lint, list and show rules (shipped and rule packs).", no_args_is_help=True
)
app.add_typer(rules_app, name="rules")
cache_app = typer.Typer(help="Inspect or clear the compiled knowledge cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")


class Format(StrEnum):
    table = "table"
    json = "json"


class RecommendFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


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


class SchemaName(StrEnum):
    recommendation = "recommendation"


SCHEMA_FILES = {SchemaName.recommendation: "recommendation.schema.json"}


class _Settings:
    """Options of the root command, which every subcommand's knowledge base honours."""

    packs: tuple[Path, ...] = ()
    weights: Path | None = None


_settings = _Settings()


def _complete(kind: str) -> Any:
    """A shell-completion callback offering ids of one kind from the knowledge base."""

    def complete(incomplete: str) -> list[str]:
        try:
            kb = _kb()
        except MscAdvisorError:
            return []
        ids: list[str] = {
            "disease": [*kb.diseases, *(a for d in kb.diseases.values() for a in d.aliases)],
            "tissue": list(kb.tissues),
            "route": list(kb.routes),
            "candidate": [
                *(f"{t}-{m}" for t in kb.tissues for m in kb.modalities),
                *kb.routes,
                *kb.preconditioning,
            ],
            "rule": list(kb.rules),
        }[kind]
        return sorted(i for i in ids if i.lower().startswith(incomplete.lower()))

    return complete


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="table for people, json for scripts.")
]
DiseaseFilter = Annotated[
    str | None,
    typer.Option(
        "--disease",
        "-d",
        help="Disease id or alias (AD = Alzheimer's).",
        autocompletion=_complete("disease"),
    ),
]
# Profile options, shared by recommend and explain.
DiseaseOpt = Annotated[
    str | None,
    typer.Option(
        "--disease",
        "-d",
        help="Disease id or alias: POF, AD (Alzheimer's), AS, OP, "
        "SKIN, FRAILTY. Required unless the profile file gives it.",
        autocompletion=_complete("disease"),
    ),
]
AgeOpt = Annotated[int | None, typer.Option(help="Patient age in years (0-120).")]
SexOpt = Annotated[str | None, typer.Option(help="female or male.")]
DonorOpt = Annotated[
    str | None,
    typer.Option(help="Where the cells come from: autologous, allogeneic, any (default any)."),
]
ModalityOpt = Annotated[
    str | None, typer.Option(help="cells, exosomes (cell-free) or any (default any).")
]
AvoidOpt = Annotated[
    bool | None,
    typer.Option(
        "--avoid-invasive-harvest",
        show_default=False,
        help="The patient will not undergo a painful or invasive collection.",
    ),
]
ComorbidityOpt = Annotated[
    list[str] | None,
    typer.Option(
        help="Repeatable: diabetes, obesity, thromboembolism, cardiovascular, "
        "immunocompromised, cancer-history."
    ),
]
EtiologyOpt = Annotated[
    str | None, typer.Option(help="An etiology of the disease (see `mscadvisor diseases`).")
]
NeedOpt = Annotated[
    list[str] | None, typer.Option(help="Repeatable: large-cell-dose, durable-effect, fertility.")
]
ProfileOpt = Annotated[
    Path | None, typer.Option(help="JSON or TOML file with the same fields; flags override it.")
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mscadvisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    rules: Annotated[
        list[Path] | None,
        typer.Option(
            "--rules",
            help=f"Repeatable: a rule pack folder loaded on top of the "
            f"shipped rules (also ${RULES_ENV}, a path list).",
        ),
    ] = None,
    weights: Annotated[
        Path | None,
        typer.Option(help="TOML file scaling the points of named rules or rule groups."),
    ] = None,
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Top-level options."""
    from_env = [Path(p) for p in os.environ.get(RULES_ENV, "").split(os.pathsep) if p]
    _settings.packs = (*from_env, *(rules or ()))
    _settings.weights = weights


def _kb(extra_packs: tuple[Path, ...] = ()) -> "KnowledgeBase":
    from mscadvisor.knowledge import load_knowledge_base

    kb = load_knowledge_base((*_settings.packs, *extra_packs))
    if _settings.weights is None:
        return kb
    from mscadvisor.weights import apply_weights, read_weights

    return apply_weights(kb, read_weights(_settings.weights, kb))


def _show(view: "View", fmt: Format) -> None:
    from mscadvisor import output

    if fmt is Format.json:
        output.write_json(view.rows)
        return
    from mscadvisor.render_table import print_view

    print_view(output.console(), view)


def _disease(kb: "KnowledgeBase", name: str | None) -> "Disease | None":
    return kb.resolve_disease(name) if name is not None else None


def _profile(kb: "KnowledgeBase", profile_file: Path | None, **flags: Any) -> Any:
    from mscadvisor.profile import build_profile, read_profile_file

    raw: dict[str, Any] = read_profile_file(profile_file) if profile_file else {}
    raw.update({k: v for k, v in flags.items() if v is not None and v != []})
    origin = f"profile {profile_file} with command-line flags" if profile_file else "command line"
    return build_profile(raw, kb, origin)


@app.command()
def recommend(  # noqa: PLR0917 (typer maps each option to a parameter)
    disease: DiseaseOpt = None,
    age: AgeOpt = None,
    sex: SexOpt = None,
    donor: DonorOpt = None,
    modality: ModalityOpt = None,
    avoid_invasive_harvest: AvoidOpt = None,
    comorbidity: ComorbidityOpt = None,
    etiology: EtiologyOpt = None,
    need: NeedOpt = None,
    profile: ProfileOpt = None,
    fmt: Annotated[
        RecommendFormat,
        typer.Option("--format", "-f", help="table (people), json (scripts), markdown (reports)."),
    ] = RecommendFormat.table,
    top: Annotated[
        int,
        typer.Option(
            min=0,
            help="Candidates shown per category in table and markdown "
            "(0 = all). JSON always has all.",
        ),
    ] = 5,
    regimens: Annotated[
        int,
        typer.Option(
            min=0,
            help="Complete regimens proposed (source + route + optional "
            "preconditioning that the evidence used together).",
        ),
    ] = 3,
    explain: Annotated[
        bool, typer.Option("--explain", help="Show every contribution of every candidate shown.")
    ] = False,
    what_if: Annotated[
        list[str] | None,
        typer.Option(
            "--what-if",
            metavar="FIELD=VALUE",
            help="Repeatable: compare with the "
            "profile changed, e.g. age=65, donor=autologous, needs=fertility,durable-"
            "effect (lists are comma-separated and replace the profile's).",
        ),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            help="Also save the rationale as rendered in the terminal, to a .html or "
            ".svg file (written atomically)."
        ),
    ] = None,
) -> None:
    """Score sources, routes and preconditioning for a disease and profile, with reasons."""
    from mscadvisor import output
    from mscadvisor.engine import score

    if export is not None and export.suffix.lower() not in (".html", ".svg"):
        raise InputError(f"--export {export}: the file name must end in .html or .svg")
    if what_if and (export is not None or fmt is RecommendFormat.markdown):
        raise InputError(
            "--what-if compares two results side by side: it works with the table "
            "and json formats, not with --format markdown or --export"
        )
    kb = _kb()
    person = _profile(
        kb,
        profile,
        disease=disease,
        age=age,
        sex=sex,
        donor=donor,
        modality=modality,
        avoid_invasive_harvest=avoid_invasive_harvest,
        comorbidities=comorbidity,
        etiology=etiology,
        needs=need,
    )
    result = score(kb, person, regimens)
    if what_if:
        from mscadvisor.whatif import apply_changes, movements

        changed = score(kb, apply_changes(kb, person, what_if), regimens)
        moved = movements(result, changed)
        if fmt is RecommendFormat.json:
            output.write_json(
                {
                    "baseline": result.to_dict(),
                    "what_if": changed.to_dict(),
                    "changes": [m.to_dict() for m in moved],
                }
            )
            return
        from mscadvisor.render_table import print_what_if

        print_what_if(output.console(), result, changed, moved, top)
        return
    if fmt is RecommendFormat.json:
        output.write_json(result.to_dict())
    elif fmt is RecommendFormat.markdown:
        from mscadvisor.render_markdown import recommendation_markdown

        output.write_text(recommendation_markdown(result, top, explain))
    if fmt is RecommendFormat.table or export is not None:
        from mscadvisor.render_table import print_recommendation

        console = output.console(record=export is not None, quiet=fmt is not RecommendFormat.table)
        print_recommendation(console, result, top, explain)
        if export is not None:
            output.export_console(console, export)


@app.command("explain")
def explain_command(  # noqa: PLR0917 (typer maps each option to a parameter)
    candidate: Annotated[
        str,
        typer.Option(
            "--candidate",
            "-c",
            help="Candidate id as in the JSON: a source such as "
            "AD-exosomes, a route such as IN, or a preconditioning id.",
            autocompletion=_complete("candidate"),
        ),
    ],
    disease: DiseaseOpt = None,
    age: AgeOpt = None,
    sex: SexOpt = None,
    donor: DonorOpt = None,
    modality: ModalityOpt = None,
    avoid_invasive_harvest: AvoidOpt = None,
    comorbidity: ComorbidityOpt = None,
    etiology: EtiologyOpt = None,
    need: NeedOpt = None,
    profile: ProfileOpt = None,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity",
            help="Also list the single-field profile changes "
            "that would change the top choice of each category.",
        ),
    ] = False,
    fmt: FormatOption = Format.table,
) -> None:
    """Explain one candidate: every rule that fired, every rule that did not and why, and the
    gap to the first-ranked candidate, rule by rule."""
    from mscadvisor import output
    from mscadvisor.engine import score
    from mscadvisor.explanation import explain

    kb = _kb()
    person = _profile(
        kb,
        profile,
        disease=disease,
        age=age,
        sex=sex,
        donor=donor,
        modality=modality,
        avoid_invasive_harvest=avoid_invasive_harvest,
        comorbidities=comorbidity,
        etiology=etiology,
        needs=need,
    )
    explanation = explain(kb, score(kb, person), candidate)
    changes = []
    if sensitivity:
        from mscadvisor.whatif import sensitivity as find_changes

        changes = find_changes(kb, person)
    if fmt is Format.json:
        doc = explanation.to_dict()
        if sensitivity:
            doc["sensitivity"] = [c.to_dict() for c in changes]
        output.write_json(doc)
        return
    from mscadvisor.render_table import print_explanation, print_sensitivity

    console = output.console()
    print_explanation(console, explanation)
    if sensitivity:
        print_sensitivity(console, changes)


@app.command()
def batch(  # noqa: PLR0917 (typer maps each option to a parameter)
    source: Annotated[
        str,
        typer.Argument(
            help="A JSONL or CSV file of profiles (the fields of --profile), "
            "or - for standard input."
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
        typer.Option("--output", "-o", help="Write here (atomically) instead of stdout."),
    ] = None,
    top: Annotated[
        int | None,
        typer.Option(
            min=0,
            help="Candidates per category: csv columns (default 1), jsonl "
            "list length (default 0 = all).",
        ),
    ] = None,
    regimens: Annotated[int, typer.Option(min=0, help="Regimens per profile in jsonl.")] = 3,
    on_error: Annotated[
        OnError, typer.Option(help="skip: report a bad row and go on; fail: stop at it.")
    ] = OnError.skip,
    jobs: Annotated[int, typer.Option(min=1, help="Worker processes (order is preserved).")] = 1,
) -> None:
    """Score a file of profiles, one result per input row, streaming and in input order."""
    from mscadvisor import batch as batching

    _kb()  # fail early, and once, on a broken knowledge base or weights file
    stream = sys.stdin.buffer if source == "-" else batching.open_input(Path(source))
    rows = batching.read_rows(stream, input_format.value, None if source == "-" else source)
    width = top if top is not None else (1 if fmt is BatchFormat.csv else 0)
    job = batching.Job(
        tuple(map(str, _settings.packs)),
        str(_settings.weights) if _settings.weights else None,
        fmt.value,
        width,
        regimens if fmt is BatchFormat.jsonl else 0,
    )
    sink = _BatchSink(output)
    if fmt is BatchFormat.csv:
        sink.write(batching.csv_header(max(width, 1)))
    with _BatchProgress(stream) as progress, sink.abandoned_on_error():
        summary = batching.run(
            job,
            rows,
            sink.write,
            progress.report,
            fail_fast=on_error is OnError.fail,
            jobs=jobs,
            tick=progress.tick,
        )
    sys.stderr.write(summary.text() + "\n")
    if summary.stopped is None:
        sink.commit()
        return
    sink.abandon()
    raise typer.Exit(130 if summary.stopped == "interrupted" else EXIT_USAGE)


class _BatchSink:
    """Batch output: stdout, or --output (see output.OutputFile) committed only on success."""

    def __init__(self, output: Path | None) -> None:
        from mscadvisor.output import OutputFile

        self.file = OutputFile(output) if output is not None else None
        self.write = self.file.write if self.file else sys.stdout.write

    def commit(self) -> None:
        if self.file is None:
            sys.stdout.flush()
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
            sys.stdout.flush()
            return
        self.file.abandon()
        if self.file.tmp is not None:
            sys.stderr.write(f"mscadvisor: {self.file.path} was not written\n")


class _BatchProgress:
    """Progress on stderr when it is a terminal: a bar over the input file's bytes (a running
    count for a pipe), with bad-row reports printed above it. Plain reports otherwise."""

    EVERY = 256  # rows between updates: the display refreshes a few times a second anyway

    def __init__(self, stream: BinaryIO) -> None:
        self.stream = stream
        self.rows = 0
        self.progress: Any = None

    def __enter__(self) -> "_BatchProgress":
        if not sys.stderr.isatty():
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            Progress,
            TaskProgressColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        try:
            info = os.fstat(self.stream.fileno())
            size = info.st_size if stat.S_ISREG(info.st_mode) else None
        except (OSError, ValueError):  # a stream without a file behind it
            size = None
        self.sized = size is not None
        self.progress = Progress(
            BarColumn(),
            TaskProgressColumn(),
            TextColumn("{task.fields[rows]:,} rows"),
            TimeElapsedColumn(),
            console=Console(stderr=True, emoji=False, highlight=False),
            transient=True,
        )
        self.task = self.progress.add_task("batch", total=size, rows=0)
        self.progress.start()
        return self

    def tick(self) -> None:
        self.rows += 1
        if self.progress is not None and self.rows % self.EVERY == 0:
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


@app.command()
def diseases(fmt: FormatOption = Format.table) -> None:
    """List diseases with their ids, aliases, organ systems and etiologies."""
    from mscadvisor.views import diseases_view

    _show(diseases_view(_kb()), fmt)


@app.command()
def sources(fmt: FormatOption = Format.table) -> None:
    """Show Table 4: procurement, advantages and disadvantages of each MSC tissue source."""
    from mscadvisor.views import sources_view

    _show(sources_view(_kb()), fmt)


@app.command()
def routes(disease: DiseaseFilter = None, fmt: FormatOption = Format.table) -> None:
    """List administration routes, optionally those reported for one disease."""
    from mscadvisor.views import routes_view

    kb = _kb()
    _show(routes_view(kb, _disease(kb, disease)), fmt)


@app.command()
def preconditioning(disease: DiseaseFilter = None, fmt: FormatOption = Format.table) -> None:
    """List preconditioning, engineering and combination strategies."""
    from mscadvisor.views import preconditioning_view

    kb = _kb()
    _show(preconditioning_view(kb, _disease(kb, disease)), fmt)


@app.command()
def evidence(
    disease: DiseaseFilter = None,
    tissue: Annotated[
        str | None,
        typer.Option(
            help="Tissue id: BM, AD (adipose), UC, UCB, DP, AM.", autocompletion=_complete("tissue")
        ),
    ] = None,
    modality: Annotated[str | None, typer.Option(help="cells or exosomes.")] = None,
    route: Annotated[
        str | None,
        typer.Option(help="Route id, e.g. IV, OV, IN.", autocompletion=_complete("route")),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the preclinical studies of Tables 1 (MSCs) and 2 (exosomes), filtered."""
    from mscadvisor.views import evidence_view, resolve_id

    kb = _kb()
    _show(
        evidence_view(
            kb,
            _disease(kb, disease),
            resolve_id("tissue", tissue, kb.tissues) if tissue else None,
            resolve_id("modality", modality, kb.modalities) if modality else None,
            resolve_id("route", route, kb.routes) if route else None,
        ),
        fmt,
    )


@app.command()
def trials(disease: DiseaseFilter = None, fmt: FormatOption = Format.table) -> None:
    """List the clinical studies of Table 3."""
    from mscadvisor.views import trials_view

    kb = _kb()
    _show(trials_view(kb, _disease(kb, disease)), fmt)


@app.command()
def reference(
    number: Annotated[
        int | None, typer.Argument(help="Reference number (all when omitted).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Show one reference of the review with DOI and PubMed links, or all of them."""
    from mscadvisor.views import references_view

    _show(references_view(_kb(), number), fmt)


@app.command()
def errata(fmt: FormatOption = Format.table) -> None:
    """List where the review contradicts itself, both readings, and the one used here."""
    from mscadvisor.views import errata_view

    _show(errata_view(_kb()), fmt)


@app.command()
def schema(name: Annotated[SchemaName, typer.Argument(help="Which document.")]) -> None:
    """Print the JSON Schema of a JSON output (recommendation)."""
    from importlib import resources

    from mscadvisor import output

    schema_file = resources.files("mscadvisor") / "schemas" / SCHEMA_FILES[name]
    output.write_text(schema_file.read_text(encoding="utf-8"))


PackArgument = Annotated[
    Path | None,
    typer.Argument(help="A rule pack folder to add on top of the shipped rules (and --rules)."),
]


@rules_app.command("check")
def rules_check(
    directory: Annotated[
        Path | None,
        typer.Argument(help="A complete rules tree to check instead of the shipped one."),
    ] = None,
) -> None:
    """Validate a rules tree and print the number of records of each kind."""
    from mscadvisor.knowledge import load_knowledge_base

    kb = load_knowledge_base(_settings.packs, base=directory)
    counts = {
        "diseases": len(kb.diseases),
        "tissues": len(kb.tissues),
        "modalities": len(kb.modalities),
        "routes": len(kb.routes),
        "preconditioning": len(kb.preconditioning),
        "references": len(kb.references),
        "studies": len(kb.studies),
        "trials": len(kb.trials),
        "errata": len(kb.errata),
        "rules": len(kb.rules),
        "test cases": len(kb.cases),
    }
    typer.echo(f"ok: {len(kb.files)} file(s), knowledge base {kb.info.version}, sha256 {kb.sha256}")
    for kind, count in counts.items():
        typer.echo(f"  {kind:16} {count}")


@rules_app.command("test")
def rules_test(pack: PackArgument = None) -> None:
    """Run the rule test cases (shipped and packs); exit 1 if any fails."""
    from mscadvisor.rule_tests import run_cases

    kb = _kb((pack,) if pack else ())
    results = run_cases(kb)
    for r in results:
        typer.echo(f"{'PASS' if r.passed else 'FAIL'}  {r.case.id}: {r.case.summary}")
        for failure in r.failures:
            typer.echo(f"      - {failure}")
    failed = sum(not r.passed for r in results)
    typer.echo(f"{len(results) - failed} passed, {failed} failed")
    if failed:
        raise typer.Exit(EXIT_RUNTIME)


@rules_app.command("coverage")
def rules_coverage(pack: PackArgument = None) -> None:
    """List the rules that no test case fires; exit 1 if there are any."""
    from mscadvisor.rule_tests import run_cases, uncovered

    kb = _kb((pack,) if pack else ())
    missing = uncovered(kb, run_cases(kb))
    covered = len(kb.rules) - len(missing)
    typer.echo(f"{covered} of {len(kb.rules)} rules fired by at least one test case")
    for rule_id in missing:
        typer.echo(f"  not covered: {rule_id}")
    if missing:
        raise typer.Exit(EXIT_RUNTIME)


@rules_app.command("lint")
def rules_lint(pack: PackArgument = None) -> None:
    """Find rules that can never fire, duplicate or contradictory rules, and rationales that
    mention evidence the rule does not cite; exit 1 if there are findings."""
    from mscadvisor.rule_lint import lint

    findings = lint(_kb((pack,) if pack else ()))
    for f in findings:
        typer.echo(f"{f.rule}: {f.code}: {f.message}")
    typer.echo(f"{len(findings)} finding(s)")
    if findings:
        raise typer.Exit(EXIT_RUNTIME)


@rules_app.command("list")
def rules_list(
    kind: Annotated[
        str | None,
        typer.Option(
            help="A category (source, route, preconditioning, regimen) or a group "
            "(table4, pattern, head-to-head, evidence, modality, ...)."
        ),
    ] = None,
    disease: DiseaseFilter = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List rules, optionally of one kind and those that can fire for one disease."""
    from mscadvisor.views import rules_view

    kb = _kb()
    _show(rules_view(kb, kind, _disease(kb, disease)), fmt)


@rules_app.command("show")
def rules_show(
    rule_id: Annotated[str, typer.Argument(help="Rule id.", autocompletion=_complete("rule"))],
    fmt: FormatOption = Format.table,
) -> None:
    """Show one rule: summary, rationale, conditions in readable form, effect, citations."""
    from mscadvisor.views import rule_view

    _show(rule_view(_kb(), rule_id), fmt)


@cache_app.command("info")
def cache_info() -> None:
    """Show where the compiled knowledge cache lives and what it holds."""
    from mscadvisor import cache

    entries = cache.entries()
    state = "enabled" if cache.enabled() else "disabled (MSCADVISOR_NO_CACHE is set)"
    typer.echo(f"folder: {cache.cache_dir()}\nstate: {state}\nfiles: {len(entries)}")
    for path in entries:
        typer.echo(f"  {path.name}  {path.stat().st_size} bytes")


@cache_app.command("clear")
def cache_clear() -> None:
    """Delete the compiled knowledge cache; it is rebuilt on the next run."""
    from mscadvisor import cache

    typer.echo(f"removed {cache.clear()} file(s) from {cache.cache_dir()}")


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (tests call this directly)."""
    for stream in (sys.stdout, sys.stderr):
        # A locale that cannot encode some character must not crash the output.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        app(args=argv, prog_name="mscadvisor")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_RUNTIME if exc.code else EXIT_OK
    except MscAdvisorError as exc:
        sys.stderr.write(f"mscadvisor: error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("mscadvisor: interrupted\n")
        return 130
    except Exception as exc:  # a bug: say so in one line; MSCADVISOR_DEBUG=1 shows the traceback
        if os.environ.get("MSCADVISOR_DEBUG"):
            raise
        sys.stderr.write(
            f"mscadvisor: internal error: {type(exc).__name__}: {exc}\n"
            "mscadvisor: this is a bug; rerun with MSCADVISOR_DEBUG=1 for the traceback\n"
        )
        return EXIT_RUNTIME
    return EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
