"""Stage 2b: assemble validated records into a KnowledgeBase and check every cross-reference.

A KnowledgeBase is immutable once built. Problems are collected, not raised one at a time, so
that ``mscadvisor rules check`` reports all of them in one run.
"""

from __future__ import annotations

import functools
import json
import os
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from time import time_ns
from typing import Any

from mscadvisor.errors import InputError, KnowledgeBaseError, did_you_mean, quoted
from mscadvisor.kb import conditions, crossrefs
from mscadvisor.kb.compact import to_compact
from mscadvisor.kb.deferred import Deferred, Once
from mscadvisor.kb.digest import sha256
from mscadvisor.kb.loader import (
    SourceText,
    is_cases_file,
    list_sources,
    parse_sources,
    read_sources,
    shipped_rules_dir,
)
from mscadvisor.kb.records import (
    MANIFEST_KIND,
    Case,
    Comorbidity,
    Disease,
    Erratum,
    KnowledgeBaseInfo,
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
)
from mscadvisor.record import Record

Typed = dict[str, list[tuple[Any, str]]]  # records (or their compact forms) by kind, with files


class ParsedRule(Record):
    """A rule with its conditions parsed into trees (``conditions.Node``)."""

    rule: Rule
    applies_to: conditions.Node
    when: conditions.Node
    file: str


class PackInfo(Record):
    """A rule pack (or the rules tree under the packs) as loaded: the name and version its
    manifest gives, its folder, and the sha256 of its knowledge files' names and bytes (its
    manifest and test-case files, ``*.cases.toml``, are not knowledge and do not count)."""

    name: str
    version: str
    path: str
    sha256: str

    def to_dict(self) -> dict[str, str]:
        return {
            "name": self.name,
            "version": self.version,
            "path": self.path,
            "sha256": self.sha256,
        }


class KnowledgeBase(Record):
    # Compared and hashed by identity, so it can key caches.
    __eq__ = object.__eq__
    __hash__ = object.__hash__

    info: KnowledgeBaseInfo
    sections: dict[str, Section]
    references: dict[int, Reference]
    diseases: dict[str, Disease]
    tissues: dict[str, Tissue]
    modalities: dict[str, Modality]
    routes: dict[str, Route]
    preconditioning: dict[str, Preconditioning]
    comorbidities: dict[str, Comorbidity]
    needs: dict[str, Need]
    studies: tuple[Study, ...]
    trials: dict[str, Trial]
    errata: Mapping[str, Erratum]
    rules: dict[str, ParsedRule]
    cases: Mapping[str, Case]
    _content_hash: Once[str]  # see ``sha256``
    files: tuple[str, ...]
    _aliases: dict[str, str]
    weights: dict[str, float]  # see weights.py
    packs: tuple[PackInfo, ...] = ()  # rule packs loaded on top of the base tree
    tree: PackInfo | None = None  # the base tree itself

    @property
    def sha256(self) -> str:
        """The knowledge hash (``content_hash``): as the compiled cache keeps it, else computed
        when first read."""
        return self._content_hash.get()

    def resolve_disease(self, name: str) -> Disease:
        """The disease with this id or alias (case-insensitive); InputError names the valid ones."""
        disease_id = self._aliases.get(name.casefold())
        if disease_id is None:
            raise InputError(
                f"unknown disease {quoted(name)}{did_you_mean(name, self._spellings())}; valid: "
                f"{', '.join(self.diseases)} (or an alias: see `mscadvisor diseases`)"
            )
        return self.diseases[disease_id]

    def _spellings(self) -> list[str]:
        """Every disease id and alias as the catalog writes it (``_aliases`` are folded)."""
        return [name for d in self.diseases.values() for name in (d.id, *d.aliases)]

    def identity(self) -> dict[str, Any]:
        """What every JSON document says of the knowledge it was made from: the rules tree's
        name and version, the hash of everything scored, the packs and the weights."""
        return {
            "name": self.tree.name if self.tree else "",
            "version": self.info.version,
            "sha256": self.sha256,
            "packs": [p.to_dict() for p in self.packs],
            "weights": self.weights,
        }

    def trial_by_nct(self, nct: str) -> Trial | None:
        return next((t for t in self.trials.values() if t.nct == nct), None)


