"""The rich tables of render/table.py, read back as text: what a person sees for the review's
facts (POF: cord and marrow cells tie at +8; intravenous beats intraovarian head to head)."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from typing import Any

import pytest
from rich.console import Console
from rich.text import Text

from mscadvisor.engine.explanation import explain
from mscadvisor.engine.profile import build_profile, shown_value
from mscadvisor.engine.result import DISCLAIMER, Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.engine.whatif import TopChange, what_if
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.record import replace
from mscadvisor.render import views
from mscadvisor.render.output import symbols
from mscadvisor.render.table import (
    STRONGEST_REASONS,
    _reason_lines,
    _reasons,
    print_explanation,
    print_recommendation,
    print_sensitivity,
    print_view,
    print_what_if,
)
from mscadvisor.render.views import evidence_view, rule_view, sources_view

KB = load_knowledge_base()
WIDTH = 250  # wide enough that no label, reason or rule id is folded

UC_CELLS = "UC-MSC (umbilical cord), cells"
BM_CELLS = "BM-MSC (bone marrow), cells"


def recommend(regimens: int = 3, source: str | None = None, **raw: Any) -> Recommendation:
    return score(KB, build_profile({"disease": "POF", **raw}, KB, "test"), regimens, source)


POF = recommend()


def render(
    draw: Callable[[Console], None], file: io.StringIO | None = None, width: int = WIDTH
) -> str:
    console = Console(record=True, width=width, file=file or io.StringIO(), color_system=None)
    draw(console)
    return console.export_text()


def shown(result: Recommendation, top: int = 0, explain: bool = False) -> str:
    return render(lambda c: print_recommendation(c, result, top, explain))


def rows(text: str, ruled: bool = False) -> list[list[str]]:
    """The body rows of the tables in text, each cell's lines joined by spaces. A row starts
    after a rule line or, unless the table is ``ruled`` (lines between rows), where its first
    column is filled."""
    found: list[list[list[str]]] = []
    current: list[list[str]] | None = None
    for line in text.splitlines():
        if not line.startswith("│"):
            current = None
            continue
        parts = [p.strip() for p in line.split("│")[1:-1]]
        if current is None or (parts[0] and not ruled):
            current = [[] for _ in parts]
            found.append(current)
        for k, part in enumerate(parts):
            if part:
                current[k].append(part)
    return [[" ".join(cell) for cell in r] for r in found]


def row(text: str, start: str, ruled: bool = False) -> list[str]:
    """The first row with a cell that starts with ``start``."""
    return next(r for r in rows(text, ruled) if any(cell.startswith(start) for cell in r))


def section(text: str, title: str) -> str:
    """From a table's title line to its bottom edge."""
    lines = text.splitlines()
    first = next(n for n, line in enumerate(lines) if line.strip() == title)
    last = next(n for n in range(first, len(lines)) if lines[n].startswith("└"))
    return "\n".join(lines[first : last + 1])


def titles(text: str) -> list[str]:
    """The centred lines: table titles and captions."""
    return [line.strip() for line in text.splitlines() if line.startswith("   ")]


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


# ---- print_recommendation ---------------------------------------------------------------------


def test_heading_profile_disclaimer_and_footer() -> None:
    text = shown(POF, top=2)
    lines = text.splitlines()
    assert lines[0] == "POF: Premature ovarian failure / insufficiency"
    assert lines[1].startswith("Profile: age=-, sex=-, donor=any, modality=any")
    assert DISCLAIMER in flat(text)
    assert f"Knowledge base {KB.info.version}, sha256 {KB.sha256[:12]}." in flat(text)
    assert KB.sha256[:13] not in text  # only the short hash


def test_every_category_has_a_table_and_routes_say_which_source_they_are_for() -> None:
    heads = titles(shown(POF, top=1))
    assert "Sources (tissue and modality)" in heads  # sources are judged for no source
    assert "Administration routes, for UC-cells" in heads
    assert "Preconditioning and combination strategies, for UC-cells" in heads
    heads = titles(shown(recommend(source="BM-cells"), top=1))
    assert "Administration routes, for BM-cells" in heads
    assert "Preconditioning and combination strategies, for BM-cells" in heads
    assert not any(h.startswith("Sources") and "for" in h for h in heads)


def test_tied_candidates_are_marked_with_equals() -> None:
    # POF: cord and marrow cells both score +8 (four animal studies vs a 3-patient series), and
    # the intraperitoneal route and an implant both have nothing for cord cells.
    text = shown(POF)
    assert row(text, UC_CELLS)[0] == "=1"
    assert row(text, BM_CELLS)[0] == "=1"  # a tie shares the place of its first member
    assert row(text, "UC-MSC (umbilical cord), exosomes")[0] == "3"
    assert row(text, "IV: Intravenous injection")[0] == "1"
    assert row(text, "OV: Intraovarian injection")[0] == "2"
    assert row(text, "IP: Intraperitoneal")[0] == "=3"
    assert row(text, "Implanted engineered construct")[0] == "=3"
    assert row(text, "Collagen scaffold")[0] == "1"


