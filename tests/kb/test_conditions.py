"""The condition language: parsing, each operator, unknown values, readable form."""

from __future__ import annotations

import json
import tomllib
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.scoring import profile_context
from mscadvisor.kb import condition_syntax, conditions
from mscadvisor.kb.condition_syntax import parse
from mscadvisor.kb.conditions import ConditionError, Scope, compile_condition, describe
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.vocabulary import FIELDS

BASE = {
    "profile.age": 65,
    "profile.sex": None,
    "profile.donor": "autologous",
    "profile.comorbidities": frozenset({"diabetes"}),
    "profile.needs": frozenset(),
    "disease.systems": frozenset({"skeletal"}),
}


def holds(raw: dict[str, Any], ctx: dict[str, Any] | None = None) -> bool:
    return compile_condition(parse(raw, "when", "profile"))({**BASE, **(ctx or {})})


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ({"field": "profile.age", "op": "ge", "value": 60}, True),
        ({"field": "profile.age", "op": "ge", "value": 66}, False),
        ({"field": "profile.age", "op": "gt", "value": 65}, False),
        ({"field": "profile.age", "op": "lt", "value": 66}, True),
        ({"field": "profile.age", "op": "le", "value": 65}, True),
        ({"field": "profile.age", "op": "eq", "value": 65}, True),
        ({"field": "profile.age", "op": "ne", "value": 65}, False),
        ({"field": "profile.donor", "op": "in", "value": ["autologous", "any"]}, True),
        ({"field": "profile.donor", "op": "not_in", "value": ["autologous"]}, False),
        ({"field": "profile.comorbidities", "op": "contains", "value": "diabetes"}, True),
        ({"field": "profile.comorbidities", "op": "contains", "value": "obesity"}, False),
        (
            {
                "field": "profile.comorbidities",
                "op": "intersects",
                "value": ["obesity", "diabetes"],
            },
            True,
        ),
        ({"field": "profile.needs", "op": "intersects", "value": ["fertility"]}, False),
        ({"field": "profile.age", "op": "is_set"}, True),
        ({"field": "profile.sex", "op": "is_set"}, False),
        ({"all": []}, True),
        ({"any": []}, False),
        ({"not": {"field": "profile.donor", "op": "eq", "value": "autologous"}}, False),
        (
            {
                "all": [
                    {"field": "profile.age", "op": "ge", "value": 60},
                    {"field": "disease.systems", "op": "contains", "value": "skeletal"},
                ]
            },
            True,
        ),
        (
            {
                "any": [
                    {"field": "profile.age", "op": "lt", "value": 18},
                    {"field": "profile.donor", "op": "eq", "value": "allogeneic"},
                ]
            },
            False,
        ),
    ],
)
def test_operators(raw: dict[str, Any], expected: bool) -> None:
    assert holds(raw) is expected


@pytest.mark.parametrize("op", ["eq", "ne", "lt", "le", "gt", "ge"])
def test_unknown_value_never_satisfies_a_comparison(op: str) -> None:
    assert holds({"field": "profile.age", "op": op, "value": 40}, {"profile.age": None}) is False


def test_unknown_value_never_satisfies_membership() -> None:
    raw = {"field": "profile.sex", "op": "not_in", "value": ["male"]}
    assert holds(raw) is False


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"field": "profile.agee", "op": "eq", "value": 1}, "unknown field 'profile.agee'"),
        ({"field": "profile.age", "op": "around", "value": 1}, "unknown operator 'around'"),
        ({"field": "profile.age", "op": "ge", "value": "60"}, "expected an int value"),
        ({"field": "profile.donor", "op": "lt", "value": "x"}, "only to numeric fields"),
        ({"field": "profile.donor", "op": "in", "value": "autologous"}, "non-empty list"),
        ({"field": "profile.needs", "op": "eq", "value": "fertility"}, "does not apply to a set"),
        ({"field": "profile.age", "op": "contains", "value": 3}, "only to set fields"),
        ({"field": "profile.age", "op": "is_set", "value": True}, "is_set takes no value"),
        ({"field": "candidate.tissue", "op": "eq", "value": "BM"}, "cannot be tested in when"),
        ({"field": "profile.age", "value": 1}, "unrecognised condition"),
        ({"all": {"field": "profile.age"}}, "must be a list"),
        ([1, 2], "must be a table"),
    ],
)
def test_malformed_conditions_are_rejected_with_their_path(raw: Any, fragment: str) -> None:
    with pytest.raises(ConditionError) as info:
        parse(raw, "when", "profile")
    assert fragment in str(info.value)
    assert str(info.value).startswith("when")


