"""Static checks of a loaded rule set: rules that can never fire, duplicate or contradictory
rules, and rationales that mention evidence the rule does not cite.

(Rules without a citation and citations that resolve to nothing are already rejected when the
rules load, so a loaded knowledge base cannot contain them.)
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from itertools import combinations

from mscadvisor.engine.candidates import can_fire_for
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule

REF_MENTION = re.compile(r"\[(\d+)\]")
NCT_MENTION = re.compile(r"NCT\d{8}")


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    code: str  # never-fires | duplicate | contradiction | uncited-mention
    message: str


def lint(kb: KnowledgeBase) -> list[Finding]:
    findings = [f for parsed in kb.rules.values() for f in _never_fires(kb, parsed)]
    findings += _duplicates(kb)
    findings += [f for parsed in kb.rules.values() for f in _uncited_mentions(parsed)]
    return sorted(findings, key=lambda f: (f.rule, f.code))


def _never_fires(kb: KnowledgeBase, parsed: ParsedRule) -> list[Finding]:
    if any(can_fire_for(kb, parsed, d) for d in kb.diseases.values()):
        return []
    return [
        Finding(
            parsed.rule.id,
            "never-fires",
            "no disease in the catalog has a candidate it selects for which its condition can hold",
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
        effect = "exclude" if rule.exclude else "evidence" if rule.evidence else "points"
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
        for first, second in combinations(same, 2):
            a, b = first.rule, second.rule
            if b.id in a.conflicts_with or a.id in b.conflicts_with:
                continue
            opposite = (
                a.points is not None and b.points is not None and ((a.points > 0) != (b.points > 0))
            )
            if opposite:
                findings.append(
                    Finding(
                        a.id,
                        "contradiction",
                        f"same selector and condition as "
                        f"{b.id} with the opposite sign, and no conflicts_with "
                        "declared",
                    )
                )
            else:
                findings.append(
                    Finding(
                        a.id,
                        "duplicate",
                        f"same selector, condition, effect kind and citations as {b.id}",
                    )
                )
    return findings


def _uncited_mentions(parsed: ParsedRule) -> list[Finding]:
    rule = parsed.rule
    cited_refs = {c.ref for c in rule.citations}
    cited_ncts = {c.nct for c in rule.citations}
    text = f"{rule.summary} {rule.rationale}"
    missing = sorted({int(n) for n in REF_MENTION.findall(text)} - cited_refs)
    missing_ncts = sorted(set(NCT_MENTION.findall(text)) - cited_ncts)
    if not missing and not missing_ncts:
        return []
    shown = [f"[{n}]" for n in missing] + missing_ncts
    return [
        Finding(
            rule.id,
            "uncited-mention",
            f"the rationale mentions {', '.join(shown)} but the rule does not cite it",
        )
    ]