def test_score_bar_is_scaled_to_the_strongest_shown() -> None:
    text = shown(POF)
    assert row(text, "IV: Intravenous injection")[2] == "+8 ██████████"
    assert row(text, "OV: Intraovarian injection")[2] == "+3 ████······"  # round(10 * 3/8)
    assert row(text, "IP: Intraperitoneal")[2] == "+0 ··········"


def test_score_bar_falls_back_to_ascii_on_a_console_that_cannot_show_blocks() -> None:
    class AsciiFile(io.StringIO):
        encoding = "ascii"

    text = render(lambda c: print_recommendation(c, POF, 0, False), AsciiFile())
    assert "█" not in text
    assert "+8 ##########" in text
    assert "+3 ####......" in text


def test_top_limits_rows_and_says_how_many_there_are() -> None:
    text = shown(POF, top=2)
    assert "showing 2 of 12" in titles(text)
    assert "showing 2 of 4" in titles(text)  # routes for cord cells: IV, OV, IP, implant
    assert "UC-MSC (umbilical cord), exosomes" not in text
    assert not any(t.startswith("showing") for t in titles(shown(POF, top=0)))


def test_caveats_are_listed_under_the_candidate_at_most_three() -> None:
    text = shown(POF)
    cord = row(text, UC_CELLS)[1]
    assert cord.startswith(UC_CELLS)
    assert "Transplanted cells have an uncertain fate" in cord
    assert "need close monitoring" in cord
    # Amniotic exosomes have four caveats; the fourth (absent from Table 4) is not shown.
    amnion = row(text, "AM-MSC (amniotic membrane), exosomes")[1]
    assert "injected MSCs did better than their conditioned medium [20]" in amnion
    assert "absent from Table 4" not in amnion
    assert "absent from Table 4" in row(text, "AM-MSC (amniotic membrane), cells")[1]


def test_traits_only_candidates_say_no_supporting_evidence() -> None:
    text = shown(POF)
    assert "no supporting evidence" in row(text, "DP-MSC (dental pulp), cells")[1]
    assert "no supporting evidence" in row(text, "IP: Intraperitoneal")[1]
    assert "no supporting evidence" not in row(text, UC_CELLS)[1]
    assert "no supporting evidence" not in row(text, "IV: Intravenous injection")[1]


def test_strongest_reasons_are_the_three_largest_in_size_with_citations() -> None:
    text = shown(POF)
    reasons = row(text, "OV: Intraovarian injection")[4]
    assert reasons.index("+2 Animal studies") < reasons.index("-1 POF: intraovarian")
    assert "([18] Pei W, 2024; Section: MSCs: Premature ovarian failure)" in reasons
    assert row(text, "IP: Intraperitoneal")[4] == "no rule fired"
    # OP, own cells at 70: dental pulp has +4, +2, +1 and -2; the -2 outranks the +1.
    op = score(KB, build_profile({"disease": "OP", "donor": "autologous", "age": 70}, KB, "t"))
    pulp = row(shown(op), "DP-MSC (dental pulp), cells")[4]
    assert pulp.startswith("+4 Animal studies reported efficacy")
    assert f"-2 {KB.rules['T4-DP-D2-TOOTH-EXTRACTION'].rule.summary}" in pulp
    assert KB.rules["OP-DP-OSTEOGENIC-PROSE"].rule.summary not in pulp


@pytest.mark.parametrize("disease", ["POF", "OP", "AS"])
def test_shown_reasons_add_up_to_the_score(disease: str) -> None:
    """The strongest reasons, then "… n more (±x)" for the rest: every cell sums to the score."""
    result = score(KB, build_profile({"disease": disease, "age": 70}, KB, "t"))
    for candidates in result.ranked.values():
        for c in candidates:
            lines = Text.from_markup(_reasons(c, unicode=True)).plain.splitlines()
            total = 0
            for line in lines:
                more = re.fullmatch(r"… (\d+) more \(([+-]\d+)\)", line)
                if more:
                    assert int(more[1]) == len(c.contributions) - STRONGEST_REASONS
                    total += int(more[2])
                elif line != "no rule fired":
                    total += int(line.split()[0].removeprefix("base"))
            assert total == c.score, (c.id, lines)


