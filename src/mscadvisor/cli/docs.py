"""Generated reference documents: docs/cli.md from the command line, and every other generated
document (see ``authoring.docs_gen``). Regenerate them all with ``python -m mscadvisor.cli.docs``
from the repository root; a test fails when the committed files are stale.

``python -m mscadvisor.cli.docs --base DIR OUT`` generates them from another complete rules tree
into another folder, as the rules commands' ``--base`` does (a scratch copy of the repository).
"""

from pathlib import Path
from typing import Any

from mscadvisor.authoring import docs_gen, scoring_doc
from mscadvisor.kb.knowledge import load_knowledge_base

HELP_WIDTH = 100


def cli_markdown() -> str:
    import typer.main

    from mscadvisor.cli.main import app

    root = typer.main.get_command(app)
    lines = [
        "# Command-line reference",
        "",
        "Generated from the CLI by `python -m mscadvisor.cli.docs`; do not edit by hand.",
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


def generated_docs(base: Path | None = None) -> dict[str, str]:
    """Every generated document by file name, from the rules tree base (default shipped)."""
    kb = load_knowledge_base(base=base, use_cache=False)
    return {
        "rules.md": docs_gen.rules_markdown(kb),
        "scoring.md": scoring_doc.scoring_markdown(kb),
        "cli.md": cli_markdown(),
    }


def write_docs(folder: Path, base: Path | None = None) -> None:
    """Write every generated document into folder, from the rules tree base (default shipped)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in generated_docs(base).items():
        (folder / name).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        prog="python -m mscadvisor.cli.docs", description="Regenerate the generated documents."
    )
    parser.add_argument(
        "--base",
        type=Path,
        metavar="DIR",
        help="a complete rules tree to document instead of the shipped one",
    )
    parser.add_argument(
        "out", nargs="?", type=Path, default=Path("docs"), help="folder to write (docs)"
    )
    args = parser.parse_args(argv)
    write_docs(args.out, base=args.base)


if __name__ == "__main__":
    main()
