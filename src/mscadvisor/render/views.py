"""Browsable views of the knowledge base: rows as plain dicts (the JSON output) plus the columns a
table shows. The same rows feed both formats, so the table and the JSON never disagree.

``View.to_dict`` is the JSON document of a listing command (``schemas/listing.schema.json``):
its schema_version, the command (``listing``) and the rows. Every citation in a row has the one
shape of every document (``CitationView``), however deep in the record it sits.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from mscadvisor.engine import citations
from mscadvisor.engine.result import SCHEMA_VERSION
from mscadvisor.errors import InputError, quoted, unknown_value
from mscadvisor.kb import conditions
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import Citation, Disease, Study, Trial
from mscadvisor.record import Record, fields_of

Row = dict[str, Any]


class Column(Record):
    header: str
    cell: Callable[[Row], str]
    ratio: int = 1  # relative width in the table
    whole: bool = False  # ids and links: never split across lines


class View(Record):
    listing: str  # the command that prints it: diseases, ..., rules list, rules show
    title: str
    rows: list[Row]
    columns: tuple[Column, ...]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document: rows under a schema_version and the listing's name."""
        return {"schema_version": SCHEMA_VERSION, "listing": self.listing, "rows": self.rows}


def _plain(kb: KnowledgeBase, value: Any) -> Any:
    """A record as plain data, like ``dataclasses.asdict``, but with every citation in it, at
    any depth, resolved to the one citation shape (with label and links)."""
    if isinstance(value, Citation):
        return citations.view(kb, value).to_dict()
    if isinstance(value, Record):
        return {name: _plain(kb, field) for name, field in fields_of(value).items()}
    if isinstance(value, list | tuple):
        return [_plain(kb, v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(kb, v) for k, v in value.items()}
    return value


def _cited(kb: KnowledgeBase, record: Study | Trial) -> Row:
    """A study or trial row with how it is cited (a trial by its NCT number where it has one),
    in the one citation shape."""
    row: Row = _plain(kb, record)
    row["citation"] = citations.view(kb, citations.of_record(record)).to_dict()
    return row


def _key(name: str) -> Callable[[Row], str]:
    def cell(row: Row) -> str:
        value = row.get(name)
        if value is None:
            return "-"
        if isinstance(value, list | tuple):
            return ", ".join(map(str, value)) or "-"
        return str(value)

    return cell


def short_name(disease: Disease) -> str:
    """'Premature ovarian failure' from 'Premature ovarian failure / insufficiency'."""
    return disease.name.split(" /")[0].split(" (")[0]


def diseases_view(kb: KnowledgeBase) -> View:
    rows = [_plain(kb, d) for d in kb.diseases.values()]
    return View(
        "diseases",
        "Diseases (AD = Alzheimer's disease here; the tissue AD is adipose)",
        rows,
        (
            Column("Id", _key("id"), whole=True),
            Column("Name", _key("name"), 3),
            Column("Systems", _key("systems")),
            Column("Aliases", _key("aliases"), 2),
            Column("Etiologies", lambda r: ", ".join(e["id"] for e in r["etiologies"]), 3),
        ),
    )


def sources_view(kb: KnowledgeBase) -> View:
    rows = [_plain(kb, t) for t in kb.tissues.values()]

    def items(key: str) -> Callable[[Row], str]:
        return lambda r: "\n".join(f"- {i['text']} [{i['id']}]" for i in r[key]) or "-"

    return View(
        "sources",
        "MSC tissue sources (Table 4; AD = adipose here)",
        rows,
        (
            Column("Source", _key("label")),
            Column("Procurement", _key("procurement"), 2),
            Column("Advantages", items("advantages"), 3),
            Column("Disadvantages", items("disadvantages"), 3),
        ),
    )


def routes_view(kb: KnowledgeBase, disease: Disease | None) -> View:
    rows = []
    for route in kb.routes.values():
        if disease and disease.id not in route.diseases:
            continue
        row = _plain(kb, route)
        # With a disease, count that disease's records only.
        records: list[Study | Trial] = [*kb.studies, *kb.trials.values()]
        mine = [
            r
            for r in records
            if r.route == route.id and (disease is None or r.disease == disease.id)
        ]
        row["studies"] = sum(1 for r in mine if not isinstance(r, Trial))
        row["trials"] = sum(1 for r in mine if isinstance(r, Trial))
        rows.append(row)
    return View(
        "routes",
        "Administration routes",
        rows,
        (
            Column("Id", _key("id"), whole=True),
            Column("Name", _key("name"), 3),
            Column("Diseases", _key("diseases"), 2),
            Column("Studies", _key("studies")),
            Column("Trials", _key("trials")),
            Column("Note", _key("note"), 3),
        ),
    )


def preconditioning_view(kb: KnowledgeBase, disease: Disease | None) -> View:
    rows = [
        _plain(kb, pre)
        for pre in kb.preconditioning.values()
        if disease is None or disease.id in pre.diseases
    ]
    return View(
        "preconditioning",
        "Preconditioning and combination strategies",
        rows,
        (
            Column("Id", _key("id"), 2, whole=True),
            Column("Name", _key("name"), 3),
            Column("Kind", _key("kind")),
            Column("Diseases", _key("diseases")),
            Column("Tissues", _key("tissues")),
            Column("Modalities", _key("modalities")),
            Column("Cited", lambda r: ", ".join(c["label"] for c in r["citations"]), 2),
        ),
    )


def evidence_view(
    kb: KnowledgeBase,
    disease: Disease | None,
    tissue: str | None,
    modality: str | None,
    route: str | None,
) -> View:
    rows = [
        _cited(kb, s)
        for s in kb.studies
        if (disease is None or s.disease == disease.id)
        and (tissue is None or s.tissue == tissue)
        and (modality is None or s.modality == modality)
        and (route is None or s.route == route)
    ]
    return View(
        "evidence",
        "Preclinical studies (Tables 1 and 2)",
        rows,
        (
            Column("Table", _key("table")),
            Column("Ref", lambda r: f"[{r['ref']}]"),
            Column("Disease", lambda r: short_name(kb.diseases[r["disease"]]), 2),
            Column("Source", lambda r: f"{kb.tissues[r['tissue']].label}, {r['modality']}", 3),
            Column("Route", _key("route")),
            Column("Preconditioning", _key("preconditioning"), 2),
            Column("Setting", _key("setting")),
            Column("Effect", _key("effect"), 5),
        ),
    )


def candidates_view(kb: KnowledgeBase, disease: Disease) -> View:
    """Every candidate of a disease with the id that `explain -c` and `--source` take, and the
    other spellings those accept."""
    from mscadvisor.engine.candidates import candidates_for, spellings

    others: dict[str, list[str]] = {}
    for spelling, ident in sorted(spellings(kb, disease.id).items()):
        if spelling != ident.casefold():
            others.setdefault(ident, []).append(spelling)
    rows = [
        {"category": c.category, "id": c.id, "label": c.label, "also": others.get(c.id, [])}
        for category in candidates_for(kb, disease.id).values()
        for c in category
    ]
    return View(
        "candidates",
        f"Candidates for {disease.id} (ids are case-insensitive)",
        rows,
        (
            Column("Category", _key("category")),
            Column("Id", _key("id"), 2, whole=True),
            Column("Label", _key("label"), 4),
            Column("Also accepted", lambda r: ", ".join(r["also"]), 3),
        ),
    )


def trials_view(kb: KnowledgeBase, disease: Disease | None) -> View:
    rows = [_cited(kb, t) for t in kb.trials.values() if disease is None or t.disease == disease.id]
    return View(
        "trials",
        "Clinical studies (Table 3)",
        rows,
        (
            Column("NCT / ref", lambda r: r["nct"] or f"[{r['ref']}]", 2),
            Column("Disease", lambda r: short_name(kb.diseases[r["disease"]]), 2),
            Column("Source", lambda r: f"{kb.tissues[r['tissue']].label}, {r['modality']}", 3),
            Column("Route", _key("route")),
            Column("Phase", _key("phase")),
            Column("N", _key("enrollment")),
            Column("Status", _key("status"), 2),
            Column("Results", _key("results"), 5),
        ),
    )


def references_view(kb: KnowledgeBase, number: int | None) -> View:
    if number is not None and number not in kb.references:
        raise InputError(
            f"no reference {number}; the review's references run from "
            f"{min(kb.references)} to {max(kb.references)}"
        )
    rows = []
    for ref in kb.references.values():
        if number is not None and ref.ref != number:
            continue
        row = _plain(kb, ref)
        row["doi_url"] = citations.doi_url(ref)
        row["pubmed_url"] = citations.pubmed_url(ref)
        rows.append(row)
    return View(
        "reference",
        "References of the review",
        rows,
        (
            Column("Ref", lambda r: f"[{r['ref']}]"),
            Column(
                "Reference",
                lambda r: f"{r['first_author']} ({r['year']}). {r['title']}. {r['journal']}.",
                6,
            ),
            Column("DOI", lambda r: r["doi_url"] or "-", 3),
            Column("PMID", lambda r: r["pubmed_url"] or _pmid_problem(r), 3),
        ),
    )


def _pmid_problem(row: Row) -> str:
    if row["pmid_status"] == "missing":
        return "not given"
    return f"{row['pmid']} ({row['pmid_status']}, not linked)"


def errata_view(kb: KnowledgeBase) -> View:
    rows = [_plain(kb, erratum) for erratum in kb.errata.values()]
    return View(
        "errata",
        "Errata: where the review contradicts itself, and the reading used here",
        rows,
        (
            Column("Id", _key("id"), 2, whole=True),
            Column("Where", _key("where"), 3),
            Column("Readings", lambda r: "\n".join(f"- {x}" for x in r["readings"]), 5),
            Column("Used", _key("used"), 3),
        ),
    )


def resolve_id(
    what: str,
    value: str,
    ids: Iterable[str],
    listed_by: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """The id among ids that value names, ignoring case, or that one of its ``aliases`` (alias:
    id) names; InputError lists the valid ids."""
    by_folded = {i.casefold(): i for i in ids}
    named = {**{a.casefold(): i for a, i in (aliases or {}).items()}, **by_folded}
    if value.casefold() not in named:
        raise unknown_value(what, value, by_folded.values(), listed_by, aliases=aliases or ())
    return named[value.casefold()]


def _rule_row(kb: KnowledgeBase, rule_id: str) -> Row:
    parsed = kb.rules[rule_id]
    rule = parsed.rule
    row: Row = _plain(kb, rule)
    # Conditions in the long form, however the rule file writes them (see conditions.py).
    for key, tree in (("applies_to", parsed.applies_to), ("when", parsed.when)):
        if row[key] is not None:
            row[key] = conditions.long_form(tree)
    row["applies_to_text"] = conditions.describe(parsed.applies_to)
    row["when_text"] = conditions.describe(parsed.when)
    row["effect"] = rule.effect_text()
    row["file"] = parsed.file
    return row


def rules_view(
    kb: KnowledgeBase, kind: str | None, disease: Disease | None, assumptions: bool = False
) -> View:
    """Rules, optionally of one kind, that can fire for one disease, or (``assumptions``) only
    those that declare a modelling assumption, with it."""
    from mscadvisor.engine.candidates import can_fire_for

    kinds = {p.rule.category for p in kb.rules.values()} | {p.rule.group for p in kb.rules.values()}
    if kind is not None and kind not in kinds:
        raise unknown_value("rule kind", kind, kinds)
    rows = [
        _rule_row(kb, rule_id)
        for rule_id, parsed in kb.rules.items()
        if (kind is None or kind in (parsed.rule.category, parsed.rule.group))
        and (disease is None or can_fire_for(kb, parsed, disease))
        and (not assumptions or parsed.rule.assumption is not None)
    ]
    last = (
        Column("Assumption", _key("assumption"), 5)
        if assumptions
        else Column("Summary", _key("summary"), 5)
    )
    return View(
        "rules list",
        "Rules with modelling assumptions" if assumptions else "Rules",
        rows,
        (
            Column("Id", _key("id"), 3, whole=True),
            Column("Effect", _key("effect")),
            last,
        ),
    )


def rule_view(kb: KnowledgeBase, rule_id: str) -> View:
    folded = rule_id.casefold()
    for parsed in kb.rules.values():
        replaced = parsed.rule.overrides
        if replaced is not None and replaced.casefold() == folded:  # say what replaced it
            raise InputError(
                f"rule {quoted(replaced)} is overridden by {quoted(parsed.rule.id)} of a rule "
                f"pack loaded; see `mscadvisor rules show {parsed.rule.id}` (with the same "
                "--rules)"
            )
    row = _rule_row(kb, resolve_id("rule", rule_id, kb.rules, "mscadvisor rules list"))

    def cites(r: Row) -> str:
        def links(c: Row) -> list[str | None]:
            title = kb.references[c["ref"]].title if c["ref"] is not None else None
            return [title, c["doi_url"], c["pubmed_url"], c["trial_url"]]

        return "\n".join(
            c["label"] + "".join(f"\n  {line}" for line in links(c) if line) for c in r["citations"]
        )

    return View(
        "rules show",
        f"Rule {row['id']}",
        [row],
        (
            Column("Kind", lambda r: f"{r['category']} / {r['group']}\n{r['file']}", 2),
            Column("What it says", lambda r: f"{r['summary']}\n\n{r['rationale']}", 5),
            Column(
                "When",
                lambda r: (
                    f"applies to: {r['applies_to_text']}\nwhen: {r['when_text']}\n"
                    f"effect: {r['effect']}\nlevel: {r['level']}"
                    + (f"\nassumption: {r['assumption']}" if r["assumption"] else "")
                    + (f"\ndormant: {r['dormant']}" if r["dormant"] else "")
                    + (f"\nerrata: {', '.join(r['errata'])}" if r["errata"] else "")
                ),
                3,
            ),
            Column("Citations", cites, 3),
        ),
    )