def test_reasons_beyond_the_strongest_are_summed_on_one_line() -> None:
    result = score(KB, build_profile({"disease": "OP", "donor": "autologous", "age": 70}, KB, "t"))
    many = max((c for cs in result.ranked.values() for c in cs), key=lambda c: len(c.contributions))
    assert len(many.contributions) > STRONGEST_REASONS
    ascii_cell = Text.from_markup(_reasons(many, unicode=False)).plain
    assert ascii_cell.splitlines()[-1].startswith("... ")
    assert "… " + str(len(many.contributions) - STRONGEST_REASONS) + " more (" in shown(result)


def test_explain_adds_every_contribution_and_the_evidence() -> None:
    plain = shown(POF, top=2)
    assert "every contribution" not in plain
    assert ": the evidence" not in plain
    text = shown(POF, top=2, explain=True)
    heads = titles(text)
    assert f"{UC_CELLS}: every contribution" in heads
    assert "score +8 = base +0 + (+6) (+1) (+1)" in heads
    assert f"{BM_CELLS}: the evidence" in heads
    assert "score +3 = base +0 + (+2) (+2) (-1)" in heads  # OV for cord cells
    marrow = section(text, f"{BM_CELLS}: every contribution")
    assert row(marrow, "EV-SRC-CLINICAL-UNCONTROLLED") == [
        "+6",
        "EV-SRC-CLINICAL-UNCONTROLLED",
        "A clinical study without a stated control group reported efficacy: 1 direct "
        "(+6 each, cap 6)",
        "clinical-outcome",
        "NCT02696889",
    ]
    assert row(section(text, f"{BM_CELLS}: the evidence"), "NCT02696889") == [
        "NCT02696889",
        "uncontrolled clinical, n=3",
        "supports",
        "direct",
    ]
    cord = section(text, f"{UC_CELLS}: the evidence")
    assert row(cord, "[48] Xu B, 2024")[3] == "indirect: modality exosomes"
    # Only the candidates shown are explained.
    assert "UC-MSC (umbilical cord), exosomes: every contribution" not in heads


def test_explain_shows_no_evidence_table_for_a_candidate_nothing_tested() -> None:
    text = shown(POF, top=0, explain=True)
    assert "DP-MSC (dental pulp), cells: no rule fired, score +0 = base +0" in text
    assert "DP-MSC (dental pulp), cells: the evidence" not in titles(text)


def test_explain_shows_a_rules_declared_assumption() -> None:
    op = score(KB, build_profile({"disease": "OP", "donor": "autologous", "age": 70}, KB, "t"))
    text = flat(shown(op, top=0, explain=True))
    assert "assumption: Table 4 gives no age at which donor-age decline matters: 60 years" in text


REGIMENS = "Complete regimens (parts the evidence used together)"


def test_regimens_table_lists_parts_pairing_and_the_records_that_used_them() -> None:
    text = shown(recommend(regimens=20), top=1)
    assert REGIMENS in titles(text)
    assert "score = source + route + preconditioning + pairing; '=' marks a tie" in titles(text)
    cells = next(r for r in rows(section(text, REGIMENS)) if r[1] == "UC-cells+IV")
    assert cells[2] == "+18 = UC-cells +8 + IV +8 + pairing +2"
    assert cells[3] == "[11] Cui L, 2023; [13] Luo Q, 2022; [14] Dai W, 2023; NCT05494723"
    # A regimen no pairing rule rewarded shows its parts only.
    assert row(text, "UC-cells+OV+hypoxia")[2] == "+11 = UC-cells +8 + OV +3 + hypoxia +0"


def test_tied_regimens_share_the_mark_of_a_tie_and_name_each_other() -> None:
    result = recommend(regimens=20)
    tied = {r.id: r.tied_with for r in result.regimens}
    # UC-cells+IV and UC-cells+OV+collagen-scaffold both score +18; the best (+19) ties none.
    assert tied["UC-cells+IV"] == ("UC-cells+OV+collagen-scaffold",)
    assert tied["UC-cells+OV+collagen-scaffold"] == ("UC-cells+IV",)
    assert result.regimens[0].tied_with == ()
    scores = {r.id: r.score for r in result.regimens}
    assert all(
        other != r.id and scores.get(other, r.score) == r.score
        for r in result.regimens
        for other in r.tied_with
    )
    # A tie that --regimens cuts off still shows on the regimen left in the list.
    assert recommend(regimens=2).regimens[1].tied_with == ("UC-cells+OV+collagen-scaffold",)
    text = shown(result, top=1)
    ranks = {r[1]: r[0] for r in rows(section(text, REGIMENS))}
    assert ranks["UC-cells+IV+mir21-transfection"] == "1"
    assert ranks["UC-cells+IV"] == "=2"
    assert ranks["UC-cells+OV+collagen-scaffold"] == "=2"
    assert result.regimens[0].to_dict()["tied_with"] == []
    assert result.regimens[1].to_dict()["tied_with"] == ["UC-cells+OV+collagen-scaffold"]


