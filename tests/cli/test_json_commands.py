"""One JSON contract for every command that prints data: each such command, run with
``--format json`` (batch: ``jsonl``), prints a document that carries ``schema_version`` and
matches the schema ``mscadvisor schema NAME`` publishes; every citation in every document has one
shape, described once; and the rules commands keep their exit codes in JSON."""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import typer.main

from mscadvisor.authoring.rule_lint import CODES
from mscadvisor.cli.browse import SchemaName
from mscadvisor.cli.main import app
from mscadvisor.engine.result import SCHEMA_VERSION
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from tests import schemas
from tests.authoring.test_rule_cases import BAD_PACK, BAD_PACK_CASES, write_pack
from tests.conftest import CliResult

Cli = Callable[..., CliResult]
PROFILES = "{profiles}"
EXAMPLE_EXPORT = (
    Path(__file__).parents[2] / "docs" / "examples" / "ctgov-export.json"
)  # replaced by a JSONL file of two profiles

# Every command that prints JSON, with arguments that give a document with something in it,
# and the schema of that document.
DOCUMENTS: list[tuple[list[str], str]] = [
    (["recommend", "-d", "POF"], "recommendation"),
    (["recommend", "-d", "AD", "--what-if", "modality=exosomes"], "what-if"),
    (["explain", "-d", "POF", "-c", "UC-cells", "--sensitivity"], "explain"),
    (["batch", PROFILES], "batch-line"),
    (["diff", "--batch", PROFILES], "diff"),
    (["candidates", "-d", "POF"], "listing"),
    (["diseases"], "listing"),
    (["sources"], "listing"),
    (["routes"], "listing"),
    (["routes", "-d", "AD"], "listing"),
    (["preconditioning", "-d", "POF"], "listing"),
    (["evidence"], "listing"),
    (["evidence", "-d", "OP", "--tissue", "dp"], "listing"),
    (["trials"], "listing"),
    (["reference"], "listing"),
    (["reference", "39"], "listing"),
    (["errata"], "listing"),
    (["rules", "list"], "listing"),
    (["rules", "list", "--assumptions"], "listing"),
    (["rules", "show", "H2H-41-DENTAL-PULP-BEST-OP"], "listing"),
    (["rules", "show", "EV-SRC-CLINICAL-UNCONTROLLED"], "listing"),
    (["rules", "check"], "rules-check"),
    (["rules", "test"], "rules-test"),
    (["rules", "coverage"], "rules-coverage"),
    (["rules", "lint"], "rules-lint"),
    (["cache", "info"], "cache-info"),
    (["gaps", "-d", "POF"], "gaps"),
    (["trials-refresh", str(EXAMPLE_EXPORT), "--as-of", "2026-06-01"], "refresh"),
]
CITATION_KEYS = [
    "ref",
    "nct",
    "table",
    "section",
    "item",
    "label",
    "doi_url",
    "pubmed_url",
    "trial_url",
]
CITATION_SCHEMA = "https://mscadvisor.invalid/schemas/recommendation.schema.json#/$defs/citation"


def command_of(argv: list[str]) -> str:
    return " ".join(argv[:2] if argv[0] in ("rules", "cache") else argv[:1])


def json_printing_commands() -> set[str]:
    """Every command of the CLI whose --format offers json or jsonl (read from the commands
    typer builds, so a new command or format cannot escape the tests below)."""
    found: set[str] = set()

    def walk(command: Any, path: list[str]) -> None:
        for name, sub in getattr(command, "commands", {}).items():
            walk(sub, [*path, name])
        for param in command.params:
            choices = {str(c) for c in getattr(param.type, "choices", ())}
            if "--format" in param.opts and {"json", "jsonl"} & choices:
                found.add(" ".join(path))

    walk(typer.main.get_command(app), [])
    return found


def run(cli: Cli, tmp_path: Path, argv: list[str]) -> tuple[CliResult, list[Any]]:
    """Run a command for JSON; its documents (one per line for batch)."""
    profiles = tmp_path / "profiles.jsonl"
    profiles.write_text('{"disease": "POF"}\n{"disease": "OP", "age": 70}\n', encoding="utf-8")
    argv = [str(profiles) if a == PROFILES else a for a in argv]
    if argv[0] == "batch":
        result = cli(*argv, "--format", "jsonl")
        return result, [json.loads(line) for line in result.out.splitlines()]
    result = cli(*argv, "--format", "json")
    return result, [result.json()] if result.code == 0 else []


