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


ages = st.one_of(st.none(), st.integers(0, 120))
leaf = st.builds(
    lambda op, v: {"field": "profile.age", "op": op, "value": v},
    st.sampled_from(["eq", "ne", "lt", "le", "gt", "ge"]),
    st.integers(0, 120),
)
trees = st.recursive(
    leaf,
    lambda children: st.one_of(
        st.builds(lambda c: {"all": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"any": c}, st.lists(children, max_size=3)),
        st.builds(lambda c: {"not": c}, children),
    ),
    max_leaves=8,
)


def reference_eval(raw: dict[str, Any], age: int | None) -> bool:
    """A direct, slow reading of the documented semantics, to check the compiled predicates."""
    if "all" in raw:
        return all(reference_eval(c, age) for c in raw["all"])
    if "any" in raw:
        return any(reference_eval(c, age) for c in raw["any"])
    if "not" in raw:
        return not reference_eval(raw["not"], age)
    if age is None:
        return False
    v = raw["value"]
    return {
        "eq": age == v,
        "ne": age != v,
        "lt": age < v,
        "le": age <= v,
        "gt": age > v,
        "ge": age >= v,
    }[raw["op"]]


@given(trees, ages)
def test_compiled_predicates_follow_the_documented_semantics(
    raw: dict[str, Any], age: int | None
) -> None:
    assert holds(raw, {"profile.age": age}) is reference_eval(raw, age)


@given(trees, ages)
def test_double_negation_changes_nothing(raw: dict[str, Any], age: int | None) -> None:
    assert holds({"not": {"not": raw}}, {"profile.age": age}) is holds(raw, {"profile.age": age})
