"""The browse views (render/views.py): their rows and columns for known facts of the review
(Table 4 per tissue, Table 3 per disease, the references and their links, the rules)."""

from __future__ import annotations

import json

import pytest

from mscadvisor.errors import InputError
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.render import views
from mscadvisor.render.views import View

KB = load_knowledge_base()
POF = KB.diseases["POF"]


def table(view: View) -> list[dict[str, str]]:
    """The view as a table shows it: one {header: cell text} per row."""
    return [{c.header: c.cell(r) for c in view.columns} for r in view.rows]


def by(view: View, header: str) -> dict[str, dict[str, str]]:
    return {row[header]: row for row in table(view)}


def headers(view: View) -> list[str]:
    return [c.header for c in view.columns]


# ---- Table 4: sources --------------------------------------------------------------------------


def test_sources_view_has_one_row_per_tissue_with_its_table4_items() -> None:
    view = views.sources_view(KB)
    assert view.title == "MSC tissue sources (Table 4; AD = adipose here)"
    assert headers(view) == ["Source", "Procurement", "Advantages", "Disadvantages"]
    rows = by(view, "Source")
    assert set(rows) == {
        "AD-MSC (adipose)",
        "AM-MSC (amniotic membrane)",
        "BM-MSC (bone marrow)",
        "DP-MSC (dental pulp)",
        "UC-MSC (umbilical cord)",
        "UCB-MSC (umbilical cord blood)",
    }
    # Items per tissue as Table 4 lists them: (advantages, disadvantages).
    counts = {"AD": (3, 3), "BM": (2, 3), "DP": (3, 4), "UC": (4, 1), "UCB": (3, 3)}
    for tissue, (good, bad) in counts.items():
        row = next(r for label, r in rows.items() if label.startswith(f"{tissue}-MSC"))
        assert row["Advantages"].count("\n- ") + 1 == good, tissue
        assert row["Disadvantages"].count("\n- ") + 1 == bad, tissue
    cord = rows["UC-MSC (umbilical cord)"]
    assert cord["Procurement"] == "Isolated from the umbilical cord after birth"
    assert cord["Disadvantages"] == "- Differentiation potential may be limited [UC-D1]"
    assert cord["Advantages"].splitlines()[3] == (
        "- Low immunogenicity, suitable for allogeneic transplantation [UC-A4]"
    )
    # Amniotic membrane is absent from Table 4: no items at all.
    amnion = rows["AM-MSC (amniotic membrane)"]
    assert (amnion["Advantages"], amnion["Disadvantages"]) == ("-", "-")


# ---- Table 3: trials ---------------------------------------------------------------------------


def test_trials_view_of_a_disease() -> None:
    view = views.trials_view(KB, POF)
    assert view.title == "Clinical studies (Table 3)"
    assert headers(view)[:3] == ["NCT / ref", "Disease", "Source"]
    rows = by(view, "NCT / ref")
    assert set(rows) == {
        "NCT01742533",
        "NCT02043743",
        "NCT02062931",
        "NCT02696889",
        "NCT05494723",
        "NCT06132542",
        "NCT06202547",
        "[24]",  # Ding 2018, described in the prose without a registry number
    }
    assert {r["Disease"] for r in rows.values()} == {"Premature ovarian failure"}
    series = rows["NCT02696889"]
    assert (series["Source"], series["Route"], series["Phase"], series["N"]) == (
        "BM-MSC (bone marrow), cells",
        "OV",
        "1/2",
        "3",
    )
    assert series["Status"] == "Completed"
    assert rows["NCT06202547"]["Source"] == "BM-MSC (bone marrow), exosomes"
    assert rows["[24]"]["N"] == "-"  # enrollment not given


def test_trials_of_each_disease_partition_all_trials() -> None:
    every = views.trials_view(KB, None).rows
    per_disease = [r for d in KB.diseases.values() for r in views.trials_view(KB, d).rows]
    assert sorted(r["id"] for r in per_disease) == sorted(r["id"] for r in every)


# ---- Tables 1 and 2: studies -------------------------------------------------------------------


def test_evidence_view_filters_by_disease_tissue_modality_and_route() -> None:
    view = views.evidence_view(KB, POF, "UC", "cells", "IV")
    rows = by(view, "Ref")
    # POF, intravenous cord cells: Cui, Luo, Dai and Yin (with miR-21) in Table 1.
    assert set(rows) == {"[11]", "[13]", "[14]", "[15]"}
    assert {r["Table"] for r in rows.values()} == {"1"}
    assert rows["[15]"]["Preconditioning"] == "mir21-transfection"
    assert rows["[11]"]["Preconditioning"] == "-"
    assert rows["[11]"]["Source"] == "UC-MSC (umbilical cord), cells"
    exosomes = by(views.evidence_view(KB, POF, "UC", "exosomes", None), "Ref")
    assert set(exosomes) == {"[48]", "[49]", "[51]", "[53]"}
    assert {r["Table"] for r in exosomes.values()} == {"2"}
    assert views.evidence_view(KB, POF, "DP", None, None).rows == []


# ---- routes, preconditioning, diseases, errata ---------------------------------------------------