def test_no_regimens_no_regimen_table() -> None:
    assert "Complete regimens" not in shown(recommend(regimens=0), top=1)


def test_exclusions_are_tabled_with_reason_and_rule() -> None:
    text = shown(recommend(donor="autologous"), top=1)
    assert "Excluded candidates" in titles(text)
    cells = row(section(text, "Excluded candidates"), UC_CELLS, ruled=True)
    assert cells[0] == f"{UC_CELLS} source"  # the category under the label
    assert cells[1] == "Collected at birth: cannot be the patient's own (autologous) cells"
    assert cells[2] == "EXCL-PERINATAL-AUTOLOGOUS"
    frailty = score(KB, build_profile({"disease": "FRAILTY"}, KB, "t"))
    assert "Excluded candidates" not in shown(frailty, top=1)


def test_warnings_carry_their_citations() -> None:
    text = flat(shown(POF, top=1))
    assert (
        "warning The review reports no consensus on the optimal dose, transplantation route and "
        "timing for POF. (Section: MSCs: Premature ovarian failure)"
    ) in text
    assert text.count("warning ") == len(POF.warnings)


def test_markup_in_data_is_printed_as_typed() -> None:
    cord = POF.ranked["source"][0]
    odd = replace(cord, label="Cord [bold]cells[/bold]", caveats=("[red]x[/red]",))
    result = replace(POF, ranked={**POF.ranked, "source": (odd,)})
    text = shown(result)
    assert "Cord [bold]cells[/bold]" in text
    assert "[red]x[/red]" in text


# ---- print_view -------------------------------------------------------------------------------


def test_view_prints_every_row_escaped_and_counts_them() -> None:
    text = render(lambda c: print_view(c, sources_view(KB)))
    assert "MSC tissue sources (Table 4; AD = adipose here)" in titles(text)
    assert [h.strip() for h in text.splitlines()[2].split("┃")[1:-1]] == [
        "Source",
        "Procurement",
        "Advantages",
        "Disadvantages",
    ]
    # Table 4's item ids are in brackets: printed, not taken for markup.
    assert "- Low immunogenicity, suitable for allogeneic transplantation [UC-A4]" in text
    assert "- Differentiation potential may be limited [UC-D1]" in text
    assert text.rstrip().endswith("6 row(s)")


def test_view_prints_a_condition_list_as_typed() -> None:
    # "[thromboembolism, cardiovascular]" reads as a markup tag unless escaped.
    # One row prints as labelled lines, so that long values (links, conditions) stay whole.
    text = render(lambda c: print_view(c, rule_view(KB, "MOD-CELLS-EMBOLISM-RISK")))
    assert "when: profile.comorbidities has any of [thromboembolism, cardiovascular]" in text
    assert text.splitlines()[0] == "Rule MOD-CELLS-EMBOLISM-RISK"


LISTINGS = {
    "diseases": lambda: views.diseases_view(KB),
    "sources": lambda: views.sources_view(KB),
    "routes": lambda: views.routes_view(KB, None),
    "preconditioning": lambda: views.preconditioning_view(KB, None),
    "candidates -d POF": lambda: views.candidates_view(KB, KB.diseases["POF"]),
    "evidence": lambda: views.evidence_view(KB, None, None, None, None),
    "trials -d POF": lambda: views.trials_view(KB, KB.diseases["POF"]),
    "rules list": lambda: views.rules_view(KB, None, None, False),
    "rules list --kind source": lambda: views.rules_view(KB, "source", None, False),
    "reference": lambda: views.references_view(KB, None),
    "errata": lambda: views.errata_view(KB),
}


@pytest.mark.parametrize("width", [80, 100, 120])
@pytest.mark.parametrize("listing", sorted(LISTINGS))
def test_a_listing_splits_no_word_and_no_id(listing: str, width: int) -> None:
    """A table whose columns cannot keep their words whole on the screen prints a block of
    labelled lines per row instead ("NCT0174 / 2533", "in-vi / vo" were split before)."""
    view = LISTINGS[listing]()
    text = render(lambda c: print_view(c, view), width=width)
    shown = {word for line in text.splitlines() for word in re.split(r"[│┃\s]+", line)}
    words = {
        word
        for row in view.rows
        for column in view.columns
        for word in column.cell(row).split()
        if len(word) < width - 4  # a word wider than the screen is split wherever it is
    }
    assert words - shown == set()
    assert text.rstrip().endswith(f"{len(view.rows)} row(s)")


def test_an_empty_listing_keeps_every_header() -> None:
    view = views.preconditioning_view(KB, KB.diseases["FRAILTY"])
    assert view.rows == []
    text = render(lambda c: print_view(c, view), width=80)
    assert [h.strip() for h in text.splitlines()[2].split("┃")[1:-1]] == [
        column.header for column in view.columns
    ]