def citations_in(value: Any) -> Iterator[dict[str, Any]]:
    """Every citation object of a document: under the keys citation, citations and paired_by."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "citation":
                yield inner
            elif key in ("citations", "paired_by"):
                yield from inner
            else:
                yield from citations_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from citations_in(inner)


def test_every_json_printing_command_is_checked_here() -> None:
    documented = {command_of(argv) for argv, _ in DOCUMENTS}
    assert json_printing_commands() == documented
    assert len(documented) == 22  # recommend, explain, batch, diff, gaps, 11 listings, 4 reports,
    # cache info, trials-refresh


def test_every_published_schema_is_the_schema_of_a_command() -> None:
    assert {name for _, name in DOCUMENTS} == set(schemas.NAMES) == set(SchemaName)


@pytest.mark.parametrize(("argv", "name"), DOCUMENTS, ids=[" ".join(a) for a, _ in DOCUMENTS])
def test_every_json_document_matches_its_published_schema(
    cli: Cli, tmp_path: Path, argv: list[str], name: str
) -> None:
    result, docs = run(cli, tmp_path, argv)
    assert result.code == 0, result.err
    assert docs
    for doc in docs:
        schemas.validate(name, doc)
        assert doc["schema_version"] == SCHEMA_VERSION
        assert next(iter(doc)) == ("line" if name == "batch-line" else "schema_version")


@pytest.mark.parametrize(
    "argv",
    [argv for argv, name in DOCUMENTS if name == "listing"],
    ids=[" ".join(a) for a, name in DOCUMENTS if name == "listing"],
)
def test_a_listing_names_its_command_and_holds_the_rows_of_its_table(
    cli: Cli, argv: list[str]
) -> None:
    doc = cli(*argv, "--format", "json").json()
    assert list(doc) == ["schema_version", "listing", "rows"]
    assert doc["listing"] == command_of(argv)
    assert doc["rows"]
    table = cli(*argv)
    assert table.code == 0 and f"\n{len(doc['rows'])} row(s)\n" in table.out


def test_every_citation_of_every_document_has_the_one_shape(cli: Cli, tmp_path: Path) -> None:
    by_command: dict[str, list[dict[str, Any]]] = {}
    for argv, _ in DOCUMENTS:
        _, docs = run(cli, tmp_path, argv)
        by_command.setdefault(command_of(argv), []).extend(c for d in docs for c in citations_in(d))
    found = [c for cs in by_command.values() for c in cs]
    for c in found:
        assert list(c) == CITATION_KEYS, c
        assert c["label"]
        assert sum(c[k] is not None for k in ("ref", "nct", "table", "section")) == 1, c
        assert (c["doi_url"] is not None or c["pubmed_url"] is not None) <= (c["ref"] is not None)
        assert (c["trial_url"] is not None) == (c["nct"] is not None), c
    # Each kind of citation occurs, with its links, and every command that cites has citations.
    assert any(c["ref"] and c["doi_url"] and c["pubmed_url"] for c in found)
    assert any(c["nct"] and c["trial_url"] for c in found)
    assert any(c["table"] == 4 and c["item"] for c in found)
    assert any(c["section"] for c in found)
    uncited = {"candidates", "sources", "reference", "rules check", "rules test"}
    uncited |= {"rules coverage"}
    uncited |= {"rules lint", "cache info"}
    uncited |= {"diff"}  # names the edits behind each change; the recommendations cite
    uncited |= {"trials-refresh"}  # names registry records by NCT number and source file
    assert {command for command, cs in by_command.items() if not cs} == uncited


def test_studies_trials_and_nested_records_carry_the_one_citation(cli: Cli) -> None:
    """Before 2.1 study and trial rows gave ref and nct without a label, and the citations of a
    disease's etiologies and caveats had no label at all."""
    trials = cli("trials", "-f", "json").json()["rows"]
    by_id = {row["id"]: row for row in trials}
    assert by_id["NCT02054208"]["citation"]["label"] == "NCT02054208"
    assert by_id["NCT02054208"]["citation"]["trial_url"].endswith("/NCT02054208")
    assert by_id["REF39"]["citation"]["ref"] == 39 and by_id["REF39"]["citation"]["nct"] is None
    studies = cli("evidence", "-d", "POF", "--tissue", "UC", "-f", "json").json()["rows"]
    assert studies
    for study in studies:
        assert study["citation"]["ref"] == study["ref"]
        assert study["citation"]["label"].startswith(f"[{study['ref']}] ")
    diseases = cli("diseases", "-f", "json").json()["rows"]
    nested = [
        c for d in diseases for part in (*d["etiologies"], *d["caveats"]) for c in part["citations"]
    ]
    assert nested and all(list(c) == CITATION_KEYS and c["label"] for c in nested)


