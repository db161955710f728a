"""Rich rationale tables for a recommendation, and plain rich tables for browsing views."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from mscadvisor.engine.errata import ErratumNote
from mscadvisor.engine.explanation import Explanation
from mscadvisor.engine.profile import shown_value
from mscadvisor.engine.ranking import unsupported_why, unsupported_words
from mscadvisor.engine.result import (
    CATEGORY_TITLES,
    DISCLAIMER,
    Contribution,
    Notice,
    Recommendation,
    ScoredCandidate,
)
from mscadvisor.engine.whatif import TopChange, WhatIf
from mscadvisor.render.output import print_indented, symbols, unicode_ok
from mscadvisor.render.ranks import place, rank_label
from mscadvisor.render.views import Column, Row, View

BAR_WIDTH = 10
NARROW_BAR_WIDTH = 5  # where the full bar would leave a column too narrow for its words
STRONGEST_REASONS = 3
CAVEATS_SHOWN = 3
# Narrower than this, a contribution's level and citations go under its reason: five columns
# at 80 split their words ("precli nical-in-viv o").
CONTRIBUTION_COLUMNS_WIDTH = 120


def _print_records(console: Console, view: View) -> None:
    """Each row as labelled lines, a blank line between rows, so that long values (links, rule
    text) stay whole and no word is split; links are terminal hyperlinks where the terminal
    supports them."""
    console.print(f"[bold]{escape(view.title)}[/bold]")
    for n, row in enumerate(view.rows):
        if n:
            console.print()
        for column in view.columns:
            value = column.cell(row)
            shown = (
                f"[link={value}]{escape(value)}[/link]"
                if value.startswith("https://")
                else escape(value)
            )
            console.print(f"[dim]{escape(column.header)}:[/dim] {shown}", soft_wrap=column.whole)
    console.print(f"{len(view.rows)} row(s)", style="dim")


def _narrowest(column: Column, rows: list[Row]) -> int:
    """The narrowest a column may be: its longest line for ids and links, else its longest
    word (the header's too), so that it wraps between words."""
    cells = [column.cell(row) for row in rows]
    header = _longest_word([column.header])
    if column.whole:
        return max([header, *(len(line) for cell in cells for line in cell.splitlines())])
    return max(header, _longest_word(cells))


def _spread(widths: list[int], ratios: list[int], spare: int) -> list[int]:
    """The widths with ``spare`` columns of room shared out by ratio, the remainder one by one
    from the first."""
    total = sum(ratios)
    if not total:
        return widths
    shares = [spare * ratio // total for ratio in ratios]
    left = spare - sum(shares)
    for n, ratio in enumerate(ratios):
        if left and ratio:
            shares[n] += 1
            left -= 1
    return [width + share for width, share in zip(widths, shares, strict=True)]


def _linked(c: Contribution) -> str:
    """A contribution's citations as rich markup: each label a hyperlink to its DOI (else its
    PubMed or registry page) where it has one, so terminals that support links and the HTML
    export make them clickable; the text is the label either way."""
    parts = []
    for v in c.citations:
        url = v.doi_url or v.pubmed_url or v.trial_url
        parts.append(f"[link={url}]{escape(v.label)}[/link]" if url else escape(v.label))
    return "; ".join(parts)


def _longest(ids: Iterable[str]) -> int:
    """The width that keeps every id of a column whole."""
    return max((len(i) for i in ids), default=0)


# The narrowest a column of text beside rule ids may get before the ids fold instead.
NARROWEST_TEXT = 20


def _edges(columns: int) -> int:
    """The width a table's lines take besides its cells: a border before each column and
    after the last, and a space either side of each cell."""
    return 3 * columns + 1


def _add_rule_column(table: Table, rule_ids: Sequence[str], room: int) -> int | None:
    """A column of rule ids, each whole where ``room`` (the screen left for the ids and the
    text beside them) leaves the text NARROWEST_TEXT; else the ids fold. The ratio the text
    column then takes, to share the width with them (None: it takes the rest)."""
    width = _longest(rule_ids)
    if width + NARROWEST_TEXT <= room:
        table.add_column("Rule", no_wrap=True, min_width=width)
        return None
    table.add_column("Rule", overflow="fold", ratio=2)
    return 3


def _longest_word(texts: Iterable[str]) -> int:
    """The width that lets a column wrap between words without splitting one."""
    return _longest(word for text in texts for word in text.split())


def print_view(console: Console, view: View) -> None:
    """A listing as a table, or as labelled lines per row when it is one row or when its
    columns cannot all keep their ids whole and their words unsplit on this screen."""
    narrowest = [_narrowest(column, view.rows) for column in view.columns]
    spare = _room(narrowest, console.width)
    if len(view.rows) == 1 or spare < 0:
        _print_records(console, view)
        return
    # The room left goes to the columns that wrap, by their ratios. (Set here: rich's own
    # ratios can round a column below its minimum and then split its longest word.)
    ratios = [0 if column.whole else column.ratio for column in view.columns]
    table = Table(title=view.title, show_lines=True)
    for column, width in zip(view.columns, _spread(narrowest, ratios, spare), strict=True):
        table.add_column(column.header, width=width, no_wrap=column.whole, overflow="fold")
    for row in view.rows:
        table.add_row(*(escape(column.cell(row)) for column in view.columns))
    console.print(table)
    console.print(f"{len(view.rows)} row(s)", style="dim")


def print_recommendation(console: Console, result: Recommendation, top: int, explain: bool) -> None:
    console.print(f"[bold]{escape(result_title(result))}[/bold]")
    console.print(f"Profile: {escape(result.profile.describe())}", style="dim")
    console.print(Text(DISCLAIMER, style="italic yellow"))
    for category, title in CATEGORY_TITLES.items():
        candidates = result.ranked[category]
        shown = candidates if top <= 0 else candidates[:top]
        judged = f", for {result.judged_for}" if category != "source" and result.judged_for else ""
        unicode = unicode_ok(console)
        table = _category_table(title + judged, shown, len(candidates), unicode, console.width)
        if table is None:
            _print_category_lines(console, title + judged, shown, len(candidates), unicode)
        else:
            console.print(table)
        if explain:
            for candidate in shown:
                _print_contributions(console, candidate)
                if candidate.evidence:
                    console.print(_evidence_table(candidate))
    if result.regimens:
        console.print(_regimen_table(result, len(result.regimens)))
    if result.excluded:
        table = Table(title="Excluded candidates", expand=True, show_lines=True)
        # No ratios: rich then measures the cells and wraps between words where it can; the
        # category goes under the label so that three columns and a whole rule id fit 80 wide.
        for header in ("Candidate", "Reason"):
            table.add_column(header, overflow="fold")
        table.add_column("Rule", no_wrap=True, min_width=_longest(e.rule for e in result.excluded))
        for e in result.excluded:
            table.add_row(f"{escape(e.label)}\n[dim]{e.category}[/dim]", escape(e.reason), e.rule)
        console.print(table)
    _print_warnings(console, result.warnings)
    knowledge = f"{result.knowledge_base['version']}, sha256 {result.knowledge_base['sha256'][:12]}"
    console.print(
        "Score = base + sum of contributions (--explain shows them and the evidence). "
        "Candidates with evidence rank first; then score, certainty, study design, id. "
        f"Routes and preconditioning are judged for one source (--source). "
        f"Knowledge base {knowledge}.",
        style="dim",
    )


def _category_table(
    title: str, shown: tuple[ScoredCandidate, ...], total: int, unicode: bool, width: int
) -> Table | None:
    """The candidates of a category with their scores, certainty and strongest reasons, each
    column at least as wide as its longest word. Where that leaves too little room, the
    certainty ledger (which may hold a rule id) goes under the reasons, then the score bar
    shortens; None when the table cannot fit even so (``_print_category_lines`` then)."""
    caption = f"showing {len(shown)} of {total}" if len(shown) < total else None
    labels = [symbols(c.certainty_label, unicode) for c in shown]
    ledgers = [_ledger(c) for c in shown]
    narrowest = [
        3,
        _longest_word(_candidate_lines(c) for c in shown),
        _longest(f"{c.score:+d} " for c in shown) + BAR_WIDTH,
        _longest_word(["Certainty", *labels, *(r for ledger in ledgers for r in ledger)]),
        _longest_word(["Strongest", *(" ".join(_reason_lines(c, unicode)) for c in shown)]),
    ]
    ledger_apart = _room(narrowest, width) < 0
    if ledger_apart:
        narrowest[3] = _longest_word(["Certainty", *labels])
        ledger_words = ["certainty:", *(r for ledger in ledgers for r in ledger)]
        narrowest[4] = max(narrowest[4], _longest_word(ledger_words))
    bar = BAR_WIDTH if _room(narrowest, width) >= 0 else NARROW_BAR_WIDTH
    narrowest[2] += bar - BAR_WIDTH
    if _room(narrowest, width) < 0:
        return None
    widths = _spread(narrowest, [0, 3, 0, 2, 7], _room(narrowest, width))
    table = Table(title=title, caption=caption, show_lines=True)
    table.add_column("#", justify="right", width=widths[0])
    table.add_column("Candidate", overflow="fold", width=widths[1])
    table.add_column("Score", no_wrap=True, width=widths[2])
    table.add_column("Certainty", overflow="fold", width=widths[3])
    table.add_column("Strongest reasons (points add up)", overflow="fold", width=widths[4])
    peak = max((abs(c.score) for c in shown), default=0) or 1
    for c, label, ledger in zip(shown, labels, ledgers, strict=True):
        ledger_lines = "".join(
            f"\n[dim]{'certainty: ' if ledger_apart else ''}{escape(r)}[/dim]" for r in ledger
        )
        table.add_row(
            rank_label(c, shown),
            escape(c.label)
            + ("" if (words := unsupported_words(c)) is None else f"\n[italic]{words}[/italic]")
            + "".join(f"\n[dim]{escape(v)}[/dim]" for v in _caveats(c)),
            _score_cell(c.score, peak, unicode, bar),
            escape(label) + ("" if ledger_apart else ledger_lines),
            _reasons(c, unicode) + (ledger_lines if ledger_apart else ""),
        )
    return table


def _candidate_lines(c: ScoredCandidate) -> str:
    """What a candidate's cell says: its label, why it ranks after those with evidence, and
    the caveats shown."""
    words = unsupported_words(c)
    return " ".join([c.label, words or "", *_caveats(c)])


def _caveats(c: ScoredCandidate) -> tuple[str, ...]:
    """The caveats shown under a candidate."""
    return c.caveats[:CAVEATS_SHOWN]


def _ledger(c: ScoredCandidate) -> tuple[str, ...]:
    """The certainty steps shown under its level: the first two ratings down (the ledger's
    first line, the starting level, is what the level already says)."""
    return c.certainty_reasons[1:3]


def _print_category_lines(
    console: Console, title: str, shown: tuple[ScoredCandidate, ...], total: int, unicode: bool
) -> None:
    """A category too wide for its table on this screen: each candidate on a line (rank, label,
    score, certainty) with its reasons, certainty steps and caveats indented under it."""
    console.print(f"[bold]{escape(title)}[/bold]")
    for c in shown:
        head = f"{rank_label(c, shown):>3} {c.label}  {c.score:+d}  "
        print_indented(console, head + symbols(c.certainty_label, unicode), style="", indent=0)
        words = unsupported_words(c)
        lines = [words] if words else []
        lines += _reason_lines(c, unicode)
        lines += [f"certainty: {r}" for r in _ledger(c)]
        lines += [f"caveat: {v}" for v in _caveats(c)]
        for line in lines:
            print_indented(console, line, indent=4)
    if len(shown) < total:
        console.print(f"showing {len(shown)} of {total}", style="dim")


def _room(widths: list[int], screen: int) -> int:
    """What is left of the screen for a table of columns this wide (with borders and padding)."""
    return screen - (sum(widths) + 3 * len(widths) + 1)


def _score_cell(score: int, peak: int, unicode: bool, width: int) -> Text:
    filled = round(width * abs(score) / peak)
    full, empty = ("█", "·") if unicode else ("#", ".")
    bar = full * filled + empty * (width - filled)
    style = "green" if score > 0 else "red" if score < 0 else "dim"
    return Text.assemble((f"{score:+d} ", "bold"), (bar, style))


def _reasons(candidate: ScoredCandidate, unicode: bool) -> str:
    """The strongest reasons with linked citations, then the rest as one summed line ("… 2 more
    (+3)"), and the base when it is not zero: the points shown always add up to the score."""
    strongest, rest = _strongest(candidate)
    lines = [f"{c.points:+d} {escape(c.reason)} [dim]({_linked(c)})[/dim]" for c in strongest]
    lines += [f"[dim]{escape(line)}[/dim]" for line in _beyond(candidate, rest, unicode)]
    return "\n".join(lines) or "[dim]no rule fired[/dim]"


def _reason_lines(candidate: ScoredCandidate, unicode: bool) -> list[str]:
    """What ``_reasons`` shows, as plain lines."""
    strongest, rest = _strongest(candidate)
    lines = [
        f"{c.points:+d} {c.reason} ({'; '.join(v.label for v in c.citations)})" for c in strongest
    ]
    return lines + _beyond(candidate, rest, unicode) or ["no rule fired"]


def _strongest(candidate: ScoredCandidate) -> tuple[list[Contribution], list[Contribution]]:
    """A candidate's contributions, largest first: the strongest, and the rest."""
    ordered = sorted(candidate.contributions, key=lambda c: (-abs(c.points), c.rule))
    return ordered[:STRONGEST_REASONS], ordered[STRONGEST_REASONS:]


def _beyond(candidate: ScoredCandidate, rest: list[Contribution], unicode: bool) -> list[str]:
    """After the strongest reasons: the rest summed, and the base when it is not zero."""
    lines = []
    if rest:
        more = "…" if unicode else "..."
        lines.append(f"{more} {len(rest)} more ({sum(c.points for c in rest):+d})")
    if candidate.base:
        lines.append(f"base {candidate.base:+d}")
    return lines


def _evidence_table(candidate: ScoredCandidate) -> Table:
    """Every study or trial that tested the candidate: what it was, what it found, and whether
    it is direct evidence or what differs."""
    table = Table(title=f"{escape(candidate.label)}: the evidence", expand=True)
    table.add_column("Study", ratio=3, overflow="fold")
    table.add_column("Design", ratio=3, overflow="fold")
    table.add_column("Found", ratio=2, overflow="fold")
    table.add_column("Fit", ratio=5, overflow="fold")
    for u in candidate.evidence:
        design = u.grade.replace("-", " ") + (f", n={u.size}" if u.size else "")
        fit = "direct" if u.direct else "indirect: " + "; ".join(u.differs)
        table.add_row(escape(u.citation.label), design, u.role, escape(fit))
    return table


def _print_contributions(console: Console, candidate: ScoredCandidate) -> None:
    """A candidate's contributions as a table, or one line when no rule fired for it."""
    if candidate.contributions:
        console.print(_contribution_table(candidate, console.width))
    else:
        console.print(
            f"{escape(candidate.label)}: no rule fired, score {candidate.score:+d} = base "
            f"{candidate.base:+d}"
        )


def _contribution_table(candidate: ScoredCandidate, width: int) -> Table:
    """Every contribution of a candidate (it has one at least): level and citations in columns
    of their own on a wide screen, else under the reason."""
    columns = width >= CONTRIBUTION_COLUMNS_WIDTH
    table = Table(
        title=f"{escape(candidate.label)}: every contribution",
        caption=f"score {candidate.score:+d} = base {candidate.base:+d} + "
        + " ".join(f"({c.points:+d})" for c in candidate.contributions),
        expand=True,
    )
    table.add_column("Points", justify="right", width=6)
    # Beside the points: the narrow layout's three columns' edges and the points' own width.
    shared = _add_rule_column(
        table, [c.rule for c in candidate.contributions], width - _edges(3) - 6
    )
    if columns:
        table.add_column("Reason", ratio=6, overflow="fold")
        # A level is one id: as wide as the longest, so that it is never cut.
        level_width = max(len(c.level) for c in candidate.contributions)
        table.add_column("Level", width=level_width, overflow="fold")
        table.add_column("Citations", ratio=3, overflow="fold")
    else:
        table.add_column("Reason [dim](level; citations)[/dim]", overflow="fold", ratio=shared)
    for c in candidate.contributions:
        reason = escape(c.reason) + (
            f"\n[italic]assumption: {escape(c.assumption)}[/italic]" if c.assumption else ""
        )
        if columns:
            table.add_row(f"{c.points:+d}", c.rule, reason, c.level, _linked(c))
        else:
            source = "; ".join(part for part in (c.level, _linked(c)) if part)
            table.add_row(f"{c.points:+d}", c.rule, f"{reason}\n[dim]({source})[/dim]")
    return table


def _regimen_table(result: Recommendation, count: int) -> Table:
    table = Table(
        title="Complete regimens (parts the evidence used together)",
        show_lines=True,
        expand=True,
        caption="score = source + route + preconditioning + pairing; '=' marks a tie",
    )
    table.add_column("#", justify="right", width=3)
    shown = result.regimens[:count]
    table.add_column("Regimen", no_wrap=True, min_width=_longest(r.id for r in shown))
    # The score leads its sum rather than taking a column, so the ids fit whole at 80 wide.
    table.add_column("Score = parts + pairing", overflow="fold")
    table.add_column("Used together in", overflow="fold")
    for r in shown:
        table.add_row(
            rank_label(r, result.regimens),
            escape(r.id),
            escape(f"{r.score:+d} = {r.sum_text()}"),
            escape("; ".join(c.label for c in r.paired_by)),
        )
    return table


def _print_warnings(console: Console, warnings: Iterable[Notice], side: str = "") -> None:
    """Each warning with its citations; ``side``: which side of a what-if it is about."""
    for w in warnings:
        cited = "; ".join(c.label for c in w.citations)
        console.print(
            f"[yellow]warning{escape(side)}[/yellow] {escape(w.message)}"
            + (f" [dim]({escape(cited)})[/dim]" if cited else "")
        )


def print_what_if(console: Console, comparison: WhatIf, top: int) -> None:
    baseline, changed = comparison.baseline, comparison.changed
    before_values, after_values = baseline.profile.shown(), changed.profile.shown()
    changes = (
        ", ".join(
            f"{k}: {v} -> {after_values[k]}"
            for k, v in before_values.items()
            if after_values[k] != v
        )
        or "no change (the profile already has these values)"
    )
    console.print(f"[bold]What if[/bold] ({escape(result_title(baseline))}): {escape(changes)}")
    console.print(Text(DISCLAIMER, style="italic yellow"))
    for category, title in CATEGORY_TITLES.items():
        before, after = baseline.ranked[category], changed.ranked[category]
        rows = max(len(before), len(after)) if top <= 0 else min(top, max(len(before), len(after)))
        table = Table(title=escape(title + _judged_for(category, baseline, changed)), expand=True)
        table.add_column("#", justify="right", width=3)
        table.add_column("Baseline", ratio=3, overflow="fold")
        table.add_column("What if", ratio=3, overflow="fold")
        # With a ratio, ``width`` is the least: the header whole (it cut to "Move (r…" at 80).
        table.add_column("Move (ranks)", ratio=1, no_wrap=True, width=len("Move (ranks)"))
        old_rank = {c.id: c.rank for c in before}
        for n in range(rows):
            b = before[n] if n < len(before) else None
            a = after[n] if n < len(after) else None
            move = ""
            if a is not None:
                was = old_rank.get(a.id)
                move = "new" if was is None else _move(was - a.rank)
            table.add_row(
                str(n + 1),
                f"{escape(b.label)} {b.score:+d}" if b else "",
                f"{escape(a.label)} {a.score:+d}" if a else "",
                move,
            )
        console.print(table)
    before_warnings, after_warnings = baseline.warnings, changed.warnings
    _print_warnings(console, (w for w in before_warnings if w in after_warnings))
    _print_warnings(console, (w for w in before_warnings if w not in after_warnings), " (baseline)")
    _print_warnings(console, (w for w in after_warnings if w not in before_warnings), " (what if)")
    console.print(
        f"{len(comparison.moved)} candidate(s) changed rank or score. Move: how many ranks the "
        "candidate on the what-if side went up or down from its baseline rank; new: not ranked "
        "in the baseline.",
        style="dim",
    )


def _move(up: int) -> str:
    """A change of rank in words: 'up 2', 'down 1' or 'same'."""
    return "same" if up == 0 else f"up {up}" if up > 0 else f"down {-up}"


def _judged_for(category: str, baseline: Recommendation, changed: Recommendation) -> str:
    """Which source each side judged routes or strategies for."""
    if category == "source" or not (baseline.judged_for or changed.judged_for):
        return ""
    if baseline.judged_for != changed.judged_for:
        return f" (for {baseline.judged_for} -> for {changed.judged_for})"
    return f", for {baseline.judged_for}"


def result_title(result: Recommendation) -> str:
    return f"{result.disease}: {result.disease_name}"


def print_explanation(console: Console, e: Explanation) -> None:
    result = e.recommendation
    c = e.candidate
    name = c.label if c else next(x.label for x in e.exclusions)
    console.print(f"[bold]{escape(name)}[/bold] ({e.category}) for {escape(result_title(result))}")
    console.print(Text(DISCLAIMER, style="italic yellow"))
    if c is None:
        for x in e.exclusions:
            console.print(
                f"[red]Excluded[/red] by {x.rule}: {escape(x.reason)} "
                f"[dim]({escape('; '.join(v.label for v in x.citations))})[/dim]"
            )
    else:
        judged = f", judged for {result.judged_for}" if e.category != "source" else ""
        console.print(
            f"{escape(place(c, result.ranked[e.category]))}{judged}, score {c.score:+d}, "
            f"certainty: {escape(symbols(c.certainty_label, unicode_ok(console)))}"
            + (f" ({why})" if (why := unsupported_why(c)) else "")
        )
        # Indented as a block, so that a line the screen wraps stays under its own.
        for line in (
            *(f"certainty {step}" for step in c.certainty_reasons),
            *(f"caveat: {caveat}" for caveat in c.caveats),
        ):
            print_indented(console, line)
        _print_contributions(console, c)
        if c.evidence:
            console.print(_evidence_table(c))
    _print_errata(console, e.errata)
    if e.not_fired:
        table = Table(title="Rules that could apply but did not fire (why not)", expand=True)
        effect_width = _longest_word(["Effect", *(n.effect for n in e.not_fired)])
        rules = [n.rule for n in e.not_fired]
        _add_rule_column(table, rules, console.width - _edges(3) - effect_width)
        table.add_column("Effect", ratio=1, width=effect_width)
        table.add_column("Failed condition", ratio=5, overflow="fold")
        for n in e.not_fired:
            table.add_row(n.rule, n.effect, escape("; ".join(n.failed)))
        console.print(table)
    if e.top is not None and c is not None and e.top.id != c.id:
        table = Table(
            title=f"Why not first: {escape(e.top.label)} {e.top.score:+d} vs {c.score:+d}",
            caption=f"gap {e.top.score - c.score} = sum of differences"
            + (f"; {e.tie_break}" if e.tie_break else ""),
            expand=True,
        )
        # Ids whole where the screen has room; else every column folds, so nothing is cut off.
        heads = (e.top.id, c.id, "Gap")  # "Gap": each rule's part of the gap
        rule_width = _longest(g.rule for g in e.gap)
        if rule_width + sum(map(len, heads)) + _edges(4) <= console.width:
            table.add_column("Rule", no_wrap=True, min_width=rule_width, ratio=1)
            for head in heads:
                table.add_column(head, justify="right", no_wrap=True, min_width=len(head))
        else:
            table.add_column("Rule", overflow="fold", ratio=2)
            for head in heads:
                table.add_column(head, justify="right", overflow="fold", ratio=1, min_width=3)
        for g in e.gap:
            table.add_row(
                g.rule, f"{g.top_points:+d}", f"{g.candidate_points:+d}", f"{g.difference:+d}"
            )
        console.print(table)


def _print_errata(console: Console, errata: Sequence[ErratumNote]) -> None:
    """Each erratum on what the candidate was judged on: what of it the erratum is about,
    where the review contradicts itself, both readings and the one used."""
    if not errata:
        return
    console.print(
        "[bold]Errata[/bold]: where the review contradicts itself about what this rests on"
    )
    for note in errata:
        e = note.erratum
        print_indented(console, f"{e.id}, on {'; '.join(v.label for v in note.on)}", hang=2)
        print_indented(console, e.where, indent=4, hang=2)
        for reading in e.readings:
            print_indented(console, f"- {reading}", indent=4, hang=2)
        print_indented(console, f"reading used: {e.used}", indent=4, hang=2)


def print_sensitivity(console: Console, changes: Sequence[TopChange]) -> None:
    if not changes:
        console.print("No single-field change alters the top choice of any category.")
        return
    table = Table(title="Sensitivity: single-field changes that change a top choice", expand=True)
    rows = [
        [f"{ch.field}={shown_value(ch.value)}", ch.category, ch.before or "-", ch.after or "-"]
        for ch in changes
    ]
    # A change too long for what the other columns leave goes on two lines, after its "=", so
    # that rich need not cut an id.
    room = console.width - _edges(4) - sum(max(len(row[n]) for row in rows) for n in (1, 2, 3))
    for row in rows:
        if len(row[0]) > room:
            field, _, value = row[0].partition("=")
            row[0] = f"{field}=\n{value}"
    for header in ("Change", "Category", "Top now", "Top after"):
        table.add_column(header, overflow="fold")
    for row in rows:
        table.add_row(*row)
    console.print(table)