def test_a_listing_that_fits_stays_a_table() -> None:
    text = render(lambda c: print_view(c, views.sources_view(KB)), width=80)
    assert text.splitlines()[1].startswith("┏")
    cards = render(lambda c: print_view(c, views.trials_view(KB, KB.diseases["POF"])), width=80)
    assert "┏" not in cards
    assert cards.splitlines()[1:3] == [
        "NCT / ref: NCT01742533",
        "Disease: Premature ovarian failure",
    ]


def test_view_of_no_rows() -> None:
    view = evidence_view(KB, KB.diseases["POF"], "DP", None, None)
    text = render(lambda c: print_view(c, view))
    assert text.rstrip().endswith("0 row(s)")


# ---- print_explanation ------------------------------------------------------------------------


def explained(candidate: str, result: Recommendation = POF) -> str:
    return render(lambda c: print_explanation(c, explain(KB, result, candidate)))


def test_an_explanation_at_80_columns_splits_no_word() -> None:
    """Five columns do not fit 80: a contribution's level and citations go under its reason,
    the effects of rules that did not fire keep their words, and a wrapped caveat stays
    indented under its own line."""
    op = score(KB, build_profile({"disease": "OP"}, KB, "t"))
    explanation = explain(KB, op, "BM-cells")
    text = render(lambda c: print_explanation(c, explanation), width=80)
    assert max(len(line) for line in text.splitlines()) <= 80
    words = set(text.split()) | {w.strip("();,") for w in text.split()}
    candidate = explanation.candidate
    assert candidate is not None
    for c in candidate.contributions:
        assert c.level in words  # whole, never "precli nical-in-viv o"
        assert f"({c.level};" in text or f"({c.level})" in text
    for effect in {n.effect for n in explanation.not_fired}:
        assert set(effect.split()) <= words, effect
    head = text.split("every contribution")[0].splitlines()
    caveats = [i for i, line in enumerate(head) if line.startswith("  caveat: ")]
    assert caveats and all(line.startswith("  ") for line in head[caveats[0] :])
    assert any(len(head[i]) > 70 for i in caveats)  # one did wrap
    wide = explained("BM-cells", op)
    assert row(wide, "EV-SRC-ANIMAL")[3:] == ["preclinical-in-vivo", "[40] Sui BD, 2018"]


def test_an_explanation_at_120_columns_keeps_each_level_on_one_line() -> None:
    # OP, cells: the cord's one contribution is a head-to-head comparison, the longest level.
    op = score(KB, build_profile({"disease": "OP", "modality": "cells"}, KB, "t"))
    text = render(lambda c: print_explanation(c, explain(KB, op, "UC-cells")), width=120)
    assert row(text, "H2H-41-OTHERS-BELOW-DENTAL-PULP-OP")[3] == "preclinical-head-to-head"
    assert " preclinical-head-to-head " in text  # on one line, not "preclinical -head-to-he ad"


def test_explanation_of_a_route_behind_the_top_one() -> None:
    text = explained("OV")
    lines = text.splitlines()
    assert lines[0] == (
        "OV: Intraovarian injection (route) for POF: Premature ovarian failure / insufficiency"
    )
    assert "Rank 2 of 4, judged for UC-cells, score +3, certainty: ⊕◯◯◯ very low" in lines
    assert "  certainty down to very low: imprecise (a single study)" in lines
    heads = titles(text)
    assert "OV: Intraovarian injection: every contribution" in heads
    assert "OV: Intraovarian injection: the evidence" in heads
    assert "Rules that could apply but did not fire (why not)" in heads
    assert row(text, "EV-ROUTE-CLINICAL-CONTROLLED")[2].startswith("no study or trial")
    assert "Why not first: IV: Intravenous injection +8 vs +3" in heads
    assert "gap 5 = sum of differences" in heads
    gap = section(text, "Why not first: IV: Intravenous injection +8 vs +3")
    assert row(gap, "EV-ROUTE-ANIMAL") == ["EV-ROUTE-ANIMAL", "+6", "+2", "+4"]
    # The rule-by-rule differences add up to the gap, and each is top minus candidate.
    table = rows(gap)
    assert len(table) == 4
    assert sum(int(r[3]) for r in table) == 5
    assert all(int(r[1]) - int(r[2]) == int(r[3]) for r in table)


def folded_cells(lines: list[str], starts: Callable[[list[str]], bool]) -> list[list[str]]:
    """The cells of table lines, joining each cell's folded parts: a new row where ``starts``
    says so, else the line goes on the row above."""
    found: list[list[str]] = []
    for line in lines:
        cells = [cell.strip() for cell in line.strip("│┃").split(line[0])]
        if not found or starts(cells):
            found.append(cells)
        else:
            found[-1] = [a + b for a, b in zip(found[-1], cells, strict=True)]
    return found


