"""diff: how and why recommendations change between two knowledge states."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mscadvisor.cli.options import (
    Format,
    FormatOption,
    ProfileInput,
    SourceOpt,
    with_profile_options,
)
from mscadvisor.cli.root import knowledge_source
from mscadvisor.errors import EXIT_RUNTIME, InputError

if TYPE_CHECKING:
    from mscadvisor.engine.diff import Compared
    from mscadvisor.kb.knowledge import KnowledgeBase
    from mscadvisor.kb.opening import KnowledgeSource


def _packs(side: str) -> Any:
    return typer.Option(
        f"--{side}-rules",
        readable=False,  # the loader says what is wrong with a pack, and where
        metavar="PACK",
        help=f"Repeatable: a rule pack on the {side} side"
        + (" (after the global --rules)." if side == "new" else "."),
    )


@with_profile_options(
    without_disease="Required with any other profile option, unless --profile gives it; with "
    "no profile option, --profile or --batch, every disease's default profile is compared."
)
def diff(  # noqa: PLR0917 (typer maps each option to a parameter)
    ctx: typer.Context,
    profile: ProfileInput,
    batch: Annotated[
        Path | None,
        typer.Option(
            "--batch",
            readable=False,
            help="A JSONL or CSV file of profiles, as `batch` reads them, instead of the profile "
            "options.",
        ),
    ] = None,
    old_rules: Annotated[list[Path] | None, _packs("old")] = None,
    new_rules: Annotated[list[Path] | None, _packs("new")] = None,
    old_weights: Annotated[
        Path | None,
        typer.Option(readable=False, help="A weights file on the old side."),
    ] = None,
    new_weights: Annotated[
        Path | None,
        typer.Option(
            readable=False,
            help="A weights file on the new side (or the global --weights; not both).",
        ),
    ] = None,
    old_base: Annotated[
        Path | None,
        typer.Option(
            readable=False,
            help="A complete rules tree (such as an older copy of rules/) instead of the shipped "
            "one on the old side.",
        ),
    ] = None,
    new_base: Annotated[
        Path | None,
        typer.Option(
            readable=False, help="A complete rules tree instead of the shipped one on the new side."
        ),
    ] = None,
    source: SourceOpt = None,
    fmt: FormatOption = Format.table,
    exit_code: Annotated[
        bool,
        typer.Option(
            "--exit-code",
            help="Exit 1 when a rank or score changed, 0 when none did (as git diff does).",
        ),
    ] = False,
) -> None:
    """Compare recommendations between two knowledge states, with the edit behind each change.

    The new side is the shipped rules with the global --rules and --weights (the common case:
    `mscadvisor --weights w.toml diff`); the old side is the shipped rules alone. --old-* and
    --new-* options change either side. Without a profile or --batch, every disease's default
    profile is compared."""
    from mscadvisor.engine.diff import compare
    from mscadvisor.kb.edits import knowledge_edits
    from mscadvisor.kb.opening import KnowledgeSource
    from mscadvisor.render import output

    given = knowledge_source(ctx)
    if given.weights is not None and new_weights is not None:
        raise InputError(
            "--weights and --new-weights both name the new side's weights: give one of them"
        )
    old = KnowledgeSource(tuple(old_rules or ()), old_weights, old_base)
    new = KnowledgeSource(
        (*given.packs, *(new_rules or ())), new_weights or given.weights, new_base
    )
    old_kb, new_kb = old.open(), new.open()
    edits = knowledge_edits(_unweighted(old), _unweighted(new), old_kb.weights, new_kb.weights)
    result = compare(old_kb, new_kb, edits, _profiles(profile, batch, old_kb, new_kb), source)
    if fmt is Format.json:
        output.write_json(result.to_dict())
    else:
        from mscadvisor.render.diff import print_diff

        print_diff(output.console(), result)
    if exit_code and result.changed:
        raise typer.Exit(EXIT_RUNTIME)


def _unweighted(source: "KnowledgeSource") -> "KnowledgeBase":
    """The rules as written: weight edits are reported as such, not as changed points."""
    from mscadvisor.kb.opening import KnowledgeSource

    return KnowledgeSource(source.packs, None, source.base).open()


def _profiles(
    profile: ProfileInput, batch: Path | None, old: "KnowledgeBase", new: "KnowledgeBase"
) -> list["Compared"]:
    """Each profile to compare, read by both sides."""
    from mscadvisor.engine.diff import default_profiles, sides
    from mscadvisor.engine.profile import read_profile_file

    flags = {k: v for k, v in profile.fields.items() if v is not None and v != []}
    if batch is not None:
        if flags or profile.file is not None:
            raise InputError("--batch gives the profiles: drop the profile options, or --batch")
        return _batch_profiles(batch, old, new)
    if profile.file is None and not flags:
        return default_profiles(old, new)
    raw = read_profile_file(profile.file) if profile.file else {}
    origin = f"profile {profile.file}" if profile.file else "command line"
    return [(origin, *sides({**raw, **flags}, old, new, origin))]


MAX_BATCH_BYTES = 16 * 1024 * 1024  # a diff compares a cohort, not a stream: read it whole


def _batch_profiles(path: Path, old: "KnowledgeBase", new: "KnowledgeBase") -> list["Compared"]:
    """The profiles of a JSONL or CSV file, as `batch` reads them, each by its line; the first
    bad line, in file order, ends the diff."""
    import io

    from mscadvisor import batch as batching
    from mscadvisor.engine.diff import sides
    from mscadvisor.reading import Unreadable, read_file

    try:
        data = read_file(path, MAX_BATCH_BYTES)
    except Unreadable as exc:
        raise InputError(f"--batch {path}: {exc}") from None
    try:
        rows = list(batching.read_rows(io.BufferedReader(io.BytesIO(data)), "auto", str(path)))
    except InputError as exc:  # a bad CSV header
        raise InputError(f"--batch {path}: {exc}") from None
    profiles = []
    for row in rows:
        where = f"--batch {path}: line {row.line}"
        if row.fields is None:
            raise InputError(f"{where}: {row.error}")
        profiles.append((f"line {row.line}", *sides(row.fields, old, new, where)))
    if not profiles:
        raise InputError(f"--batch {path}: no profiles in the file")
    return profiles
