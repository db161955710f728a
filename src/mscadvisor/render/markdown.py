"""The rationale as Markdown, for lab notebooks and reports.

A document is made safe as a whole (``markdown_text``): its only HTML is the ``<br>`` of a
table cell, so control characters and any other tag come from data and are shown as text.
"""

from __future__ import annotations

from mscadvisor.engine.explanation import Explanation
from mscadvisor.engine.profile import shown_value
from mscadvisor.engine.ranking import unsupported_why, unsupported_words
from mscadvisor.engine.result import (
    CATEGORY_TITLES,
    DISCLAIMER,
    RANKING_ORDER,
    Recommendation,
    ScoredCandidate,
)
from mscadvisor.render.printable import markdown_text
from mscadvisor.render.ranks import place, rank_label


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _label(c: ScoredCandidate) -> str:
    """The candidate, whether evidence supports it, and the caveats that travel with it."""
    parts = [_cell(c.label)]
    words = unsupported_words(c)
    if words is not None:
        parts.append(f"_{words}_")
    parts += [f"_{_cell(v)}_" for v in c.caveats]
    return "<br>".join(parts)


def _document(lines: list[str]) -> str:
    return markdown_text("\n".join(lines) + "\n")


def _score_sum(c: ScoredCandidate) -> str:
    """'Score +8 = base +0 + (+6) (+2)', or that no rule fired."""
    if not c.contributions:
        return f"Score {c.score:+d} = base {c.base:+d}: no rule fired."
    return f"Score {c.score:+d} = base {c.base:+d} + " + " ".join(
        f"({x.points:+d})" for x in c.contributions
    )


def _table(header: str, align: str, rows: list[str]) -> list[str]:
    """A Markdown table's lines and the blank line after it."""
    return [header, align, *rows, ""]


def recommendation_markdown(result: Recommendation, top: int, explain: bool) -> str:
    lines = [
        f"# {result.disease}: {result.disease_name}",
        "",
        f"> {DISCLAIMER}",
        "",
        f"Profile: {result.profile.describe()}",
        "",
    ]
    for category, title in CATEGORY_TITLES.items():
        candidates = result.ranked[category]
        shown = candidates if top <= 0 else candidates[:top]
        rows = []
        for c in shown:
            reasons = "<br>".join(
                f"{x.points:+d} {_cell(x.reason)} ({_cell(x.cited())})" for x in c.contributions
            )
            rows.append(
                f"| {rank_label(c, shown)} | {_label(c)} | {c.score:+d} | "
                f"{_cell(c.certainty_label)} | {reasons or 'no rule fired'} |"
            )
        if len(shown) < len(candidates):
            rows.append(f"\n_Showing {len(shown)} of {len(candidates)}._")
        judged = f", for {result.judged_for}" if category != "source" and result.judged_for else ""
        lines += [f"## {title}{judged}", ""]
        lines += _table(
            "| # | Candidate | Score | Certainty | Reasons |", "|---:|---|---:|---|---|", rows
        )
        if explain:
            for c in shown:
                lines += [f"### {c.label}", "", _score_sum(c), ""]
                if c.contributions:
                    lines += _table(
                        "| Points | Rule | Level | Citations |",
                        "|---:|---|---|---|",
                        [
                            f"| {x.points:+d} | `{x.rule}` | {x.level} | {_cell(x.cited())} |"
                            for x in c.contributions
                        ],
                    )
    if result.regimens:
        lines += ["## Complete regimens", ""]
        lines += _table(
            "| # | Regimen | Score | Parts | Paired by |",
            "|---:|---|---:|---|---|",
            [
                f"| {rank_label(r, result.regimens)} | {_cell(r.id)} | {r.score:+d} | "
                f"{_cell(r.sum_text())} | {_cell('; '.join(c.label for c in r.paired_by))} |"
                for r in result.regimens
            ],
        )
    if result.excluded:
        lines += ["## Excluded", ""]
        lines += _table(
            "| Category | Candidate | Reason | Rule |",
            "|---|---|---|---|",
            [
                f"| {e.category} | {_cell(e.label)} | {_cell(e.reason)} | `{e.rule}` |"
                for e in result.excluded
            ],
        )
    if result.warnings:
        lines += ["## Warnings", ""]
        lines += [f"- {w.message}" for w in result.warnings]
        lines.append("")
    lines.append(
        f"_Score = base + sum of contributions. Ranking: {'; then '.join(RANKING_ORDER)}. "
        f"Knowledge base "
        f"{result.knowledge_base['version']}, sha256 `{result.knowledge_base['sha256']}`._"
    )
    return _document(lines)


