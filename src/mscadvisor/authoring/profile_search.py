"""Whether some profile makes rules count for a candidate: the search behind lint's findings that
a rule never fires and that two rules score one Table 4 item twice.

For each disease and each candidate that the rules select, a profile must meet *demands*: each
rule's condition, the profile's modality admitting the candidate (or the source a route or
strategy is judged for), and no exclusion rule removing either. Demands that read different
profile fields are independent (the profile's fields take their values independently), so they
are split into groups that share no field, and a group is searched alone: every combination of
the values its comparisons tell apart (``_trial_values``), each valid for the disease.

A search is bounded, so that a rule pack's conditions cannot make lint run long: a group with
more than MAX_TRIALS combinations, and any group once a run has tried MAX_RUN_TRIALS, is taken
to be met. Lint may then miss a rule that never fires, or report two rules that cannot both
count.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import lru_cache
from itertools import combinations, product
from math import prod

from mscadvisor.engine.candidates import NO_SOURCE, candidates_for, judged
from mscadvisor.engine.profile import Profile
from mscadvisor.engine.scoring import profile_context
from mscadvisor.kb import conditions
from mscadvisor.kb.knowledge import KnowledgeBase, ParsedRule
from mscadvisor.kb.records import Disease
from mscadvisor.kb.vocabulary import (
    CONDITION_PROFILE_FIELDS,
    FIELDS,
    disease_values,
    value_domains,
)

MAX_TRIALS = 4096  # combinations searched for one group of demands
MAX_RUN_TRIALS = 1_000_000  # combinations searched in one run (a few seconds)

# What a profile must meet: a condition, and whether it must be definitely true (True) or must
# not be (False: an exclusion rule that removes nothing).
Demand = tuple[conditions.Node, bool]

_PROFILE_FIELDS = {spec.condition_field: spec for spec in CONDITION_PROFILE_FIELDS}


class ProfileSearch:
    """Searches of one knowledge base, sharing the run's budget."""

    def __init__(self, kb: KnowledgeBase) -> None:
        self.kb = kb
        self.left = MAX_RUN_TRIALS
        self.domains = value_domains(kb)
        self.exclusions = [
            (parsed, conditions.compile_condition(parsed.applies_to))
            for parsed in kb.rules.values()
            if parsed.rule.exclude
        ]
        # Whether a group of demands can be met, by the group and, where the group reads the
        # disease, the disease: the same groups recur across rules and pairs of rules.
        self.verdicts: dict[tuple[frozenset[Demand], str | None], bool] = {}
        # Each rule's condition, as the demands its parts make.
        self.conditions = {
            rule_id: [(part, True) for part in _conjuncts(parsed.when)]
            for rule_id, parsed in kb.rules.items()
        }
        self.candidates = {d: candidates_for(kb, d) for d in kb.diseases}
        self.selectors = {
            rule_id: conditions.compile_condition(parsed.applies_to)
            for rule_id, parsed in kb.rules.items()
        }

    def can_count(self, rules: Sequence[ParsedRule]) -> bool:
        """Whether some disease, candidate and profile make every rule count for that candidate
        (never, for rules of different categories: they judge different candidates)."""
        if len({parsed.rule.category for parsed in rules}) > 1:
            return False
        return any(
            self._met(demands, disease)
            for disease in self.kb.diseases.values()
            for demands in self._demands(rules, disease)
        )

    def _demands(self, rules: Sequence[ParsedRule], disease: Disease) -> Iterator[list[Demand]]:
        """What a profile must meet for the rules to count, once for each kind of candidate of
        the disease that they all select (candidates alike in modality and exclusions demand
        the same)."""
        own = [demand for parsed in rules for demand in self.conditions[parsed.rule.id]]
        category = rules[0].rule.category
        if category == "regimen":  # pairs parts, not a candidate
            yield own
            return
        candidates = self.candidates[disease.id]
        sources = {source.id: source for source in candidates["source"]}
        selects = [self.selectors[parsed.rule.id] for parsed in rules]
        excluding = any(parsed.rule.exclude for parsed in rules)
        seen = set()
        for subject, attributes, candidate in judged(candidates, category):
            if not all(select(attributes) for select in selects):
                continue
            source = candidate if subject == NO_SOURCE else sources[subject]
            removers = tuple(
                parsed
                for parsed, select in self.exclusions
                # An exclusion rule counts whatever else excludes the same candidate; a route
                # or strategy is judged only for a source that no rule excludes.
                if (parsed.rule.category == category and not excluding and select(attributes))
                or (
                    category != "source"
                    and parsed.rule.category == "source"
                    and select(source.attributes)
                )
            )
            key = (source.modality, tuple(parsed.rule.id for parsed in removers))
            if key in seen:
                continue
            seen.add(key)
            admitted = conditions.Compare("profile.modality", "in", ("any", source.modality))
            yield [*own, (admitted, True), *((parsed.when, False) for parsed in removers)]

    def _met(self, demands: list[Demand], disease: Disease) -> bool:
        """Whether some profile the disease allows meets every demand: each group of them
        alone, the quickest to search first, as one unmet group settles it."""
        searches = []
        for group in _independent(demands):
            reads_disease = any(_reads_disease(node) for node, _ in group)
            key = (frozenset(group), disease.id if reads_disease else None)
            if key in self.verdicts:
                if not self.verdicts[key]:
                    return False
                continue
            all_of = conditions.All(tuple(node for node, _ in group))
            options = _trial_values(self.domains, all_of, disease)
            if options is None:  # too many to try: taken to be met
                continue
            searches.append((prod(len(v) for v in options.values()), key, group, options))
        base = profile_context(Profile(disease.id), self.kb) if searches else {}
        for count, key, group, options in sorted(searches, key=lambda search: search[0]):
            if count > min(MAX_TRIALS, self.left):
                continue  # taken to be met
            self.left -= count
            met = self.verdicts[key] = _searched(group, options, base)
            if not met:
                return False
        return True


