"""The condition language of rules: data in, predicates out, never ``eval``.

A condition is a TOML table of one of these shapes::

    { all = [cond, ...] }     every one holds (an empty list holds)
    { any = [cond, ...] }     at least one holds
    { not = cond }            cond does not hold
    { field = "profile.age", op = "ge", value = 60 }

Fields name what is being tested (``FIELDS``). Operators: ``eq ne lt le gt ge`` compare a
scalar; ``in not_in`` test a scalar against a list; ``contains`` tests a set field for one value;
``intersects`` tests a set field against a list; ``is_set`` holds when an optional value is
given. A comparison on a value the profile leaves unknown (age, sex, etiology) never holds: a rule
about older donors does not fire when the age is not given.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mscadvisor.kb.vocabulary import FIELDS, FieldSpec

Scope = Literal["candidate", "profile"]
Context = Mapping[str, Any]
Predicate = Callable[[Context], bool]


SCALAR_OPS = {"eq", "ne", "lt", "le", "gt", "ge"}
ORDER_OPS = {"lt", "le", "gt", "ge"}
LIST_OPS = {"in", "not_in"}
SET_OPS = {"contains", "intersects"}
OPS = SCALAR_OPS | LIST_OPS | SET_OPS | {"is_set"}
OP_SYMBOLS = {
    "eq": "=",
    "ne": "!=",
    "lt": "<",
    "le": "<=",
    "gt": ">",
    "ge": ">=",
    "in": "in",
    "not_in": "not in",
    "contains": "contains",
    "intersects": "has any of",
}


class ConditionError(ValueError):
    """A malformed condition; ``problems`` hold one message per fault, each with its path."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("; ".join(problems))


@dataclass(frozen=True, slots=True)
class All:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class AnyOf:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Not:
    child: Node


@dataclass(frozen=True, slots=True)
class Compare:
    field: str
    op: str
    value: Any  # a scalar, or a tuple for list operators; None for is_set


Node = All | AnyOf | Not | Compare

ALWAYS = All(())


def parse(raw: object, path: str, scope: Scope) -> Node:
    """Check the shape of a raw condition and build its tree; raise ConditionError if malformed."""
    problems: list[str] = []
    node = _parse(raw, path, scope, problems)
    if problems:
        raise ConditionError(problems)
    return node


def _parse(raw: object, path: str, scope: Scope, problems: list[str]) -> Node:
    if not isinstance(raw, dict):
        problems.append(f"{path}: a condition must be a table, got {type(raw).__name__}")
        return ALWAYS
    keys = set(raw)
    if keys in ({"all"}, {"any"}):
        (key,) = keys
        items = raw[key]
        if not isinstance(items, list):
            problems.append(f"{path}.{key}: must be a list of conditions")
            return ALWAYS
        children = tuple(
            _parse(item, f"{path}.{key}[{n}]", scope, problems) for n, item in enumerate(items)
        )
        return All(children) if key == "all" else AnyOf(children)
    if keys == {"not"}:
        return Not(_parse(raw["not"], f"{path}.not", scope, problems))
    if "field" in keys and "op" in keys and keys <= {"field", "op", "value"}:
        return _parse_compare(raw, path, scope, problems)
    problems.append(
        f"{path}: unrecognised condition with keys {sorted(keys)}; expected one of "
        "{all = [...]}, {any = [...]}, {not = ...} or {field, op, value}"
    )
    return ALWAYS


def _parse_compare(raw: dict[str, Any], path: str, scope: Scope, problems: list[str]) -> Node:
    field, op, value = raw["field"], raw["op"], raw.get("value")
    spec = FIELDS.get(field) if isinstance(field, str) else None
    if spec is None:
        allowed = sorted(f for f, s in FIELDS.items() if s.scope == scope)
        problems.append(f"{path}.field: unknown field {field!r}; expected one of {allowed}")
        return ALWAYS
    if spec.scope != scope:
        where = (
            "applies_to (candidate.*)" if scope == "candidate" else "when (profile.*, disease.*)"
        )
        problems.append(f"{path}.field: {field!r} cannot be tested in {where}")
        return ALWAYS
    if op not in OPS:
        problems.append(f"{path}.op: unknown operator {op!r}; expected one of {sorted(OPS)}")
        return ALWAYS
    fault = _operand_fault(spec, op, value, "value" in raw)
    if fault:
        problems.append(f"{path}: {field} {op}: {fault}")
        return ALWAYS
    return Compare(field, op, tuple(value) if isinstance(value, list) else value)


def _operand_fault(spec: FieldSpec, op: str, value: Any, has_value: bool) -> str | None:
    """Why this operator and operand do not fit the field, or None when they do."""
    scalar_type = {"str": str, "int": int, "bool": bool, "set": str}[spec.kind]

    def fits(v: Any) -> bool:
        return isinstance(v, scalar_type) and (spec.kind == "bool" or not isinstance(v, bool))

    if op == "is_set":
        return "is_set takes no value" if has_value else None
    if spec.kind == "set":
        if op == "contains":
            return None if fits(value) else f"expected a {scalar_type.__name__} value"
        if op == "intersects":
            ok = isinstance(value, list) and value and all(fits(v) for v in value)
            return None if ok else "expected a non-empty list of strings"
        return f"operator {op!r} does not apply to a set field; use contains or intersects"
    if op in SET_OPS:
        return f"operator {op!r} applies only to set fields"
    if op in LIST_OPS:
        ok = isinstance(value, list) and value and all(fits(v) for v in value)
        return None if ok else f"expected a non-empty list of {scalar_type.__name__} values"
    if op in ORDER_OPS and spec.kind != "int":
        return f"operator {op!r} applies only to numeric fields"
    return None if fits(value) else f"expected a {scalar_type.__name__} value, got {value!r}"


