"""Generated reference documents drawn from the rule files (docs/rules.md).

Regenerate every generated document with ``python -m mscadvisor.cli.docs`` (from the repository
root); a test fails when the committed files are stale.
"""

from __future__ import annotations

from pathlib import Path

from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.loader import CASES_SUFFIX
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
                f"- citations: {cites}",
                f"- file: {_file_and_cases(kb, row['file'])}",
                "",
                row["rationale"],
                "",
            ]
    return "\n".join(lines)


def _file_and_cases(kb: KnowledgeBase, file: str) -> str:
    """A rule file's name, and that of the test-case file beside it."""
    path = Path(file)
    cases = path.with_name(path.name.removesuffix(".toml") + CASES_SUFFIX)
    beside = f"test cases in `{cases.name}`" if str(cases) in kb.files else "no test-case file"
    return f"`{path.name}`, {beside}"
