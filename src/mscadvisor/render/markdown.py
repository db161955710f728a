"""The rationale as Markdown, for lab notebooks and reports."""

from __future__ import annotations

from mscadvisor.engine.result import (
    CATEGORY_TITLES,
    DISCLAIMER,
    RANKING_ORDER,
    Recommendation,
    ScoredCandidate,
)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _label(c: ScoredCandidate) -> str:
    """The candidate, whether evidence supports it, and the caveats that travel with it."""
    parts = [_cell(c.label)]
    if not c.has_evidence:
        parts.append("_no supporting evidence_")
    parts += [f"_{_cell(v)}_" for v in c.caveats]
    return "<br>".join(parts)


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
            rank = f"={c.rank}" if c.tied_with else str(c.rank)
            rows.append(
                f"| {rank} | {_label(c)} | {c.score:+d} | "
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
                lines += [
                    f"### {c.label}",
                    "",
                    f"Score {c.score:+d} = base {c.base:+d} + "
                    + " ".join(f"({x.points:+d})" for x in c.contributions),
                    "",
                ]
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
                f"| {'=' if r.tied_with else ''}{r.rank} | {_cell(r.id)} | {r.score:+d} | "
                + " + ".join(f"{p.id} {p.score:+d}" for p in r.parts)
                + "".join(f" + pairing {x.points:+d}" for x in r.pairing)
                + f" | {_cell('; '.join(c.label for c in r.paired_by))} |"
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
        f"{result.knowledge_base_version}, sha256 `{result.knowledge_base_sha256}`._"
    )
    return "\n".join(lines) + "\n"
