"""How conditions are written: the long form, the shorthand, and both written back from a tree.

A condition is a TOML table. The long form spells every part out::

    { all = [cond, ...] }     every one holds (an empty list holds)
    { any = [cond, ...] }     at least one holds
    { not = cond }            cond does not hold
    { field = "profile.age", op = "ge", value = 60 }

The shorthand says the same for people who read rules (``parse`` accepts both, anywhere, and
builds the same tree; ``to_shorthand`` and ``conditions.long_form`` write a tree back)::

    applies_to = { tissue = "BM", modality = "cells" }
    when = { donor = "autologous", age = { at_least = 60 } }

A table whose keys are fields holds when every key holds (so does one that mixes fields with
``all``, ``any`` and ``not``). A field is named without its prefix: ``tissue`` in
``applies_to`` is ``candidate.tissue``, ``age`` in ``when`` is ``profile.age``, the disease's
fields are ``disease`` (``disease.id``) and ``systems``, and the source a route or strategy is
judged for is ``source_tissue`` and ``source_modality``. A field's value is a value (``eq``; on a
set field ``contains``), a list (``in``; on a set field ``intersects``), or a table of operator
words (``WORDS``), several of which must all hold.
"""

from __future__ import annotations

from typing import Any

from mscadvisor.errors import did_you_mean
from mscadvisor.kb.conditions import (
    ALWAYS,
    LIST_OPS,
    OPS,
    ORDER_OPS,
    SET_OPS,
    All,
    AnyOf,
    Compare,
    ConditionError,
    Node,
    Not,
    Scope,
)
from mscadvisor.kb.vocabulary import FIELDS, FieldSpec
from mscadvisor.record import Record


def short_name(field: str) -> str:
    """The field's name in the shorthand: without its prefix; ``disease.id`` is ``disease``,
    ``source.tissue`` is ``source_tissue`` (beside the candidate's own ``tissue``)."""
    if field == "disease.id":
        return "disease"
    prefix, name = field.split(".", 1)
    return f"source_{name}" if prefix == "source" else name


SHORT_NAMES: dict[Scope, dict[str, str]] = {
    scope: {short_name(f): f for f, spec in FIELDS.items() if spec.scope == scope}
    for scope in ("candidate", "profile")
}
WHERE: dict[Scope, str] = {"candidate": "applies_to", "profile": "when"}


class Word(Record):
    """An operator word of the shorthand: what it takes, and the long form it stands for on a
    field of one value (str, int, bool) and on a set field ("-": does not apply there)."""

    takes: str
    one: str
    many: str
    numbers_only: bool = False


# For every word but ``not`` and ``given`` the long forms are what parse() builds: an operator,
# or "not" and an operator for a negated comparison.
WORDS: dict[str, Word] = {
    "is": Word("a value", "eq", "-"),
    "not": Word(
        "a value, a list, or a table of words",
        "ne; not_in; not (the words)",
        "not contains; not intersects; not (the words)",
    ),
    "any_of": Word("a non-empty list", "in", "intersects"),
    "none_of": Word("a non-empty list", "not_in", "not intersects"),
    "contains": Word("a value", "-", "contains"),
    "at_least": Word("a whole number", "ge", "-", numbers_only=True),
    "at_most": Word("a whole number", "le", "-", numbers_only=True),
    "above": Word("a whole number", "gt", "-", numbers_only=True),
    "below": Word("a whole number", "lt", "-", numbers_only=True),
    "given": Word("true or false", "is_set; not is_set", "is_set; not is_set"),
}
_COMBINATORS = ("all", "any", "not")
_LONG_KEYS = {"field", "op", "value"}


def words_for(spec: FieldSpec) -> tuple[str, ...]:
    """The operator words that apply to a field."""
    return _WORDS_BY_KIND[spec.kind]


_WORDS_BY_KIND = {
    "set": tuple(w for w, word in WORDS.items() if word.many != "-"),
    **{
        kind: tuple(
            w
            for w, word in WORDS.items()
            if word.one != "-" and (kind == "int" or not word.numbers_only)
        )
        for kind in ("str", "int", "bool")
    },
}


def parse(raw: object, path: str, scope: Scope) -> Node:
    """Check the shape of a raw condition, long form or shorthand, and build its tree; raise
    ConditionError naming the path of every fault."""
    if _nesting(raw) > MAX_CONDITION_DEPTH:
        raise ConditionError(
            [
                f"{path}: conditions nested more than {MAX_CONDITION_DEPTH} deep (all, any and "
                "not inside one another); write it with fewer levels"
            ]
        )
    problems: list[str] = []
    node = _parse(raw, path, scope, problems)
    if problems:
        raise ConditionError(problems)
    return node


# No rule needs more than a few levels; the bound keeps every walk over a tree (compiling,
# describing, hashing) far from Python's recursion limit.
MAX_CONDITION_DEPTH = 16


