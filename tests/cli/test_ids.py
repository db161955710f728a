"""Ids people can find and type: listed by `candidates`, accepted in any case and with tissue
aliases, explained when the profile leaves a candidate out, and never split on screen."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from tests.conftest import CliResult

Cli = Callable[..., CliResult]


def test_candidates_lists_every_id_and_its_other_spellings(cli: Cli) -> None:
    rows = cli("candidates", "-d", "POF", "-f", "json").json()["rows"]
    by_id = {r["id"]: r for r in rows}
    assert {"UC-cells", "BM-exosomes", "IV", "OV", "collagen-scaffold"} <= set(by_id)
    assert {"adipose-cells", "fat-cells"} <= set(by_id["AD-cells"]["also"])
    assert by_id["OV"]["category"] == "route"


@pytest.mark.parametrize("spelling", ["bm-cells", "BM-CELLS", "marrow-cells", "bone-marrow-cells"])
def test_explain_takes_any_case_and_tissue_aliases(cli: Cli, spelling: str) -> None:
    doc = cli("explain", "-d", "POF", "-c", spelling, "-f", "json").json()
    assert doc["candidate"]["id"] == "BM-cells"


def test_source_takes_an_alias(cli: Cli) -> None:
    doc = cli("recommend", "-d", "POF", "--source", "cord-cells", "-f", "json").json()
    assert doc["ranking"]["routes_and_preconditioning_for"] == "UC-cells"


@pytest.mark.parametrize(
    ("given", "what"),
    [("IV", "an administration route"), ("fucosylation", "a preconditioning strategy")],
)
def test_source_given_a_route_or_strategy_says_what_it_is(cli: Cli, given: str, what: str) -> None:
    result = cli("recommend", "-d", "OP", "--source", given)
    assert result.code == 2
    assert f"--source {given}: {given} is {what}, not a source; valid: AD-cells" in result.err
    assert "modality" not in result.err
    # One the disease has no evidence for, in another case, is still named for what it is.
    other = cli("recommend", "-d", "SKIN", "--source", given.lower())
    assert f"--source {given.lower()}: {given} is {what}, not a source; valid:" in other.err


def test_source_left_out_by_the_modality_says_so(cli: Cli) -> None:
    result = cli("recommend", "-d", "POF", "--source", "BM-exosomes", "--modality", "cells")
    assert result.code == 2 and "BM-exosomes is left out by the profile's modality" in result.err


def test_a_candidate_left_out_by_the_modality_says_so(cli: Cli) -> None:
    result = cli("explain", "-d", "POF", "-c", "UC-cells", "--modality", "exosomes")
    assert result.code == 2 and "--modality exosomes leaves out its modality" in result.err


def test_unknown_ids_get_a_short_hint_not_every_id(cli: Cli) -> None:
    result = cli("explain", "-d", "POF", "-c", "UC-cels")
    assert result.code == 2 and "did you mean 'UC-cells'" in result.err
    assert (
        "listed by `mscadvisor candidates -d POF`" in result.err and "BM-exosomes" not in result.err
    )
    rule = cli("rules", "show", "t4-bm-d1-donor")
    assert (rule.code == 2 and "valid: 64 ids" not in rule.err) or "listed by" in rule.err
    assert len(rule.err) < 200


def test_rule_ids_are_case_insensitive(cli: Cli) -> None:
    (row,) = cli("rules", "show", "t4-bm-d1-donor-age", "-f", "json").json()["rows"]
    assert row["id"] == "T4-BM-D1-DONOR-AGE"


@pytest.mark.parametrize("width", ["80", "100", "160"])
def test_a_reference_link_is_never_split(
    cli: Cli, width: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", width)
    out = cli("reference", "18").out
    assert "https://doi.org/10.1186/s13287-024-03698-0" in out