def test_nested_problem_names_its_path() -> None:
    raw = {
        "all": [
            {"field": "profile.age", "op": "ge", "value": 1},
            {"not": {"field": "profile.x", "op": "eq", "value": 1}},
        ]
    }
    with pytest.raises(ConditionError, match=r"when\.all\[1\]\.not\.field"):
        parse(raw, "when", "profile")


def test_describe_reads_like_the_rule() -> None:
    raw = {
        "all": [
            {"field": "profile.donor", "op": "eq", "value": "autologous"},
            {
                "any": [
                    {"field": "profile.age", "op": "ge", "value": 60},
                    {"field": "profile.avoid_invasive_harvest", "op": "eq", "value": True},
                ]
            },
        ]
    }
    text = describe(parse(raw, "when", "profile"))
    assert text == (
        "profile.donor = autologous and "
        "(profile.age >= 60 or profile.avoid_invasive_harvest = true)"
    )
    assert describe(conditions.ALWAYS) == "always"


def test_compared_values_lists_every_string_operand() -> None:
    raw = {
        "any": [
            {
                "field": "profile.comorbidities",
                "op": "intersects",
                "value": ["diabetes", "obesity"],
            },
            {"not": {"field": "profile.donor", "op": "eq", "value": "any"}},
            {"field": "profile.age", "op": "ge", "value": 3},
        ]
    }
    found = set(conditions.compared_values(parse(raw, "when", "profile")))
    assert found == {
        ("profile.comorbidities", "diabetes"),
        ("profile.comorbidities", "obesity"),
        ("profile.donor", "any"),
    }


# Three-valued logic: a comparison on an unknown value is unknown, not false.

SEX_IS_MALE = {"field": "profile.sex", "op": "eq", "value": "male"}


def verdict(raw: dict[str, Any], ctx: dict[str, Any] | None = None) -> bool | None:
    return conditions.verdict(parse(raw, "when", "profile"), {**BASE, **(ctx or {})})


@pytest.mark.parametrize(
    "raw",
    [
        SEX_IS_MALE,
        {"field": "profile.sex", "op": "ne", "value": "male"},
        {"not": SEX_IS_MALE},
        {"not": {"not": SEX_IS_MALE}},
        {"field": "profile.sex", "op": "in", "value": ["male"]},
        {"field": "profile.sex", "op": "not_in", "value": ["male"]},
        {"not": {"field": "profile.sex", "op": "in", "value": ["male"]}},
        {"all": [{"not": SEX_IS_MALE}, {"field": "profile.age", "op": "ge", "value": 60}]},
        {"any": [{"not": SEX_IS_MALE}, {"field": "profile.age", "op": "lt", "value": 60}]},
    ],
)
def test_not_does_not_turn_an_unknown_value_into_a_match(raw: dict[str, Any]) -> None:
    """The trap: with the sex unknown, `ne male` never held but `not (eq male)` did."""
    assert verdict(raw) is None  # BASE leaves profile.sex unknown
    assert holds(raw) is False
    assert verdict(raw, {"profile.sex": "female"}) is not None


def test_not_of_a_known_value_still_inverts() -> None:
    assert holds({"not": SEX_IS_MALE}, {"profile.sex": "female"}) is True
    assert holds({"not": SEX_IS_MALE}, {"profile.sex": "male"}) is False


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        # Kleene: a false part settles all, a true part settles any, whatever is unknown.
        ({"all": [SEX_IS_MALE, {"field": "profile.age", "op": "lt", "value": 60}]}, False),
        ({"all": [SEX_IS_MALE, {"field": "profile.age", "op": "ge", "value": 60}]}, None),
        ({"any": [SEX_IS_MALE, {"field": "profile.age", "op": "ge", "value": 60}]}, True),
        ({"any": [SEX_IS_MALE, {"field": "profile.age", "op": "lt", "value": 60}]}, None),
        ({"not": {"any": [SEX_IS_MALE, {"field": "profile.age", "op": "ge", "value": 60}]}}, False),
        # is_set is never unknown
        ({"not": {"field": "profile.sex", "op": "is_set"}}, True),
        ({"field": "profile.sex", "op": "is_set"}, False),
    ],
)
def test_all_and_any_follow_kleene_logic(raw: dict[str, Any], expected: bool | None) -> None:
    assert verdict(raw) is expected
    assert holds(raw) is (expected is True)


