"""Browse the knowledge base: diseases, Table 4 sources, routes, preconditioning, evidence,
trials, references, errata and the published JSON schemas."""

from enum import StrEnum
from typing import TYPE_CHECKING, Annotated

import typer

from mscadvisor.cli.options import (
    DiseaseFilter,
    Format,
    FormatOption,
    complete_ids,
)
from mscadvisor.cli.root import open_knowledge

if TYPE_CHECKING:
    from collections.abc import Mapping

    from mscadvisor.authoring.reports import Report
    from mscadvisor.kb.knowledge import KnowledgeBase
    from mscadvisor.kb.records import Disease, Route
    from mscadvisor.render.views import View


class SchemaName(StrEnum):
    recommendation = "recommendation"
    explain = "explain"
    what_if = "what-if"
    batch_line = "batch-line"
    listing = "listing"
    rules_check = "rules-check"
    rules_test = "rules-test"
    rules_coverage = "rules-coverage"
    rules_lint = "rules-lint"
    cache_info = "cache-info"
    gaps = "gaps"
    diff = "diff"
    refresh = "refresh"


# The published schema of each JSON document, in src/mscadvisor/schemas/.
SCHEMA_FILES = {name: f"{name.value}.schema.json" for name in SchemaName}


def show(view: "View", fmt: Format) -> None:
    """Print a view: its JSON document for scripts, a table for people."""
    from mscadvisor.render import output

    if fmt is Format.json:
        output.write_json(view.to_dict())
        return
    from mscadvisor.render.table import print_view

    print_view(output.console(), view)


def report(result: "Report", fmt: Format) -> None:
    """Print a report of a rules or cache command: its JSON document for scripts, plain lines
    for people; then exit 1 if it failed, in either format."""
    from mscadvisor.errors import EXIT_RUNTIME
    from mscadvisor.render import output

    if fmt is Format.json:
        output.write_json(result.to_dict())
    else:
        output.write_lines(result.lines())
    if not result.ok:
        raise typer.Exit(EXIT_RUNTIME)


def disease_or_none(kb: "KnowledgeBase", name: str | None) -> "Disease | None":
    return kb.resolve_disease(name) if name is not None else None


def diseases(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List diseases with their ids, aliases, organ systems and etiologies."""
    from mscadvisor.render.views import diseases_view

    show(diseases_view(open_knowledge(ctx)), fmt)


def sources(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """Show Table 4: procurement, advantages and disadvantages of each MSC tissue source."""
    from mscadvisor.render.views import sources_view

    show(sources_view(open_knowledge(ctx)), fmt)


def routes(
    ctx: typer.Context, disease: DiseaseFilter = None, fmt: FormatOption = Format.table
) -> None:
    """List administration routes, optionally those reported for one disease."""
    from mscadvisor.render.views import routes_view

    kb = open_knowledge(ctx)
    show(routes_view(kb, disease_or_none(kb, disease)), fmt)


def preconditioning(
    ctx: typer.Context, disease: DiseaseFilter = None, fmt: FormatOption = Format.table
) -> None:
    """List preconditioning, engineering and combination strategies."""
    from mscadvisor.render.views import preconditioning_view

    kb = open_knowledge(ctx)
    show(preconditioning_view(kb, disease_or_none(kb, disease)), fmt)


def _first_words(routes: "Mapping[str, Route]") -> dict[str, str]:
    """Each route's id by the word its name starts with (intravenous: IV), where no other
    route's name starts with that word: the word people write for a route whose id is short."""
    from collections import Counter

    words = Counter(r.name.split()[0].casefold() for r in routes.values())
    return {
        word: r.id
        for r in routes.values()
        if words[word := r.name.split()[0].casefold()] == 1
        and len(word) > 3  # not "in" (vitro co-culture)
        and word != r.id.casefold()
    }


def evidence(  # noqa: PLR0917 (typer maps each option to a parameter)
    ctx: typer.Context,
    disease: DiseaseFilter = None,
    tissue: Annotated[
        str | None,
        typer.Option(
            help="Tissue id or alias: BM, AD (adipose), UC, UCB, DP, AM.",
            autocompletion=complete_ids("tissue"),
        ),
    ] = None,
    modality: Annotated[str | None, typer.Option(help="cells or exosomes.")] = None,
    route: Annotated[
        str | None,
        typer.Option(
            help="Route id (IV, OV, IN, ...) or the first word of its name (intravenous).",
            autocompletion=complete_ids("route"),
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the preclinical studies of Tables 1 (MSCs) and 2 (exosomes), filtered."""
    from mscadvisor.render.views import evidence_view, resolve_id

    kb = open_knowledge(ctx)
    tissue_aliases = {alias: t.id for t in kb.tissues.values() for alias in t.aliases}
    route_aliases = _first_words(kb.routes)
    show(
        evidence_view(
            kb,
            disease_or_none(kb, disease),
            resolve_id("tissue", tissue, kb.tissues, aliases=tissue_aliases) if tissue else None,
            resolve_id("modality", modality, kb.modalities) if modality else None,
            resolve_id("route", route, kb.routes, aliases=route_aliases) if route else None,
        ),
        fmt,
    )


def candidates(
    ctx: typer.Context,
    disease: Annotated[
        str,
        typer.Option(
            "--disease", "-d", help="Disease id or alias.", autocompletion=complete_ids("disease")
        ),
    ],
    fmt: FormatOption = Format.table,
) -> None:
    """List the candidate ids of a disease (sources, routes, strategies) that explain -c and
    --source take, with the other spellings they accept."""
    from mscadvisor.render.views import candidates_view

    kb = open_knowledge(ctx)
    show(candidates_view(kb, kb.resolve_disease(disease)), fmt)


def trials(
    ctx: typer.Context, disease: DiseaseFilter = None, fmt: FormatOption = Format.table
) -> None:
    """List the clinical studies of Table 3."""
    from mscadvisor.render.views import trials_view

    kb = open_knowledge(ctx)
    show(trials_view(kb, disease_or_none(kb, disease)), fmt)


def reference(
    ctx: typer.Context,
    number: Annotated[
        int | None, typer.Argument(metavar="NUMBER", help="Reference number (all when omitted).")
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Show one reference of the review with DOI and PubMed links, or all of them."""
    from mscadvisor.render.views import references_view

    show(references_view(open_knowledge(ctx), number), fmt)


def errata(ctx: typer.Context, fmt: FormatOption = Format.table) -> None:
    """List where the review contradicts itself, both readings, and the one used here."""
    from mscadvisor.render.views import errata_view

    show(errata_view(open_knowledge(ctx)), fmt)


def schema(
    name: Annotated[SchemaName, typer.Argument(metavar="NAME", help="Which document.")],
) -> None:
    """Print the JSON Schema of a JSON output.

    recommendation: recommend --format json; explain: explain --format json; what-if: recommend
    --what-if ... --format json; batch-line: each line of batch --format jsonl; listing:
    diseases, sources, routes, preconditioning, evidence, trials, reference, errata, rules list
    and rules show with --format json; rules-check, rules-test, rules-coverage, rules-lint and
    cache-info: those commands with --format json; gaps: gaps --format json; diff: diff
    --format json; refresh: trials-refresh --format json."""
    from importlib import resources

    from mscadvisor.render import output

    schema_file = resources.files("mscadvisor") / "schemas" / SCHEMA_FILES[name]
    output.write_text(schema_file.read_text(encoding="utf-8"))
