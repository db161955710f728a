"""mscadvisor gaps: the grids on stdout, the picture it exports (well-formed SVG holding the
cells, HTML), and the JSON document with the counts the grid shows, valid by its schema."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

import pytest

from tests import schemas
from tests.conftest import CliResult
from tests.packs import new_pack

Cli = Callable[..., CliResult]
SVG = "{http://www.w3.org/2000/svg}"


def svg_lines(path: Path) -> list[str]:
    """The terminal lines an SVG export shows. rich writes each run of one style as a <text>
    element at its column's x (a fixed width per character) and its line's y, spaces as
    no-break spaces, and leaves runs of blanks out."""
    root = ET.parse(path).getroot()  # raises on anything that is not well-formed
    assert root.tag == f"{SVG}svg"
    lines: dict[float, dict[int, str]] = {}
    for element in root.iter(f"{SVG}text"):
        text, length = element.text, element.get("textLength")
        if not text or length is None:  # the window's title
            continue
        column = round(float(element.get("x", 0)) / (float(length) / len(text)))
        lines.setdefault(float(element.get("y", 0)), {})[column] = text.replace("\xa0", " ")
    shown = []
    for _, runs in sorted(lines.items()):
        line = ""
        for column, text in sorted(runs.items()):
            line = line.ljust(column) + text
        shown.append(line.rstrip())
    return shown


def test_the_table_is_the_grid_of_each_view(cli: Cli) -> None:
    result = cli("gaps", "-d", "premature-ovarian-failure")
    assert result.code == 0, result.err
    assert result.out.startswith(
        "Research decision support, not medical advice.\n"
        "POF: Premature ovarian failure / insufficiency\n"
    )
    assert "sources x routes" in result.out
    assert "sources x preconditioning strategies" in result.out
    assert "no evidence in the review" in result.out
    only = cli("gaps", "-d", "POF", "--view", "route").out
    assert "sources x routes" in only and "strategies" not in only


def test_without_a_disease_every_disease_is_mapped(cli: Cli) -> None:
    out = cli("gaps", "--view", "route").out
    starts = [line.split(":")[0] for line in out.splitlines() if ": " in line and line[0].isupper()]
    assert [s for s in starts if s in ("POF", "AD", "AS", "OP", "SKIN", "FRAILTY")] == [
        *("AD", "AS", "FRAILTY", "OP", "POF", "SKIN")
    ]


@pytest.mark.parametrize("fmt", ["table", "json"])
def test_svg_export_is_well_formed_and_holds_the_cells(
    cli: Cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fmt: str
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    target = tmp_path / "pof.svg"
    result = cli("gaps", "-d", "POF", "--view", "route", "-f", fmt, "--export", str(target))
    assert result.code == 0, result.err
    lines = svg_lines(target)
    bm = next(line for line in lines if line.startswith("│ BM-cells "))
    assert [c.strip() for c in bm.strip("│").split("│")] == [
        *("BM-cells", "2·3 V", "--", "1·0 V", "1·3 V", "--", "--")
    ]
    assert any("no evidence in the review" in line for line in lines)
    assert max(len(line) for line in lines) <= 80  # the terminal's width, as printed


def test_svg_export_escapes_what_it_shows(cli: Cli, tmp_path: Path) -> None:
    """Names are data: a pack's route named with markup characters stays text."""
    pack = new_pack(tmp_path / "pack")
    (pack / "routes.toml").write_text(
        '[[route]]\nid = "R<&>-route"\nname = "A <b>bold</b> & \\"quoted\\" route"\n'
        'diseases = ["SKIN"]\n',
        encoding="utf-8",
    )
    target = tmp_path / "skin.svg"
    result = cli("--rules", str(pack), "gaps", "-d", "SKIN", "--export", str(target))
    assert result.code == 0, result.err
    text = " ".join(" ".join(svg_lines(target)).split())
    assert 'R<&>-r… = R<&>-route: A <b>bold</b> & "quoted" route' in text


def test_html_export_holds_the_cells(cli: Cli, tmp_path: Path) -> None:
    target = tmp_path / "ad.html"
    result = cli("gaps", "-d", "AD", "-f", "json", "--export", str(target))
    assert result.code == 0, result.err
    html = target.read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>")
    assert "UCB-cells" in html and "0·1 ?" in html


def test_json_validates_and_holds_what_the_grid_shows(cli: Cli) -> None:
    doc = cli("gaps", "-d", "POF", "-f", "json").json()
    schemas.validate("gaps", doc)
    (pof,) = doc["diseases"]
    routes, strategies = pof["views"]
    assert (routes["view"], strategies["view"]) == ("route", "preconditioning")
    assert [c["id"] for c in routes["columns"]] == ["IP", "IV", "OV", "implant", None]
    bm = next(r for r in routes["rows"] if r["source"] == "BM-cells")
    ov = bm["cells"][2]
    assert (ov["studies"], ov["animal"], ov["clinical"]) == (1, 1, 3)
    assert sorted(ov["records"]) == ["NCT02043743", "NCT02062931", "NCT02696889", "T1-19"]
    assert ov["certainty"] == "very-low" and ov["certainty_reasons"]
    assert {u["citation"]["label"] for u in ov["evidence"]} >= {"NCT02696889"}
    assert bm["cells"][0]["status"] == "none"
    dental = next(r for r in routes["rows"] if r["source"] == "DP-cells")["overall"]
    assert dental["status"] == "traits" and dental["records"] == []


def test_the_schema_rejects_what_gaps_never_prints(cli: Cli) -> None:
    doc = cli("gaps", "-d", "SKIN", "-f", "json").json()
    schemas.validate("gaps", doc)
    view = doc["diseases"][0]["views"][0]
    cell = view["rows"][0]["cells"][0]

    def with_cell(changed: dict[str, object]) -> dict[str, object]:
        rows = [{**view["rows"][0], "cells": [changed]}]
        return {**doc, "diseases": [{**doc["diseases"][0], "views": [{**view, "rows": rows}]}]}

    assert not schemas.errors("gaps", with_cell(cell))
    assert schemas.errors("gaps", with_cell({**cell, "status": "unknown"}))
    assert schemas.errors("gaps", with_cell({**cell, "studies": -1}))
    assert schemas.errors("gaps", with_cell({**cell, "certainty": "low-ish"}))
    assert schemas.errors("gaps", {**doc, "diseases": []})
    column = {"id": "IV", "name": "x", "kind": "not-given"}  # such a column has no id
    assert schemas.errors(
        "gaps",
        {**doc, "diseases": [{**doc["diseases"][0], "views": [{**view, "columns": [column]}]}]},
    )


@pytest.mark.parametrize("disease", ["POF", "AD", "AS", "OP", "SKIN", "FRAILTY"])
def test_route_cells_hold_each_row_of_evidence_and_trials_once(cli: Cli, disease: str) -> None:
    """The route view against the listings: every row of `evidence` and `trials` for the
    disease is counted in exactly one cell, and each cell's counts are its records."""
    doc = cli("gaps", "-d", disease, "--view", "route", "-f", "json").json()
    (routes,) = doc["diseases"][0]["views"]
    placed: list[str] = []
    for row in routes["rows"]:
        for cell in row["cells"]:
            assert cell["studies"] + cell["clinical"] == len(cell["records"])
            assert cell["animal"] + cell["in_vitro"] == cell["studies"]
            placed += cell["records"]
    studies = cli("evidence", "-d", disease, "-f", "json").json()["rows"]
    trials = cli("trials", "-d", disease, "-f", "json").json()["rows"]
    assert sorted(placed) == sorted(r["id"] for r in (*studies, *trials))
