"""cache: inspect or clear the compiled knowledge cache."""

import typer

from mscadvisor.cli.browse import report
from mscadvisor.cli.options import Format, FormatOption


def cache_info(fmt: FormatOption = Format.table) -> None:
    """Show where the compiled knowledge cache lives and what it holds."""
    from mscadvisor.authoring import reports

    report(reports.cache_info(), fmt)


def cache_clear() -> None:
    """Delete the compiled knowledge cache; it is rebuilt on the next run."""
    from mscadvisor.kb import cache

    typer.echo(f"removed {cache.clear()} file(s) from {cache.cache_dir()}")
