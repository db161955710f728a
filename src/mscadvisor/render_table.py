"""Rich rationale tables for a recommendation, and plain rich tables for browsing views."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mscadvisor.result import (
    CATEGORY_TITLES,
    DISCLAIMER,
    Contribution,
    Recommendation,
    ScoredCandidate,
)
from mscadvisor.views import View

BAR_WIDTH = 10
STRONGEST_REASONS = 3


def print_view(console: Console, view: View) -> None:
    table = Table(title=view.title, show_lines=True, expand=True)
    for column in view.columns:
        table.add_column(column.header, ratio=column.ratio, overflow="fold")
    for row in view.rows:
        table.add_row(*(escape(column.cell(row)) for column in view.columns))
    console.print(table)
    console.print(f"{len(view.rows)} row(s)", style="dim")


def print_recommendation(console: Console, result: Recommendation, top: int, explain: bool) -> None:
    profile = ", ".join(
        f"{k}={v if not isinstance(v, list) else ','.join(v) or '-'}"
        for k, v in result.profile.to_dict().items()
        if k != "disease"
    )
    console.print(f"[bold]{escape(result.disease)}: {escape(result.disease_name)}[/bold]")
    console.print(f"Profile: {escape(profile)}", style="dim")
    console.print(Text(DISCLAIMER, style="italic yellow"))
    for category, title in CATEGORY_TITLES.items():
        candidates = result.ranked[category]
        shown = candidates if top <= 0 else candidates[:top]
        console.print(_category_table(title, shown, len(candidates)))
        if explain:
            for candidate in shown:
                console.print(_contribution_table(candidate))
    if result.excluded:
        table = Table(title="Excluded candidates", expand=True)
        for header, ratio in (("Category", 1), ("Candidate", 2), ("Reason", 3), ("Rule", 3)):
            table.add_column(header, ratio=ratio, overflow="fold")
        for e in result.excluded:
            table.add_row(e.category, escape(e.label), escape(e.reason), e.rule)
        console.print(table)
    for w in result.warnings:
        cited = "; ".join(c.label for c in w.citations)
        console.print(
            f"[yellow]warning[/yellow] {escape(w.message)}"
            + (f" [dim]({escape(cited)})[/dim]" if cited else "")
        )
    console.print(
        f"Score = base + sum of contributions (--explain shows them all). Ties break by "
        f"certainty, then id. Knowledge base {result.knowledge_base_version}, "
        f"sha256 {result.knowledge_base_sha256[:12]}.",
        style="dim",
    )


def _category_table(title: str, shown: tuple[ScoredCandidate, ...], total: int) -> Table:
    caption = f"showing {len(shown)} of {total}" if len(shown) < total else None
    table = Table(title=title, caption=caption, show_lines=True, expand=True)
    table.add_column("#", justify="right", width=3)
    table.add_column("Candidate", ratio=3, overflow="fold")
    table.add_column("Score", ratio=2, no_wrap=True)
    table.add_column("Certainty", ratio=2, overflow="fold")
    table.add_column("Strongest reasons", ratio=7, overflow="fold")
    peak = max((abs(c.score) for c in shown), default=0) or 1
    for c in shown:
        rank = f"={c.rank}" if c.tied_with else str(c.rank)
        table.add_row(
            rank,
            escape(c.label) + "".join(f"\n[dim]{escape(v)}[/dim]" for v in c.caveats[:2]),
            _score_cell(c.score, peak),
            escape(c.certainty_label)
            + (f"\n[dim]{escape(c.certainty_reasons[0])}[/dim]" if c.certainty_reasons else ""),
            _reasons(c.contributions),
        )
    return table


def _score_cell(score: int, peak: int) -> Text:
    filled = round(BAR_WIDTH * abs(score) / peak)
    bar = "█" * filled + "·" * (BAR_WIDTH - filled)
    style = "green" if score > 0 else "red" if score < 0 else "dim"
    return Text.assemble((f"{score:+d} ", "bold"), (bar, style))


def _reasons(contributions: tuple[Contribution, ...]) -> str:
    strongest = sorted(contributions, key=lambda c: (-abs(c.points), c.rule))[:STRONGEST_REASONS]
    return (
        "\n".join(
            f"{c.points:+d} {escape(c.reason)} [dim]({escape(_cites(c))})[/dim]" for c in strongest
        )
        or "[dim]no rule fired[/dim]"
    )


def _cites(c: Contribution) -> str:
    return "; ".join(v.label for v in c.citations)


def _contribution_table(candidate: ScoredCandidate) -> Table:
    table = Table(
        title=f"{candidate.label}: every contribution",
        caption=f"score {candidate.score:+d} = base {candidate.base:+d} + "
        + " ".join(f"({c.points:+d})" for c in candidate.contributions),
        expand=True,
    )
    table.add_column("Points", justify="right", width=6)
    table.add_column("Rule", ratio=3, overflow="fold")
    table.add_column("Reason", ratio=6, overflow="fold")
    table.add_column("Level", ratio=2, overflow="fold")
    table.add_column("Citations", ratio=3, overflow="fold")
    for c in candidate.contributions:
        table.add_row(f"{c.points:+d}", c.rule, escape(c.reason), c.level, escape(_cites(c)))
    return table