def load_knowledge_base(
    packs: Sequence[Path] = (), *, base: Path | None = None, use_cache: bool = True
) -> KnowledgeBase:
    """Load the base rules tree (the shipped one by default) plus any rule packs on top.

    A valid compiled cache of exactly these files, as listed, is used when there is one, with
    the knowledge hash it was written with; otherwise the TOML is parsed, validated and
    cross-checked, and the cache is (re)written with the hash of the records.
    """
    from mscadvisor.kb import cache

    roots = (base or shipped_rules_dir(), *packs)
    if packs:
        _each_folder_once(roots)
    listed_ns = time_ns()
    per_root = [list_sources(root) for root in roots]
    sources = [s for group in per_root for s in group]

    def build(typed: Typed, digests: Sequence[str], **options: Any) -> KnowledgeBase:
        manifests = [manifest for manifest, _ in typed.get(MANIFEST_KIND, [])]
        infos = [
            PackInfo(m.name, m.version, str(root), digest)
            for m, root, digest in zip(manifests, roots, digests, strict=True)
        ]
        return build_knowledge_base(typed, tree=infos[0], packs=tuple(infos[1:]), **options)

    # The key (which stats this program's own modules) only where a cache is read or written.
    key = cache.cache_key(sources) if use_cache and cache.enabled() else None
    if key is not None and (hit := cache.load(key)) is not None:
        return build(
            hit.typed,
            hit.digests,
            compact=hit.compact,
            checked_trees=hit.trees,
            deferred=hit.deferred,
            content_sha256=hit.sha256,
        )
    from mscadvisor.kb.validation import validate_records  # pydantic: only when TOML is parsed

    texts = read_sources(sources)
    by_root = iter(texts)
    digests = tuple(_files_sha256([next(by_root) for _ in group]) for group in per_root)
    typed = validate_records(parse_sources(texts))
    compact = compact_records(typed)
    kb = build(typed, digests, compact=compact)
    if key is not None and cache.settled(sources, listed_ns):
        cache.store(key, compact, compact_trees(kb.rules), digests, kb.sha256)
    return kb


def compact_records(typed: Typed) -> Typed:
    """The records as the compiled cache stores them (``compact.to_compact``), with their files."""
    return {kind: [(to_compact(r), f) for r, f in items] for kind, items in typed.items()}


def compact_trees(rules: Mapping[str, ParsedRule]) -> dict[str, tuple[Any, Any]]:
    """The rules' condition trees as the compiled cache stores them (``compact.to_compact``)."""
    return {i: (to_compact(r.applies_to), to_compact(r.when)) for i, r in rules.items()}


def _decoded_index(kind: str, decode: Callable[[], list[tuple[Any, str]]]) -> dict[Any, Any]:
    """The index of the compiled cache's records of a deferred kind (a function of the module,
    so that a knowledge base pickles, as worker processes need, before or after it is read)."""
    return _index({kind: decode()}, kind, [])


def _index(typed: Typed, kind: str, problems: list[str]) -> dict[Any, Any]:
    """Records of one kind by id (references by number), reporting duplicates."""
    key = "ref" if kind == "reference" else "id"
    seen: dict[Any, tuple[Any, str]] = {}
    for record, file in typed.get(kind, []):
        ident = getattr(record, key)
        if ident in seen:
            problems.append(
                f"{file}: [[{kind}]] id {ident!r}: duplicate id, first defined in {seen[ident][1]}"
            )
            continue
        seen[ident] = (record, file)
    return {ident: record for ident, (record, _) in sorted(seen.items())}


def _each_folder_once(roots: Sequence[Path]) -> None:
    """Refuse a folder given twice (a pack named by $MSCADVISOR_RULES and by --rules, say; or
    the rules tree itself as a pack), whose every id would otherwise clash with itself."""
    seen: dict[tuple[int, int], int] = {}  # each folder's first place among the roots
    for n, root in enumerate(roots):
        try:
            info = os.stat(root)
        except OSError:  # listing it says why it cannot be read
            continue
        first = seen.setdefault((info.st_dev, info.st_ino), n)
        if first == n:
            continue
        if first == 0:
            problem = f"this rule pack is the rules tree itself ({roots[0]}); leave it out"
        else:
            also = "" if str(roots[first]) == str(root) else f" (also as {roots[first]})"
            problem = f"this rule pack is given twice{also}; give it once"
        raise KnowledgeBaseError([f"{root}: {problem}"])