@pytest.mark.parametrize(
    ("width", "disease", "candidate"),
    [(w, "AD", "BM-exosomes") for w in (40, 50, 60, 80)]
    + [(w, "AD", "cytokine-preconditioning") for w in (40, 60, 80)],
)
def test_the_gap_table_fits_the_screen_and_keeps_every_id(
    width: int, disease: str, candidate: str
) -> None:
    """Where the ids do not fit side by side, they fold: nothing is cut off."""
    result = score(KB, build_profile({"disease": disease}, KB, "t"))
    explanation = explain(KB, result, candidate)
    text = render(lambda c: print_explanation(c, explanation), width=width)
    lines = text.splitlines()
    title = next(n for n, line in enumerate(lines) if "Why not first" in line)
    first = next(n for n in range(title, len(lines)) if lines[n].startswith("┏"))
    ruled = next(n for n in range(first, len(lines)) if lines[n].startswith("┡"))
    last = next(n for n in range(ruled, len(lines)) if lines[n].startswith("└"))
    assert max(len(line) for line in lines[first : last + 1]) <= width
    assert "…" not in "".join(lines[first : last + 1])
    (header,) = folded_cells(lines[first + 1 : ruled], lambda cells: False)
    assert explanation.top is not None
    assert header == ["Rule", explanation.top.id, candidate, "Gap"]
    body = folded_cells(lines[ruled + 1 : last], lambda cells: bool(cells[1]))
    assert body == [
        [g.rule, f"{g.top_points:+d}", f"{g.candidate_points:+d}", f"{g.difference:+d}"]
        for g in explanation.gap
    ]


@pytest.mark.parametrize("width", [40, 50])
def test_on_a_narrow_screen_rule_ids_fold_rather_than_squeeze_the_reasons(width: int) -> None:
    """A long rule id kept whole beside the points would leave the reason a few characters;
    the ids fold instead, and every one still reads whole once its parts are joined."""
    explanation = explain(KB, POF, "BM-exosomes")
    assert explanation.candidate is not None
    lines = render(lambda c: print_explanation(c, explanation), width=width).splitlines()
    assert max(map(len, lines)) <= width
    tops = [n for n, line in enumerate(lines) if line.startswith("┏")]
    # (rules, the column of their ids, whether a line starts a row, the table's first line)
    contributions = (
        [c.rule for c in explanation.candidate.contributions],
        1,
        lambda cells: bool(cells[0]),  # its points
        tops[0],
    )
    not_fired = (
        [n.rule for n in explanation.not_fired],
        0,
        lambda cells: cells[1][:1] in ("+", "-"),  # its effect, "+10 per matching trial, ..."
        tops[2],  # after the evidence table
    )
    for rules, at, starts, top in (contributions, not_fired):
        ruled = next(n for n in range(top, len(lines)) if lines[n].startswith("┡"))
        last = next(n for n in range(ruled, len(lines)) if lines[n].startswith("└"))
        body = folded_cells(lines[ruled + 1 : last], starts)
        assert [row[at] for row in body] == rules
        text_width = len(lines[ruled].split("╇")[-1]) - 1  # the last column, edges left out
        assert text_width >= 14, lines[ruled]


def test_explanation_of_a_tie_says_what_broke_it() -> None:
    text = explained("BM-cells")
    assert "Rank =1 of 12 (tied with UC-cells), score +8" in text  # as the tables show it
    assert "Rank 2" not in text
    assert "judged for" not in text
    assert (
        "gap 0 = sum of differences; tied on score 8; UC-cells ranks first on certainty "
        "(low vs very-low)"
    ) in titles(text)


def test_explanation_of_the_top_candidate_has_no_gap() -> None:
    text = explained("IV")
    assert "Rank 1 of 4" in text
    assert "Why not first" not in text


def test_explanation_of_a_traits_only_candidate() -> None:
    text = explained("DP-cells")
    assert "(general traits only: no evidence supports it on balance)" in text
    assert "DP-MSC (dental pulp), cells: the evidence" not in text


def test_explanation_of_a_candidate_no_rule_fired_for_says_so_in_a_line() -> None:
    text = explained("IP")  # POF's intraperitoneal route: two indirect studies, no rule fired
    assert "IP: Intraperitoneal (abdominal) injection: no rule fired, score +0 = base +0" in text
    assert "every contribution" not in text
    assert "IP: Intraperitoneal (abdominal) injection: the evidence" in text


