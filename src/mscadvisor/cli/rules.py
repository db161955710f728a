"""rules: check, test, lint, list and show rules (shipped and rule packs).

Every rules command reads the same knowledge: a rules tree (the shipped one, or ``--base DIR``,
a complete tree such as an edited copy of ``rules/``) with rule packs on top (``--rules``,
``$MSCADVISOR_RULES``, and the PACK argument of test, coverage and lint). A tree replaces the
shipped rules; a pack adds to them, so a copy of the whole tree loaded as a pack clashes with
every shipped id.
"""

from pathlib import Path
from typing import Annotated

import typer

from mscadvisor.cli.browse import disease_or_none, report, show
from mscadvisor.cli.options import DiseaseFilter, Format, FormatOption, complete_ids
from mscadvisor.cli.root import knowledge_source, open_knowledge
from mscadvisor.errors import InputError, KnowledgeBaseError

PackArgument = Annotated[
    Path | None,
    typer.Argument(
        metavar="PACK",
        readable=False,  # the pack loader says why a folder or file cannot be read
        help="A rule pack folder to add on top of the rules tree (the shipped one, or --base) "
        "and of --rules; not a whole tree, which would clash with every shipped id.",
    ),
]
BaseOption = Annotated[
    Path | None,
    typer.Option(
        "--base",
        metavar="DIR",
        readable=False,  # the pack loader says why a folder or file cannot be read
        help="A complete rules tree to use instead of the shipped one, such as an edited "
        "copy of the whole rules/ folder; packs still load on top of it.",
    ),
]


def rules_check(
    ctx: typer.Context,
    directory: Annotated[
        Path | None,
        typer.Argument(
            metavar="DIRECTORY",
            readable=False,  # the pack loader says why a folder or file cannot be read
            help="A complete rules tree to check instead of the shipped one (the same as --base).",
        ),
    ] = None,
    base: BaseOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Validate a rules tree and print the number of records of each kind.

    The tree is the shipped one, or DIR (or --base DIR), with any --rules packs on top. The
    sources themselves are validated, never the compiled cache."""
    from mscadvisor.authoring import reports
    from mscadvisor.kb.knowledge import load_knowledge_base

    if directory is not None and base is not None and directory != base:
        raise InputError(
            f"rules check: give the rules tree once, as DIR or as --base, not both "
            f"({directory} and {base})"
        )
    try:
        kb = load_knowledge_base(
            knowledge_source(ctx).packs, base=directory or base, use_cache=False
        )
    except KnowledgeBaseError as exc:  # other commands show the first problems; this, all
        raise KnowledgeBaseError(exc.problems, shown=None) from None
    report(reports.rules_check(kb), fmt)


def rules_test(
    ctx: typer.Context,
    pack: PackArgument = None,
    base: BaseOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Run the rule test cases; exit 1 if any fails.

    The cases are those of every *.cases.toml file of the rules tree (the shipped one, or --base
    DIR) and of the rule packs on top of it (--rules, PACK)."""
    from mscadvisor.authoring import reports

    kb = open_knowledge(ctx, *([pack] if pack else []), base=base)
    report(reports.rules_test(kb), fmt)


def rules_coverage(
    ctx: typer.Context,
    pack: PackArgument = None,
    base: BaseOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """List the rules that no test case fires; exit 1 if there are any.

    A dormant rule (one that says why no record fires it yet) is listed apart and fails only if
    a case fires it after all, as its reason is then out of date. Rules and cases are those of
    the rules tree (the shipped one, or --base DIR) and of the rule packs on top of it
    (--rules, PACK)."""
    from mscadvisor.authoring import reports

    kb = open_knowledge(ctx, *([pack] if pack else []), base=base)
    report(reports.rules_coverage(kb), fmt)


def rules_lint(
    ctx: typer.Context,
    pack: PackArgument = None,
    base: BaseOption = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Find rules that can never fire, duplicate or contradictory rules, and rationales that
    mention evidence the rule does not cite; exit 1 if there are findings.

    The rules are those of the rules tree (the shipped one, or --base DIR) and of the rule packs
    on top of it (--rules, PACK)."""
    from mscadvisor.authoring import reports

    kb = open_knowledge(ctx, *([pack] if pack else []), base=base)
    report(reports.rules_lint(kb), fmt)


def rules_list(  # noqa: PLR0917 (typer maps each option to a parameter)
    ctx: typer.Context,
    kind: Annotated[
        str | None,
        typer.Option(
            help="A category (source, route, preconditioning, regimen) or a group "
            "(table4, pattern, head-to-head, evidence, modality, ...)."
        ),
    ] = None,
    disease: DiseaseFilter = None,
    assumptions: Annotated[
        bool,
        typer.Option(
            "--assumptions",
            help="Only rules that declare a modelling assumption (a number or link the "
            "review does not give), with the assumption.",
        ),
    ] = False,
    fmt: FormatOption = Format.table,
    base: BaseOption = None,
) -> None:
    """List rules, optionally of one kind and those that can fire for one disease."""
    from mscadvisor.render.views import rules_view

    kb = open_knowledge(ctx, base=base)
    show(rules_view(kb, kind, disease_or_none(kb, disease), assumptions), fmt)


def rules_show(
    ctx: typer.Context,
    rule_id: Annotated[
        str, typer.Argument(metavar="RULE_ID", help="Rule id.", autocompletion=complete_ids("rule"))
    ],
    fmt: FormatOption = Format.table,
    base: BaseOption = None,
) -> None:
    """Show one rule: summary, rationale, conditions in readable form, effect, citations."""
    from mscadvisor.render.views import rule_view

    show(rule_view(open_knowledge(ctx, base=base), rule_id), fmt)