def _files_sha256(texts: Sequence[SourceText]) -> str:
    digest = sha256(b"")
    for text in texts:
        if text.file.manifest or is_cases_file(text.file.shown):
            continue
        name = os.path.basename(text.file.shown)  # as Path(...).name gives it, faster
        digest.update(name.encode() + b"\0")
        digest.update(text.sha256)
    return digest.hexdigest()


def build_knowledge_base(
    typed: Typed,
    *,
    compact: Typed | None = None,
    checked_trees: Mapping[str, tuple[conditions.Node, conditions.Node]] | None = None,
    deferred: Mapping[str, Callable[[], list[tuple[Any, str]]]] | None = None,
    packs: tuple[PackInfo, ...] = (),
    tree: PackInfo | None = None,
    content_sha256: str | None = None,
) -> KnowledgeBase:
    """Index typed records by id and check cross-references; raise with every problem found.

    ``compact`` is the records' compact form when the caller has it (``compact_records``: the
    content hash is computed from it). ``checked_trees``, given for records that passed the
    checks before (the compiled cache), skips them and gives each rule's condition trees, by
    rule id (a rule without them has its conditions parsed). ``deferred``: with them, a decoder
    of the compiled cache's records of each kind no scoring reads; their index is made when
    first read (see ``deferred.py``). ``content_sha256``: the records' content hash, as the
    compiled cache keeps it; without it, the hash is computed when first read.
    """
    problems: list[str] = []
    later = dict(deferred or {})
    if later and any(rule.overrides for rule, _ in typed.get("rule", [])):
        # An override renames rules in the test cases: make every record now.
        typed = {**typed, **{kind: decode() for kind, decode in later.items()}}
        later = {}
    # The deferred records' compact forms (in ``compact``) name their files before they are made.
    unmade = {kind: compact[kind] for kind in later} if compact is not None else {}

    def index(kind: str) -> Mapping[Any, Any]:
        if kind not in later:
            return _index(typed, kind, problems)
        return Deferred(functools.partial(_decoded_index, kind, later[kind]))

    typed = crossrefs.apply_overrides(typed, problems)
    typed = crossrefs.apply_trial_updates(typed, problems)
    infos = typed.get("knowledge_base", [])
    if len(infos) != 1:
        files = ", ".join(f for _, f in infos) or "no file"
        # None: most likely a rule pack checked as if it were a whole tree.
        hint = (
            "; a rule pack has none and loads on top of a whole tree, as in "
            "`mscadvisor --rules PACK rules check`"
            if not infos
            else ""
        )
        problems.append(
            f"exactly one [[knowledge_base]] record is required; found {len(infos)} ({files})"
            + hint
        )
    catalog = crossrefs.Catalog.of(
        **{
            name: _index(typed, kind, problems)
            for name, kind in (
                ("sections", "section"),
                ("references", "reference"),
                ("diseases", "disease"),
                ("tissues", "tissue"),
                ("modalities", "modality"),
                ("routes", "route"),
                ("preconditioning", "preconditioning"),
                ("comorbidities", "comorbidity"),
                ("needs", "need"),
                ("trials", "trial"),
            )
        }
    )
    studies = _index(typed, "study", problems)
    errata = index("erratum")
    rules = _index(typed, "rule", problems)
    cases = index("case")
    rule_files = {rule.id: file for rule, file in typed.get("rule", [])}

    @functools.cache
    def provenance() -> dict[tuple[str, object], str]:  # for messages, which a valid cache lacks
        return {(kind, getattr(r, "id", None)): f for kind, rs in typed.items() for r, f in rs}

    def where(kind: str, ident: object) -> str:
        return f"{provenance().get((kind, ident), '?')}: [[{kind}]] id {ident!r}"

    aliases = crossrefs.disease_aliases(catalog, where, problems)
    parsed_rules: dict[str, ParsedRule] = {}
    if checked_trees is not None:  # the records passed the checks when the cache was written
        for rule in rules.values():
            file = rule_files.get(rule.id, "?")
            trees = checked_trees.get(rule.id) or _parse_conditions(rule)
            parsed_rules[rule.id] = ParsedRule(rule, *trees, file)
    else:
        problems += crossrefs.check_catalog(catalog, where)
        for study in studies.values():
            problems += catalog.check_record(where("study", study.id), study)
        for erratum in errata.values():
            problems += catalog.check_citations(where("erratum", erratum.id), erratum.citations)
        for rule in rules.values():
            file = rule_files.get(rule.id, "?")
            checked, rule_problems = crossrefs.check_rule(rule, file, catalog, rules, errata)
            problems += rule_problems
            if checked:
                parsed_rules[rule.id] = ParsedRule(rule, *checked, file)
        for case in cases.values():
            problems += crossrefs.check_case(case, where("case", case.id), rules)
    if problems:
        raise KnowledgeBaseError(problems)
    if content_sha256 is None:
        compact = compact_records(typed) if compact is None else compact
        hashed = Once(functools.partial(content_hash, compact, parsed_rules))
    else:
        hashed = Once.of(content_sha256)
    return KnowledgeBase(
        info=infos[0][0],
        sections=catalog.sections,
        references=catalog.references,
        diseases=catalog.diseases,
        tissues=catalog.tissues,
        modalities=catalog.modalities,
        routes=catalog.routes,
        preconditioning=catalog.preconditioning,
        comorbidities=catalog.comorbidities,
        needs=catalog.needs,
        studies=tuple(studies.values()),
        trials=catalog.trials,
        errata=errata,
        rules=parsed_rules,
        cases=cases,
        _content_hash=hashed,
        files=tuple(
            sorted(
                {
                    f
                    for kind, rs in (*typed.items(), *unmade.items())
                    if kind != MANIFEST_KIND
                    for _, f in rs
                }
            )
        ),
        _aliases=aliases,
        weights={},
        packs=packs,
        tree=tree,
    )


