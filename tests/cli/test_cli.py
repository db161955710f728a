"""The command line: every command in table and JSON form, flags, bad input and exit codes."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from mscadvisor import __version__
from mscadvisor.engine.result import SCHEMA_VERSION
from mscadvisor.errors import EXIT_KNOWLEDGE_BASE, EXIT_RUNTIME, EXIT_USAGE
from mscadvisor.kb.knowledge import KnowledgeBase
from tests.conftest import CliResult, Unprivileged
from tests.datachecks import GOLDEN_POF, mask_knowledge_hash, recommend_json

Cli = Callable[..., CliResult]


def test_help_lists_every_command(cli: Cli) -> None:
    result = cli("--help")
    assert result.code == 0
    for command in (
        "recommend",
        "diseases",
        "sources",
        "routes",
        "preconditioning",
        "evidence",
        "trials",
        "reference",
        "errata",
        "schema",
        "rules",
    ):
        assert command in result.out
    assert "not medical advice" in result.out


def test_version(cli: Cli) -> None:
    assert cli("--version").out.strip() == f"mscadvisor {__version__}"


@pytest.mark.parametrize(
    ("args", "count", "keys"),
    [
        (["diseases"], 6, {"id", "name", "aliases", "systems", "etiologies"}),
        (["sources"], 6, {"id", "procurement", "advantages", "disadvantages"}),
        (["routes"], 13, {"id", "name", "diseases"}),
        (["routes", "--disease", "alzheimers"], 5, {"id"}),
        (["preconditioning", "--disease", "POF"], 9, {"id", "kind", "tissues", "modalities"}),
        (["evidence"], 57, {"table", "ref", "disease", "tissue", "modality", "route"}),
        (["evidence", "--disease", "OP", "--tissue", "dp"], 3, {"table"}),
        (["evidence", "--disease", "OP", "--tissue", "dental-pulp"], 3, {"table"}),  # an alias
        (["evidence", "--modality", "exosomes", "--route", "in"], 1, {"ref"}),
        (
            ["trials"],
            19,  # the 18 rows of Table 3 and the prose-only clinical study [24] (REF24)
            {
                "nct",
                "ref",
                "disease",
                "tissue",
                "modality",
                "route",
                "phase",
                "enrollment",
                "status",
            },
        ),
        (["trials", "--disease", "AD"], 6, {"nct"}),
        (["reference"], 83, {"ref", "doi", "pmid"}),
        (["reference", "41"], 1, {"doi_url", "pubmed_url"}),
        (["errata"], 32, {"id", "readings", "used", "why"}),
    ],
)
def test_browsing_commands_json(cli: Cli, args: list[str], count: int, keys: set[str]) -> None:
    result = cli(*args, "--format", "json")
    assert result.code == 0, result.err
    rows = result.json()["rows"]
    assert len(rows) == count
    assert all(keys <= set(row) for row in rows)


@pytest.mark.parametrize(
    "command",
    [
        "diseases",
        "sources",
        "routes",
        "preconditioning",
        "evidence",
        "trials",
        "reference",
        "errata",
    ],
)
def test_browsing_commands_table(cli: Cli, command: str) -> None:
    result = cli(command)
    assert result.code == 0
    assert "row(s)" in result.out and "\x1b[" not in result.out


def test_trials_json_keeps_missing_nct_as_null(cli: Cli) -> None:
    rows = cli("trials", "--disease", "AS", "--format", "json").json()["rows"]
    assert len(rows) == 1
    assert rows[0]["nct"] is None and rows[0]["ref"] == 39


def test_trials_json_marks_the_prose_only_study(cli: Cli) -> None:
    rows = cli("trials", "--format", "json").json()["rows"]
    assert sum(row["in_table3"] for row in rows) == 18  # Table 3's rows
    (prose,) = [row for row in rows if not row["in_table3"]]
    assert (prose["id"], prose["ref"], prose["nct"]) == ("REF24", 24, None)


@pytest.mark.parametrize(("word", "route"), [("intravenous", "IV"), ("Intraovarian", "OV")])
def test_evidence_takes_the_first_word_of_a_route_name(cli: Cli, word: str, route: str) -> None:
    rows = cli("evidence", "--route", word, "-f", "json").json()["rows"]
    assert rows and {r["route"] for r in rows} == {route}


def test_a_route_name_word_stands_for_it_only_when_unique_and_longer_than_three() -> None:
    from mscadvisor.cli.browse import _first_words
    from mscadvisor.kb.records import Route

    routes = {
        r.id: r
        for r in (
            Route(id="IV", name="Intravenous injection"),
            Route(id="coculture", name="In vitro co-culture"),
            Route(id="A", name="Local injection"),
            Route(id="B", name="Local spray"),
            Route(id="topical", name="Topical application"),
        )
    }
    assert _first_words(routes) == {"intravenous": "IV"}


def test_reference_links_only_real_pmids(cli: Cli) -> None:
    (real,) = cli("reference", "41", "-f", "json").json()["rows"]
    assert real["pubmed_url"] == "https://pubmed.ncbi.nlm.nih.gov/38601464/"
    (placeholder,) = cli("reference", "39", "-f", "json").json()["rows"]
    assert placeholder["pubmed_url"] is None and placeholder["pmid_status"] == "placeholder"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (["routes", "--disease", "alzheimer's-diseas"], "did you mean"),
        (["evidence", "--tissue", "bone"], "unknown tissue 'bone'"),
        (["evidence", "--tissue", "adipos"], "unknown tissue 'adipos' (did you mean 'adipose'?)"),
        (["evidence", "--route", "oral"], "valid: "),
        (
            ["evidence", "--route", "intravenus"],
            "unknown route 'intravenus' (did you mean 'intravenous'?)",
        ),
        (["evidence", "--modality", "cell"], "did you mean 'cells'"),
        (["reference", "84"], "no reference 84"),
        (["recommend", "--disease", "GOUT"], "unknown disease 'GOUT'"),
        (["recommend", "--disease", "POF", "--age", "300"], "outside 0-120"),
        (["recommend", "--disease", "POF", "--comorbidity", "flu"], "unknown comorbidity"),
        (
            ["recommend", "--disease", "OP", "--etiology", "photoaging"],
            "does not apply to OP (Osteoporosis) (it applies to SKIN)",
        ),
        (["recommend"], "the disease is required"),
    ],
)
def test_bad_input_exits_2_with_a_message_and_no_output(
    cli: Cli, args: list[str], fragment: str
) -> None:
    result = cli(*args, "--format", "json")
    assert result.code == EXIT_USAGE
    assert fragment in result.err
    assert result.out == "" and "Traceback" not in result.err


def test_usage_errors_exit_2(cli: Cli) -> None:
    assert cli("recommend", "--age", "old").code == EXIT_USAGE
    assert cli("diseases", "--format", "yaml").code == EXIT_USAGE
    assert cli("nonsense").code == EXIT_USAGE


def test_recommend_json_document(cli: Cli) -> None:
    result = cli(
        "recommend",
        "--disease",
        "alzheimers",
        "--modality",
        "exosomes",
        "--age",
        "71",
        "--format",
        "json",
    )
    doc = result.json()
    assert result.code == 0 and result.err == ""
    assert doc["query"]["disease"] == "AD" and doc["query"]["profile"]["age"] == 71
    assert doc["schema_version"] == SCHEMA_VERSION and len(doc["knowledge_base"]["sha256"]) == 64
    assert {s["modality"] for s in doc["sources"]} == {"exosomes"}
    assert doc["routes"][0]["id"] == "IN"


def test_recommend_flags_override_profile_file(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "patient.toml"
    path.write_text(
        'disease = "POF"\nage = 34\nneeds = ["fertility"]\ndonor = "allogeneic"\n', encoding="utf-8"
    )
    doc = cli("recommend", "--profile", str(path), "--age", "36", "--format", "json").json()
    profile = doc["query"]["profile"]
    assert (profile["age"], profile["needs"], profile["donor"]) == (36, ["fertility"], "allogeneic")


def test_recommend_every_flag(cli: Cli) -> None:
    doc = cli(
        "recommend",
        "-d",
        "OP",
        "--age",
        "70",
        "--sex",
        "female",
        "--donor",
        "autologous",
        "--modality",
        "cells",
        "--avoid-invasive-harvest",
        "--comorbidity",
        "diabetes",
        "--comorbidity",
        "thromboembolism",
        "--etiology",
        "diabetic",
        "--need",
        "large-cell-dose",
        "-f",
        "json",
    ).json()
    assert doc["query"]["profile"] == {
        "disease": "OP",
        "age": 70,
        "sex": "female",
        "donor": "autologous",
        "modality": "cells",
        "avoid_invasive_harvest": True,
        "comorbidities": ["diabetes", "thromboembolism"],
        "etiology": "diabetic",
        "needs": ["large-cell-dose"],
    }
    bm = next(s for s in doc["sources"] if s["id"] == "BM-cells")
    rules = {c["rule"] for c in bm["contributions"]}
    assert {
        "T4-BM-D1-DONOR-AGE",
        "T4-BM-D2-AVOID-HARVEST",
        "T4-BM-D3-LARGE-DOSE",
        "MOD-CELLS-EMBOLISM-RISK",
    } <= rules


def test_recommend_table_and_markdown(cli: Cli) -> None:
    table = cli("recommend", "--disease", "POF", "--top", "2", "--explain")
    assert table.code == 0
    assert "not medical advice" in table.out and "every contribution" in table.out
    assert "BM-MSC (bone marrow), cells" in table.out and "showing 2 of 12" in table.out
    markdown = cli("recommend", "--disease", "POF", "--format", "markdown", "--explain")
    assert markdown.out.startswith("# POF: Premature ovarian failure")
    assert "| # | Candidate | Score | Certainty | Reasons |" in markdown.out
    # The top source's score, spelt out as the base plus each contribution.
    top = cli("recommend", "--disease", "POF", "--format", "json").json()["sources"][0]
    assert (top["id"], top["score"]) == ("UC-cells", 8)
    parts = " ".join(f"({c['points']:+d})" for c in top["contributions"])
    assert f"Score {top['score']:+d} = base {top['base']:+d} + {parts}" in markdown.out


def test_recommend_autologous_table_lists_exclusions(cli: Cli) -> None:
    out = cli("recommend", "--disease", "AS", "--donor", "autologous").out
    assert "excluded: AM-cells, AM-exosomes, UC-cells" in out and "EXCL-PERINATAL-AUTOLOGOUS" in out
    detail = cli("recommend", "--disease", "AS", "--donor", "autologous", "--detail").out
    assert "Excluded candidates" in detail and "EXCL-PERINATAL-AUTOLOGOUS" in detail


def test_golden_recommendation_for_pof(cli: Cli, kb: KnowledgeBase) -> None:
    """Every byte of the result but the knowledge base's sha256, which any rule edit changes."""
    out = cli("recommend", "--disease", "POF", "--format", "json").out
    assert json.loads(out)["knowledge_base"]["sha256"] == kb.sha256
    assert out == recommend_json(kb, disease="POF")  # as test_new_rule.py computes it
    masked = mask_knowledge_hash(out, kb.sha256)
    if os.environ.get("MSCADVISOR_UPDATE_GOLDEN"):
        GOLDEN_POF.write_text(masked, encoding="utf-8")
    assert masked == GOLDEN_POF.read_text(encoding="utf-8")


