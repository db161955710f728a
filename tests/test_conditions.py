"""The condition language: parsing, each operator, unknown values, readable form."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscadvisor.kb import conditions
from mscadvisor.kb.conditions import ConditionError, compile_condition, describe, parse

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
        ({"field": "profile.age", "op": "ge", "value": "60"}, "expected a int value"),
        ({"field": "profile.donor", "op": "lt", "value": "x"}, "only to numeric fields"),
        ({"field": "profile.donor", "op": "in", "value": "autologous"}, "non-empty list"),
        ({"field": "profile.needs", "op": "eq", "value": "fertility"}, "does not apply to a set"),
        ({"field": "profile.age", "op": "contains", "value": 3}, "only to set fields"),
        ({"field": "profile.age", "op": "is_set", "value": True}, "is_set takes no value"),
        ({"field": "candidate.tissue", "op": "eq", "value": "BM"}, "cannot be tested in when"),
        ({"alll": []}, "unrecognised condition"),
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