def test_recommend_citations_carry_their_links(cli: Cli, kb: KnowledgeBase) -> None:
    doc = cli("recommend", "-d", "POF", "-f", "json").json()
    cited = list(citations_in(doc))
    (pei,) = {json.dumps(c) for c in cited if c["ref"] == 18}
    assert json.loads(pei) == {
        "ref": 18,
        "nct": None,
        "table": None,
        "section": None,
        "item": None,
        "label": "[18] Pei W, 2024",
        "doi_url": f"https://doi.org/{kb.references[18].doi}",
        "pubmed_url": None,  # the review gives no PMID for [18]
        "trial_url": None,
    }


def schema_nodes(value: Any) -> Iterator[dict[str, Any]]:
    if isinstance(value, dict):
        yield value
        for inner in value.values():
            yield from schema_nodes(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from schema_nodes(inner)


def test_citations_are_described_once_in_the_schemas() -> None:
    defined = [
        name for name in schemas.NAMES if "citation" in schemas.published(name).get("$defs", {})
    ]
    assert defined == ["recommendation"]
    uses = 0
    for name in schemas.NAMES:
        schema = schemas.published(name)
        resolver = schemas.registry().resolver(schema["$id"])
        for node in schema_nodes(schema):
            for key, prop in node.get("properties", {}).items():
                if key not in ("citation", "citations", "paired_by") or not isinstance(prop, dict):
                    continue
                target = prop.get("items", prop)
                assert set(target) == {"$ref"}, (name, key, prop)
                assert (
                    resolver.lookup(target["$ref"]).contents
                    == schemas.published("recommendation")["$defs"]["citation"]
                ), (name, key)
                uses += 1
    assert uses >= 15


def test_the_new_schemas_reject_what_the_commands_never_print(cli: Cli) -> None:
    evidence = cli("evidence", "-f", "json").json()
    schemas.validate("listing", evidence)
    assert schemas.errors("listing", evidence["rows"])  # the bare array printed before 2.1
    assert schemas.errors("listing", {**evidence, "listing": "diseases"})  # others' rows
    assert schemas.errors("listing", {**evidence, "listing": "recommend"})
    assert schemas.errors("listing", {**evidence, "schema_version": "2.0"})
    row = evidence["rows"][0]
    citation = row["citation"]

    def with_citation(changed: dict[str, Any]) -> dict[str, Any]:
        return {**evidence, "rows": [{**row, "citation": changed}]}

    schemas.validate("listing", with_citation(citation))
    assert schemas.errors("listing", with_citation({"ref": row["ref"], "label": "x"}))  # 2.0
    assert schemas.errors(
        "listing", with_citation({k: v for k, v in citation.items() if k != "label"})
    )
    assert schemas.errors("listing", with_citation({**citation, "nct": "NCT02054208"}))
    assert schemas.errors("listing", with_citation({**citation, "ref": None}))
    assert schemas.errors("listing", with_citation({**citation, "title": "x"}))
    assert schemas.errors("listing", with_citation({**citation, "trial_url": "https://x"}))
    assert schemas.errors("listing", {**evidence, "rows": [{**row, "extra": 1}]})

    shown = cli("rules", "show", "T4-BM-D1-DONOR-AGE", "-f", "json").json()
    schemas.validate("listing", shown)
    assert schemas.errors("listing", {**shown, "rows": shown["rows"] * 2})
    rule = shown["rows"][0]
    bad_condition = {**rule, "when": {"field": "profile.age", "op": "about", "value": 60}}
    assert schemas.errors("listing", {**shown, "rows": [bad_condition]})

    tested = cli("rules", "test", "-f", "json").json()
    case = tested["cases"][0]
    assert schemas.errors("rules-test", {**tested, "cases": [{**case, "failures": ["x"]}]})
    assert schemas.errors("rules-test", {**tested, "cases": [{**case, "passed": False}]})
    coverage = cli("rules", "coverage", "-f", "json").json()
    assert schemas.errors("rules-coverage", {**coverage, "uncovered": ["A", "A"]})
    linted = cli("rules", "lint", "-f", "json").json()
    finding = {"rule": "X", "code": "sounds-wrong", "message": "m"}
    assert schemas.errors("rules-lint", {**linted, "findings": [finding]})
    checked = cli("rules", "check", "-f", "json").json()
    counts = {k: v for k, v in checked["counts"].items() if k != "test_cases"}
    assert schemas.errors("rules-check", {**checked, "counts": counts})
    info = cli("cache", "info", "-f", "json").json()
    assert schemas.errors("cache-info", {**info, "enabled": "yes"})


def test_the_lint_schema_lists_every_finding_code() -> None:
    finding = schemas.published("rules-lint")["$defs"]["finding"]
    assert finding["properties"]["code"]["enum"] == list(CODES)


def test_rules_check_document_agrees_with_its_text(
    tmp_path: Path, cli: Cli, kb: KnowledgeBase
) -> None:
    pack = write_pack(tmp_path / "pack", BAD_PACK, BAD_PACK_CASES)
    loaded = load_knowledge_base([pack])
    text = cli("--rules", str(pack), "rules", "check")
    doc = cli("--rules", str(pack), "rules", "check", "-f", "json").json()
    schemas.validate("rules-check", doc)
    assert text.code == 0
    assert doc["knowledge_base"] == {
        "name": "mscadvisor-rules",
        "version": loaded.info.version,
        "sha256": loaded.sha256,
        "packs": [
            {"name": "test-pack", "version": "1.0", "path": str(pack), "sha256": p.sha256}
            for p in loaded.packs
        ],
    }
    assert doc["knowledge_base"]["packs"] and doc["files"] == list(loaded.files)
    assert doc["counts"]["rules"] == len(kb.rules) + BAD_PACK.count("[[rule]]")
    shown = {
        m[1].replace(" ", "_"): int(m[2])
        for m in re.finditer(r"\n  (\S+(?: \S+)?) +(\d+)", text.out)
    }
    assert shown == doc["counts"]


def test_failing_rules_commands_exit_1_in_json_too(tmp_path: Path, cli: Cli) -> None:
    pack = str(write_pack(tmp_path / "pack", BAD_PACK, BAD_PACK_CASES))
    results = {}
    for command in ("test", "coverage", "lint"):
        text, doc = cli("rules", command, pack), cli("rules", command, pack, "-f", "json")
        assert text.code == doc.code == 1, (command, doc.err)
        assert doc.err == text.err == ""
        schemas.validate(f"rules-{command}", doc.json())
        results[command] = (text.out, doc.json())

    text, tested = results["test"]
    failed = [c for c in tested["cases"] if not c["passed"]]
    assert {c["id"] for c in failed} == set(re.findall(r"^FAIL  (\S+):", text, re.MULTILINE))
    assert {"PACK-CASE-WRONG", "CASE-SCENARIO-OP-CELLS"} <= {c["id"] for c in failed}
    assert text.rstrip().endswith(f"{tested['passed']} passed, {tested['failed']} failed")
    assert tested["failed"] == len(failed) and all(c["failures"] for c in failed)

    text, coverage = results["coverage"]
    assert "PACK-NEVER" in coverage["uncovered"]
    assert coverage["dormant"] == ["EV-ROUTE-CLINICAL-CONTROLLED", "EV-SRC-CLINICAL-CONTROLLED"]
    assert coverage["woken"] == [] and coverage["covered"] < coverage["rules"]
    assert text.startswith(f"{coverage['covered']} of {coverage['rules']} rules")

    text, linted = results["lint"]
    lines = [f"{f['rule']}: {f['code']}: {f['message']}" for f in linted["findings"]]
    assert text == "\n".join([*lines, f"{len(lines)} finding(s)"]) + "\n"
    assert ("PACK-NEVER", "never-fires") in {(f["rule"], f["code"]) for f in linted["findings"]}


def test_cache_info_document_agrees_with_its_text(
    tmp_path: Path, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(folder))
    monkeypatch.delenv("MSCADVISOR_NO_CACHE", raising=False)
    assert cli("diseases", "-f", "json").code == 0  # writes one cache file
    (written,) = folder.iterdir()
    doc = cli("cache", "info", "-f", "json").json()
    assert doc == {
        "schema_version": SCHEMA_VERSION,
        "folder": str(folder),
        "enabled": True,
        "files": [{"name": written.name, "bytes": written.stat().st_size}],
    }
    assert cli("cache", "info").out == (
        f"folder: {folder}\nstate: enabled\nfiles: 1\n"
        f"  {written.name}  {written.stat().st_size} bytes\n"
    )
    monkeypatch.setenv("MSCADVISOR_NO_CACHE", "1")
    disabled = cli("cache", "info", "-f", "json").json()
    schemas.validate("cache-info", disabled)
    assert disabled["enabled"] is False
    assert "state: disabled (MSCADVISOR_NO_CACHE is set)\n" in cli("cache", "info").out