def test_schema_command_prints_the_published_schema(cli: Cli) -> None:
    schema = cli("schema", "recommendation").json()
    assert schema["properties"]["schema_version"] == {"const": SCHEMA_VERSION}


def test_rules_check_passes_and_counts(cli: Cli, kb: KnowledgeBase) -> None:
    result = cli("rules", "check")
    assert result.code == 0
    assert result.out.splitlines()[0] == (
        f"ok: {len(kb.files)} file(s), knowledge base {kb.info.version}, sha256 {kb.sha256}"
    )
    counts = {
        "diseases": kb.diseases,
        "references": kb.references,
        "studies": kb.studies,
        "trials": kb.trials,
        "rules": kb.rules,
        "test cases": kb.cases,
    }
    for kind, records in counts.items():
        assert f"  {kind:16} {len(records)}\n" in result.out


def test_rules_check_fails_cleanly_on_a_broken_copy(cli: Cli, rules_copy: Path) -> None:
    (rules_copy / "scoring" / "bad.toml").write_text(
        '[[rule]]\nid = "X"\ncategory = "source"\n', encoding="utf-8"
    )
    result = cli("rules", "check", str(rules_copy))
    assert result.code == EXIT_KNOWLEDGE_BASE
    assert "bad.toml: [[rule]] id 'X': field summary: required field is missing" in result.err
    assert "Traceback" not in result.err


