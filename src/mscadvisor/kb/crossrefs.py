"""Cross-reference checks of validated records: every id a record names exists, every citation
resolves, every rule condition is well formed and compares against known values.

Problems are collected, not raised, so that ``mscadvisor rules check`` reports all of them in
one run.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable
from types import SimpleNamespace
from typing import Any

from mscadvisor.kb import conditions
from mscadvisor.kb.records import (
    Case,
    Citation,
    Comorbidity,
    Disease,
    Expectation,
    Modality,
    Need,
    Preconditioning,
    Reference,
    Route,
    Rule,
    Section,
    Study,
    Tissue,
    Trial,
    TrialUpdate,
)
from mscadvisor.kb.vocabulary import (
    CANDIDATE_FIELDS,
    FIELDS,
    MATCH_KEYS_BY_CATEGORY,
    value_domains,
)
from mscadvisor.record import Record, fields_of, replace

Locate = Callable[[str, object], str]


def disease_aliases(catalog: Catalog, where: Locate, problems: list[str]) -> dict[str, str]:
    """Every disease id and alias, case-folded, mapped to its disease id."""
    aliases: dict[str, str] = {}
    for disease in catalog.diseases.values():
        for name in (disease.id, *disease.aliases):
            folded = name.casefold()
            if aliases.get(folded, disease.id) != disease.id:
                problems.append(
                    f"{where('disease', disease.id)}: alias {name!r} also names disease "
                    f"{aliases[folded]!r}"
                )
            aliases[folded] = disease.id
    return aliases


def check_catalog(catalog: Catalog, where: Locate) -> list[str]:
    problems: list[str] = []
    for disease in catalog.diseases.values():
        etiology_ids = [e.id for e in disease.etiologies]
        if len(set(etiology_ids)) != len(etiology_ids):
            problems.append(f"{where('disease', disease.id)}: duplicate etiology id")
        problems += catalog.check_citations(
            where("disease", disease.id),
            [
                *disease.citations,
                *(c for e in disease.etiologies for c in e.citations),
                *(c for cv in disease.caveats for c in cv.citations),
            ],
        )
    items = [i.id for t in catalog.tissues.values() for i in (*t.advantages, *t.disadvantages)]
    problems += [
        f"Table 4 item id {dup!r} is used by more than one item"
        for dup in sorted({i for i in items if items.count(i) > 1})
    ]
    for modality in catalog.modalities.values():
        problems += catalog.check_citations(
            where("modality", modality.id), [c for t in modality.tradeoffs for c in t.citations]
        )
    for route in catalog.routes.values():
        w = where("route", route.id)
        problems += catalog.check_ids(w, "diseases", route.diseases, catalog.diseases)
        problems += catalog.check_citations(w, route.citations)
    for pre in catalog.preconditioning.values():
        w = where("preconditioning", pre.id)
        problems += catalog.check_ids(w, "diseases", pre.diseases, catalog.diseases)
        problems += catalog.check_ids(w, "tissues", pre.tissues, catalog.tissues)
        problems += catalog.check_ids(w, "modalities", pre.modalities, catalog.modalities)
        problems += catalog.check_citations(w, pre.citations)
    for need in catalog.needs.values():
        problems += catalog.check_ids(
            where("need", need.id), "diseases", need.diseases, catalog.diseases
        )
    for trial in catalog.trials.values():
        w = where("trial", trial.id)
        problems += catalog.check_record(w, trial)
        if trial.nct is None and trial.ref is None:
            problems.append(f"{w}: a trial needs an nct id or a ref number")
    ncts = [t.nct for t in catalog.trials.values() if t.nct]
    problems += [
        f"NCT id {dup!r} is used by more than one [[trial]]"
        for dup in sorted({n for n in ncts if ncts.count(n) > 1})
    ]
    return problems


class Catalog(Record):
    """The id sets that cross-reference checks resolve against, and the sets derived from them
    once (``Catalog.of``), which every check reads."""

    sections: dict[str, Section]
    references: dict[int, Reference]
    diseases: dict[str, Disease]
    tissues: dict[str, Tissue]
    modalities: dict[str, Modality]
    routes: dict[str, Route]
    preconditioning: dict[str, Preconditioning]
    comorbidities: dict[str, Comorbidity]
    needs: dict[str, Need]
    trials: dict[str, Trial]
    ncts: frozenset[str | None]
    table4_items: frozenset[str]
    domains: dict[str, tuple[str, ...]]  # valid values of each condition field domain

    @classmethod
    def of(cls, **maps: dict[Any, Any]) -> Catalog:
        """The catalog of these id maps (the fields from ``sections`` to ``trials``)."""
        items = (i for t in maps["tissues"].values() for i in (*t.advantages, *t.disadvantages))
        return cls(
            **maps,
            ncts=frozenset(t.nct for t in maps["trials"].values()),
            table4_items=frozenset(i.id for i in items),
            domains=value_domains(SimpleNamespace(**maps)),
        )

    def check_ids(
        self, where: str, field_name: str, values: Iterable[str | None], known: dict[str, Any]
    ) -> list[str]:
        return [
            f"{where}: field {field_name}: unknown id {v!r}"
            for v in values
            if v is not None and v not in known
        ]

    def check_citations(self, where: str, citations: Iterable[Citation]) -> list[str]:
        problems = []
        for c in citations:
            given = [v for v in (c.ref, c.nct, c.table, c.section) if v is not None]
            if len(given) != 1:
                problems.append(
                    f"{where}: a citation needs exactly one of ref, nct, table, "
                    f"section; got {fields_of(c)}"
                )
            if c.ref is not None and c.ref not in self.references:
                problems.append(f"{where}: citation ref {c.ref} is not in the reference list")
            if c.nct is not None and c.nct not in self.ncts:
                problems.append(f"{where}: citation nct {c.nct!r} matches no [[trial]]")
            if c.section is not None and c.section not in self.sections:
                problems.append(f"{where}: citation section {c.section!r} is not a [[section]]")
            if c.item is not None and (c.table != 4 or c.item not in self.table4_items):
                problems.append(f"{where}: citation item {c.item!r} is not a Table 4 item")
        return problems

    def check_record(self, where: str, record: Study | Trial) -> list[str]:
        problems = self.check_ids(where, "disease", [record.disease], self.diseases)
        problems += self.check_ids(where, "tissue", [record.tissue], self.tissues)
        problems += self.check_ids(where, "modality", [record.modality], self.modalities)
        problems += self.check_ids(where, "route", [record.route], self.routes)
        problems += self.check_ids(
            where, "preconditioning", record.preconditioning, self.preconditioning
        )
        if record.ref is not None and record.ref not in self.references:
            problems.append(f"{where}: field ref: {record.ref} is not in the reference list")
        etiology = getattr(record, "etiology", None)
        disease = self.diseases.get(record.disease)
        if etiology is not None and disease is not None:
            valid = {e.id for e in disease.etiologies}
            if etiology not in valid:
                problems.append(
                    f"{where}: field etiology: {etiology!r} is not an etiology of "
                    f"{record.disease} (valid: {', '.join(sorted(valid))})"
                )
        return problems


def check_rule(
    rule: Rule,
    file: str,
    catalog: Catalog,
    rules: dict[str, Rule],
    errata: Collection[str],
) -> tuple[tuple[conditions.Node, conditions.Node] | None, list[str]]:
    """The condition trees of a rule and its problems (``errata``: the errata's ids)."""
    where = f"{file}: [[rule]] id {rule.id!r}"
    problems: list[str] = []
    effects = [rule.points is not None, rule.exclude, rule.evidence is not None, rule.caveat]
    if sum(effects) != 1:
        problems.append(
            f"{where}: give exactly one effect: points, exclude = true, evidence, or caveat = true"
        )
    if rule.category == "regimen" and rule.evidence is None:
        problems.append(f"{where}: a regimen rule scores pairing evidence: give evidence = {{...}}")
    if rule.evidence is not None:
        allowed = MATCH_KEYS_BY_CATEGORY[rule.category]
        for match_key in rule.evidence.match:
            if match_key not in allowed:
                problems.append(
                    f"{where}: field evidence.match: {match_key!r} does not apply to "
                    f"{rule.category} candidates (allowed: {sorted(allowed)})"
                )
        if rule.evidence.records == "studies" and rule.evidence.design:
            problems.append(f"{where}: field evidence.design applies only to trials")
        if rule.evidence.records == "trials" and rule.evidence.setting:
            problems.append(f"{where}: field evidence.setting applies only to studies")
    problems += catalog.check_citations(where, rule.citations)
    problems += [
        f"{where}: field table4_items: unknown item {i!r}"
        for i in rule.table4_items
        if i not in catalog.table4_items
    ]
    problems += [
        f"{where}: field conflicts_with: unknown rule {r!r}"
        for r in rule.conflicts_with
        if r not in rules
    ]
    problems += [
        f"{where}: field errata: unknown erratum {e!r}" for e in rule.errata if e not in errata
    ]
    trees: list[conditions.Node] = []
    for key, scope in CONDITION_SCOPES:
        try:
            tree = condition_tree(getattr(rule, key), key, scope)
        except conditions.ConditionError as exc:
            problems += [f"{where}: {p}" for p in exc.problems]
            continue
        trees.append(tree)
        problems += [
            f"{where}: {key}: {fld} compares against unknown value {value!r}"
            for fld, value in conditions.compared_values(tree)
            if (domain := FIELDS[fld].domain) and value not in catalog.domains[domain]
        ]
        problems += _check_candidate_fields(where, key, tree, rule.category)
    if problems or len(trees) != 2:
        return None, problems
    return (trees[0], trees[1]), problems


CONDITION_SCOPES: tuple[tuple[str, conditions.Scope], ...] = (
    ("applies_to", "candidate"),
    ("when", "profile"),
)


def condition_tree(
    raw: dict[str, Any] | None, key: str, scope: conditions.Scope
) -> conditions.Node:
    from mscadvisor.kb import condition_syntax  # the parser: only when rule files are read

    return conditions.ALWAYS if raw is None else condition_syntax.parse(raw, key, scope)


def apply_overrides(
    typed: dict[str, list[tuple[Any, str]]], problems: list[str]
) -> dict[str, list[tuple[Any, str]]]:
    """Drop every rule that another rule declares it overrides (rule packs do this).

    Overriding an unknown rule, or two rules overriding the same one, is an error. A test
    case's ``fires``/``not_fires`` naming a replaced rule is pointed at the rule that replaces
    it: the shipped cases keep testing the slot the rule fills (and fail, with the new id,
    where the override changes the outcome) instead of breaking every load on an unknown id.
    """
    rules = typed.get("rule", [])
    claims: dict[str, tuple[Rule, str]] = {}
    for rule, file in rules:
        if rule.overrides is None:
            continue
        if rule.overrides in claims:
            problems.append(
                f"{file}: [[rule]] id {rule.id!r}: overrides {rule.overrides!r}, which "
                f"{claims[rule.overrides][1]} (rule {claims[rule.overrides][0].id!r}) "
                "already overrides"
            )
            continue
        claims[rule.overrides] = (rule, file)
    if not claims:
        return typed
    kept: list[tuple[Rule, str]] = []
    replaced: set[str] = set()
    for rule, file in rules:
        claim = claims.get(rule.id)
        if claim is not None and claim[0] is not rule:
            replaced.add(rule.id)
            continue
        kept.append((rule, file))
    problems += [
        f"{file}: [[rule]] id {rule.id!r}: overrides unknown rule {target!r}"
        for target, (rule, file) in claims.items()
        if target not in replaced
    ]
    renamed = {target: rule.id for target, (rule, _) in claims.items() if target in replaced}
    cases = [(_rename_rules(case, renamed), file) for case, file in typed.get("case", [])]
    return {**typed, "rule": kept, "case": cases}


def apply_trial_updates(
    typed: dict[str, list[tuple[Any, str]]], problems: list[str]
) -> dict[str, list[tuple[Any, str]]]:
    """Each trial with the fields its ``[[trial_update]]`` (from a rule pack) gives replaced.

    Updating an unknown trial, or one trial twice, is an error: two packs disagreeing on a
    trial must be settled by a person, not by load order.
    """
    updates: dict[str, tuple[TrialUpdate, str]] = {}
    for update, file in typed.get("trial_update", []):
        if update.trial in updates:
            problems.append(
                f"{file}: [[trial_update]] of trial {update.trial!r}: {updates[update.trial][1]} "
                "already updates it"
            )
            continue
        updates[update.trial] = (update, file)
    if not updates:
        return typed
    trials = {trial.id for trial, _ in typed.get("trial", [])}
    problems += [
        f"{file}: [[trial_update]] of unknown trial {ident!r}"
        for ident, (_, file) in updates.items()
        if ident not in trials
    ]
    updated = [
        (_updated(trial, updates[trial.id][0]) if trial.id in updates else trial, file)
        for trial, file in typed.get("trial", [])
    ]
    return {**typed, "trial": updated}


def _updated(trial: Trial, update: TrialUpdate) -> Trial:
    changes = {
        name: getattr(update, name)
        for name in TrialUpdate.CHANGES
        if getattr(update, name) is not None
    }
    return replace(trial, **changes)


def _rename_rules(case: Case, renamed: dict[str, str]) -> Case:
    """The case with every rule id its expectations name replaced as ``renamed`` says."""
    expect = tuple(
        replace(
            e,
            fires=renamed.get(e.fires, e.fires) if e.fires else None,
            not_fires=renamed.get(e.not_fires, e.not_fires) if e.not_fires else None,
        )
        for e in case.expect
    )
    return case if expect == case.expect else replace(case, expect=expect)


def _check_candidate_fields(
    where: str, key: str, tree: conditions.Node, category: str
) -> list[str]:
    allowed = CANDIDATE_FIELDS[category]
    return [
        f"{where}: {key}: field {fld!r} does not exist for {category} candidates "
        f"(allowed: {sorted(allowed)})"
        for fld in sorted({leaf.field for leaf in conditions.leaves(tree)})
        if fld.startswith(("candidate.", "source.")) and fld not in allowed
    ]


def check_case(case: Case, where: str, rules: dict[str, Rule]) -> list[str]:
    problems = []
    for n, expectation in enumerate(case.expect):
        at = f"{where}: expect[{n}]"
        given = [k for k in Expectation.OUTCOMES if getattr(expectation, k) is not None]
        if len(given) != 1:
            problems.append(f"{at}: give exactly one of {', '.join(Expectation.OUTCOMES)}")
            continue
        rule = expectation.fires or expectation.not_fires
        if rule is not None and rule not in rules:
            problems.append(f"{at}: unknown rule {rule!r}")
        needs_candidate = rule is not None or expectation.score_between is not None
        if needs_candidate and expectation.candidate is None:
            problems.append(f"{at}: {given[0]} needs a candidate")
        if expectation.top is not None and expectation.category is None:
            problems.append(f"{at}: top needs a category")
    return problems
