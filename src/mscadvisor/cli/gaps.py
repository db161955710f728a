"""gaps: the evidence-gap map of one disease or all of them."""

from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mscadvisor.cli.options import DiseaseFilter, Format, FormatOption
from mscadvisor.cli.root import open_knowledge

if TYPE_CHECKING:
    from rich.console import Console


class GapView(StrEnum):
    both = "both"
    route = "route"
    preconditioning = "preconditioning"


def gaps(
    ctx: typer.Context,
    disease: DiseaseFilter = None,
    view: Annotated[
        GapView,
        typer.Option(
            help="route: sources x routes; preconditioning: sources x strategies; both.",
        ),
    ] = GapView.both,
    fmt: FormatOption = Format.table,
    export: Annotated[
        Path | None,
        typer.Option(
            readable=False,  # written, not read: check_export says what is wrong with it
            help="Also save the grids as rendered in the terminal, to a .svg (a picture for "
            "a slide) or .html file (written atomically).",
        ),
    ] = None,
) -> None:
    """Map where the review has evidence and where it has none: for each source (tissue and
    modality) and each route, and each preconditioning strategy, the studies and clinical
    studies that tested exactly that combination, and their certainty.

    Cells say "no evidence in the review" (--) or that only general traits (Table 4 and other
    expert synthesis) or a finding of the prose would score them. All diseases without
    --disease."""
    from mscadvisor.engine.gaps import VIEWS, gap_map
    from mscadvisor.render import output

    output.check_export(export)
    kb = open_knowledge(ctx)
    diseases = [kb.resolve_disease(disease).id] if disease is not None else list(kb.diseases)
    views = [v for v in VIEWS if view in (GapView.both, v)]
    result = gap_map(kb, diseases, views)

    def grids(console: "Console") -> None:
        from mscadvisor.render.gaps import print_gap_map

        print_gap_map(console, result)

    if export is not None:
        output.export(export, grids)
    if fmt is Format.json:
        output.write_json(result.to_dict())
    else:
        grids(output.console())
