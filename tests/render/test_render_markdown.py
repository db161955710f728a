"""The Markdown rationale (render/markdown.py): well-formed tables whatever the data holds, the
disclaimer, every category, and with --explain every contribution."""

from __future__ import annotations

import re
from typing import Any

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import CATEGORY_TITLES, DISCLAIMER, Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.record import replace
from mscadvisor.render.markdown import recommendation_markdown

KB = load_knowledge_base()


def recommend(disease: str = "POF", **raw: Any) -> Recommendation:
    return score(KB, build_profile({"disease": disease, **raw}, KB, "test"))


POF = recommend()
UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def cells(line: str) -> list[str]:
    """A Markdown table row's cells, split on unescaped pipes only."""
    assert line.startswith("|") and line.endswith("|"), line
    return [c.strip() for c in UNESCAPED_PIPE.split(line)[1:-1]]


def tables(text: str) -> list[list[str]]:
    """Each Markdown table: its consecutive lines starting with '|'."""
    found: list[list[str]] = []
    previous = ""
    for line in text.splitlines():
        if line.startswith("|"):
            if not previous.startswith("|"):
                found.append([])
            found[-1].append(line)
        previous = line
    return found


def table_after(text: str, heading: str) -> list[list[str]]:
    """The body rows of the first table after a heading line."""
    rest = text.split(f"\n{heading}\n", 1)[1]
    return [cells(line) for line in tables(rest)[0][2:]]


def test_heading_disclaimer_profile_and_footer() -> None:
    text = recommendation_markdown(POF, 3, False)
    lines = text.splitlines()
    assert lines[0] == "# POF: Premature ovarian failure / insufficiency"
    assert f"> {DISCLAIMER}" in lines
    assert lines.index(f"> {DISCLAIMER}") < lines.index(
        next(x for x in lines if x.startswith("##"))
    )
    assert any(x.startswith("Profile: age=-, sex=-, donor=any, modality=any") for x in lines)
    assert KB.sha256 in lines[-1] and KB.info.version in lines[-1]
    assert text.endswith("._\n")


def test_every_category_has_a_section_and_a_five_column_table() -> None:
    text = recommendation_markdown(POF, 0, False)
    for category, title in CATEGORY_TITLES.items():
        heading = f"## {title}" + ("" if category == "source" else f", for {POF.judged_for}")
        assert f"\n{heading}\n" in text
        body = table_after(text, heading)
        assert len(body) == len(POF.ranked[category])
        assert all(len(row) == 5 for row in body)


def test_every_table_is_well_formed() -> None:
    for explain in (False, True):
        text = recommendation_markdown(recommend(donor="autologous"), 2, explain)
        for table in tables(text):
            header = cells(table[0])
            assert all(re.fullmatch(r"-{3,}:?", c) for c in cells(table[1]))
            assert all(len(cells(line)) == len(header) for line in table)


def test_rows_carry_rank_with_ties_score_certainty_and_every_reason() -> None:
    body = table_after(recommendation_markdown(POF, 0, False), f"## {CATEGORY_TITLES['source']}")
    # The candidate cell: its label, then (italic) the caveats that travel with it.
    by_label = {row[1].split("<br>")[0]: row for row in body}
    # POF: cord and marrow cells tie at +8; cord cells come first on certainty.
    cord = by_label["UC-MSC (umbilical cord), cells"]
    assert [cord[0], cord[2], cord[3]] == ["=1", "+8", "⊕⊕◯◯ low"]
    assert "_Transplanted cells have an uncertain fate" in cord[1]
    assert by_label["BM-MSC (bone marrow), cells"][0] == "=1"
    assert by_label["UC-MSC (umbilical cord), exosomes"][0] == "3"
    marrow = by_label["BM-MSC (bone marrow), cells"][4].split("<br>")
    assert marrow == [
        "+6 A clinical study without a stated control group reported efficacy: 1 direct "
        "(+6 each, cap 6) (NCT02696889)",
        "+2 Animal studies reported efficacy: 1 direct (+2 each, cap 6) ([12] Ei-Derany MO, 2021)",
    ]
    assert by_label["DP-MSC (dental pulp), cells"][4] == "no rule fired"


def test_top_limits_rows_and_says_how_many_there_are() -> None:
    text = recommendation_markdown(POF, 2, False)
    assert "_Showing 2 of 12._" in text.splitlines()
    assert "_Showing 2 of 4._" in text.splitlines()  # routes for cord cells
    assert len(table_after(text, f"## {CATEGORY_TITLES['source']}")) == 2
    assert "_Showing" not in recommendation_markdown(POF, 0, False)


def test_pipes_and_newlines_in_data_do_not_break_a_table() -> None:
    cord = POF.ranked["source"][0]
    first = cord.contributions[0]
    odd = replace(
        cord,
        label="Cord | cells\nline two",
        contributions=(replace(first, reason="a | b"), *cord.contributions[1:]),
    )
    excluded = replace(POF.excluded[0], label="x|y", reason="p | q")
    result = replace(POF, ranked={**POF.ranked, "source": (odd,)}, excluded=(excluded,))
    text = recommendation_markdown(result, 0, True)
    (row,) = table_after(text, f"## {CATEGORY_TITLES['source']}")
    assert row[1].split("<br>")[0] == "Cord \\| cells line two"
    assert row[4].startswith(f"{first.points:+d} a \\| b (")
    (gone,) = table_after(text, "## Excluded")
    assert gone[1:3] == ["x\\|y", "p \\| q"]
    for table in tables(text):
        assert len({len(cells(line)) for line in table}) == 1


