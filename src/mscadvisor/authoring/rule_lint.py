"""Static checks of a loaded rule set: rules that can never fire, duplicate or contradictory
rules, and rationales that mention evidence the rule does not cite or an erratum it does not
list.

Also: a Table 4 item scored twice for one candidate and profile (a general trait counts at most
once), and a condition that uses a number or list the review does not give without declaring it
as an ``assumption``.

(Rules without a citation and citations that resolve to nothing are already rejected when the
rules load, so a loaded knowledge base cannot contain them.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection
from dataclasses import dataclass

from mscadvisor.authoring.profile_search import ProfileSearch
from mscadvisor.kb import conditions
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule
from mscadvisor.kb.records import Rule
from mscadvisor.kb.vocabulary import FIELDS

# A reference number is short; a longer run of digits in brackets is not one (and int() of a
# few thousand digits is refused).
REF_MENTION = re.compile(r"\[(\d{1,9})\]")
NCT_MENTION = re.compile(r"NCT\d{8}")
ERRATUM_MENTION = re.compile(r"\bE-[A-Z0-9]+(?:-[A-Z0-9]+)*\b")  # an erratum id, as E-TUMOR-7


# Every kind of finding, as its code (rules-lint.schema.json lists the same).
CODES = (
    "never-fires",
    "duplicate",
    "contradiction",
    "uncited-mention",
    "double-count",
    "undeclared-assumption",
)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    code: str  # one of CODES
    message: str


def lint(kb: KnowledgeBase) -> list[Finding]:
    search = ProfileSearch(kb)
    findings = [f for parsed in kb.rules.values() for f in _never_fires(search, parsed)]
    findings += _duplicates(kb)
    findings += [f for parsed in kb.rules.values() for f in _uncited_mentions(parsed, kb.errata)]
    findings += _double_counted(kb, search)
    findings += [f for parsed in kb.rules.values() for f in _undeclared_assumption(parsed)]
    return sorted(findings, key=lambda f: (f.rule, f.code))


def _never_fires(search: ProfileSearch, parsed: ParsedRule) -> list[Finding]:
    if search.can_count([parsed]):
        return []
    return [
        Finding(
            parsed.rule.id,
            "never-fires",
            "no disease in the catalog has a candidate it selects and a valid profile for which "
            "it counts",
        )
    ]


def _duplicates(kb: KnowledgeBase) -> list[Finding]:
    """Rules that say the same thing about the same candidates under the same condition, on
    the same evidence (citations): twice with one sign is a duplicate, with opposite signs a
    contradiction unless conflicts_with declares it. Different Table 4 items of one tissue are
    different evidence, so they are neither."""
    groups: dict[tuple[object, ...], list[ParsedRule]] = defaultdict(list)
    for parsed in kb.rules.values():
        rule = parsed.rule
        # Caveats differ by what they say; other effects by their selector and condition.
        effect = (
            "exclude"
            if rule.exclude
            else "evidence"
            if rule.evidence
            else f"caveat: {rule.summary}"
            if rule.caveat
            else "points"
        )
        key = (
            rule.category,
            parsed.applies_to,
            parsed.when,
            effect,
            rule.evidence,
            frozenset(rule.citations),
        )
        groups[key].append(parsed)
    findings = []
    for same in groups.values():
        if len(same) > 1:
            findings += _group_findings(sorted(same, key=lambda p: p.rule.id))
    return findings


SHOWN_IDS = 5  # a finding about a group of rules names this many of them, then counts


def _named(ids: list[str]) -> str:
    more = f" and {len(ids) - SHOWN_IDS} more" if len(ids) > SHOWN_IDS else ""
    return ", ".join(ids[:SHOWN_IDS]) + more


def _group_findings(same: list[ParsedRule]) -> list[Finding]:
    """One finding per set of rules that repeat each other (with one sign) and one per group
    whose rules contradict each other (opposite signs, no conflicts_with): each group is
    reported once, however many rules it has, so the report grows with the rules, not with
    their pairs."""
    findings = []
    positive = [p.rule for p in same if p.rule.points is not None and p.rule.points > 0]
    negative = [p.rule for p in same if p.rule.points is not None and p.rule.points <= 0]
    unsigned = [p.rule for p in same if p.rule.points is None]
    for kind in (positive, negative, unsigned):
        if not kind:
            continue
        first, *rest = kind
        repeats = [r.id for r in rest if not _declared(first, r)]
        if repeats:
            findings.append(
                Finding(
                    first.id,
                    "duplicate",
                    f"same selector, condition, effect kind and citations as {_named(repeats)}",
                )
            )
    # Stops at the first pair not declared: at most one step per declared pair, plus one.
    undeclared = next(((a, b) for a in positive for b in negative if not _declared(a, b)), None)
    if undeclared is not None:
        a, b = sorted(undeclared, key=lambda r: r.id)
        findings.append(
            Finding(
                a.id,
                "contradiction",
                f"same selector and condition as {b.id} with the opposite sign, and no "
                "conflicts_with declared",
            )
        )
    return findings


def _declared(a: Rule, b: Rule) -> bool:
    """Whether either rule declares that it conflicts with the other."""
    return b.id in a.conflicts_with or a.id in b.conflicts_with


def _uncited_mentions(parsed: ParsedRule, errata: Collection[str]) -> list[Finding]:
    """A reference or trial the rule's text mentions but it does not cite, or an erratum (one
    of ``errata``) it mentions but does not list in its errata."""
    rule = parsed.rule
    cited_refs = {c.ref for c in rule.citations}
    cited_ncts = {c.nct for c in rule.citations}
    text = f"{rule.summary} {rule.rationale}"
    missing = sorted({int(n) for n in REF_MENTION.findall(text)} - cited_refs)
    missing_ncts = sorted(set(NCT_MENTION.findall(text)) - cited_ncts)
    unlisted = sorted({e for e in ERRATUM_MENTION.findall(text) if e in errata} - set(rule.errata))
    findings = []
    if missing or missing_ncts:
        shown = [f"[{n}]" for n in missing] + missing_ncts
        message = f"the rationale mentions {', '.join(shown)} but the rule does not cite it"
        findings.append(Finding(rule.id, "uncited-mention", message))
    if unlisted:
        message = (
            f"the rationale mentions erratum {', '.join(unlisted)} but the rule does not list "
            "it in errata, so explain does not show it"
        )
        findings.append(Finding(rule.id, "uncited-mention", message))
    return findings


def _double_counted(kb: KnowledgeBase, search: ProfileSearch) -> list[Finding]:
    """Two rules that score the same Table 4 item and can both fire for one candidate and one
    profile: a general trait must count at most once per candidate. Rules with the same
    selector and condition are judged together, once, and a rule's finding names every later
    rule it can count with, so the report grows with the rules rather than with their pairs."""
    by_item: dict[str, dict[tuple[object, ...], list[ParsedRule]]] = defaultdict(dict)
    for parsed in kb.rules.values():
        if parsed.rule.points is not None:
            alike = (parsed.rule.category, parsed.applies_to, parsed.when)
            for item in parsed.rule.table4_items:
                by_item[item].setdefault(alike, []).append(parsed)
    findings = []
    for item, classes in sorted(by_item.items()):
        groups = list(classes.values())
        for first, *copies in groups:
            if copies and search.can_count([first]):
                findings.append(
                    Finding(
                        first.rule.id,
                        "double-count",
                        f"scores Table 4 item {item} again with "
                        f"{_named([c.rule.id for c in copies])}: all can fire for the same "
                        "candidate and profile",
                    )
                )
        # One finding per rule, naming every later rule it can count with: many rules on one
        # item make as many findings, not one per pair.
        for n, (one, *_) in enumerate(groups):
            others = [o[0].rule.id for o in groups[n + 1 :] if search.can_count([one, o[0]])]
            if others:
                findings.append(
                    Finding(
                        one.rule.id,
                        "double-count",
                        f"scores Table 4 item {item} again with {_named(others)}: "
                        + ("both" if len(others) == 1 else "each")
                        + " can fire for the same candidate and profile",
                    )
                )
    return findings


# Comparisons whose number or list the review does not give: a rule making one must say so.
ASSUMED_WHEN = "an age threshold, or a list of three or more comorbidities standing for a trait"


def _undeclared_assumption(parsed: ParsedRule) -> list[Finding]:
    if parsed.rule.assumption is not None:
        return []
    for leaf in conditions.leaves(parsed.when):
        numeric = FIELDS.get(leaf.field) is not None and FIELDS[leaf.field].kind == "int"
        long_list = (
            leaf.field == "profile.comorbidities"
            and isinstance(leaf.value, tuple)
            and len(leaf.value) >= 3
        )
        if numeric or long_list:
            return [
                Finding(
                    parsed.rule.id,
                    "undeclared-assumption",
                    f"its condition uses {ASSUMED_WHEN} ({conditions.describe(leaf)}); "
                    'declare it with assumption = "..."',
                )
            ]
    return []
