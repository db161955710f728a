"""The answer at a glance: what `recommend` prints by default on a terminal.

The best complete regimen first, with its score, certainty and the reasons that decide it; the
warnings about the profile and the evidence; then a few rows per category, one line each, with
the ids that `explain -c` takes, honest ties, and reasons that add up to the score. The full
rationale tables are one flag away (`--detail`, `--explain`) and in `--export`.
"""

from __future__ import annotations

from rich.console import Console
from rich.markup import escape
from rich.table import Table

from mscadvisor.engine.ranking import unsupported_words
from mscadvisor.engine.result import (
    CATEGORY_TITLES,
    Contribution,
    Recommendation,
    Regimen,
    ScoredCandidate,
)
from mscadvisor.render.output import print_indented
from mscadvisor.render.ranks import rank_label, same_place

DISCLAIMER_SHORT = "Research decision support, not medical advice."


def print_answer(console: Console, result: Recommendation, top: int, unicode: bool) -> None:
    console.print(f"[bold]{escape(result.disease)}: {escape(result.disease_name)}[/bold]")
    shown = {k: v for k, v in result.profile.shown().items() if v not in ("-", "any", "no")}
    if shown:
        console.print(
            "Profile: " + escape(", ".join(f"{k}={v}" for k, v in shown.items())), style="dim"
        )
    console.print(f"[italic yellow]{DISCLAIMER_SHORT}[/italic yellow]")
    if result.regimens:
        _headline(console, result.regimens, result.regimens[0])
        _left_out(console, result, result.regimens[0])
    for w in result.warnings:
        console.print(f"[yellow]warning[/yellow] {escape(w.message)}")
    for category, title in CATEGORY_TITLES.items():
        candidates = result.ranked[category]
        if not candidates:
            continue
        judged = f" for {result.judged_for}" if category != "source" and result.judged_for else ""
        console.print(_category(f"{title}{judged}", candidates, top, unicode, console.width))
        if category == "source":
            _caveats(console, candidates if top <= 0 else candidates[:top])
    _excluded(console, result)
    console.print(
        "'=' tied on evidence and score, listed by certainty, design, id · --detail: every "
        "rule and study · explain -c ID",
        style="dim",
    )


def _caveats(console: Console, shown: tuple[ScoredCandidate, ...]) -> None:
    """The caveats that travel with the sources shown, each once, with whom it concerns."""
    concerns: dict[str, list[str]] = {}
    for c in shown:
        for caveat in c.caveats:
            concerns.setdefault(caveat, []).append(c.id)
    for caveat, ids in concerns.items():
        console.print(
            f"  [dim]caveat ({escape(', '.join(ids))}):[/dim] {escape(caveat)}",
            no_wrap=True,
            overflow="ellipsis",
        )


def _excluded(console: Console, result: Recommendation) -> None:
    """The excluded candidates, grouped by the rule that excluded them."""
    by_rule: dict[str, list[str]] = {}
    reasons: dict[str, str] = {}
    for e in result.excluded:
        by_rule.setdefault(e.rule, []).append(e.id)
        reasons[e.rule] = e.reason
    for rule, ids in by_rule.items():
        console.print(
            f"[dim]excluded:[/dim] {escape(', '.join(ids))} "
            f"[dim]({escape(rule)}: {escape(reasons[rule])})[/dim]"
        )


def _headline(console: Console, regimens: tuple[Regimen, ...], best: Regimen) -> None:
    """The best complete regimen, its score and certainty, and why, part by part."""
    tied = [r.id for r in regimens if r.score == best.score and r is not best]
    parts = " + ".join(p.id for p in best.parts)
    certainty = min(best.parts, key=lambda p: _level(p.certainty)).certainty_label
    console.print(
        f"[bold green]Best regimen:[/bold green] [bold]{escape(parts)}[/bold]  "
        f"{best.score:+d}, certainty {escape(certainty)} (its weakest part)"
        + (f"; tied with {escape(', '.join(tied))}" if tied else "")
    )
    for part in best.parts:
        line = f"  {part.id} {part.score:+d}: "
        console.print(escape(line + _why(part, console.width - len(line))))
    for pairing in best.pairing:
        cited = "; ".join(c.label for c in pairing.citations)
        console.print(escape(f"  used together {pairing.points:+d}: {cited}"))


_PART_NOUNS = {"source": "source", "route": "route", "preconditioning": "strategy"}