def explanation_markdown(e: Explanation) -> str:
    """One candidate's explanation: its rank and certainty ledger, every contribution, the
    evidence and the errata on it, the rules that did not fire and why, and the gap to the first
    (or its exclusion), with the sensitivity when it was asked for."""
    result = e.recommendation
    c = e.candidate
    name = c.label if c else next(x.label for x in e.exclusions)
    lines = [
        f"# {name} ({e.category}) for {result.disease}: {result.disease_name}",
        "",
        f"> {DISCLAIMER}",
        "",
        f"Profile: {result.profile.describe()}",
        "",
    ]
    if c is None:
        lines += ["## Excluded", ""]
        lines += [
            f"- `{x.rule}`: {x.reason} ({'; '.join(v.label for v in x.citations)})"
            for x in e.exclusions
        ]
        lines.append("")
    else:
        judged = f", judged for {result.judged_for}" if e.category != "source" else ""
        lines += [
            f"{place(c, result.ranked[e.category])}{judged}, score {c.score:+d}, "
            f"certainty: {c.certainty_label}"
            + (f" ({why})" if (why := unsupported_why(c)) else ""),
            "",
            "## Certainty",
            "",
            *(f"- {step}" for step in c.certainty_reasons),
            *(f"- caveat: {v}" for v in c.caveats),
            "",
            "## Contributions",
            "",
            _score_sum(c),
            "",
        ]
        if c.contributions:
            lines += _table(
                "| Points | Rule | Reason | Level | Citations |",
                "|---:|---|---|---|---|",
                [
                    f"| {x.points:+d} | `{x.rule}` | {_cell(x.reason)}"
                    + (f"<br>_assumption: {_cell(x.assumption)}_" if x.assumption else "")
                    + f" | {x.level} | {_cell(x.cited())} |"
                    for x in c.contributions
                ],
            )
        if c.evidence:
            lines += ["## Evidence", ""]
            lines += _table(
                "| Study | Design | Found | Fit |",
                "|---|---|---|---|",
                [
                    f"| {_cell(u.citation.label)} | {u.grade.replace('-', ' ')}"
                    + (f", n={u.size}" if u.size else "")
                    + f" | {u.role} | "
                    + ("direct" if u.direct else _cell("indirect: " + "; ".join(u.differs)))
                    + " |"
                    for u in c.evidence
                ],
            )
    if e.errata:
        lines += ["## Errata: where the review contradicts itself about what this rests on", ""]
        for note in e.errata:
            x = note.erratum
            lines += [
                f"- `{x.id}`, on {_cell('; '.join(v.label for v in note.on))}: {_cell(x.where)}",
                *(f"  - reading: {_cell(reading)}" for reading in x.readings),
                f"  - reading used: {_cell(x.used)}",
            ]
        lines.append("")
    if e.not_fired:
        lines += ["## Rules not fired (why not)", ""]
        lines += _table(
            "| Rule | Effect | Failed condition |",
            "|---|---|---|",
            [f"| `{n.rule}` | {n.effect} | {_cell('; '.join(n.failed))} |" for n in e.not_fired],
        )
    if e.top is not None and c is not None and e.top.id != c.id:
        lines += [
            f"## Why not first: {e.top.label} {e.top.score:+d} vs {c.score:+d}",
            "",
            f"Gap {e.top.score - c.score} = sum of differences"
            + (f"; {e.tie_break}" if e.tie_break else "")
            + ".",
            "",
        ]
        lines += _table(
            f"| Rule | {e.top.id} | {c.id} | Difference |",
            "|---|---:|---:|---:|",
            [
                f"| `{g.rule}` | {g.top_points:+d} | {g.candidate_points:+d} | {g.difference:+d} |"
                for g in e.gap
            ],
        )
    if e.sensitivity is not None:
        lines += ["## Sensitivity", ""]
        if e.sensitivity:
            lines += _table(
                "| Change | Category | Top now | Top after |",
                "|---|---|---|---|",
                [
                    f"| {ch.field}={_cell(shown_value(ch.value))} | {ch.category} | "
                    f"{ch.before or '-'} | {ch.after or '-'} |"
                    for ch in e.sensitivity
                ],
            )
        else:
            lines += ["No single-field change alters the top choice of any category.", ""]
    lines.append(
        f"_Knowledge base {result.knowledge_base['version']}, "
        f"sha256 `{result.knowledge_base['sha256']}`._"
    )
    return _document(lines)
