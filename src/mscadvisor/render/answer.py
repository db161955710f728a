"""The answer at a glance: what `recommend` prints by default on a terminal.

The best complete regimen first, with its score, certainty and the reasons that decide it; the
warnings about the profile and the evidence; then a few rows per category, one line each, with
the ids that `explain -c` takes, honest ties, and reasons that add up to the score. The full
rationale tables are one flag away (`--detail`, `--explain`) and in `--export`.

The answer is made as blocks (``blocks``): rich draws them on a terminal, and they are written
as plain lines to a file or a pipe, where rich would add nothing but its import and layout time.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING

from mscadvisor.engine.ranking import unsupported_words
from mscadvisor.engine.result import (
    CATEGORY_TITLES,
    DISCLAIMER_SHORT,
    Contribution,
    Recommendation,
    Regimen,
    ScoredCandidate,
)
from mscadvisor.render import output
from mscadvisor.render.blocks import Block, Grid, GridColumn, Line, Run, Runs
from mscadvisor.render.ranks import rank_label, same_place

if TYPE_CHECKING:
    from rich.console import Console


def write_answer(result: Recommendation, top: int) -> None:
    """The answer on stdout: plain lines where no colour is wanted off a terminal, else (or
    where the plain writer declines a block) drawn by rich."""
    stream = sys.stdout
    if not output.is_terminal(stream) and not output.wants_color(stream):
        from mscadvisor.render.blocks_plain import laid_out

        width = output.text_width(stream)
        unicode = output.unicode_encoding(output.encoding_of(stream))
        text = laid_out(answer_blocks(result, top, unicode, width), width)
        if text is not None:
            output.write_plain(text)
            return
    console = output.console()
    print_answer(console, result, top, output.unicode_ok(console))


def print_answer(console: Console, result: Recommendation, top: int, unicode: bool) -> None:
    from mscadvisor.render.blocks_rich import print_blocks

    print_blocks(console, answer_blocks(result, top, unicode, console.width))


def answer_blocks(result: Recommendation, top: int, unicode: bool, width: int) -> list[Block]:
    """The answer for a screen ``width`` wide (reasons are chosen to fit it)."""
    blocks: list[Block] = [Line((Run(f"{result.disease}: {result.disease_name}", "bold"),))]
    shown = {k: v for k, v in result.profile.shown().items() if v not in ("-", "any", "no")}
    if shown:
        described = ", ".join(f"{k}={v}" for k, v in shown.items())
        blocks.append(Line((Run(f"Profile: {described}"),), style="dim"))
    blocks.append(Line((Run(DISCLAIMER_SHORT, "italic yellow"),)))
    if result.regimens:
        blocks += _headline(result.regimens, result.regimens[0], unicode, width)
        blocks += _left_out(result, result.regimens[0])
    for w in result.warnings:
        blocks.append(Line((Run("warning", "yellow"), Run(f" {w.message}"))))
    for category, title in CATEGORY_TITLES.items():
        candidates = result.ranked[category]
        if not candidates:
            continue
        judged = f" for {result.judged_for}" if category != "source" and result.judged_for else ""
        blocks.append(_category(f"{title}{judged}", candidates, top, unicode, width))
        if category == "source":
            blocks += _caveats(candidates if top <= 0 else candidates[:top])
    blocks += _excluded(result)
    footer = (
        "'=' tied on evidence and score, listed by certainty, design, id · --detail: every "
        "rule and study · explain -c ID"
    )
    blocks.append(Line((Run(footer),), style="dim"))
    return blocks


def _caveats(shown: tuple[ScoredCandidate, ...]) -> list[Block]:
    """The caveats that travel with the sources shown, each once, with whom it concerns (those
    that concern the same sources together): whole, wrapped under their first line, for a
    safety caveat is never cut short."""
    concerns: dict[str, list[str]] = {}
    for c in shown:
        for caveat in c.caveats:
            concerns.setdefault(caveat, []).append(c.id)
    by_sources: dict[tuple[str, ...], list[str]] = {}
    for caveat, ids in concerns.items():
        by_sources.setdefault(tuple(ids), []).append(caveat)
    return [
        Line(
            (
                Run(f"caveat{'s' if len(caveats) > 1 else ''} ({', '.join(ids)}):", "dim"),
                Run(f" {'. '.join(c.rstrip('.') for c in caveats)}."),
            ),
            indent=2,
            hang=2,
        )
        for ids, caveats in by_sources.items()
    ]


def _excluded(result: Recommendation) -> list[Block]:
    """The excluded candidates, grouped by the rule that excluded them."""
    by_rule: dict[str, list[str]] = {}
    reasons: dict[str, str] = {}
    for e in result.excluded:
        by_rule.setdefault(e.rule, []).append(e.id)
        reasons[e.rule] = e.reason
    return [
        Line(
            (
                Run("excluded:", "dim"),
                Run(f" {', '.join(ids)} "),
                Run(f"({rule}: {reasons[rule]})", "dim"),
            )
        )
        for rule, ids in by_rule.items()
    ]


def _headline(
    regimens: tuple[Regimen, ...], best: Regimen, unicode: bool, width: int
) -> list[Block]:
    """The best complete regimen, its score and certainty, and why, part by part."""
    tied = [r.id for r in regimens if r.score == best.score and r is not best]
    parts = " + ".join(p.id for p in best.parts)
    weakest = min(best.parts, key=lambda p: _level(p.certainty))
    certainty = output.symbols(weakest.certainty_label, unicode)
    said = f"  {best.score:+d}, certainty {certainty} (its weakest part)"
    blocks: list[Block] = [
        Line(
            (
                Run("Best regimen:", "bold green"),
                Run(" "),
                Run(parts, "bold"),
                Run(said + (f"; tied with {', '.join(tied)}" if tied else "")),
            )
        )
    ]
    for part in best.parts:
        head = f"  {part.id} {part.score:+d}: "
        blocks.append(Line((Run(head + _why(part, width - len(head))),)))
    for pairing in best.pairing:
        cited = "; ".join(c.label for c in pairing.citations)
        blocks.append(Line((Run(f"  used together {pairing.points:+d}: {cited}"),)))
    return blocks


_PART_NOUNS = {"source": "source", "route": "route", "preconditioning": "strategy"}


def _left_out(result: Recommendation, best: Regimen) -> list[Block]:
    """Say so when the best regimen leaves out the first of a category below it: people read
    those tables as the parts of the answer. (Routes and strategies are ranked for one source:
    they are compared only when it is the regimen's.)"""
    blocks: list[Block] = []
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
        said = (
            f"not in it: {named} {firsts[0].score:+d}, {top}{judged}; a regimen is scored "
            "whole, and only as a study or trial combined its parts"
            + (f" (best with it: {with_them[0].id} {with_them[0].score:+d})" if with_them else "")
        )
        blocks.append(Line((Run(said),), style="dim", indent=2))
    return blocks


def _level(certainty: str) -> int:
    order = ("high", "moderate", "low", "very-low", "not-assessed")
    return -order.index(certainty) if certainty in order else -len(order)


# The answer's columns: the rank ('=' where tied), the id, the score, the certainty and the
# strongest reasons, which take the rest of the line.
_COLUMNS = (
    GridColumn("#", right=True, width=3),
    GridColumn("id"),
    GridColumn("score", right=True),
    GridColumn("certainty"),
    GridColumn("why (points add up)", rest=True),
)


def _category(
    title: str, candidates: tuple[ScoredCandidate, ...], top: int, unicode: bool, width: int
) -> Grid:
    shown = candidates if top <= 0 else candidates[:top]
    # What is left for the reasons once rank, id, score and certainty are laid out.
    # (the columns between, with their padding, take about 36 characters)
    room = width - max(len(c.id) for c in shown) - 36
    rows = []
    for c in shown:
        words = unsupported_words(c)
        rows.append(
            (
                (Run(rank_label(c, candidates)),),
                (Run(c.id),),
                (Run(f"{c.score:+d}"),),
                (Run(output.symbols(c.certainty_label, unicode)),),
                (Run(_why(c, room)),) if words is None else _unsupported(c, words, room),
            )
        )
    caption = ""
    rest = len(candidates) - len(shown)
    if rest:
        last = shown[-1]
        tied = sum(1 for c in candidates[len(shown) :] if same_place(c, last))
        caption = f"{rest} more" + (f", {tied} of them tied with {last.id}" if tied else "")
    return Grid(title, _COLUMNS, tuple(rows), caption)


def _unsupported(c: ScoredCandidate, words: str, room: int) -> Runs:
    """The reasons cell of a candidate no direct evidence supports: the words, then the points
    it has (from indirect evidence or general traits), which add up to its score."""
    if not c.contributions:
        return (Run(words, "dim"),)
    room -= len(words) + 2
    why = _why(c, room)
    if len(why) > room and len(c.contributions) > 1:  # their sum, rather than a cut reason
        why = f"{sum(x.points for x in c.contributions):+d} from {len(c.contributions)} rules"
    return Run(f"{words}:", "dim"), Run(f" {why}")


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