def test_explanation_of_a_candidate_with_indirect_evidence_only() -> None:
    # AS, own cells at 63: AD-exosomes' +1 is the clinical study of adipose cells [39].
    result = score(KB, build_profile({"disease": "AS", "donor": "autologous", "age": 63}, KB, "t"))
    text = explained("AD-exosomes", result)
    assert "score +1" in text
    assert "(indirect evidence only: no direct evidence supports it)" in text
    assert "general traits only" not in text


def test_explanation_of_an_excluded_candidate() -> None:
    text = explained("lps-hama")
    assert text.startswith("Lipopolysaccharide pretreatment with HAMA microcarrier encapsulation")
    assert (
        "Excluded by EXCL-PRECONDITIONING-EXOSOME-ONLY: Only ever used with exosomes, and the "
        "source judged is living cells (Table 2)"
    ) in flat(text)
    assert "Rank " not in text
    assert "every contribution" not in text


# ---- print_what_if ----------------------------------------------------------------------------


def test_what_if_side_by_side_with_moves() -> None:
    baseline = recommend(modality="cells")
    comparison = what_if(KB, baseline, ["donor=autologous"], 3)
    text = render(lambda c: print_what_if(c, comparison, 1))
    assert text.splitlines()[0] == (
        "What if (POF: Premature ovarian failure / insufficiency): donor: any -> autologous"
    )
    assert DISCLAIMER in flat(text)
    # Own cells cannot be cord cells: marrow cells move up from second.
    assert row(text, UC_CELLS) == ["1", f"{UC_CELLS} +8", f"{BM_CELLS} +8", "up 1"]
    assert "Move (ranks)" in text
    assert "how many ranks the candidate on the what-if side went up or down" in flat(text)
    assert f"{len(comparison.moved)} candidate(s) changed rank or score." in text


def test_what_if_at_80_columns_keeps_the_move_header_whole() -> None:
    comparison = what_if(KB, recommend(disease="OP"), ["age=70", "donor=autologous"], 3)
    text = render(lambda c: print_what_if(c, comparison, 3), width=80)
    assert "Move (ranks)" in text and "Move (r…" not in text


def test_what_if_marks_a_candidate_new_and_rows_run_to_the_longer_side() -> None:
    baseline = recommend(modality="cells")
    comparison = what_if(KB, baseline, ["modality=any"], 3)
    text = render(lambda c: print_what_if(c, comparison, 0))
    sources = rows(section(text, "Sources (tissue and modality)"))
    assert len(sources) == 12  # six cell sources before, twelve sources after
    assert sources[2][2:] == ["UC-MSC (umbilical cord), exosomes +7", "new"]
    assert sources[0] == ["1", f"{UC_CELLS} +8", f"{UC_CELLS} +8", "same"]
    # Adipose cells were third; cord exosomes come in ahead of them.
    assert sources[3][2:] == ["AD-MSC (adipose), cells +4", "down 1"]
    assert sources[11] == ["12", "", "UCB-MSC (umbilical cord blood), exosomes +0", "new"]


def test_what_if_that_changes_nothing() -> None:
    comparison = what_if(KB, POF, ["sex=female"], 3)
    text = render(lambda c: print_what_if(c, comparison, 0))
    assert text.splitlines()[0].endswith("-> female")
    assert "0 candidate(s) changed rank or score." in text
    table = rows(text)
    assert len(table) == sum(len(c) for c in POF.ranked.values())
    assert {r[3] for r in table} == {"same"}
    assert all(r[1] == r[2] for r in table)
    same = render(lambda c: print_what_if(c, what_if(KB, POF, ["comorbidities=none"], 3), 0))
    assert same.splitlines()[0].endswith(": no change (the profile already has these values)")


# ---- print_sensitivity ------------------------------------------------------------------------


def test_sensitivity_none() -> None:
    text = render(lambda c: print_sensitivity(c, ()))
    assert text.strip() == "No single-field change alters the top choice of any category."


def test_sensitivity_table() -> None:
    changes = explain(KB, POF, "UC-cells", sensitivity=True).sensitivity
    assert changes
    text = render(lambda c: print_sensitivity(c, changes))
    assert "Sensitivity: single-field changes that change a top choice" in titles(text)
    # Own cells exclude cord cells, so marrow cells come first.
    assert row(text, "donor=autologous") == [
        "donor=autologous",
        "source",
        "UC-cells",
        "BM-cells",
    ]
    narrow = render(lambda c: print_sensitivity(c, changes), width=80)
    assert max(len(line) for line in narrow.splitlines()) <= 80
    words = set(narrow.replace("│", " ").split())
    for change in changes:
        field, value = change.field, shown_value(change.value)
        assert f"{field}={value}" in words or {f"{field}=", value} <= words  # no id cut
        assert {change.category, change.before, change.after} <= words
    text = render(lambda c: print_sensitivity(c, (TopChange("age", 65, "route", "IV", "OV"),)))
    assert rows(text) == [["age=65", "route", "IV", "OV"]]
    # Booleans and unknowns as people read them, not Python's True and None.
    flags = (
        TopChange("avoid_invasive_harvest", True, "source", "BM-cells", "UC-cells"),
        TopChange("age", None, "route", "IV", "OV"),
        TopChange("needs", ["fertility", "durable-effect"], "route", "IV", "OV"),
    )
    assert [r[0] for r in rows(render(lambda c: print_sensitivity(c, flags)))] == [
        "avoid_invasive_harvest=yes",
        "age=-",
        "needs=fertility,durable-effect",
    ]


