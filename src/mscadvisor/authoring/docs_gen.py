"""Generated reference documents drawn from the rule files (docs/rules.md).

Regenerate every generated document with ``python -m mscadvisor.cli.docs`` (from the repository
root); a test fails when the committed files are stale.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from mscadvisor.kb import condition_syntax, conditions
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.loader import CASES_SUFFIX
from mscadvisor.kb.vocabulary import CANDIDATE_FIELDS, FIELDS, value_domains
from mscadvisor.render.views import rule_view


def rules_markdown(kb: KnowledgeBase) -> str:
    lines = [
        "# Rule reference",
        "",
        "Generated from the rule files by `python -m mscadvisor.cli.docs`; do not edit by hand.",
        f"Knowledge base {kb.info.version}, {len(kb.rules)} rules.",
        "",
        "The test cases of the rules in a file `NAME.toml` are the `[[case]]` records of "
        f"`NAME{CASES_SUFFIX}` beside it; `mscadvisor rules test` runs them all.",
        "",
        *condition_language_markdown(kb),
    ]
    by_category: dict[str, list[str]] = {}
    for rule_id, parsed in sorted(kb.rules.items()):
        by_category.setdefault(parsed.rule.category, []).append(rule_id)
    for category, rule_ids in by_category.items():
        lines += [f"## {category} rules", ""]
        for rule_id in rule_ids:
            (row,) = rule_view(kb, rule_id).rows
            cites = "; ".join(
                c["label"] + (f" (<{c['doi_url']}>)" if c.get("doi_url") else "")
                for c in row["citations"]
            )
            lines += [
                f"### {rule_id}",
                "",
                f"{row['summary']}",
                "",
                f"- group: {row['group']}; level: {row['level']}",
                f"- applies to: `{row['applies_to_text']}`",
                f"- when: `{row['when_text']}`",
                f"- effect: {row['effect']}",
                *([f"- dormant: {row['dormant']}"] if row["dormant"] else []),
                f"- citations: {cites}",
                f"- file: {_file_and_cases(kb, row['file'])}",
                "",
                row["rationale"],
                "",
            ]
    return "\n".join(lines)


# Shorthand examples, each shown with what it means and its long form (both computed).
EXAMPLES: tuple[tuple[str, str], ...] = (
    ("applies_to", '{ tissue = "BM" }'),
    ("applies_to", '{ tissue = "BM", modality = "cells" }'),
    ("applies_to", '{ id = ["IV", "intraosseous"] }'),
    ("applies_to", '{ modalities = { not = "cells" } }'),
    ("when", '{ disease = "POF" }'),
    ("when", '{ donor = "autologous", age = { at_least = 60 } }'),
    ("when", "{ age = { at_least = 18, below = 65 } }"),
    ("when", '{ comorbidities = ["thromboembolism", "cardiovascular"] }'),
    ("when", '{ systems = "skeletal", modality = { not = "exosomes" } }'),
    ("when", '{ disease = "POF", any = [{ needs = "fertility" }, { age = { below = 40 } }] }'),
    ("when", "{ sex = { given = false } }"),
)
SCOPES: dict[str, conditions.Scope] = {"applies_to": "candidate", "when": "profile"}


def condition_language_markdown(kb: KnowledgeBase) -> list[str]:
    """The "Condition language and fields" section: the shorthand, its operator words, unknown
    values and every field, drawn from ``kb.conditions`` and the catalog."""
    import tomllib

    lines = [
        "## Condition language and fields",
        "",
        "A rule's `applies_to` picks the candidates it speaks about (it tests `candidate.*` "
        "fields); its `when` says for which patients it fires (it tests `profile.*` and "
        "`disease.*` fields). Both are conditions: data that the engine evaluates, never code.",
        "",
        "A condition is written in the shorthand or in the long form, and the two mix freely: "
        "they mean the same thing, the knowledge-base hash does not depend on which is used, "
        "and `rules list --format json` always shows the long form.",
        "",
        "### Shorthand",
        "",
        "- A table of fields holds when every one of them holds. Fields are named without "
        "their prefix: `tissue` in `applies_to` is `candidate.tissue`, `age` in `when` is "
        "`profile.age`; the disease's fields are `disease` (`disease.id`) and `systems`.",
        "- A field's value is a value (it must equal it; on a set field, the set must contain "
        "it), a list (one of them; on a set field, the set must contain at least one of them), "
        "or a table of operator words, all of which must hold.",
        "- `all = [...]`, `any = [...]` and `not = {...}` combine conditions, and may stand "
        "beside fields in the same table.",
        "",
    ]
    rows = []
    for key, text in EXAMPLES:
        raw = tomllib.loads(f"c = {text}")["c"]
        tree = condition_syntax.parse(raw, key, SCOPES[key])
        rows.append(
            f"| `{key} = {text}` | {_cell(conditions.describe(tree))} | "
            f"`{_toml(conditions.long_form(tree))}` |"
        )
    lines += _table(["Shorthand", "Means", "Long form"], rows)
    lines += [
        "### Operator words",
        "",
        "Each stands for an operator of the long form; `-` marks a word that does not apply.",
        "",
    ]
    rows = [
        f"| `{name}` | {word.takes} | {_cell(word.one)} | {_cell(word.many)} |"
        for name, word in condition_syntax.WORDS.items()
    ]
    lines += _table(["Word", "Takes", "On a field of one value", "On a set field"], rows)
    lines += [
        '`not` takes a value (`sex = { not = "male" }`), a list (none of them) or a table of '
        "words (`age = { not = { at_least = 18, below = 65 } }`); `given = true` holds when the "
        "profile gives the value.",
        "",
        "### Long form",
        "",
        '`{ field = "profile.age", op = "ge", value = 60 }`, combined with '
        "`{ all = [...] }`, `{ any = [...] }` and `{ not = ... }`. Operators: `eq ne lt le gt "
        "ge` compare one value (`lt le gt ge` only numbers); `in not_in` test it against a "
        "list; `contains` tests a set field for one value and `intersects` for any of a list; "
        "`is_set` holds when the value is given (it takes no `value`).",
        "",
        "### Unknown values",
        "",
        "A profile may leave some values unknown (the fields marked below). A test of an "
        "unknown value is neither true nor false but unknown, and `not` leaves it unknown; "
        "`all` is false when any part is false, `any` is true when any part is true, and "
        "otherwise an unknown part makes the whole unknown. A rule fires only when its "
        "condition is definitely true, and `explain` names the unknown values that kept it "
        'from firing. So with the sex unknown, neither `sex = "male"` nor '
        '`sex = { not = "male" }` nor `not = { sex = "male" }` fires a rule; '
        "`sex = { given = false }` does.",
        "",
        "### Fields",
        "",
    ]
    domains = value_domains(kb)
    rows = []
    for name, spec in FIELDS.items():
        values = (
            ", ".join(f"`{v}`" for v in sorted(domains[spec.domain]))
            if spec.domain
            else {"int": "a whole number", "bool": "`true`, `false`"}.get(
                spec.kind, "a source (such as `BM-cells`), route or strategy id"
            )
        )
        where = condition_syntax.WHERE[spec.scope]
        if spec.scope == "candidate":
            categories = [c for c, fields in CANDIDATE_FIELDS.items() if name in fields]
            where += f" of {', '.join(categories)} rules"
        rows.append(
            f"| `{name}` | `{condition_syntax.short_name(name)}` | {where} | "
            f"{'a set' if spec.kind == 'set' else 'one value'} | {values} | "
            f"{'yes' if spec.may_be_unknown else 'no'} | {_cell(spec.doc)} |"
        )
    lines += _table(
        ["Field", "Shorthand", "Tested in", "Holds", "Values", "May be unknown", "What it is"],
        rows,
    )
    return lines


def _table(header: list[str], rows: list[str]) -> list[str]:
    """A Markdown table's lines and the blank line after it."""
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header), *rows, ""]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _toml(value: Any) -> str:
    """An inline TOML value (tables, lists, strings, numbers, booleans)."""
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {_toml(v)}" for k, v in value.items()) + " }"
    if isinstance(value, list):
        return "[" + ", ".join(_toml(v) for v in value) + "]"
    return json.dumps(value)


def _file_and_cases(kb: KnowledgeBase, file: str) -> str:
    """A rule file's name, and that of the test-case file beside it."""
    path = Path(file)
    cases = path.with_name(path.name.removesuffix(".toml") + CASES_SUFFIX)
    beside = f"test cases in `{cases.name}`" if str(cases) in kb.files else "no test-case file"
    return f"`{path.name}`, {beside}"
