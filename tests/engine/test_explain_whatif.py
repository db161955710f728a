"""explain (why, why not, why not first), what-if, sensitivity and regimens."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings

from mscadvisor.engine import citations
from mscadvisor.engine.explanation import explain
from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import Recommendation, ScoredCandidate
from mscadvisor.engine.scoring import score
from mscadvisor.engine.whatif import apply_changes, movements, sensitivity
from mscadvisor.errors import InputError
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.record import replace
from tests.conftest import CliResult
from tests.strategies import raw_profiles

KB = load_knowledge_base()


def result_for(**raw: Any) -> Any:
    return score(KB, build_profile(raw, KB, "test"))


def test_explain_sums_and_says_why_not() -> None:
    e = explain(KB, result_for(disease="OP", modality="cells"), "UC-cells")
    assert e.candidate is not None
    assert e.candidate.score == e.candidate.base + sum(c.points for c in e.candidate.contributions)
    why_not = {n.rule: n.failed for n in e.not_fired}
    assert why_not["T4-UC-A4-ALLOGENEIC-CHOSEN"] == ("profile.donor = allogeneic",)
    assert why_not["T4-UC-A3-LARGE-DOSE"] == ("profile.needs contains large-cell-dose",)
    assert "EXCL-PERINATAL-AUTOLOGOUS" in why_not
    # Dental pulp leads for osteoporosis: two animal studies and the head-to-head [41].
    assert e.top is not None and e.top.id == "DP-cells"
    assert sum(g.difference for g in e.gap) == e.top.score - e.candidate.score
    assert {g.rule for g in e.gap} >= {
        "EV-SRC-ANIMAL",
        "H2H-41-DENTAL-PULP-BEST-OP",
        "H2H-41-OTHERS-BELOW-DENTAL-PULP-OP",
    }


def test_explain_unknown_age_is_named() -> None:
    e = explain(KB, result_for(disease="OP", donor="autologous"), "BM-cells")
    (failed,) = [n.failed for n in e.not_fired if n.rule == "T4-BM-D1-DONOR-AGE"]
    assert failed == ("profile.age >= 60 (unknown: profile.age is not given)",)


def test_explain_evidence_rule_without_records() -> None:
    e = explain(KB, result_for(disease="SKIN"), "BM-cells")
    assert e.candidate is not None and e.candidate.evidence == ()  # no skin study used BM
    (failed,) = [n.failed for n in e.not_fired if n.rule == "EV-SRC-ANIMAL"]
    assert failed == (
        "no study or trial of this kind tested exactly this candidate (indirect evidence, of "
        "another tissue, modality, route, product or disease, adds nothing to this rule)",
    )
    # A rule that counts indirect records too fails only when there is none of either.
    (failed,) = [n.failed for n in e.not_fired if n.rule == "EV-SRC-CLINICAL-UNCONTROLLED"]
    assert failed == (
        "no study or trial of this kind tested it, directly or indirectly (see the candidate's "
        "evidence)",
    )


def test_explain_tie_break() -> None:
    e = explain(KB, result_for(disease="POF"), "BM-cells")
    assert e.top is not None and e.top.id == "UC-cells"
    assert e.tie_break == "tied on score 8; UC-cells ranks first on certainty (low vs very-low)"
    assert e.to_dict()["versus_top"]["gap"] == 0
    # Evidence on balance ranks before any score: the tier is named, whatever the gap.
    e = explain(KB, result_for(disease="AD", modality="exosomes", age=71), "UC-exosomes")
    assert e.top is not None and e.top.id == "AD-exosomes"
    assert e.tie_break is not None and "evidence supports it" in e.tie_break
    assert e.to_dict()["versus_top"]["gap"] == 6


def test_explain_excluded_candidate() -> None:
    e = explain(KB, result_for(disease="POF", donor="autologous"), "UC-cells")
    assert e.candidate is None
    assert [x.rule for x in e.exclusions] == ["EXCL-PERINATAL-AUTOLOGOUS"]
    assert e.to_dict()["versus_top"] is None


def errata_ids(disease: str, candidate: str, **profile: Any) -> dict[str, list[str]]:
    """Each erratum explain shows for the candidate, with the labels of what it is on."""
    e = explain(KB, result_for(disease=disease, **profile), candidate)
    return {n.erratum.id: [v.label for v in n.on] for n in e.errata}


def test_explain_shows_the_erratum_on_a_study_it_counts() -> None:
    # Table 1 files [42] under dental pulp; its reference's title says gingiva (E-DP-42).
    e = explain(KB, result_for(disease="OP"), "DP-cells")
    assert e.candidate is not None
    assert "[42] Wu W, 2020" in {u.citation.label for u in e.candidate.evidence}
    (note,) = [n for n in e.errata if n.erratum.id == "E-DP-42"]
    assert [v.label for v in note.on] == ["[42] Wu W, 2020"]
    assert any("gingiva" in reading for reading in note.erratum.readings)
    assert note.to_dict()["erratum"]["citations"][0]["label"] == "[42] Wu W, 2020"
    # Bone marrow cells cite no study of [42]: the erratum is not theirs.
    assert "E-DP-42" not in errata_ids("OP", "BM-cells")


def test_errata_on_a_caveat_finding_a_table_4_item_and_a_trial_show() -> None:
    # The caveat that injected cells beat their conditioned medium cites [20] (POF prose),
    # whose tissue and whose claim the review contradicts elsewhere.
    exosomes = errata_ids("POF", "UC-exosomes")
    assert exosomes["E-AMNION-20"] == exosomes["E-EXO-EQUIVALENCE"] == ["[20] Ling L, 2019"]
    # Table 4 items are as specific as a reference: the cord blood items an erratum is about.
    assert errata_ids("OP", "UCB-cells") == {
        "E-T4-UCB-OSTEOGENIC": ["Table 4, UCB-A2", "Table 4, UCB-D3"]
    }
    assert "E-T4-UCB-SUPPLY" in errata_ids("OP", "UCB-cells", needs=["large-cell-dose"])
    # The one OP trial of autologous cells, which the autologous-prose erratum names.
    assert errata_ids("OP", "BM-cells", donor="autologous")["E-OP-AUTOLOGOUS"] == ["NCT02566655"]


def test_a_study_of_the_other_modality_that_counts_nothing_ties_no_erratum() -> None:
    # Bone marrow cells for AD see the exosome study [62] as indirect evidence that counts
    # nothing; that Table 2 prints its vesicles above 150 nm says nothing of the cells.
    e = explain(KB, result_for(disease="AD"), "BM-cells")
    assert e.candidate is not None
    (use,) = [u for u in e.candidate.evidence if u.citation.ref == 62]
    assert not use.direct and not any(use.record in c.records for c in e.candidate.contributions)
    assert [n.erratum.id for n in e.errata] == ["E-NCT02600130-RESULTS"]
    # For bone marrow exosomes the same study is of their modality (indirect only for its
    # preconditioning), and [58] is indirect for what the erratum on it explains.
    assert errata_ids("AD", "BM-exosomes") == {
        "E-T2-58-CELLS": ["[58] Nakano M, 2020"],
        "E-T2-SIZE-ABOVE-EXOSOME": ["[62] Losurdo M, 2020"],
    }


def test_a_rule_shows_the_errata_it_declares() -> None:
    # A cancer history fires the tumorigenic caveat, an expert-synthesis rule citing [8]:
    # the review prints that reassurance as [7] (E-TUMOR-7, E-REFS-5-8), which it declares.
    rule = KB.rules["MOD-CELLS-TUMORIGENIC-CAVEAT"].rule
    assert rule.level == "expert-synthesis" and rule.errata == ("E-REFS-5-8", "E-TUMOR-7")
    shown = errata_ids("POF", "UC-cells", comorbidities=["cancer-history"])
    assert shown["E-TUMOR-7"] == shown["E-REFS-5-8"] == ["[8] Chen W, 2023"]
    assert "E-TUMOR-7" not in errata_ids("POF", "UC-cells")  # the rule did not fire


def test_a_background_source_of_a_general_trait_ties_no_erratum() -> None:
    # The embolism rule cites [9], a review of MSCs and their vesicles, for a general trait;
    # the errata citing [9] are about exosome sizes and citation numbers, not bone marrow cells.
    e = explain(KB, result_for(disease="OP", comorbidities=["thromboembolism"]), "BM-cells")
    assert e.candidate is not None
    assert "MOD-CELLS-EMBOLISM-RISK" in {c.rule for c in e.candidate.contributions}
    assert {"E-T2-SIZE-ABOVE-EXOSOME", "E-REFS-5-8"}.isdisjoint(n.erratum.id for n in e.errata)


def test_an_excluded_candidate_shows_the_errata_its_exclusion_cites() -> None:
    result = result_for(disease="POF", donor="autologous")
    e = explain(KB, result, "UC-cells")
    assert e.candidate is None and e.errata == ()  # Table 4 and a section: no erratum's
    # Were its exclusion (an expert-synthesis rule) to cite a trial, the errata on the trial
    # would show; a reference it cited would be a background source, which ties none.
    (bm,) = [c for c in result_for(disease="POF").ranked["source"] if c.id == "BM-cells"]
    (trial,) = [u.citation for u in bm.evidence if u.citation.nct == "NCT02696889"]
    (dp,) = [c for c in result_for(disease="OP").ranked["source"] if c.id == "DP-cells"]
    (study_42,) = [u.citation for u in dp.evidence if u.citation.ref == 42]
    for cited, expected in (((trial,), ["E-T3-POF-UNVERIFIED"]), ((study_42,), [])):
        excluded = tuple(replace(x, citations=cited) for x in result.excluded)
        shown = explain(KB, replace(result, excluded=excluded), "UC-cells").errata
        assert [n.erratum.id for n in shown] == expected


@pytest.mark.parametrize("disease", sorted(KB.diseases))
def test_each_erratum_shown_is_on_what_the_candidate_was_judged_on(disease: str) -> None:
    result = result_for(disease=disease)
    for candidate in (c for ranked in result.ranked.values() for c in ranked):
        e = explain(KB, result, candidate.id)
        assert [n.erratum.id for n in e.errata] == sorted({n.erratum.id for n in e.errata})
        judged_for = candidate.modality or next(
            (s.modality for s in result.ranked["source"] if s.id == result.judged_for), None
        )
        records = {r.id: r for r in [*KB.studies, *KB.trials.values()]}
        judged_on = {
            u.citation
            for u in candidate.evidence
            if u.direct or records[u.record].modality == judged_for
        }
        judged_on |= {v for c in candidate.contributions for v in c.citations}
        judged_on |= {
            citations.view(KB, c)
            for r in candidate.caveat_rules
            for c in KB.rules[r].rule.citations
        }
        declared = {
            x
            for r in [*(c.rule for c in candidate.contributions), *candidate.caveat_rules]
            for x in KB.rules[r].rule.errata
        }
        for note in e.errata:
            own = {citations.view(KB, c) for c in note.erratum.citations}
            assert note.on and set(note.on) <= judged_on, (candidate.id, note.erratum.id)
            assert set(note.on) & own or note.erratum.id in declared
            # A table or a section alone ties nothing: each is a study, trial or Table 4 item.
            assert all(v.ref or v.nct or v.item for v in note.on)


def test_explain_unknown_candidate() -> None:
    with pytest.raises(InputError, match="did you mean 'BM-cells'"):
        explain(KB, result_for(disease="POF"), "BM-cell")


@settings(max_examples=40, deadline=None)
@given(raw_profiles(KB))
def test_explanation_gap_always_adds_up(raw: dict[str, Any]) -> None:
    result = result_for(**raw)
    for ranked in result.ranked.values():
        for candidate in ranked[1:3]:
            e = explain(KB, result, candidate.id)
            assert e.top is not None and e.candidate is not None
            assert sum(g.difference for g in e.gap) == e.top.score - e.candidate.score


def test_what_if_changes_and_movements() -> None:
    baseline = build_profile({"disease": "AD"}, KB, "test")
    changed = apply_changes(KB, baseline, ["modality=exosomes", "age=71", "needs=durable-effect"])
    assert (changed.modality, changed.age, changed.needs) == ("exosomes", 71, ("durable-effect",))
    moved = movements(score(KB, baseline), score(KB, changed))
    gone = {m.id for m in moved if m.changed_rank is None}
    assert "BM-cells" in gone  # cells are no longer candidates


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ("colour=blue", "expected FIELD=VALUE"),
        ("agee=3", "did you mean 'age'"),
        ("age=old", "whole number"),
        ("avoid-invasive-harvest=maybe", "true, yes or 1, or false, no or 0"),
        ("donor=self", "unknown donor"),
    ],
)
def test_bad_what_if(change: str, fragment: str) -> None:
    with pytest.raises(InputError, match=fragment):
        apply_changes(KB, build_profile({"disease": "AD"}, KB, "test"), [change])


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            ["comorbidities=diabetes", "comorbidities=obesity"],
            "--what-if 'comorbidities=obesity': comorbidities is already changed by "
            "'comorbidities=diabetes'; change a field once (a list takes several values: "
            "comorbidities=a,b)",
        ),
        (
            ["age=30", "donor=any", "AGE=40"],
            "--what-if 'AGE=40': age is already changed by 'age=30'; change a field once",
        ),
    ],
)
def test_a_field_changed_twice_is_refused_not_overwritten(changes: list[str], message: str) -> None:
    with pytest.raises(InputError) as info:
        apply_changes(KB, build_profile({"disease": "OP"}, KB, "test"), changes)
    assert str(info.value) == message


@pytest.mark.parametrize(
    ("raw", "expected", "absent"),
    [
        (
            {"disease": "OP", "modality": "cells"},
            {("modality", "exosomes", "source"): "AD-exosomes"},
            # Dental pulp already leads: avoiding a marrow harvest only widens its lead.
            [("avoid_invasive_harvest", "True", "source")],
        ),
        (
            {"disease": "POF", "modality": "cells", "age": 34, "needs": ["fertility"]},
            {
                # The only trial that reported a pregnancy used bone marrow cells; without a
                # marrow harvest (donor not fixed), umbilical cord cells lead.
                ("avoid_invasive_harvest", "True", "source"): "UC-cells",
                ("needs", "-fertility", "source"): "UC-cells",
            },
            [],
        ),
    ],
)
def test_sensitivity_reports_real_flips(
    raw: dict[str, Any], expected: dict[tuple[str, str, str], str], absent: list[Any]
) -> None:
    profile = build_profile(raw, KB, "test")
    changes = sensitivity(KB, profile)
    flips = {(c.field, str(c.value), c.category): c.after for c in changes}
    assert {key: flips.get(key) for key in expected} == expected
    assert not set(absent) & set(flips)
    for c in changes:  # every reported flip is real
        field = c.field
        value: Any = c.value
        if field in ("comorbidities", "needs"):
            current = set(getattr(profile, field))
            name = str(value)[1:]
            value = tuple(sorted(current - {name} if str(value)[0] == "-" else current | {name}))
        varied = score(KB, profile.replace(**{field: value}))
        assert varied.ranked[c.category][0].id == c.after


AGE_PROFILE = {
    "disease": "AD",
    "modality": "cells",
    "donor": "autologous",
    "age": 55,
    "comorbidities": ["diabetes"],
}


def test_sensitivity_crosses_the_age_threshold() -> None:
    profile = build_profile(AGE_PROFILE, KB, "test")
    assert result_for(**AGE_PROFILE).ranked["source"][0].id == "BM-cells"
    ages = {c.value: c.after for c in sensitivity(KB, profile) if c.field == "age"}
    # Own bone marrow loses ground from 60 (Table 4, BM-D1); own fat already has (diabetes).
    assert ages == {60: "AD-cells"}


def unranked(result: Recommendation, category: str, candidate: str) -> ScoredCandidate:
    """A candidate of a category as it was scored, before ranking gave it a place."""
    found = next(c for c in result.ranked[category] if c.id == candidate)
    return replace(found, rank=0, tied_with=())


@settings(max_examples=60, deadline=None)
@given(raw_profiles(KB))
def test_regimens_are_paired_by_evidence_and_add_up(raw: dict[str, Any]) -> None:
    result = result_for(**raw)
    for r in result.regimens:
        assert r.paired_by
        assert r.score == sum(p.score for p in r.parts) + sum(c.points for c in r.pairing)
        # Each part is a candidate as judged: the source as ranked among the sources, its route
        # and strategy as scored for that source (what --source gives), unranked.
        assert r.source in result.ranked["source"]
        given = score(KB, result.profile, source=r.source.id)
        assert given.judged_for == r.source.id
        assert r.route == unranked(given, "route", r.route.id)
        assert r.preconditioning is None or r.preconditioning == unranked(
            given, "preconditioning", r.preconditioning.id
        )
        if r.source.id == result.judged_for:
            assert r.route == unranked(result, "route", r.route.id)
        records = [s for s in KB.studies if s.setting == "in-vivo"] + list(KB.trials.values())
        assert any(
            x.disease == result.disease
            and f"{x.tissue}-{x.modality}" == r.source.id
            and x.route == r.route.id
            for x in records
        )
    assert [r.rank for r in result.regimens] == list(range(1, len(result.regimens) + 1))


def test_exosome_only_route_is_never_paired_with_cells() -> None:
    result = result_for(disease="AD", modality="cells")
    assert all(r.route.id != "IN" for r in result.regimens)
    assert any(r.route.id == "IN" for r in result_for(disease="AD").regimens)


def test_cli_explain_and_what_if(cli: Callable[..., CliResult]) -> None:
    doc = cli(
        "explain",
        "-d",
        "OP",
        "--modality",
        "cells",
        "-c",
        "UC-cells",
        "--sensitivity",
        "-f",
        "json",
    ).json()
    assert doc["candidate"]["id"] == "UC-cells" and doc["versus_top"]["top"] == "DP-cells"
    assert any(s["field"] == "modality" for s in doc["sensitivity"])
    table = cli("explain", "-d", "OP", "-c", "BM-cells")  # a runner-up, since DP-cells leads
    assert table.code == 0 and "why not" in table.out.lower() and "Why not first" in table.out
    first = cli("explain", "-d", "OP", "-c", "DP-cells")
    assert first.code == 0 and "Why not first" not in first.out
    what_if = cli("recommend", "-d", "AD", "--what-if", "modality=exosomes", "-f", "json").json()
    keys = {"schema_version", "disclaimer", "baseline", "what_if", "changes", "reproduce"}
    assert set(what_if) == keys
    assert what_if["what_if"]["query"]["profile"]["modality"] == "exosomes"
    assert cli("recommend", "-d", "AD", "--what-if", "modality=exosomes").code == 0
    bad = cli("explain", "-d", "OP", "-c", "XX-cells")
    assert bad.code == 2 and "unknown candidate for OP 'XX-cells'" in bad.err


def test_cli_explain_shows_the_errata_in_every_format(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    table = cli("explain", "-d", "OP", "-c", "DP-cells")
    assert table.code == 0, table.err
    lines = table.out.splitlines()
    heading = lines.index("Errata: where the review contradicts itself about what this rests on")
    assert lines[heading - 1].startswith("└")  # under the evidence table
    assert lines[heading + 1 : heading + 6] == [
        "  E-DP-42, on [42] Wu W, 2020",
        "    Table 1 row [42] and OP prose vs reference [42]",
        "    - Table 1 and prose: dental pulp MSCs (hDP-MSC) produce CD39",
        "    - Reference title: CD39 produced from human gingiva-derived MSCs (GMSCs)",
        "    reading used: Dental pulp, as the review files it",
    ]
    markdown = cli("explain", "-d", "OP", "-c", "DP-cells", "-f", "markdown").out.splitlines()
    first = markdown.index(
        "- `E-DP-42`, on [42] Wu W, 2020: Table 1 row [42] and OP prose vs reference [42]"
    )
    assert markdown[first + 1 : first + 4] == [
        "  - reading: Table 1 and prose: dental pulp MSCs (hDP-MSC) produce CD39",
        "  - reading: Reference title: CD39 produced from human gingiva-derived MSCs (GMSCs)",
        "  - reading used: Dental pulp, as the review files it",
    ]
    doc = cli("explain", "-d", "OP", "-c", "DP-cells", "-f", "json").json()
    (note,) = [x for x in doc["errata"] if x["erratum"]["id"] == "E-DP-42"]
    assert [c["label"] for c in note["on"]] == ["[42] Wu W, 2020"]
    assert note["erratum"]["used"] == "Dental pulp, as the review files it"
    assert "Errata" not in cli("explain", "-d", "FRAILTY", "-c", "AM-cells").out
    # A wrapped reading hangs under its own text, not under the dash of the next.
    marrow = cli("explain", "-d", "POF", "-c", "BM-cells").out.splitlines()
    reading = marrow.index(
        "    - Table 3: both trials report lower serum FSH, higher oestrogen and AMH,"
    )
    assert marrow[reading + 1].startswith("      and fewer menopausal symptoms")


def test_cli_explain_sensitivity_table(cli: Callable[..., CliResult]) -> None:
    flags = ["explain", "-d", "AD", "--modality", "cells", "--donor", "autologous"]
    flags += ["--age", "55", "--comorbidity", "diabetes", "-c", "BM-cells"]
    table = cli(*flags, "--sensitivity")
    assert table.code == 0 and "Sensitivity: single-field changes" in table.out
    (row,) = [line for line in table.out.splitlines() if "age=60" in line]
    assert "BM-cells" in row and "AD-cells" in row
    assert "Sensitivity" not in cli(*flags).out


def test_the_what_if_table_shows_the_warnings_of_each_side(
    cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A warning both sides share is shown once; one only the what-if profile gets (a need that
    has no meaning for the disease) says so; piped, each also goes to stderr once."""
    monkeypatch.setenv("COLUMNS", "200")
    table = cli("recommend", "-d", "OP", "--what-if", "needs=fertility")
    assert table.code == 0
    shared = "warning No registered osteoporosis trial in the review has reported results."
    assert table.out.count(shared) == 1
    assert "warning (what if) The need 'fertility' has no meaning for OP" in table.out
    stderr = table.err.splitlines()
    assert len(stderr) == len(set(stderr)) == table.out.count("\nwarning")
    assert "mscadvisor: warning: The need 'fertility' has no meaning for OP" in table.err
    back = cli("recommend", "-d", "OP", "--need", "fertility", "--what-if", "needs=")
    assert "warning (baseline) The need 'fertility' has no meaning for OP" in back.out
