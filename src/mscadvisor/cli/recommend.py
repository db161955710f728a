"""recommend and explain: score a profile, and explain one candidate's score."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mscadvisor.cli.options import (
    ProfileInput,
    RecommendFormat,
    SourceOpt,
    complete_ids,
    with_profile_options,
)
from mscadvisor.cli.root import check_required_kb, open_knowledge
from mscadvisor.engine import defaults
from mscadvisor.errors import InputError

if TYPE_CHECKING:
    from rich.console import Console

    from mscadvisor.engine.result import Recommendation


def _warnings_to_stderr(*results: "Recommendation") -> None:
    """Warnings about the profile and the evidence (of each result, each warning once) also go
    to stderr when stdout is not a terminal, so that a reader of a piped table still sees them."""
    import sys

    from mscadvisor.render.printable import printable

    if not sys.stdout.isatty():
        messages = [w.message for result in results for w in result.warnings]
        for message in dict.fromkeys(messages):
            sys.stderr.write(f"mscadvisor: warning: {printable(message)}\n")


@with_profile_options()
def recommend(  # noqa: PLR0917 (typer maps each option to a parameter)
    ctx: typer.Context,
    profile: ProfileInput,
    source: SourceOpt = None,
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
    ] = 3,
    regimens: Annotated[
        int,
        typer.Option(
            min=0,
            help="Complete regimens proposed (source + route + optional "
            "preconditioning that the evidence used together).",
        ),
    ] = defaults.REGIMENS,
    detail: Annotated[
        bool,
        typer.Option(
            "--detail",
            help="The full rationale tables instead of the answer at a glance (as --export "
            "saves them).",
        ),
    ] = False,
    explain: Annotated[
        bool,
        typer.Option(
            "--explain",
            help="The full tables with every contribution and every study of every candidate "
            "shown.",
        ),
    ] = False,
    what_if: Annotated[
        list[str] | None,
        typer.Option(
            "--what-if",
            metavar="FIELD=VALUE",
            help="Repeatable: compare with the profile changed, side by side with how many "
            "ranks each candidate moved, e.g. age=65, donor=autologous, needs=fertility,durable-"
            "effect (lists are comma-separated and replace the profile's).",
        ),
    ] = None,
    export: Annotated[
        Path | None,
        typer.Option(
            readable=False,  # written, not read: check_export says what is wrong with it
            help="Also save the rationale as rendered in the terminal, to a .html or "
            ".svg file (written atomically).",
        ),
    ] = None,
) -> None:
    """Score sources, routes and preconditioning for a disease and profile, with reasons."""
    from mscadvisor.engine.profile import merge_profile
    from mscadvisor.engine.scoring import score
    from mscadvisor.render import output

    output.check_export(export)
    if what_if and (export is not None or fmt is RecommendFormat.markdown or detail or explain):
        raise InputError(
            "--what-if compares two results side by side: it works with the table "
            "and json formats, not with --format markdown, --export, --detail or --explain"
        )
    kb = check_required_kb(ctx, open_knowledge(ctx))
    person = merge_profile(kb, profile.file, profile.fields)
    result = score(kb, person, regimens, source)
    if what_if:
        from mscadvisor.engine.whatif import what_if as compare

        comparison = compare(kb, result, what_if, regimens, source)
        if fmt is RecommendFormat.json:
            output.write_json(comparison.to_dict())
            return
        from mscadvisor.render.table import print_what_if

        print_what_if(output.console(), comparison, top)
        _warnings_to_stderr(comparison.baseline, comparison.changed)
        return

    def tables(console: "Console") -> None:
        from mscadvisor.render.table import print_recommendation

        print_recommendation(console, result, top, explain)

    full = detail or explain
    if export is not None:
        output.export(export, tables)
    if fmt is RecommendFormat.json:
        output.write_json(result.to_dict())
    elif fmt is RecommendFormat.markdown:
        from mscadvisor.render.markdown import recommendation_markdown

        output.write_text(recommendation_markdown(result, top, explain))
    elif full:
        tables(output.console())
    else:
        from mscadvisor.render.answer import write_answer

        write_answer(result, top)
    if fmt is RecommendFormat.table:
        _warnings_to_stderr(result)


@with_profile_options()
def explain_command(  # noqa: PLR0917 (typer maps each option to a parameter)
    ctx: typer.Context,
    candidate: Annotated[
        str,
        typer.Option(
            "--candidate",
            "-c",
            help="Candidate id as in the JSON: a source such as "
            "AD-exosomes, a route such as IN, or a preconditioning id.",
            autocompletion=complete_ids("candidate"),
        ),
    ],
    profile: ProfileInput,
    source: SourceOpt = None,
    sensitivity: Annotated[
        bool,
        typer.Option(
            "--sensitivity",
            help="Also list the single-field profile changes "
            "that would change the top choice of each category.",
        ),
    ] = False,
    fmt: Annotated[
        RecommendFormat,
        typer.Option(
            "--format",
            "-f",
            help="table (people), json (scripts), markdown (reports: the same sections).",
        ),
    ] = RecommendFormat.table,
    export: Annotated[
        Path | None,
        typer.Option(
            readable=False,  # written, not read: check_export says what is wrong with it
            help="Also save the explanation as the table format renders it, to a .html or "
            ".svg file (written atomically).",
        ),
    ] = None,
) -> None:
    """Explain one candidate: every rule that fired, every rule that did not and why, and the
    gap to the first-ranked candidate, rule by rule."""
    from mscadvisor.engine.explanation import explain
    from mscadvisor.engine.profile import merge_profile
    from mscadvisor.engine.scoring import score
    from mscadvisor.render import output

    output.check_export(export)
    kb = check_required_kb(ctx, open_knowledge(ctx))
    person = merge_profile(kb, profile.file, profile.fields)
    explanation = explain(kb, score(kb, person, source=source), candidate, sensitivity=sensitivity)

    def tables(console: "Console") -> None:
        from mscadvisor.render.table import print_explanation, print_sensitivity

        print_explanation(console, explanation)
        if explanation.sensitivity is not None:
            print_sensitivity(console, explanation.sensitivity)

    if export is not None:
        output.export(export, tables)
    if fmt is RecommendFormat.json:
        output.write_json(explanation.to_dict())
    elif fmt is RecommendFormat.markdown:
        from mscadvisor.render.markdown import explanation_markdown

        output.write_text(explanation_markdown(explanation))
    else:
        tables(output.console())