def test_rules_check_lists_every_problem_where_other_commands_list_the_first(
    cli: Cli, rules_copy: Path
) -> None:
    """Without the reference list, every citation of the tree is a problem: far over 50."""
    (rules_copy / "evidence" / "references.toml").unlink()
    checked = cli("rules", "check", str(rules_copy))
    listed = [line for line in checked.err.splitlines() if line.startswith("  - ")]
    assert checked.code == EXIT_KNOWLEDGE_BASE and len(listed) > 50
    assert f"invalid knowledge base ({len(listed)} problems):" in checked.err
    assert "more" not in checked.err.splitlines()[-1]
    recommended = cli("--rules", str(rules_copy), "recommend", "-d", "POF")
    assert recommended.code == EXIT_KNOWLEDGE_BASE
    assert recommended.err.rstrip().endswith("more")


@pytest.mark.subprocess
def test_module_entry_point_and_closed_pipe() -> None:
    proc = subprocess.run(
        f"{sys.executable} -m mscadvisor evidence --format json | head -c 11",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.stdout == '{\n  "schema'
    assert "Traceback" not in proc.stderr and "BrokenPipe" not in proc.stderr


@pytest.mark.subprocess
def test_no_color_and_piped_output_have_no_escape_codes() -> None:
    env = {**os.environ, "NO_COLOR": "1", "TERM": "dumb"}
    proc = subprocess.run(
        [sys.executable, "-m", "mscadvisor", "recommend", "-d", "POF"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0 and "\x1b[" not in proc.stdout


@pytest.mark.subprocess
def test_json_output_is_valid_json_without_a_utf8_locale() -> None:
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    proc = subprocess.run(
        [sys.executable, "-m", "mscadvisor", "evidence", "-f", "json"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert proc.returncode == 0
    rows = json.loads(proc.stdout.decode("utf-8"))["rows"]
    assert any("µg" in (row.get("dose") or "") for row in rows)


@pytest.mark.parametrize(
    "args",
    [
        ["recommend", "-d", "POF", "--what-if", "age=40", "--format", "markdown"],
        ["recommend", "-d", "POF", "--what-if", "age=40", "--export", "x.html"],
        ["recommend", "-d", "POF", "--what-if", "age=40", "--detail"],
        ["recommend", "-d", "POF", "--what-if", "age=40", "--explain"],
    ],
)
def test_contradictory_options_are_refused(cli: Cli, args: list[str]) -> None:
    result = cli(*args)
    assert result.code == EXIT_USAGE and "--what-if" in result.err and result.out == ""


def test_explain_as_markdown_and_exported(cli: Cli, tmp_path: Path) -> None:
    md = cli("explain", "-d", "POF", "-c", "BM-cells", "--format", "markdown")
    assert md.code == 0 and md.out.startswith("# BM-MSC (bone marrow), cells (source) for POF")
    assert "\n## Why not first: " in md.out and "\n| Points | Rule |" in md.out
    for suffix in ("html", "svg"):
        path = tmp_path / f"bm.{suffix}"
        result = cli("explain", "-d", "POF", "-c", "BM-cells", "-f", "json", "--export", str(path))
        assert result.code == 0 and json.loads(result.out)["candidate"]["id"] == "BM-cells"
        assert "contribution" in path.read_text(encoding="utf-8")  # svg: spaces as &#160;
    table = tmp_path / "t.html"
    result = cli("explain", "-d", "POF", "-c", "BM-cells", "--export", str(table))
    assert "Why not first" in result.out and "Why not first" in table.read_text(encoding="utf-8")
    refused = cli("explain", "-d", "POF", "-c", "BM-cells", "--export", str(tmp_path / "x.pdf"))
    assert refused.code == EXIT_USAGE and "ending in .html or .svg" in refused.err
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize(
    "command",
    [
        ["recommend", "-d", "OP"],
        ["recommend", "-d", "OP", "--detail"],
        ["recommend", "-d", "OP", "-f", "json"],
        ["recommend", "-d", "OP", "-f", "markdown"],
        ["explain", "-d", "OP", "-c", "BM-cells"],
        ["explain", "-d", "OP", "-c", "BM-cells", "-f", "json"],
        ["gaps", "-d", "OP"],
        ["gaps", "-d", "OP", "-f", "json"],
    ],
)
def test_a_failed_export_prints_no_result(cli: Cli, tmp_path: Path, command: list[str]) -> None:
    # The README's exit codes: on an error nothing that looks like a result is on stdout.
    target = tmp_path / "no-such-folder" / "out.html"
    result = cli(*command, "--export", str(target))
    assert result.code == EXIT_RUNTIME and result.out == ""
    assert f"cannot write {target}" in result.err and not target.parent.exists()


def test_oversized_profile_is_refused(cli: Cli, tmp_path: Path) -> None:
    path = tmp_path / "big.json"
    path.write_text('{"disease": "POF", "x": "' + "a" * (1024 * 1024) + '"}', encoding="utf-8")
    result = cli("recommend", "--profile", str(path))
    assert result.code == EXIT_USAGE and "over the" in result.err and str(path) in result.err


@pytest.mark.subprocess
def test_unreadable_profile_is_refused(unprivileged: Unprivileged) -> None:
    path = unprivileged.folder / "secret.json"
    path.write_text('{"disease": "POF"}', encoding="utf-8")
    path.chmod(0)
    result = unprivileged.run("recommend", "--profile", "secret.json")
    assert result.code == EXIT_USAGE and result.out == ""
    assert result.err == "mscadvisor: error: profile secret.json: cannot read: Permission denied\n"
    path.chmod(0o644)  # the same file, readable: the refusal was about the permission alone
    assert unprivileged.run("recommend", "--profile", "secret.json").code == 0


@pytest.mark.subprocess
def test_table_into_a_closed_pipe_and_an_ascii_locale() -> None:
    piped = subprocess.run(
        f"{sys.executable} -m mscadvisor recommend -d POF --explain | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
        check=False,
    )
    assert piped.stdout.startswith("POF: Premature ovarian failure")
    assert piped.stderr == ""
    env = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONIOENCODING": "ascii"}
    ascii_run = subprocess.run(
        [sys.executable, "-m", "mscadvisor", "recommend", "-d", "POF", "--detail"],
        capture_output=True,
        env=env,
        check=False,
    )
    assert ascii_run.returncode == 0
    assert b"+--" in ascii_run.stdout and b"##" in ascii_run.stdout
    assert b"++oo low" in ascii_run.stdout and b"?" not in ascii_run.stderr
    # piped, the warnings also go to stderr, so that they are seen
    assert ascii_run.stderr.startswith(b"mscadvisor: warning: The review reports no consensus")


@pytest.mark.parametrize(
    "args",
    [
        ["recommend", "-d", "POF"],
        ["recommend", "-d", "OP", "--detail"],
        ["--color", "always", "recommend", "-d", "OP", "--explain"],
        ["explain", "-d", "OP", "-c", "BM-cells"],
        ["recommend", "-d", "OP", "--what-if", "age=70"],
        ["gaps", "-d", "AD"],
        ["rules", "list"],
    ],
    ids=" ".join,
)
def test_piped_tables_have_no_trailing_blanks(cli: Cli, args: list[str]) -> None:
    # Rich pads table lines to the width; a file or a pipe gets the lines without it.
    result = cli(*args)
    assert result.code == 0, result.err
    padded = [line for line in result.out.splitlines() if re.search(r" (\x1b\[[0-9;]*m)*$", line)]
    assert padded == []
    assert "┃" in result.out or "#" in result.out  # a table was printed