def _nesting(raw: object) -> int:
    """How many condition tables deep raw goes through all, any and not (stopping once past
    MAX_CONDITION_DEPTH)."""
    deepest = 0
    pending: list[tuple[object, int]] = [(raw, 1)]
    while pending and deepest <= MAX_CONDITION_DEPTH:
        item, depth = pending.pop()
        if not isinstance(item, dict):
            continue
        deepest = max(deepest, depth)
        for key in ("all", "any"):
            if isinstance(children := item.get(key), list):
                pending += [(child, depth + 1) for child in children]
        if "not" in item:
            pending.append((item["not"], depth + 1))
    return deepest


def _parse(raw: object, path: str, scope: Scope, problems: list[str]) -> Node:
    if not isinstance(raw, dict):
        problems.append(f"{path}: a condition must be a table, got {type(raw).__name__}")
        return ALWAYS
    keys = set(raw)
    if keys & _LONG_KEYS:
        if "field" in keys and "op" in keys and keys <= _LONG_KEYS:
            return _parse_compare(raw, path, scope, problems)
        problems.append(
            f"{path}: unrecognised condition with keys {sorted(keys)}; a comparison in the long "
            "form takes exactly field, op and value (no value for is_set)"
        )
        return ALWAYS
    if not keys:
        problems.append(
            f"{path}: empty condition; expected fields (such as {_example(scope)}), "
            "{all = [...]}, {any = [...]}, {not = ...} or {field, op, value}"
        )
        return ALWAYS
    parts = [_parse_key(key, item, path, scope, problems) for key, item in raw.items()]
    return parts[0] if len(parts) == 1 else All(tuple(parts))


def _example(scope: Scope) -> str:
    return 'tissue = "BM"' if scope == "candidate" else 'donor = "autologous"'


def _parse_key(key: str, item: object, path: str, scope: Scope, problems: list[str]) -> Node:
    """One key of a condition table: all, any, not, or a field of the scope."""
    at = f"{path}.{key}"
    if key in ("all", "any"):
        if not isinstance(item, list):
            problems.append(f"{at}: must be a list of conditions")
            return ALWAYS
        children = tuple(_parse(c, f"{at}[{n}]", scope, problems) for n, c in enumerate(item))
        return All(children) if key == "all" else AnyOf(children)
    if key == "not":
        return Not(_parse(item, at, scope, problems))
    field = SHORT_NAMES[scope].get(key)
    if field is not None:
        return _parse_field(field, item, at, problems)
    other: Scope = "profile" if scope == "candidate" else "candidate"
    if key in FIELDS and FIELDS[key].scope == scope:
        problems.append(f"{at}: write the field as {short_name(key)!r}, without its prefix")
    elif key in FIELDS or key in SHORT_NAMES[other]:
        problems.append(
            f"{at}: {key!r} is a {other} field: it can be tested only in {WHERE[other]}, "
            f"not in {WHERE[scope]}"
        )
    elif key in ("profile", "candidate") and isinstance(item, dict):
        problems.append(
            f"{at}: a dotted key such as {key}.x = ... makes a nested table; write the field "
            "without its prefix"
        )
    else:
        names = [*_COMBINATORS, *SHORT_NAMES[scope]]
        problems.append(
            f"{at}: unknown field {key!r}{did_you_mean(key, names)}; expected all, any, not or "
            f"a field of {WHERE[scope]}: {', '.join(SHORT_NAMES[scope])}"
        )
    return ALWAYS


def _parse_field(field: str, item: object, path: str, problems: list[str]) -> Node:
    """A field's value in the shorthand: a value, a list, or a table of operator words."""
    spec = FIELDS[field]
    if isinstance(item, dict):
        if not item:
            problems.append(
                f"{path}: empty table; expected a value, a list or operator words "
                f"({', '.join(words_for(spec))})"
            )
            return ALWAYS
        parts = [
            _parse_word(field, word, operand, f"{path}.{word}", problems)
            for word, operand in item.items()
        ]
        return parts[0] if len(parts) == 1 else All(tuple(parts))
    word = "any_of" if isinstance(item, list) else "contains" if spec.kind == "set" else "is"
    return _parse_word(field, word, item, path, problems)


def _parse_word(field: str, word: str, operand: object, path: str, problems: list[str]) -> Node:
    spec = FIELDS[field]
    allowed = words_for(spec)
    if word not in allowed:
        name = short_name(field)
        if word in WORDS:
            problems.append(
                f"{path}: {word!r} does not apply to {name} ({_kind_text(spec)}); use one of "
                f"{', '.join(allowed)}"
            )
        else:
            dotted = (
                " (a dotted key makes a nested table: write the field without its prefix)"
                if f"{name}.{word}" in FIELDS
                else ""
            )
            problems.append(
                f"{path}: unknown operator word {word!r}{did_you_mean(word, allowed)}; for "
                f"{name} ({_kind_text(spec)}) use one of {', '.join(allowed)}{dotted}"
            )
        return ALWAYS
    if word == "given":
        if not isinstance(operand, bool):
            problems.append(f"{path}: expected true or false, got {operand!r}")
            return ALWAYS
        given = Compare(field, "is_set", None)
        return given if operand else Not(given)
    if word == "not":
        if isinstance(operand, dict):
            return Not(_parse_field(field, operand, path, problems))
        if isinstance(operand, list):
            meaning = "not intersects" if spec.kind == "set" else "not_in"
        else:
            meaning = "not contains" if spec.kind == "set" else "ne"
    else:
        meaning = WORDS[word].many if spec.kind == "set" else WORDS[word].one
    negated = meaning.startswith("not ")
    op = meaning.removeprefix("not ")
    fault = _operand_fault(spec, op, operand, True)
    if fault:
        problems.append(f"{path}: {fault}")
        return ALWAYS
    compare = Compare(field, op, tuple(operand) if isinstance(operand, list) else operand)
    return Not(compare) if negated else compare