TITLES = (
    "Sources (tissue and modality)",
    "Administration routes, for UC-cells",
    "Preconditioning and combination strategies, for UC-cells",
)


@pytest.mark.parametrize("top", [0, 1, 3])
def test_every_category_table_shows_candidates_in_rank_order(top: int) -> None:
    text = shown(POF, top=top)
    for title, candidates in zip(TITLES, POF.ranked.values(), strict=True):
        expected = candidates if top == 0 else candidates[:top]
        table = rows(section(text, title))
        assert len(table) == len(expected)
        rank_of = {c.id: c.rank for c in candidates}
        for cells, candidate in zip(table, expected, strict=True):
            place = min(rank_of[i] for i in (candidate.id, *candidate.tied_with))
            assert cells[0] == (f"={place}" if candidate.tied_with else str(candidate.rank))
            assert cells[1].startswith(candidate.label)
            assert cells[2].startswith(f"{candidate.score:+d} ")


def test_citations_are_links_in_the_html_export() -> None:
    """DOI, PubMed and registry links are real links in an export (and terminal hyperlinks)."""
    console = Console(record=True, width=120, file=io.StringIO())
    print_recommendation(console, POF, 3, False)
    html = console.export_html()
    assert 'href="https://doi.org/10.1186/s13287-024-03698-0"' in html  # [18] Pei W, 2024
    assert 'href="https://clinicaltrials.gov/study/NCT02696889"' in html


@pytest.mark.parametrize("disease", sorted(KB.diseases))
def test_at_80_columns_candidate_tables_split_no_word_and_ids_stay_whole(disease: str) -> None:
    result = score(KB, build_profile({"disease": disease}, KB, "test"))
    console = Console(record=True, width=80, file=io.StringIO(), color_system=None)
    print_recommendation(console, result, 3, False)
    text = console.export_text()
    cells = {word for line in text.splitlines() for word in re.split(r"[│\s]+", line)}
    assert "Certainty" in cells
    for candidates in result.ranked.values():
        for c in candidates[:3]:
            words = c.label.split() + symbols(c.certainty_label, True).split()
            assert set(words) <= cells, (c.id, set(words) - cells)
    ids = [r.id for r in result.regimens] + [e.rule for e in result.excluded]
    assert set(ids) <= cells, set(ids) - cells


@pytest.mark.parametrize("width", [40, 60, 70, 80, 100])
@pytest.mark.parametrize("disease", sorted(KB.diseases))
def test_detail_tables_split_no_word(disease: str, width: int) -> None:
    """--detail at 80 columns split 'intravenou / s' and 'mir21-transfectio / n' before; where
    no table fits, each candidate is printed as lines."""
    result = score(KB, build_profile({"disease": disease}, KB, "test"))
    console = Console(record=True, width=width, file=io.StringIO(), color_system=None)
    print_recommendation(console, result, 3, False)  # --detail's default
    text = console.export_text()
    assert max(len(line.rstrip()) for line in text.splitlines()) <= width
    cells = {word for line in text.splitlines() for word in re.split(r"[│┃\s]+", line)}
    for candidates in result.ranked.values():
        for c in candidates[:3]:
            words = [*c.label.split(), *" ".join(_reason_lines(c, True)).split()]
            words += [w for r in c.certainty_reasons[1:3] for w in r.split()]
            assert set(words) <= cells, (c.id, set(words) - cells)


@pytest.mark.parametrize("disease", sorted(KB.diseases))
def test_at_80_columns_no_detail_table_is_wider_than_the_screen(disease: str) -> None:
    for profile in ({"disease": disease}, {"disease": disease, "donor": "autologous"}):
        result = score(KB, build_profile(profile, KB, "test"))
        console = Console(record=True, width=80, file=io.StringIO(), color_system=None)
        print_recommendation(console, result, 0, True)
        # A table wider than the console is cropped: its rows lose their right edge.
        for line in console.export_text().splitlines():
            if line[:1] in ("┏", "┃", "┡", "│", "├", "└"):
                assert line.rstrip()[-1] in "┓┃┩│┤┘" and len(line.rstrip()) <= 80, line