def _searched(
    group: list[Demand], options: dict[str, list[object]], base: dict[str, object]
) -> bool:
    """Whether some combination of the options meets every demand of the group."""
    tests = [(conditions.compile_condition(node), wanted) for node, wanted in group]
    context = dict(base)
    fields = list(options)
    for values in product(*options.values()):
        context.update(zip(fields, values, strict=True))
        if all(holds(context) is wanted for holds, wanted in tests):
            return True
    return False


def _conjuncts(node: conditions.Node) -> Iterator[conditions.Node]:
    """The parts a condition requires all of (itself, unless it is an ``all``)."""
    if isinstance(node, conditions.All):
        for child in node.children:
            yield from _conjuncts(child)
    else:
        yield node


@lru_cache(maxsize=4096)  # a run asks again and again of the same few conditions
def _profile_fields(node: conditions.Node) -> frozenset[str]:
    return frozenset(
        leaf.field for leaf in conditions.leaves(node) if leaf.field in _PROFILE_FIELDS
    )


@lru_cache(maxsize=4096)
def _reads_disease(node: conditions.Node) -> bool:
    """Whether a condition reads the disease, or a profile field whose values it decides."""
    return any(
        leaf.field.startswith("disease.")
        or (leaf.field in _PROFILE_FIELDS and _PROFILE_FIELDS[leaf.field].per_disease)
        for leaf in conditions.leaves(node)
    )


def _independent(demands: list[Demand]) -> list[list[Demand]]:
    """The demands in groups that read no profile field in common."""
    groups: list[tuple[frozenset[str], list[Demand]]] = []
    for demand in demands:
        fields = _profile_fields(demand[0])
        joined = [g for g in groups if g[0] & fields]
        merged = (
            fields.union(*(g[0] for g in joined)),
            [*(d for g in joined for d in g[1]), demand],
        )
        groups = [*(g for g in groups if not g[0] & fields), merged]
    return [members for _, members in groups]


def _trial_values(
    domains: dict[str, tuple[str, ...]], node: conditions.Node, disease: Disease
) -> dict[str, list[object]] | None:
    """The values to try of each profile field a condition tests, all valid for the disease:
    every value of a choice (the disease's own, for sex and etiology), the bounds of a number
    and each number it compares with its neighbours, both truth values, every subset of the
    values it names for a set field, and unknown where a profile may leave the field so. None
    when a set field names more values than there are trials to spend on their subsets."""
    options: dict[str, list[object]] = {}
    named: dict[str, set[str]] = {}
    for leaf in conditions.leaves(node):
        profile_field = _PROFILE_FIELDS.get(leaf.field)
        if profile_field is None:  # the disease's own fields are known
            continue
        spec = FIELDS[leaf.field]
        values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        known = options.setdefault(leaf.field, [None] if spec.may_be_unknown else [])
        if spec.kind == "set":
            named.setdefault(leaf.field, set()).update(v for v in values if isinstance(v, str))
        elif spec.kind == "bool":
            known += [True, False]
        elif spec.kind == "int":
            low, high = profile_field.low, profile_field.high
            assert low is not None and high is not None
            near = (v + step for v in values if isinstance(v, int) for step in (-1, 0, 1))
            known += [low, *(n for n in near if low <= n <= high), high]
        elif profile_field.per_disease:
            known += disease_values(profile_field, disease)
        else:
            known += domains[spec.domain] if spec.domain else values
    for field, names in named.items():
        if 2 ** len(names) > MAX_TRIALS:
            return None
        ordered = sorted(names)
        options[field] = [
            frozenset(c) for n in range(len(ordered) + 1) for c in combinations(ordered, n)
        ]
    return {field: list(dict.fromkeys(values)) for field, values in options.items()}