def test_failures_name_the_unknown_values_under_not() -> None:
    node = parse(
        {"all": [{"not": SEX_IS_MALE}, {"field": "profile.donor", "op": "eq", "value": "any"}]},
        "when",
        "profile",
    )
    assert conditions.failures(node, BASE) == [
        "not profile.sex = male (unknown: profile.sex is not given)",
        "profile.donor = any",
    ]
    either = parse(
        {
            "any": [
                SEX_IS_MALE,
                {"field": "profile.etiology", "op": "eq", "value": "diabetic"},
                {"field": "profile.age", "op": "ge", "value": 70},
            ]
        },
        "when",
        "profile",
    )
    assert conditions.failures(either, {**BASE, "profile.etiology": None}) == [
        "profile.sex = male or profile.etiology = diabetic or profile.age >= 70 "
        "(unknown: profile.etiology and profile.sex are not given)"
    ]


# Random trees over fields of every kind, some of whose values may be unknown, against a
# direct reading of the documented semantics.

OPTIONAL_VALUES = {
    "profile.age": st.integers(58, 62),
    "profile.sex": st.sampled_from(["female", "male"]),
    "profile.etiology": st.sampled_from(["diabetic", "ovariectomy"]),
}
KNOWN_VALUES = {
    "profile.donor": st.sampled_from(["autologous", "allogeneic", "any"]),
    "profile.avoid_invasive_harvest": st.booleans(),
}
SET_VALUES = {"profile.comorbidities": st.sampled_from(["diabetes", "obesity", "cancer-history"])}
SCALAR_VALUES = {**OPTIONAL_VALUES, **KNOWN_VALUES}


@st.composite
def leaves_3v(draw: st.DrawFn) -> dict[str, Any]:
    field = draw(st.sampled_from(sorted({*SCALAR_VALUES, *SET_VALUES})))
    if field in SET_VALUES:
        values = SET_VALUES[field]
        op = draw(st.sampled_from(["contains", "intersects", "is_set"]))
    else:
        values = SCALAR_VALUES[field]
        ops = ["eq", "ne", "in", "not_in", "is_set"]
        op = draw(
            st.sampled_from(ops + (["lt", "le", "gt", "ge"] if field == "profile.age" else []))
        )
    if op == "is_set":
        return {"field": field, "op": op}
    if op in ("in", "not_in", "intersects"):
        return {"field": field, "op": op, "value": draw(st.lists(values, min_size=1, max_size=3))}
    return {"field": field, "op": op, "value": draw(values)}


trees_3v = st.recursive(
    leaves_3v(),
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=4)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=4)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=10,
)
contexts_3v = st.fixed_dictionaries(
    {
        **{f: st.one_of(st.none(), v) for f, v in OPTIONAL_VALUES.items()},
        **KNOWN_VALUES,
        **{f: st.frozensets(v, max_size=2) for f, v in SET_VALUES.items()},
    }
)


def reference_3v(raw: dict[str, Any], ctx: dict[str, Any]) -> bool | None:
    """Three-valued logic read straight off the docs: None is unknown."""
    if "all" in raw or "any" in raw:
        parts = [reference_3v(c, ctx) for c in raw.get("all", raw.get("any"))]
        settles = "all" not in raw  # a true part settles any, a false part settles all
        if settles in parts:
            return settles
        return None if None in parts else not settles
    if "not" in raw:
        inner = reference_3v(raw["not"], ctx)
        return None if inner is None else not inner
    actual, op, operand = ctx[raw["field"]], raw["op"], raw.get("value")
    if op == "is_set":
        return actual is not None
    if actual is None:
        return None
    if op in ("eq", "ne", "in", "not_in"):
        member = actual == operand if op in ("eq", "ne") else actual in operand
        return member if op in ("eq", "in") else not member
    if op == "contains":
        return operand in actual
    if op == "intersects":
        return any(v in actual for v in operand)
    return {"lt": actual < operand, "le": actual <= operand, "gt": actual > operand}.get(
        op, actual >= operand
    )


@given(trees_3v, contexts_3v)
def test_compiled_predicates_agree_with_three_valued_reference(
    raw: dict[str, Any], ctx: dict[str, Any]
) -> None:
    node = parse(raw, "when", "profile")
    expected = reference_3v(raw, ctx)
    assert conditions.verdict(node, ctx) is expected
    assert compile_condition(node)(ctx) is (expected is True)
    assert compile_condition(conditions.Not(node))(ctx) is (expected is False)
    assert (conditions.failures(node, ctx) == []) is (expected is True)