def _kind_text(spec: FieldSpec) -> str:
    return {
        "str": "a text field",
        "int": "a number field",
        "bool": "a true/false field",
        "set": "a set field",
    }[spec.kind]


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


_SCALAR_TYPES: dict[str, type] = {"str": str, "int": int, "bool": bool, "set": str}
_A_VALUE = {
    "str": "a str value",
    "int": "an int value",
    "bool": "a bool value",
    "set": "a str value",
}


def _operand_fault(spec: FieldSpec, op: str, value: Any, has_value: bool) -> str | None:
    """Why this operator and operand do not fit the field, or None when they do."""
    scalar_type = _SCALAR_TYPES[spec.kind]

    def fits(v: Any) -> bool:
        return isinstance(v, scalar_type) and (spec.kind == "bool" or not isinstance(v, bool))

    if op == "is_set":
        return "is_set takes no value" if has_value else None
    if spec.kind == "set":
        if op == "contains":
            return None if fits(value) else f"expected {_A_VALUE[spec.kind]}, got {value!r}"
        if op == "intersects":
            ok = isinstance(value, list) and value and all(fits(v) for v in value)
            return None if ok else f"expected a non-empty list of strings, got {value!r}"
        return f"operator {op!r} does not apply to a set field; use contains or intersects"
    if op in SET_OPS:
        return f"operator {op!r} applies only to set fields"
    if op in LIST_OPS:
        ok = isinstance(value, list) and value and all(fits(v) for v in value)
        return (
            None
            if ok
            else f"expected a non-empty list of {scalar_type.__name__} values, got {value!r}"
        )
    if op in ORDER_OPS and spec.kind != "int":
        return f"operator {op!r} applies only to numeric fields"
    return None if fits(value) else f"expected {_A_VALUE[spec.kind]}, got {value!r}"


_WORD_OF = {
    "eq": "is",
    "ne": "not",
    "in": "any_of",
    "not_in": "none_of",
    "contains": "contains",
    "intersects": "any_of",
    "lt": "below",
    "le": "at_most",
    "gt": "above",
    "ge": "at_least",
}


def to_shorthand(node: Node) -> dict[str, Any]:
    """The condition in the shorthand, as compact as it goes (``parse`` in the scope of its
    fields gives the same tree back)."""
    if isinstance(node, AnyOf):
        return {"any": [to_shorthand(c) for c in node.children]}
    if isinstance(node, All):
        if len(node.children) >= 2:
            same_field = _word_table(node)
            if same_field is not None:
                return dict([same_field])
            keyed = [_one_key(c) for c in node.children]
            if len({key for key, _ in keyed}) == len(keyed):
                return dict(keyed)
        return {"all": [to_shorthand(c) for c in node.children]}
    word = _word(node)
    if word is None:
        assert isinstance(node, Not)
        return {"not": to_shorthand(node.child)}
    field, name, operand = word
    spec = FIELDS[field]
    bare = name in ("any_of", "contains" if spec.kind == "set" else "is")
    return {short_name(field): operand if bare else {name: operand}}


def _word(node: Node) -> tuple[str, str, Any] | None:
    """(field, word, operand) when one operator word says the node, else None."""
    if isinstance(node, Compare):
        if node.op == "is_set":
            return node.field, "given", True
        value = list(node.value) if isinstance(node.value, tuple) else node.value
        return node.field, _WORD_OF[node.op], value
    if isinstance(node, Not) and isinstance(node.child, Compare):
        inner = node.child
        match inner.op:
            case "is_set":
                return inner.field, "given", False
            case "contains":
                return inner.field, "not", inner.value
            case "intersects":
                return inner.field, "none_of", list(inner.value)
    return None


def _word_table(node: All) -> tuple[str, dict[str, Any]] | None:
    """An ``all`` of one field's tests, each one word, as that field's table of words."""
    words = [_word(c) for c in node.children]
    fields = {w[0] for w in words if w is not None}
    names = {w[1] for w in words if w is not None}
    if None in words or len(fields) != 1 or len(names) != len(words):
        return None
    (field,) = fields
    return short_name(field), {w[1]: w[2] for w in words if w is not None}


def _one_key(node: Node) -> tuple[str, Any]:
    """The node as one key of a condition table."""
    if isinstance(node, All):
        table = _word_table(node) if len(node.children) >= 2 else None
        return table or ("all", [to_shorthand(c) for c in node.children])
    ((key, value),) = to_shorthand(node).items()
    return key, value
