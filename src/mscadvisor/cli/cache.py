"""cache: inspect or clear the compiled knowledge cache."""

import typer

from mscadvisor.cli.browse import report
from mscadvisor.cli.options import Format, FormatOption
from mscadvisor.errors import MscAdvisorError


def cache_info(fmt: FormatOption = Format.table) -> None:
    """Show where the compiled knowledge cache lives and what it holds."""
    from mscadvisor.authoring import reports

    report(reports.cache_info(), fmt)


def cache_clear() -> None:
    """Delete the compiled knowledge cache; it is rebuilt on the next run. Exit 1 when a file
    could not be removed."""
    from mscadvisor.kb import cache

    removed, problems = cache.clear()
    typer.echo(f"removed {removed} file(s) from {cache.cache_dir()}")
    if problems:
        raise MscAdvisorError("; ".join(problems))