@given(trees_3v, contexts_3v, st.sets(st.sampled_from(sorted(SCALAR_VALUES))))
def test_partial_verdict_never_contradicts_the_full_profile(
    raw: dict[str, Any], ctx: dict[str, Any], hidden: set[str]
) -> None:
    """What the known fields settle, no value of the others can change."""
    node = parse(raw, "when", "profile")
    known = {f: v for f, v in ctx.items() if f not in hidden}
    partial = conditions.partial_verdict(node, known)
    assert partial is None or partial is reference_3v(raw, ctx)


@given(trees_3v, contexts_3v)
def test_double_negation_changes_nothing(raw: dict[str, Any], ctx: dict[str, Any]) -> None:
    node = parse(raw, "when", "profile")
    twice = conditions.Not(conditions.Not(node))
    assert compile_condition(twice)(ctx) is compile_condition(node)(ctx)
    assert conditions.verdict(twice, ctx) is conditions.verdict(node, ctx)


# The shorthand: the same trees, written for people.


def both(shorthand: dict[str, Any], long_form: dict[str, Any], scope: Scope = "profile") -> None:
    where = condition_syntax.WHERE[scope]
    assert parse(shorthand, where, scope) == parse(long_form, where, scope)


def cmp(field: str, op: str, value: Any = None) -> dict[str, Any]:
    return {"field": field, "op": op} | ({} if op == "is_set" else {"value": value})


@pytest.mark.parametrize(
    ("shorthand", "long_form", "scope"),
    [
        ({"tissue": "BM"}, cmp("candidate.tissue", "eq", "BM"), "candidate"),
        (
            {"tissue": "BM", "modality": "cells"},
            {
                "all": [
                    cmp("candidate.tissue", "eq", "BM"),
                    cmp("candidate.modality", "eq", "cells"),
                ]
            },
            "candidate",
        ),
        (
            {"id": ["IV", "intraosseous"]},
            cmp("candidate.id", "in", ["IV", "intraosseous"]),
            "candidate",
        ),
        ({"perinatal": True}, cmp("candidate.perinatal", "eq", True), "candidate"),
        (
            {"not": {"modalities": "cells"}},
            {"not": cmp("candidate.modalities", "contains", "cells")},
            "candidate",
        ),
        (
            {"modalities": {"not": "cells"}},
            {"not": cmp("candidate.modalities", "contains", "cells")},
            "candidate",
        ),
        (
            {"donor": "autologous", "age": {"at_least": 60}},
            {"all": [cmp("profile.donor", "eq", "autologous"), cmp("profile.age", "ge", 60)]},
            "profile",
        ),
        ({"disease": "POF"}, cmp("disease.id", "eq", "POF"), "profile"),
        ({"systems": "skeletal"}, cmp("disease.systems", "contains", "skeletal"), "profile"),
        ({"modality": "cells"}, cmp("profile.modality", "eq", "cells"), "profile"),
        (
            {"comorbidities": ["diabetes", "obesity"]},
            cmp("profile.comorbidities", "intersects", ["diabetes", "obesity"]),
            "profile",
        ),
        (
            {"age": {"at_least": 18, "below": 65}},
            {"all": [cmp("profile.age", "ge", 18), cmp("profile.age", "lt", 65)]},
            "profile",
        ),
        ({"age": {"at_most": 40}}, cmp("profile.age", "le", 40), "profile"),
        ({"age": {"above": 40}}, cmp("profile.age", "gt", 40), "profile"),
        ({"age": 40}, cmp("profile.age", "eq", 40), "profile"),
        ({"age": {"is": 40}}, cmp("profile.age", "eq", 40), "profile"),
        ({"sex": {"not": "male"}}, cmp("profile.sex", "ne", "male"), "profile"),
        (
            {"donor": {"not": ["autologous"]}},
            cmp("profile.donor", "not_in", ["autologous"]),
            "profile",
        ),
        (
            {"donor": {"none_of": ["autologous"]}},
            cmp("profile.donor", "not_in", ["autologous"]),
            "profile",
        ),
        ({"donor": {"any_of": ["any"]}}, cmp("profile.donor", "in", ["any"]), "profile"),
        (
            {"needs": {"contains": "fertility"}},
            cmp("profile.needs", "contains", "fertility"),
            "profile",
        ),
        (
            {"needs": {"none_of": ["fertility"]}},
            {"not": cmp("profile.needs", "intersects", ["fertility"])},
            "profile",
        ),
        (
            {"needs": {"not": ["fertility"]}},
            {"not": cmp("profile.needs", "intersects", ["fertility"])},
            "profile",
        ),
        ({"age": {"given": True}}, cmp("profile.age", "is_set"), "profile"),
        ({"age": {"given": False}}, {"not": cmp("profile.age", "is_set")}, "profile"),
        (
            {"age": {"not": {"at_least": 18, "below": 65}}},
            {"not": {"all": [cmp("profile.age", "ge", 18), cmp("profile.age", "lt", 65)]}},
            "profile",
        ),
        (
            # fields beside all / any / not in one table: all of them
            {"disease": "POF", "any": [{"age": {"below": 40}}, {"needs": "fertility"}]},
            {
                "all": [
                    cmp("disease.id", "eq", "POF"),
                    {
                        "any": [
                            cmp("profile.age", "lt", 40),
                            cmp("profile.needs", "contains", "fertility"),
                        ]
                    },
                ]
            },
            "profile",
        ),
        (
            # the long form stays valid, inside the shorthand too
            {"any": [cmp("profile.age", "lt", 40), {"sex": "female"}]},
            {"any": [cmp("profile.age", "lt", 40), cmp("profile.sex", "eq", "female")]},
            "profile",
        ),
    ],
)
def test_shorthand_builds_the_long_forms_tree(
    shorthand: dict[str, Any], long_form: dict[str, Any], scope: Scope
) -> None:
    both(shorthand, long_form, scope)


