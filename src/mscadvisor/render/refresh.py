"""The drift report for people: the answer first (how many trials drifted, how many need a
person), then each drifted trial with what changed, then the curation queue."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mscadvisor.engine.refresh import Refresh

CURATION_MARK = "(needs curation)"


def print_refresh(console: Console, result: Refresh) -> None:
    console.print(f"[bold]{escape(headline(result))}[/bold]")
    if result.drifted:
        table = _table("Trial", "Disease", "What the registry says now")
        for t in result.drifted:
            lines = [f"{d.text} {CURATION_MARK}" if d.needs_curation else d.text for d in t.drift]
            table.add_row(escape(t.trial.id), escape(t.trial.disease), escape("\n".join(lines)))
        console.print(table)
    if result.queue:
        console.print(
            f"Curation queue: {_count(len(result.queue), 'study', 'studies')} the review lacks "
            "(not scored until curated into a pack)",
            style="bold",
        )
        table = _table("Study", "Disease", "Why it matched")
        for q in result.queue:
            table.add_row(
                escape(q.study.nct), escape(", ".join(q.diseases)), escape("\n".join(q.why))
            )
        console.print(table)
    if result.missing:
        console.print(
            f"Not in the exports ({len(result.missing)}): {', '.join(result.missing)}",
            style="dim",
        )
    console.print(f"Files: {escape(', '.join(result.files))}", style="dim")
    if result.pack is not None:
        updates = sum(1 for t in result.trials if t.update)
        console.print(
            f"Pack written: {escape(result.pack)} ({updates} trial updates); "
            f"use it: mscadvisor --rules {escape(result.pack)} recommend ..."
        )


def headline(result: Refresh) -> str:
    curation = sum(1 for t in result.trials if any(d.needs_curation for d in t.drift))
    return (
        f"{len(result.drifted)} of {len(result.trials)} review trials found in the exports "
        f"drifted ({curation} need curation) as of {result.as_of}; "
        f"{_count(len(result.queue), 'new study', 'new studies')} to curate, "
        f"{result.ignored} unrelated ignored ({_count(result.studies, 'study', 'studies')} read)."
    )


def _table(*headers: str) -> Table:
    table = Table(box=None, padding=(0, 1), pad_edge=False, show_edge=False)
    for n, header in enumerate(headers):
        table.add_column(header, no_wrap=n < 2, overflow="fold")
    return table


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"