def test_routes_view_of_a_disease_counts_its_records() -> None:
    rows = by(views.routes_view(KB, POF), "Id")
    assert set(rows) == {"IP", "IV", "OV", "implant"}
    # Intraovarian injection is used for POF alone: 8 studies (Tables 1-2), 7 clinical studies.
    assert (rows["OV"]["Diseases"], rows["OV"]["Studies"], rows["OV"]["Trials"]) == (
        "POF",
        "8",
        "7",
    )
    assert len(views.routes_view(KB, None).rows) == len(KB.routes)


def test_preconditioning_view_of_a_disease() -> None:
    rows = by(views.preconditioning_view(KB, POF), "Id")
    assert rows["collagen-scaffold"]["Cited"] == "[24] Ding L, 2018"
    assert rows["collagen-scaffold"]["Tissues"] == "UC"
    assert rows["lps-hama"]["Modalities"] == "exosomes"
    assert rows["hormone-replacement"]["Cited"] == "NCT01742533"
    assert "resveratrol" not in rows  # an Alzheimer's strategy [32]
    assert all("POF" in r["Diseases"] for r in rows.values())


def test_diseases_view() -> None:
    view = views.diseases_view(KB)
    assert "AD = Alzheimer's disease here" in view.title
    rows = by(view, "Id")
    assert set(rows) == {"AD", "AS", "FRAILTY", "OP", "POF", "SKIN"}
    assert rows["AD"]["Name"] == "Alzheimer's disease"
    assert rows["OP"]["Systems"] == "skeletal"
    assert "radiation-induced" in rows["POF"]["Etiologies"].split(", ")


def test_errata_view_shows_both_readings_and_the_one_used() -> None:
    rows = by(views.errata_view(KB), "Id")
    abbreviation = rows["E-AD-ABBREVIATION"]
    assert abbreviation["Readings"].count("\n- ") == 1
    assert "AD = Alzheimer's disease" in abbreviation["Readings"]
    assert "AD = adipose" in abbreviation["Readings"]
    assert abbreviation["Used"].startswith("Both, in separate namespaces")


@pytest.mark.parametrize(
    "view",
    [
        views.diseases_view(KB),
        views.sources_view(KB),
        views.routes_view(KB, None),
        views.preconditioning_view(KB, None),
        views.evidence_view(KB, None, None, None, None),
        views.trials_view(KB, None),
        views.references_view(KB, None),
        views.errata_view(KB),
        views.rules_view(KB, None, None),
        views.rule_view(KB, "T4-BM-D1-DONOR-AGE"),
    ],
    ids=lambda v: v.title,
)
def test_every_view_is_json_and_every_cell_is_text(view: View) -> None:
    json.dumps(view.rows)  # the same rows are the JSON output
    for row in table(view):
        assert all(isinstance(cell, str) and cell for cell in row.values())


# ---- references --------------------------------------------------------------------------------


def test_reference_with_doi_and_pubmed_links() -> None:
    view = views.references_view(KB, 11)
    assert headers(view) == ["Ref", "Reference", "DOI", "PMID"]
    (row,) = table(view)
    assert row["Ref"] == "[11]"
    assert row["Reference"].startswith("Cui L (2023). UMSCs transplantation regulates AMPK/NR4A1")
    assert row["DOI"] == "https://doi.org/10.1007/s12015-022-10469-y"
    assert row["PMID"] == "https://pubmed.ncbi.nlm.nih.gov/36307672/"


@pytest.mark.parametrize(
    ("number", "pmid"),
    [
        (5, "not given"),  # the review prints no PMID
        (1, "201222R741–52 (garbled, not linked)"),
        (34, "37000000 (placeholder, not linked)"),
    ],
)
def test_reference_without_a_usable_pmid_is_not_linked(number: int, pmid: str) -> None:
    (row,) = table(views.references_view(KB, number))
    assert row["PMID"] == pmid
    assert row["DOI"].startswith("https://doi.org/10.")


def test_all_references_and_an_unknown_one() -> None:
    assert [r["ref"] for r in views.references_view(KB, None).rows] == list(range(1, 84))
    with pytest.raises(
        InputError, match=r"no reference 84; the review's references run from 1 to 83"
    ):
        views.references_view(KB, 84)


# ---- rules -------------------------------------------------------------------------------------


def test_rules_view_of_one_kind() -> None:
    view = views.rules_view(KB, "regimen", None)
    assert view.title == "Rules"
    # the table shows id, effect and summary; category and group stay in the JSON rows
    assert headers(view) == ["Id", "Effect", "Summary"]
    assert all({"category", "group"} <= set(r) for r in view.rows)
    rows = by(view, "Id")
    assert set(rows) == {"REG-PAIRED-IN-ANIMAL-STUDIES", "REG-PAIRED-IN-TRIALS"}
    assert rows["REG-PAIRED-IN-ANIMAL-STUDIES"]["Effect"] == "+1 per matching study, cap 2"
    # A kind is a category or a group.
    groups = {r["id"] for r in views.rules_view(KB, "table4", None).rows}
    sources = {r["id"] for r in views.rules_view(KB, "source", None).rows}
    assert groups and groups < sources
    assert all(r["group"] == "table4" for r in views.rules_view(KB, "table4", None).rows)


