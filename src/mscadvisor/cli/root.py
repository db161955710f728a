"""The root command's options (--rules, --weights, --require-kb, --color, --version): global
options, given before the command. The knowledge they name is carried to every command on
typer's context object; this is the one way commands open it."""

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mscadvisor import __version__
from mscadvisor.cli.options import ColorMode

if TYPE_CHECKING:
    from mscadvisor.kb.knowledge import KnowledgeBase
    from mscadvisor.kb.opening import KnowledgeSource


def _version(value: bool) -> None:
    if value:
        typer.echo(f"mscadvisor {__version__}")
        raise typer.Exit()


def root(  # noqa: PLR0917 (typer maps each option to a parameter)
    ctx: typer.Context,
    rules: Annotated[
        list[Path] | None,
        typer.Option(
            "--rules",
            readable=False,  # the loader says what is wrong with a pack, and where
            help="Repeatable: a rule pack folder loaded on top of the "
            "shipped rules (also $MSCADVISOR_RULES, a path list).",
        ),
    ] = None,
    weights: Annotated[
        Path | None,
        typer.Option(
            readable=False,  # the weights reader says why a file cannot be read
            help="TOML file scaling the points of named rules or rule groups.",
        ),
    ] = None,
    require_kb: Annotated[
        str | None,
        typer.Option(
            "--require-kb",
            metavar="SHA256-PREFIX",
            help="Refuse to score (exit 4) unless the knowledge state (shipped rules, packs "
            "and weights) has a sha256 starting with these 8 to 64 hex digits, as a result's "
            "reproduce.knowledge_sha256 gives it (also $MSCADVISOR_REQUIRE_KB).",
        ),
    ] = None,
    color: Annotated[
        ColorMode,
        typer.Option(
            "--color",
            help="auto: colour and bold on a terminal only; none with $NO_COLOR set; also "
            "piped with $FORCE_COLOR set. always, never: regardless of the terminal and those "
            "variables (never: no escape code at all).",
        ),
    ] = ColorMode.auto,
    version: Annotated[
        bool,
        typer.Option("--version", "-V", callback=_version, is_eager=True, help="Show the version."),
    ] = False,
) -> None:
    """Top-level options."""
    from mscadvisor.kb.opening import KnowledgeSource
    from mscadvisor.render.output import set_color

    set_color(color.value)
    ctx.obj = KnowledgeSource.from_environment(tuple(rules or ()), weights)
    ctx.meta[REQUIRED_KB] = _required_kb(require_kb)


REQUIRED_KB = "mscadvisor.required_kb"  # (sha256 prefix, where it was given) or None


def _required_kb(option: str | None) -> tuple[str, str] | None:
    import os

    from mscadvisor.kb.fingerprint import REQUIRE_ENV, parse_prefix

    if option is not None:
        return parse_prefix(option, "--require-kb"), "--require-kb"
    if os.environ.get(REQUIRE_ENV):
        return parse_prefix(os.environ[REQUIRE_ENV], REQUIRE_ENV), REQUIRE_ENV
    return None


def check_required_kb(ctx: typer.Context, kb: "KnowledgeBase") -> "KnowledgeBase":
    """The knowledge base to score with, refused unless it is the one --require-kb names."""
    from mscadvisor.kb.fingerprint import require

    required = ctx.find_root().meta.get(REQUIRED_KB)
    if required is not None:
        require(kb, *required)
    return kb


def knowledge_source(ctx: typer.Context) -> "KnowledgeSource":
    """The knowledge source the root options named."""
    from mscadvisor.kb.opening import KnowledgeSource

    source = ctx.find_root().obj
    return source if isinstance(source, KnowledgeSource) else KnowledgeSource.from_environment()


def open_knowledge(
    ctx: typer.Context, *extra_packs: Path, base: Path | None = None
) -> "KnowledgeBase":
    """The knowledge base the root options name, with extra packs on top; ``base`` is a complete
    rules tree to load instead of the shipped one."""
    return knowledge_source(ctx).with_base(base).with_packs(*extra_packs).open()