@pytest.mark.parametrize(
    ("raw", "scope", "message"),
    [
        ({"agee": 1}, "profile", "when.agee: unknown field 'agee' (did you mean 'age'?)"),
        ({"alll": []}, "profile", "when.alll: unknown field 'alll' (did you mean 'all'?)"),
        ({"tissue": "BM"}, "profile", "when.tissue: 'tissue' is a candidate field"),
        ({"donor": "any"}, "candidate", "applies_to.donor: 'donor' is a profile field"),
        ({"profile.age": 1}, "profile", "when.profile.age: write the field as 'age'"),
        ({"profile": {"age": 1}}, "profile", "when.profile: a dotted key such as profile.x"),
        ({"disease": {"id": "POF"}}, "profile", "a dotted key makes a nested table"),
        ({"age": "60"}, "profile", "when.age: expected an int value, got '60'"),
        ({"age": {"at_least": "60"}}, "profile", "when.age.at_least: expected an int value"),
        ({"age": {"around": 1}}, "profile", "when.age.around: unknown operator word 'around'"),
        ({"sex": {"below": 1}}, "profile", "when.sex.below: 'below' does not apply to sex"),
        ({"needs": {"is": "x"}}, "profile", "when.needs.is: 'is' does not apply to needs"),
        ({"needs": []}, "profile", "when.needs: expected a non-empty list"),
        ({"donor": {"any_of": "any"}}, "profile", "when.donor.any_of: expected a non-empty list"),
        ({"age": {"given": "yes"}}, "profile", "when.age.given: expected true or false"),
        ({"age": {}}, "profile", "when.age: empty table; expected a value, a list or operator"),
        ({}, "profile", "when: empty condition"),
        ({"any": [{"sex": {"not": {"at_least": 1}}}]}, "profile", "when.any[0].sex.not.at_least"),
        ({"field": "profile.age", "age": 1}, "profile", "when: unrecognised condition"),
    ],
)
def test_shorthand_faults_name_the_path_and_what_was_expected(
    raw: dict[str, Any], scope: Scope, message: str
) -> None:
    with pytest.raises(ConditionError) as info:
        parse(raw, condition_syntax.WHERE[scope], scope)
    assert message in str(info.value)


def test_every_fault_of_a_table_is_reported() -> None:
    with pytest.raises(ConditionError) as info:
        parse({"agee": 1, "sex": {"below": 1}, "needs": []}, "when", "profile")
    assert [p.split(":")[0] for p in info.value.problems] == [
        "when.agee",
        "when.sex.below",
        "when.needs",
    ]