def test_explain_says_so_of_a_candidate_no_rule_fired_for_with_no_empty_table() -> None:
    text = recommendation_markdown(POF, 0, True)
    section = text.split("### IP: Intraperitoneal (abdominal) injection\n\n")[1]
    assert section.startswith("Score +0 = base +0: no rule fired.\n\n### ")


def test_explain_lists_every_contribution_of_every_candidate_shown() -> None:
    plain = recommendation_markdown(POF, 2, False)
    assert "### " not in plain
    text = recommendation_markdown(POF, 2, True)
    shown = [c for candidates in POF.ranked.values() for c in candidates[:2]]
    assert [x[4:] for x in text.splitlines() if x.startswith("### ")] == [c.label for c in shown]
    assert "Score +8 = base +0 + (+6) (+1) (+1)" in text.splitlines()  # cord cells
    assert "Score +3 = base +0 + (+2) (+2) (-1)" in text.splitlines()  # OV for cord cells
    for candidate in shown:
        body = table_after(text, f"### {candidate.label}")
        assert [row[1] for row in body] == [f"`{c.rule}`" for c in candidate.contributions]
        assert sum(int(row[0]) for row in body) == candidate.score - candidate.base
    marrow = table_after(text, "### BM-MSC (bone marrow), cells")
    assert marrow[0] == ["+6", "`EV-SRC-CLINICAL-UNCONTROLLED`", "clinical-outcome", "NCT02696889"]


def test_exclusions_and_warnings() -> None:
    text = recommendation_markdown(recommend(donor="autologous"), 1, False)
    excluded = table_after(text, "## Excluded")
    assert [
        "source",
        "UC-MSC (umbilical cord), cells",
        "Collected at birth: cannot be the patient's own (autologous) cells",
        "`EXCL-PERINATAL-AUTOLOGOUS`",
    ] in excluded
    assert (
        "- The review reports no consensus on the optimal dose, transplantation route and "
        "timing for POF."
    ) in text.splitlines()


def test_no_exclusions_no_excluded_section() -> None:
    result = recommend("FRAILTY")
    assert not result.excluded
    assert "## Excluded" not in recommendation_markdown(result, 1, False)


# ---- explain --format markdown ----------------------------------------------------------------


def test_explanation_of_a_candidate_no_rule_fired_for_has_no_empty_table() -> None:
    from mscadvisor.engine.explanation import explain
    from mscadvisor.render.markdown import explanation_markdown

    text = explanation_markdown(explain(KB, POF, "IP"))
    section = text.split("## Contributions\n\n")[1].split("\n## ")[0]
    assert section == "Score +0 = base +0: no rule fired.\n"


def test_explanation_has_every_section_and_well_formed_tables() -> None:
    from mscadvisor.engine.explanation import explain
    from mscadvisor.render.markdown import explanation_markdown

    e = explain(KB, POF, "BM-cells", sensitivity=True)
    text = explanation_markdown(e)
    lines = text.splitlines()
    assert lines[0] == (
        "# BM-MSC (bone marrow), cells (source) for POF: Premature ovarian failure / insufficiency"
    )
    assert f"> {DISCLAIMER}" in lines
    assert lines[lines.index(f"> {DISCLAIMER}") + 4].startswith(
        "Rank =1 of 12 (tied with UC-cells), score +8"  # its place as the tables show it
    )
    assert e.candidate is not None and e.top is not None
    for heading in (
        "## Certainty",
        "## Contributions",
        "## Evidence",
        "## Rules not fired (why not)",
        f"## Why not first: {e.top.label} {e.top.score:+d} vs {e.candidate.score:+d}",
        "## Sensitivity",
    ):
        assert heading in lines, heading
    # The certainty ledger, step by step.
    for step in e.candidate.certainty_reasons:
        assert f"- {step}" in lines
    contributions = table_after(text, "## Contributions")
    assert [int(r[0]) for r in contributions] == [x.points for x in e.candidate.contributions]
    assert sum(int(r[0]) for r in contributions) + e.candidate.base == e.candidate.score
    assert len(table_after(text, "## Evidence")) == len(e.candidate.evidence)
    assert [r[0] for r in table_after(text, "## Rules not fired (why not)")] == [
        f"`{n.rule}`" for n in e.not_fired
    ]
    assert {r[0] for r in table_after(text, "## Sensitivity")} >= {"donor=autologous"}
    for table in tables(text):
        width = len(cells(table[0]))
        assert all(len(cells(line)) == width for line in table)
    assert KB.sha256 in lines[-1]


def test_explanation_of_an_excluded_candidate_names_the_rule() -> None:
    from mscadvisor.engine.explanation import explain
    from mscadvisor.render.markdown import explanation_markdown

    e = explain(KB, recommend(donor="autologous"), "UC-cells")
    text = explanation_markdown(e)
    assert "## Excluded" in text and "`EXCL-PERINATAL-AUTOLOGOUS`" in text
    assert "## Contributions" not in text and "## Sensitivity" not in text
