"""The command line: parses arguments, calls the library, prints. Nothing else lives here.

Exit codes: 0 success, 1 error at run time, 2 invalid usage or input, 3 invalid knowledge base.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from mscadvisor import __version__
from mscadvisor.errors import EXIT_OK, EXIT_RUNTIME, MscAdvisorError

DISCLAIMER_SHORT = "Research decision support, not medical advice."

app = typer.Typer(
    name="mscadvisor",
    help=(
        "Recommend MSC and MSC-exosome sources, administration routes and preconditioning for "
        "aging-related diseases, explaining every point of every score with the rule and the "
        f"citation behind it. {DISCLAIMER_SHORT}"
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(help="Check rule trees.", no_args_is_help=True)
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


class SchemaName(StrEnum):
    recommendation = "recommendation"


SCHEMA_FILES = {SchemaName.recommendation: "recommendation.schema.json"}


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="table for people, json for scripts.")
]
DiseaseFilter = Annotated[
    str | None, typer.Option("--disease", "-d", help="Disease id or alias (AD = Alzheimer's).")
]


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mscadvisor {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Top-level options."""


def _kb() -> Any:
    from mscadvisor.knowledge import load_knowledge_base

    return load_knowledge_base()


def _show(view: Any, fmt: Format) -> None:
    from mscadvisor import output

    if fmt is Format.json:
        output.write_json(view.rows)
        return
    from mscadvisor.render_table import print_view

    print_view(output.console(), view)


def _disease(kb: Any, name: str | None) -> Any:
    return kb.resolve_disease(name) if name is not None else None


@app.command()
def recommend(  # noqa: PLR0917 (typer maps each option to a parameter)
    disease: Annotated[
        str | None,
        typer.Option(
            "--disease",
            "-d",
            help="Disease id or alias: POF, AD (Alzheimer's), AS, "
            "OP, SKIN, FRAILTY. Required unless the profile file gives it.",
        ),
    ] = None,
    age: Annotated[int | None, typer.Option(help="Patient age in years (0-120).")] = None,
    sex: Annotated[str | None, typer.Option(help="female or male.")] = None,
    donor: Annotated[
        str | None,
        typer.Option(help="Where the cells come from: autologous, allogeneic, any (default any)."),
    ] = None,
    modality: Annotated[
        str | None, typer.Option(help="cells, exosomes (cell-free) or any (default any).")
    ] = None,
    avoid_invasive_harvest: Annotated[
        bool | None,
        typer.Option(
            "--avoid-invasive-harvest",
            help="The patient will not undergo a painful or invasive collection.",
            show_default=False,
        ),
    ] = None,
    comorbidity: Annotated[
        list[str] | None,
        typer.Option(
            help="Repeatable: diabetes, obesity, thromboembolism, cardiovascular, "
            "immunocompromised, cancer-history."
        ),
    ] = None,
    etiology: Annotated[
        str | None, typer.Option(help="An etiology of the disease (see `mscadvisor diseases`).")
    ] = None,
    need: Annotated[
        list[str] | None,
        typer.Option(help="Repeatable: large-cell-dose, durable-effect, fertility."),
    ] = None,
    profile: Annotated[
        Path | None,
        typer.Option(help="JSON or TOML file with the same fields; flags override it."),
    ] = None,
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
    explain: Annotated[
        bool, typer.Option("--explain", help="Show every contribution of every candidate shown.")
    ] = False,
) -> None:
    """Score sources, routes and preconditioning for a disease and profile, with reasons."""
    from mscadvisor import output
    from mscadvisor.engine import recommend as score
    from mscadvisor.profile import build_profile, read_profile_file

    kb = _kb()
    raw: dict[str, Any] = read_profile_file(profile) if profile else {}
    flags = {
        "disease": disease,
        "age": age,
        "sex": sex,
        "donor": donor,
        "modality": modality,
        "avoid_invasive_harvest": avoid_invasive_harvest,
        "comorbidities": comorbidity or None,
        "etiology": etiology,
        "needs": need or None,
    }
    raw.update({k: v for k, v in flags.items() if v is not None})
    origin = f"profile {profile} with command-line flags" if profile else "command line"
    result = score(kb, build_profile(raw, kb, origin))
    if fmt is RecommendFormat.json:
        output.write_json(result.to_dict())
    elif fmt is RecommendFormat.markdown:
        from mscadvisor.render_markdown import recommendation_markdown

        output.write_text(recommendation_markdown(result, top, explain))
    else:
        from mscadvisor.render_table import print_recommendation

        print_recommendation(output.console(), result, top, explain)


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
        str | None, typer.Option(help="Tissue id: BM, AD (adipose), UC, UCB, DP, AM.")
    ] = None,
    modality: Annotated[str | None, typer.Option(help="cells or exosomes.")] = None,
    route: Annotated[str | None, typer.Option(help="Route id, e.g. IV, OV, IN.")] = None,
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


@rules_app.command("check")
def rules_check(
    directory: Annotated[
        Path | None, typer.Argument(help="Rules tree to check (default: the shipped one).")
    ] = None,
) -> None:
    """Validate a rules tree and print the number of records of each kind."""
    from mscadvisor.knowledge import load_knowledge_base

    kb = load_knowledge_base(base=directory)
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
    }
    typer.echo(f"ok: {len(kb.files)} file(s), knowledge base {kb.info.version}, sha256 {kb.sha256}")
    for kind, count in counts.items():
        typer.echo(f"  {kind:16} {count}")


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
    return EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