def leaves(node: Node) -> Iterator[Compare]:
    """Every comparison in a condition tree."""
    if isinstance(node, All | AnyOf):
        for child in node.children:
            yield from leaves(child)
    elif isinstance(node, Not):
        yield from leaves(node.child)
    else:
        yield node


def compared_values(node: Node) -> Iterator[tuple[str, str]]:
    """Every (field, value) a condition compares against, for checking values against catalogs."""
    for leaf in leaves(node):
        values = leaf.value if isinstance(leaf.value, tuple) else (leaf.value,)
        yield from ((leaf.field, v) for v in values if isinstance(v, str))


def compile_condition(node: Node) -> Predicate:
    """A fast predicate over a context dict that maps field names to values."""
    if isinstance(node, All | AnyOf):
        parts = tuple(compile_condition(c) for c in node.children)
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:  # the common case, unrolled: rules are evaluated per profile
            first, second = parts
            if isinstance(node, All):
                return lambda ctx: first(ctx) and second(ctx)
            return lambda ctx: first(ctx) or second(ctx)
        if isinstance(node, All):
            return lambda ctx: all(p(ctx) for p in parts)
        return lambda ctx: any(p(ctx) for p in parts)
    if isinstance(node, Not):
        inner = compile_condition(node.child)
        return lambda ctx: not inner(ctx)
    return _compile_compare(node)


def _compile_compare(node: Compare) -> Predicate:
    field, value = node.field, node.value
    match node.op:
        case "is_set":
            return lambda ctx: ctx[field] is not None
        case "contains":
            return lambda ctx: value in ctx[field]
        case "intersects":
            wanted = frozenset(value)
            return lambda ctx: not wanted.isdisjoint(ctx[field])
        case "in" | "not_in":
            members, inside = frozenset(value), node.op == "in"
            return lambda ctx: ctx[field] is not None and (ctx[field] in members) == inside
        case "eq":
            return lambda ctx: ctx[field] is not None and ctx[field] == value
        case "ne":
            return lambda ctx: ctx[field] is not None and ctx[field] != value
        case "lt":
            return lambda ctx: ctx[field] is not None and ctx[field] < value
        case "le":
            return lambda ctx: ctx[field] is not None and ctx[field] <= value
        case "gt":
            return lambda ctx: ctx[field] is not None and ctx[field] > value
        case _:  # "ge"; parse() admits no other operator
            return lambda ctx: ctx[field] is not None and ctx[field] >= value


def describe(node: Node) -> str:
    """The condition in readable form, for explanations and rule listings."""
    if isinstance(node, All):
        if not node.children:
            return "always"
        return " and ".join(_describe_part(c) for c in node.children)
    if isinstance(node, AnyOf):
        return " or ".join(_describe_part(c) for c in node.children)
    if isinstance(node, Not):
        return f"not {_describe_part(node.child)}"
    if node.op == "is_set":
        return f"{node.field} is given"
    value = node.value
    shown = "[" + ", ".join(map(str, value)) + "]" if isinstance(value, tuple) else str(value)
    if isinstance(value, bool):
        shown = str(value).lower()
    return f"{node.field} {OP_SYMBOLS[node.op]} {shown}"


def _describe_part(node: Node) -> str:
    text = describe(node)
    return f"({text})" if isinstance(node, All | AnyOf) and len(node.children) > 1 else text


def failures(node: Node, ctx: Context) -> list[str]:
    """The parts of a condition that do not hold for ctx, in readable form ("why not").

    For ``all`` every failing child is listed; for ``any`` (where every child failed) the
    whole alternative is; an unknown profile value is named as unknown.
    """
    if isinstance(node, All):
        return [f for child in node.children for f in failures(child, ctx)]
    if compile_condition(node)(ctx):
        return []
    if isinstance(node, Compare) and node.op != "is_set" and ctx.get(node.field) is None:
        return [f"{describe(node)} (unknown: {node.field} is not given)"]
    return [describe(node)]


def partial_verdict(node: Node, known: Context) -> bool | None:
    """The condition's value when only the fields in ``known`` are known: True or False when
    they settle it, None when it depends on the others (three-valued logic)."""
    if isinstance(node, All):
        verdicts = [partial_verdict(c, known) for c in node.children]
        return False if False in verdicts else None if None in verdicts else True
    if isinstance(node, AnyOf):
        verdicts = [partial_verdict(c, known) for c in node.children]
        return True if True in verdicts else None if None in verdicts else False
    if isinstance(node, Not):
        inner = partial_verdict(node.child, known)
        return None if inner is None else not inner
    if node.field not in known:
        return None
    return compile_condition(node)(known)