def _left_out(console: Console, result: Recommendation, best: Regimen) -> None:
    """Say so when the best regimen leaves out the first of a category below it: people read
    those tables as the parts of the answer. (Routes and strategies are ranked for one source:
    they are compared only when it is the regimen's.)"""
    for category, noun in _PART_NOUNS.items():
        ranked = result.ranked[category]
        if not ranked or (category != "source" and best.source.id != result.judged_for):
            continue
        firsts = [c for c in ranked if same_place(c, ranked[0])]  # tied first, if any
        part: ScoredCandidate | None = getattr(best, category)  # fields named as categories
        # Only a first place that evidence gives and that outscores the regimen's own part.
        if not firsts[0].has_evidence or firsts[0].score <= (part.score if part else 0):
            continue
        ids = {c.id for c in firsts}
        with_them = [
            r
            for r in result.regimens
            if (found := getattr(r, category)) is not None
            and found.id in ids
            and (category == "source" or r.source.id == best.source.id)
        ]
        if any(r.score == best.score for r in with_them):
            continue  # a regimen with it ties with the best: the headline names it
        judged = "" if category == "source" else f" for {best.source.id}"
        named = ", ".join(c.id for c in firsts)
        top = f"the top {noun}" if len(firsts) == 1 else f"tied first {noun}s"
        print_indented(
            console,
            f"not in it: {named} {firsts[0].score:+d}, {top}{judged}; a regimen is scored "
            "whole, and only as a study or trial combined its parts"
            + (f" (best with it: {with_them[0].id} {with_them[0].score:+d})" if with_them else ""),
        )


def _level(certainty: str) -> int:
    order = ("high", "moderate", "low", "very-low", "not-assessed")
    return -order.index(certainty) if certainty in order else -len(order)


def _category(
    title: str, candidates: tuple[ScoredCandidate, ...], top: int, unicode: bool, width: int
) -> Table:
    shown = candidates if top <= 0 else candidates[:top]
    # What is left for the reasons once rank, id, score and certainty are laid out.
    # (the columns between, with their padding, take about 36 characters)
    room = width - max(len(c.id) for c in shown) - 36
    table = Table(title=escape(title), title_justify="left", box=None, expand=True, pad_edge=False)
    table.add_column("#", justify="right", no_wrap=True, width=3)
    table.add_column("id", no_wrap=True)
    table.add_column("score", justify="right", no_wrap=True)
    table.add_column("certainty", no_wrap=True)
    table.add_column("why (points add up)", no_wrap=True, overflow="ellipsis", ratio=1)
    for c in shown:
        words = unsupported_words(c)
        label = (
            c.certainty_label if unicode else c.certainty_label.replace("⊕", "+").replace("◯", "o")
        )
        table.add_row(
            rank_label(c, candidates),
            escape(c.id),
            f"{c.score:+d}",
            escape(label),
            escape(_why(c, room)) if words is None else _unsupported(c, words, room),
        )
    rest = len(candidates) - len(shown)
    if rest:
        last = shown[-1]
        tied = sum(1 for c in candidates[len(shown) :] if same_place(c, last))
        note = f"{rest} more" + (f", {tied} of them tied with {last.id}" if tied else "")
        table.caption = note
        table.caption_justify = "left"
    return table


def _unsupported(c: ScoredCandidate, words: str, room: int) -> str:
    """The reasons cell of a candidate no direct evidence supports: the words, then the points
    it has (from indirect evidence or general traits), which add up to its score."""
    if not c.contributions:
        return f"[dim]{words}[/dim]"
    room -= len(words) + 2
    why = _why(c, room)
    if len(why) > room and len(c.contributions) > 1:  # their sum, rather than a cut reason
        why = f"{sum(x.points for x in c.contributions):+d} from {len(c.contributions)} rules"
    return f"[dim]{words}:[/dim] " + escape(why)


def _why(c: ScoredCandidate, room: int) -> str:
    """The strongest reasons that fit in ``room`` characters, then the rest summed, so that
    what is shown always adds up to the score."""
    ordered = sorted(c.contributions, key=lambda x: (-abs(x.points), x.rule))
    shown: list[str] = []
    for n, x in enumerate(ordered):
        rest = ordered[n + 1 :]
        candidate = "; ".join([*shown, _reason(x)]) + (_rest(rest) if rest else "")
        if shown and len(candidate) > room:
            return "; ".join(shown) + _rest(ordered[n:])
        shown.append(_reason(x))
    return "; ".join(shown) or "no rule fired"


def _rest(rest: list[Contribution]) -> str:
    return f"; {sum(x.points for x in rest):+d} from {len(rest)} more"


# What a count of records is, by the evidence level of the rule that counted them.
RECORD_WORDS = {
    "clinical-outcome": "clinical",
    "clinical-no-outcome": "clinical",
    "preclinical-head-to-head": "head-to-head",
    "preclinical-in-vivo": "animal",
    "in-vitro": "cell culture",
}


def _reason(x: Contribution) -> str:
    """A contribution in a few words: an evidence rule as the kind and number of records it
    counted ('+6 animal x4'), any other rule by its id (`mscadvisor rules show ID`)."""
    if x.records:
        return f"{x.points:+d} {RECORD_WORDS.get(x.level, x.level)} x{len(x.records)}"
    return f"{x.points:+d} {x.rule}"
