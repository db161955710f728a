"""The diff between two knowledge states, for people: the answer for each profile first (what
changed first and why), then the two states and the edits between them, numbered, then each
changed profile's candidates with the numbers of the edits behind each move."""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mscadvisor.engine.diff import KnowledgeDiff, ProfileDiff
from mscadvisor.engine.result import CATEGORY_TITLES
from mscadvisor.kb.fingerprint import knowledge_sha256
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.opening import KnowledgeSource

SHOWN_HASH = 16  # hex digits of a knowledge sha256 shown: enough for --require-kb


def print_diff(console: Console, diff: KnowledgeDiff) -> None:
    edits = diff.by_key
    for profile in diff.profiles:
        line = escape(profile.headline(edits))
        console.print(f"[bold]{line}[/bold]" if profile.changes else line)
    console.print(f"old: {escape(_state(diff.old))}", style="dim")
    console.print(f"new: {escape(_state(diff.new))}", style="dim")
    if not diff.edits:
        console.print("The two knowledge states hold the same rules, records and weights.")
        return
    number = {e.key: n for n, e in enumerate(diff.edits, 1)}
    console.print(f"Knowledge edits, old -> new ({len(diff.edits)})", style="bold")
    listed = Table(box=None, padding=(0, 1), pad_edge=False, show_header=False)
    listed.add_column(justify="right", no_wrap=True, min_width=4)
    listed.add_column(overflow="fold")
    for e in diff.edits:
        listed.add_row(str(number[e.key]), escape(e.text()))
    console.print(listed)
    for profile in diff.profiles:
        if profile.changes:
            _profile(console, profile, number)


def _profile(console: Console, profile: ProfileDiff, number: dict[str, int]) -> None:
    shown = {k: v for k, v in profile.new.profile.shown().items() if v not in ("-", "any", "no")}
    details = ", ".join(f"{k}={v}" for k, v in shown.items())
    console.print(
        f"[bold]{escape(profile.new.disease)}[/bold] ({escape(profile.origin)}"
        + (f": {escape(details)})" if details else ")")
    )
    for category, title in CATEGORY_TITLES.items():
        rows = [c for c in profile.changes if c.category == category]
        if not rows:
            continue
        judged = ""
        if category != "source":
            old, new = profile.judged_for
            judged = f" for {old}" if old == new else f" for {old} (old), {new} (new)"
        console.print(f"  {title}{escape(judged)}", style="bold")
        table = Table(box=None, padding=(0, 1), pad_edge=False, show_edge=False)
        table.add_column("    id", overflow="fold")
        table.add_column("old", no_wrap=True, justify="right")
        table.add_column("new", no_wrap=True, justify="right")
        table.add_column("edits behind it", overflow="fold")
        for c in rows:
            because = ", ".join(str(number[k]) for k in c.because) or "none: others moved"
            table.add_row(
                f"    {escape(c.id)}",
                escape(c.old.text()),
                escape(c.new.text()),
                because,
            )
        console.print(table)


def _state(kb: KnowledgeBase) -> str:
    source = KnowledgeSource.of(kb)
    parts = [f"rules tree {source.base}" if source.base else f"shipped rules {kb.info.version}"]
    parts += [f"pack {p.path}" for p in kb.packs]
    if source.weights is not None:
        parts.append(f"weights {source.weights}")
    return f"{' + '.join(parts)} (sha256 {knowledge_sha256(kb)[:SHOWN_HASH]})"
