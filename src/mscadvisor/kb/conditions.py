"""The condition language of rules: the tree a condition parses to (see ``condition_syntax``
for the long form and the shorthand that write one; ``long_form`` writes a tree back), and its
evaluation. Data in, predicates out, never ``eval``.

Fields name what is being tested (``vocabulary.FIELDS``). Operators: ``eq ne lt le gt ge``
compare a scalar; ``in not_in`` test a scalar against a list; ``contains`` tests a set field for
one value; ``intersects`` tests a set field against a list; ``is_set`` holds when an optional
value is given.

Unknown values and three-valued logic: the profile may leave its age, sex and etiology unknown
(``None``), and then a comparison on them is neither true nor false but *unknown*; only
``is_set`` is always true or false. Unknown passes through ``not`` (not unknown is unknown), and
``all``/``any`` follow Kleene's logic: ``all`` is false as soon as one part is false, true when
every part is true, unknown otherwise; ``any`` is true as soon as one part is true, false when
every part is false, unknown otherwise. A rule fires only when its condition is definitely true:
with the sex unknown, neither ``sex = male`` nor ``sex != male`` nor ``not (sex = male)`` fires
a rule. ``verdict`` computes the three values directly (a field missing from the context is
unknown too, which is how ``partial_verdict`` settles what the disease alone decides);
``compile_condition`` builds the fast predicate "definitely true" used per profile; and
``failures`` names the parts that are not definitely true, marking the unknown ones.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterator, Mapping
from typing import Any, Literal

from mscadvisor.record import Record

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


class All(Record):
    children: tuple[Node, ...]


class AnyOf(Record):
    children: tuple[Node, ...]


class Not(Record):
    child: Node


class Compare(Record):
    field: str
    op: str
    value: Any  # a scalar, or a tuple for list operators; None for is_set


Node = All | AnyOf | Not | Compare

ALWAYS = All(())


def well_formed(node: object, fields: Collection[str]) -> bool:
    """Whether ``node`` is a condition tree of the given fields and known operators, with plain
    values, as parsing makes one (the compiled cache checks what it loads: a cache edited by
    hand may hold anything).

    By exact type, as the cache decodes them: every load checks every rule's trees, and
    ``isinstance`` against a union of types made this check a twentieth of loading."""
    if type(node) is All or type(node) is AnyOf:
        children = node.children
        return type(children) is tuple and all(well_formed(c, fields) for c in children)
    if type(node) is Not:
        return well_formed(node.child, fields)
    if type(node) is not Compare:
        return False
    values = node.value if type(node.value) is tuple else (node.value,)
    plain = all(v is None or type(v) in _PLAIN for v in values)
    field, op = node.field, node.op
    return plain and type(field) is str and field in fields and type(op) is str and op in OPS


_PLAIN = (str, int, bool)  # the types of a value a condition compares with


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
    """A fast predicate over a context dict that maps field names to values: it holds when the
    condition is definitely true (``verdict`` is True), never when it is false or unknown.

    Every field of the condition must be in the context. Each node compiles to a predicate for
    "definitely true" or, under an odd number of ``not``, "definitely false": ``not`` just swaps
    the two, so three-valued logic costs nothing per evaluation.
    """
    return _compile(node, True)


def _always(ctx: Context) -> bool:
    return True


def _never(ctx: Context) -> bool:
    return False


def _compile(node: Node, want: bool) -> Predicate:
    """A predicate that holds when the node's value is definitely ``want``."""
    if isinstance(node, Not):
        return _compile(node.child, not want)
    if isinstance(node, All | AnyOf):
        # all is true when every part is, false when one part is; any is the dual.
        every = isinstance(node, All) == want
        parts = tuple(_compile(c, want) for c in node.children)
        if not parts:
            return _always if every else _never
        if len(parts) == 1:
            return parts[0]
        if len(parts) == 2:  # the common case, unrolled: rules are evaluated per profile
            first, second = parts
            if every:
                return lambda ctx: first(ctx) and second(ctx)
            return lambda ctx: first(ctx) or second(ctx)
        if every:
            return lambda ctx: all(p(ctx) for p in parts)
        return lambda ctx: any(p(ctx) for p in parts)
    return _compile_compare(node, want)


# The comparison that is definitely true exactly when another is definitely false.
_OPPOSITE = {
    "eq": "ne",
    "ne": "eq",
    "lt": "ge",
    "ge": "lt",
    "le": "gt",
    "gt": "le",
    "in": "not_in",
    "not_in": "in",
}