def _parse_conditions(rule: Rule) -> tuple[conditions.Node, conditions.Node]:
    """The (applies_to, when) trees of a rule checked before."""
    applies_to, when = (
        crossrefs.condition_tree(getattr(rule, key), key, scope)
        for key, scope in crossrefs.CONDITION_SCOPES
    )
    return applies_to, when


def content_hash(compact: Typed, rules: dict[str, ParsedRule]) -> str:
    """sha256 of the knowledge scored: independent of file names, order, comments and layout.

    It is computed from the records as loaded, in their compact form (``compact_records``), which
    is the same with and without the compiled cache. A rule counts with its conditions as the
    trees they mean (``rules``: the rules kept), written in the long form, so writing one in the
    shorthand instead changes nothing; a rule another overrides does not count. Rule test cases
    and pack manifests are not knowledge and do not count.
    """
    records: list[tuple[str, Any]] = []
    for kind, items in compact.items():
        if kind == "rule":
            records += [
                ("rule", _with_long_form_conditions(record, rules[record[_RULE_SLOT["id"]]]))
                for record, _ in items
                if record[_RULE_SLOT["id"]] in rules  # not a rule another overrides
            ]
        elif kind not in ("case", MANIFEST_KIND):
            records += [(kind, record) for record, _ in items]
    # In a fixed order: by kind, then by the first field, the id (ids are unique within a kind).
    records.sort(key=lambda item: (item[0], item[1][1]))
    text = json.dumps(records, ensure_ascii=False, sort_keys=True, check_circular=False)
    return sha256(text.encode("utf-8")).hexdigest()


# Where each field of a rule sits in its compact form (after the class name).
_RULE_SLOT = {name: n for n, name in enumerate(Rule._fields, 1)}


def _with_long_form_conditions(record: list[Any], parsed: ParsedRule) -> list[Any]:
    record = list(record)
    for key, tree in (("applies_to", parsed.applies_to), ("when", parsed.when)):
        if record[_RULE_SLOT[key]] is not None:
            record[_RULE_SLOT[key]] = conditions.long_form(tree)
    return record
