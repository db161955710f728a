"""cache: inspect or clear the compiled knowledge cache."""

import typer


def cache_info() -> None:
    """Show where the compiled knowledge cache lives and what it holds."""
    from mscadvisor.kb import cache

    entries = cache.entries()
    state = "enabled" if cache.enabled() else "disabled (MSCADVISOR_NO_CACHE is set)"
    typer.echo(f"folder: {cache.cache_dir()}\nstate: {state}\nfiles: {len(entries)}")
    for path in entries:
        typer.echo(f"  {path.name}  {path.stat().st_size} bytes")


def cache_clear() -> None:
    """Delete the compiled knowledge cache; it is rebuilt on the next run."""
    from mscadvisor.kb import cache

    typer.echo(f"removed {cache.clear()} file(s) from {cache.cache_dir()}")