def _compile_compare(node: Compare, want: bool) -> Predicate:
    field, value, op = node.field, node.value, node.op
    if op in _OPPOSITE and not want:
        op, want = _OPPOSITE[op], True
    # An unknown value (None) makes every comparison but is_set unknown: neither predicate holds.
    # eq and in need no test for None: parse() admits no None operand.
    match op, want:
        case "is_set", True:
            return lambda ctx: ctx[field] is not None
        case "is_set", False:
            return lambda ctx: ctx[field] is None
        case "contains", True:
            return lambda ctx: value in ctx[field]
        case "contains", False:
            return lambda ctx: value not in ctx[field]
        case "intersects", True:
            wanted = frozenset(value)
            return lambda ctx: not wanted.isdisjoint(ctx[field])
        case "intersects", False:
            wanted = frozenset(value)
            return lambda ctx: wanted.isdisjoint(ctx[field])
        case "in", _:
            members = frozenset(value)
            return lambda ctx: ctx[field] in members
        case "not_in", _:
            members = frozenset(value)
            return lambda ctx: (v := ctx[field]) is not None and v not in members
        case "eq", _:
            return lambda ctx: ctx[field] == value
        case "ne", _:
            return lambda ctx: (v := ctx[field]) is not None and v != value
        case "lt", _:
            return lambda ctx: (v := ctx[field]) is not None and v < value
        case "le", _:
            return lambda ctx: (v := ctx[field]) is not None and v <= value
        case "gt", _:
            return lambda ctx: (v := ctx[field]) is not None and v > value
        case _:  # "ge"; parse() admits no other operator
            return lambda ctx: (v := ctx[field]) is not None and v >= value


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
    """The parts of a condition that are not definitely true for ctx, in readable form ("why
    not"): empty exactly when the condition holds (``compile_condition``).

    For ``all`` every part not definitely true is listed; for any other node the whole of it
    is. A part that is unknown rather than false says which values it lacks.
    """
    if isinstance(node, All):
        return [f for child in node.children for f in failures(child, ctx)]
    outcome = verdict(node, ctx)
    if outcome:
        return []
    text = describe(node)
    if outcome is None:
        missing = sorted(_unknown_fields(node, ctx))
        verb = "is" if len(missing) == 1 else "are"
        text += f" (unknown: {' and '.join(missing)} {verb} not given)"
    return [text]


def _unknown_fields(node: Node, ctx: Context) -> set[str]:
    """The fields whose unknown values leave the node unknown."""
    if verdict(node, ctx) is not None:
        return set()
    if isinstance(node, Compare):
        return {node.field}
    children = node.children if isinstance(node, All | AnyOf) else (node.child,)
    return {f for child in children for f in _unknown_fields(child, ctx)}


_APPLY: dict[str, Callable[[Any, Any], bool]] = {
    "eq": lambda v, x: bool(v == x),
    "ne": lambda v, x: bool(v != x),
    "lt": lambda v, x: bool(v < x),
    "le": lambda v, x: bool(v <= x),
    "gt": lambda v, x: bool(v > x),
    "ge": lambda v, x: bool(v >= x),
    "in": lambda v, x: v in x,
    "not_in": lambda v, x: v not in x,
    "contains": lambda v, x: x in v,
    "intersects": lambda v, x: not frozenset(x).isdisjoint(v),
}


def verdict(node: Node, ctx: Context) -> bool | None:
    """The condition's value in three-valued logic: True, False, or None when unknown values
    (None, or fields missing from ctx) leave it open. See the module docstring."""
    if isinstance(node, All):
        verdicts = [verdict(c, ctx) for c in node.children]
        return False if False in verdicts else None if None in verdicts else True
    if isinstance(node, AnyOf):
        verdicts = [verdict(c, ctx) for c in node.children]
        return True if True in verdicts else None if None in verdicts else False
    if isinstance(node, Not):
        inner = verdict(node.child, ctx)
        return None if inner is None else not inner
    if node.field not in ctx:
        return None
    value = ctx[node.field]
    if node.op == "is_set":
        return value is not None
    if value is None:
        return None
    return _APPLY[node.op](value, node.value)


def partial_verdict(node: Node, known: Context) -> bool | None:
    """The condition's value when only the fields in ``known`` are known: True or False when
    they settle it, None when it depends on the others (the same logic as ``verdict``)."""
    return verdict(node, known)


def long_form(node: Node) -> dict[str, Any]:
    """The condition in the long form (``condition_syntax.parse`` gives the same tree back).
    Here rather than beside the parser, which only reading rule files needs: the knowledge
    hash, `rules show` and the generated docs write conditions so."""
    if isinstance(node, All | AnyOf):
        key = "all" if isinstance(node, All) else "any"
        return {key: [long_form(c) for c in node.children]}
    if isinstance(node, Not):
        return {"not": long_form(node.child)}
    out: dict[str, Any] = {"field": node.field, "op": node.op}
    if node.op != "is_set":
        out["value"] = list(node.value) if isinstance(node.value, tuple) else node.value
    return out