def test_rules_view_of_a_disease_leaves_out_rules_that_cannot_fire_for_it() -> None:
    # Table 4's osteogenic items speak of skeletal disease only.
    osteogenic = {"T4-BM-A2-OSTEOGENIC", "T4-UCB-A2-OSTEOGENIC", "T4-UCB-D3-LESS-OSTEOGENIC"}
    for_op = {r["id"] for r in views.rules_view(KB, "table4", KB.diseases["OP"]).rows}
    for_pof = {r["id"] for r in views.rules_view(KB, "table4", POF).rows}
    assert osteogenic <= for_op
    assert not osteogenic & for_pof
    assert "T4-BM-D1-DONOR-AGE" in for_pof
    everything = {r["id"] for r in views.rules_view(KB, None, None).rows}
    assert everything == set(KB.rules)
    assert {r["id"] for r in views.rules_view(KB, None, POF).rows} < everything


def test_rules_view_of_assumptions() -> None:
    view = views.rules_view(KB, None, None, assumptions=True)
    assert view.title == "Rules with modelling assumptions"
    assert headers(view)[-1] == "Assumption"
    rows = by(view, "Id")
    assert set(rows) == {p.rule.id for p in KB.rules.values() if p.rule.assumption}
    assert "60 years is assumed" in rows["T4-BM-D1-DONOR-AGE"]["Assumption"]
    # Filters combine: no regimen rule declares an assumption.
    assert views.rules_view(KB, "regimen", None, assumptions=True).rows == []


def test_rules_view_of_an_unknown_kind() -> None:
    with pytest.raises(InputError, match=r"unknown rule kind 'tabel4' \(did you mean 'table4'\?\)"):
        views.rules_view(KB, "tabel4", None)


def test_rule_view_of_one_rule() -> None:
    view = views.rule_view(KB, "T4-BM-D1-DONOR-AGE")
    assert view.title == "Rule T4-BM-D1-DONOR-AGE"
    (row,) = table(view)
    assert row["Kind"].splitlines()[0] == "source / table4"  # its id is the title's
    assert row["Kind"].splitlines()[1].endswith("table4.toml")
    assert row["What it says"].startswith("Own bone marrow at 60 or older")
    assert row["When"].splitlines() == [
        "applies to: candidate.tissue = BM and candidate.modality = cells",
        "when: profile.donor = autologous and profile.age >= 60",
        "effect: -2",
        "level: expert-synthesis",
        "assumption: Table 4 gives no age at which donor-age decline matters: 60 years is "
        "assumed, the review's own boundary for the older population (section Aging in "
        "general).",
    ]
    assert row["Citations"].splitlines() == ["Table 4, BM-D1", "Section: Aging in general"]
    # The JSON row carries the conditions in the long form, whatever the rule file wrote.
    (raw,) = view.rows
    assert raw["when"] == {
        "all": [
            {"field": "profile.donor", "op": "eq", "value": "autologous"},
            {"field": "profile.age", "op": "ge", "value": 60},
        ]
    }


def test_rule_view_links_a_cited_reference() -> None:
    (row,) = table(views.rule_view(KB, "PRE-24-COLLAGEN-SCAFFOLD-FERTILITY"))
    assert row["Citations"].splitlines() == [
        "[24] Ding L, 2018",
        "  Transplantation of UC-MSCs on collagen scaffold activates follicles in dormant ovaries "
        "of POF patients with long history of infertility",
        "  https://doi.org/10.1007/s11427-017-9272-2",
        "  https://pubmed.ncbi.nlm.nih.gov/29546669/",
    ]


def test_rule_view_of_a_rule_with_no_condition() -> None:
    (row,) = table(views.rule_view(KB, "EV-SRC-ANIMAL"))
    assert "when: always" in row["When"].splitlines()


def test_rule_view_of_an_unknown_rule() -> None:
    with pytest.raises(InputError, match=r"unknown rule 'T4-BM-D1-DONOR-AG' \(did you mean"):
        views.rule_view(KB, "T4-BM-D1-DONOR-AG")


# ---- resolve_id --------------------------------------------------------------------------------


@pytest.mark.parametrize("typed", ["UC", "uc", "Uc", "uC"])
def test_resolve_id_ignores_case_and_returns_the_id_as_spelt(typed: str) -> None:
    assert views.resolve_id("tissue", typed, KB.tissues) == "UC"


def test_resolve_id_keeps_mixed_case_ids() -> None:
    assert views.resolve_id("route", "IMPLANT", KB.routes) == "implant"
    assert views.resolve_id("source", "uc-CELLS", ["UC-cells", "BM-cells"]) == "UC-cells"


def test_resolve_id_error_lists_the_valid_ids() -> None:
    with pytest.raises(InputError) as caught:
        views.resolve_id("tissue", "UCX", KB.tissues)
    assert str(caught.value) == (
        "unknown tissue 'UCX' (did you mean 'UC'?); valid: AD, AM, BM, DP, UC, UCB"
    )
