"""User weights: scale the points of named rules or rule groups, recorded in every result.

A weights file is TOML::

    [groups]
    table4 = 0.5                      # every rule of the group
    [rules]
    "T4-BM-D1-DONOR-AGE" = 2.0        # one rule; overrides its group's factor

Scaled points are rounded to whole points (half to even) so a score stays an exact sum.
"""

from __future__ import annotations

from pathlib import Path

from mscadvisor.errors import InputError, did_you_mean, quoted, quoted_data
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule
from mscadvisor.reading import Unreadable, decode, load_toml, read_file
from mscadvisor.record import replace

MAX_WEIGHTS_BYTES = 256 * 1024
MAX_FACTOR = 100  # a factor beyond this is a typo, not a judgement; it would dwarf every rule


def read_weights(path: Path, kb: KnowledgeBase) -> dict[str, float]:
    """The weights of a file as {"rule:ID" or "group:NAME": factor}, checked against kb."""
    try:
        document = load_toml(decode(read_file(path, MAX_WEIGHTS_BYTES)))
    except Unreadable as exc:
        raise InputError(f"weights {path}: {exc}") from None
    unknown_tables = set(document) - {"rules", "groups"}
    if unknown_tables:
        raise InputError(
            f"weights {path}: unknown table(s) {', '.join(map(quoted, sorted(unknown_tables)))}; "
            "expected [rules] and/or [groups]"
        )
    known = {"rules": set(kb.rules), "groups": {p.rule.group for p in kb.rules.values()}}
    weights: dict[str, float] = {}
    for table in ("groups", "rules"):
        entries = document.get(table, {})
        if not isinstance(entries, dict):
            raise InputError(f"weights {path}: [{table}] must be a table of NAME = factor")
        for given, factor in entries.items():
            name = _known_name(given, known[table], f"weights {path}: [{table}]")
            if f"{table[:-1]}:{name}" in weights:
                raise InputError(
                    f"weights {path}: [{table}] {quoted(given)}: {name} is weighed twice (ids are "
                    "the same in any case)"
                )
            if (
                isinstance(factor, bool)
                or not isinstance(factor, int | float)
                or not 0 <= factor <= MAX_FACTOR
            ):
                raise InputError(
                    f"weights {path}: [{table}] {quoted(given)} = {quoted_data(factor)}: "
                    f"expected a number from 0 to {MAX_FACTOR}"
                )
            weights[f"{table[:-1]}:{name}"] = float(factor)
    return weights


def _known_name(given: str, known: set[str], where: str) -> str:
    """The rule id or group name a weights file means: itself, else the one name that is
    the same in any case (as rule ids are everywhere else); InputError when there is none, or
    when a pack's names differ only in case and the file names neither exactly."""
    if given in known:
        return given
    alike = sorted(name for name in known if name.casefold() == given.casefold())
    if len(alike) == 1:
        return alike[0]
    if alike:
        raise InputError(
            f"{where} {quoted(given)} is ambiguous: {', '.join(map(repr, alike))} differ only in "
            "case; name one exactly"
        )
    raise InputError(f"{where} {quoted(given)} does not exist{did_you_mean(given, known)}")


def apply_weights(kb: KnowledgeBase, weights: dict[str, float]) -> KnowledgeBase:
    """A knowledge base whose rules' points are scaled; the weights are recorded on it."""
    if not weights:
        return kb
    rules = {rule_id: _scaled(parsed, weights) for rule_id, parsed in kb.rules.items()}
    return replace(kb, rules=rules, weights=dict(sorted(weights.items())))


def _scaled(parsed: ParsedRule, weights: dict[str, float]) -> ParsedRule:
    rule = parsed.rule
    factor = weights.get(f"rule:{rule.id}", weights.get(f"group:{rule.group}"))
    if factor is None:
        return parsed
    if rule.points is not None:
        rule = replace(rule, points=round(rule.points * factor))
    elif rule.evidence is not None:
        evidence = replace(
            rule.evidence,
            points_each=round(rule.evidence.points_each * factor),
            cap=round(rule.evidence.cap * factor),
            indirect_each=round(rule.evidence.indirect_each * factor),
            indirect_cap=round(rule.evidence.indirect_cap * factor),
        )
        rule = replace(rule, evidence=evidence)
    return replace(parsed, rule=rule)
