"""Generated reference documents: docs/rules.md from the rule files, docs/cli.md from the CLI.

Regenerate with ``python -m mscadvisor.docs_gen`` (from the repository root); a test fails when
the committed files are stale.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mscadvisor.knowledge import KnowledgeBase, load_knowledge_base
from mscadvisor.views import rule_view

HELP_WIDTH = 100


def rules_markdown(kb: KnowledgeBase) -> str:
    lines = [
        "# Rule reference",
        "",
        "Generated from the rule files by `python -m mscadvisor.docs_gen`; do not edit by hand.",
        f"Knowledge base {kb.info.version}, {len(kb.rules)} rules.",
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
                "",
                row["rationale"],
                "",
            ]
    return "\n".join(lines)


def cli_markdown() -> str:
    import typer.main

    from mscadvisor.cli import app

    root = typer.main.get_command(app)
    lines = [
        "# Command-line reference",
        "",
        "Generated from the CLI by `python -m mscadvisor.docs_gen`; do not edit by hand.",
        "",
    ]
    lines += _command_help(root, "mscadvisor", None)
    return "\n".join(lines)


def _command_help(command: Any, path: str, parent: Any) -> list[str]:
    ctx = command.context_class(
        command,
        info_name=path.rsplit(maxsplit=1)[-1],
        parent=parent,
        terminal_width=HELP_WIDTH,
        max_content_width=HELP_WIDTH,
    )
    lines = [f"## `{path}`", "", "```", command.get_help(ctx), "```", ""]
    for name in getattr(command, "list_commands", lambda _: [])(ctx):
        sub = command.get_command(ctx, name)
        lines += _command_help(sub, f"{path} {name}", ctx)
    return lines


def write_docs(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    kb = load_knowledge_base(use_cache=False)
    (folder / "rules.md").write_text(rules_markdown(kb), encoding="utf-8")
    (folder / "cli.md").write_text(cli_markdown(), encoding="utf-8")


if __name__ == "__main__":
    write_docs(Path("docs"))
