"""trials-refresh: ClinicalTrials.gov exports in; a drift report and, on request, a rule pack
out.

A command of its own rather than ``trials refresh``: ``trials`` is a listing command that
takes options only, and making it a group would change how ``mscadvisor trials -d D`` parses.
"""

import datetime as dt
from pathlib import Path
from typing import Annotated

import typer

from mscadvisor.cli.options import Format, FormatOption
from mscadvisor.cli.root import open_knowledge
from mscadvisor.errors import InputError

MAX_PACK_NAME = 64  # as PackManifest.name allows


def _date(text: str | None) -> dt.date:
    if text is None:
        return dt.datetime.now(dt.UTC).date()
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of: expected a date YYYY-MM-DD, got {text!r}") from None


def trials_refresh(  # noqa: PLR0917 (typer maps each option to a parameter)
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(
            metavar="FILE...",
            readable=False,  # the export reader says why a file cannot be read
            help="ClinicalTrials.gov (API v2) exports: a study, an API page, the website's "
            "JSON array, NDJSON, or a zip of study files.",
            show_default=False,
        ),
    ],
    pack: Annotated[
        Path | None,
        typer.Option(
            readable=False,  # a new folder, written
            help="Also write the record updates as a rule pack in this new folder, for "
            "--rules PACK.",
        ),
    ] = None,
    name: Annotated[
        str, typer.Option("--pack-name", help="The pack's name in its pack.toml.")
    ] = "ctgov-refresh",
    as_of: Annotated[
        str | None,
        typer.Option(
            "--as-of",
            metavar="YYYY-MM-DD",
            help="The import date: completion dates before it have passed (default: today, UTC).",
        ),
    ] = None,
    fmt: FormatOption = Format.table,
) -> None:
    """Compare the clinical studies of Table 3 with ClinicalTrials.gov exports, offline: report
    each status change, posted results, enrollment change, stop and its reason, passed
    completion date and publication the review does not cite, and list registered studies of a
    catalog disease with an MSC or exosome intervention that the review lacks.

    With --pack, write the updates (status, enrollment) as a rule pack with their provenance;
    posted results and reasons for stopping are marked "needs curation" and change nothing:
    results posted are not efficacy shown."""
    from mscadvisor.authoring.refresh_pack import pack_files, write_pack
    from mscadvisor.engine.ctgov import read_studies
    from mscadvisor.engine.refresh import refresh
    from mscadvisor.kb.records import is_identifier
    from mscadvisor.render import output

    day = _date(as_of)
    if pack is not None and not (is_identifier(name) and len(name) <= MAX_PACK_NAME):
        raise InputError(
            f"--pack-name: {name!r}: a pack's name is an id of 1 to {MAX_PACK_NAME} characters "
            "without spaces"
        )
    kb = open_knowledge(ctx)
    studies = read_studies(files)
    result = refresh(kb, [str(f) for f in files], studies, day)
    if pack is not None:
        write_pack(pack, pack_files(result, name))
        result = result.with_pack(str(pack))
    if fmt is Format.json:
        output.write_json(result.to_dict())
        return
    from mscadvisor.render.refresh import print_refresh

    print_refresh(output.console(), result)