@pytest.mark.parametrize("word", [w for w in condition_syntax.WORDS if w not in ("not", "given")])
def test_word_table_says_what_parse_builds(word: str) -> None:
    """The generated docs show WORDS: each word's long forms are what parse() builds."""
    spec = condition_syntax.WORDS[word]
    cases = [("profile.age", spec.one), ("profile.needs", spec.many)]
    if not spec.numbers_only:
        cases.append(("profile.sex", spec.one))
    for field, meaning in cases:
        operand: Any = 5 if field == "profile.age" else "female"
        if spec.takes == "a non-empty list":
            operand = [operand]
        raw = {condition_syntax.short_name(field): {word: operand}}
        if meaning == "-":
            with pytest.raises(ConditionError, match="does not apply"):
                parse(raw, "when", "profile")
            continue
        op = meaning.removeprefix("not ")
        expected = cmp(field, op, operand)
        both(raw, {"not": expected} if meaning.startswith("not ") else expected)


# Random trees over every field of a scope: the shorthand and the long form give them back.


@st.composite
def compare_nodes(draw: st.DrawFn, fields: list[str]) -> conditions.Compare:
    field = draw(st.sampled_from(fields))
    kind = FIELDS[field].kind
    scalars = {
        "str": st.sampled_from(["a", "b", "c"]),
        "int": st.integers(0, 9),
        "bool": st.booleans(),
        "set": st.sampled_from(["a", "b", "c"]),
    }[kind]
    if kind == "set":
        ops = ["contains", "intersects", "is_set"]
    else:
        ops = ["eq", "ne", "in", "not_in", "is_set"]
        if kind == "int":
            ops += ["lt", "le", "gt", "ge"]
    op = draw(st.sampled_from(ops))
    if op == "is_set":
        return conditions.Compare(field, op, None)
    if op in ("in", "not_in", "intersects"):
        return conditions.Compare(field, op, tuple(draw(st.lists(scalars, min_size=1, max_size=3))))
    return conditions.Compare(field, op, draw(scalars))


def node_trees(scope: Scope) -> st.SearchStrategy[conditions.Node]:
    fields = [f for f, spec in FIELDS.items() if spec.scope == scope]
    compare = compare_nodes(fields)
    one_field = st.sampled_from(fields).flatmap(
        lambda f: st.lists(compare_nodes([f]), min_size=2, max_size=3)
    )
    base = st.one_of(
        compare,
        st.builds(conditions.Not, compare),
        st.builds(lambda c: conditions.All(tuple(c)), one_field),  # a field's table of words
    )
    return st.recursive(
        base,
        lambda children: st.one_of(
            st.builds(lambda c: conditions.All(tuple(c)), st.lists(children, max_size=4)),
            st.builds(lambda c: conditions.AnyOf(tuple(c)), st.lists(children, max_size=3)),
            st.builds(conditions.Not, children),
        ),
        max_leaves=10,
    )


@pytest.mark.parametrize("scope", ["candidate", "profile"])
@given(data=st.data())
def test_shorthand_and_long_form_give_the_same_tree(scope: Scope, data: st.DataObject) -> None:
    tree = data.draw(node_trees(scope))
    where = condition_syntax.WHERE[scope]
    shorthand = condition_syntax.to_shorthand(tree)
    assert parse(shorthand, where, scope) == tree
    assert parse(conditions.long_form(tree), where, scope) == tree
    # and through TOML text, as a rule file would carry it
    assert parse(tomllib.loads(toml_text(shorthand))["c"], where, scope) == tree


def toml_text(raw: dict[str, Any]) -> str:
    def value(v: Any) -> str:
        if isinstance(v, dict):
            return "{ " + ", ".join(f"{k} = {value(x)}" for k, x in v.items()) + " }"
        if isinstance(v, list):
            return "[" + ", ".join(value(x) for x in v) + "]"
        return json.dumps(v)

    return f"c = {value(raw)}"


def test_shipped_rules_read_the_same_in_either_form(kb: KnowledgeBase) -> None:
    scopes: tuple[Scope, Scope] = ("candidate", "profile")
    for parsed in kb.rules.values():
        for tree, scope in zip((parsed.applies_to, parsed.when), scopes, strict=True):
            where = condition_syntax.WHERE[scope]
            assert parse(condition_syntax.to_shorthand(tree), where, scope) == tree
            assert parse(conditions.long_form(tree), where, scope) == tree


def test_fields_that_may_be_unknown_are_those_a_profile_may_leave_out(kb: KnowledgeBase) -> None:
    context = profile_context(build_profile({"disease": "OP"}, kb, "test"), kb)
    profile_fields = {f for f, spec in FIELDS.items() if spec.scope == "profile"}
    assert set(context) == profile_fields
    unknown = {f for f, value in context.items() if value is None}
    assert unknown == {f for f, spec in FIELDS.items() if spec.may_be_unknown}
