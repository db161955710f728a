"""The command line: parses arguments, calls the library, prints. Nothing else lives here.

Exit codes: 0 success, 1 error at run time (and failing rule tests), 2 invalid usage or input,
3 invalid knowledge base or rule pack.

Each command group lives in a module of its own; this one assembles them in the order that
``--help`` lists them, and turns errors into messages and exit codes.
"""

import os
import sys

import typer

from mscadvisor.cli import batch, browse, cache, recommend, root, rules
from mscadvisor.errors import EXIT_OK, EXIT_RUNTIME, MscAdvisorError

DISCLAIMER_SHORT = "Research decision support, not medical advice."

app = typer.Typer(
    name="mscadvisor",
    help=(
        "Recommend MSC and MSC-exosome sources, administration routes and preconditioning for "
        "aging-related diseases, explaining every point of every score with the rule and the "
        f"citation behind it. {DISCLAIMER_SHORT}"
    ),
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
rules_app = typer.Typer(
    help="Check, test, lint, list and show rules: the shipped rules tree or another one "
    "(--base DIR, a complete tree such as an edited copy of rules/), with rule packs on top "
    "(--rules, PACK). Test cases live beside the rules they test, in NAME.cases.toml files.",
    no_args_is_help=True,
)
app.add_typer(rules_app, name="rules")
cache_app = typer.Typer(help="Inspect or clear the compiled knowledge cache.", no_args_is_help=True)
app.add_typer(cache_app, name="cache")

app.callback()(root.root)
app.command()(recommend.recommend)
app.command("explain")(recommend.explain_command)
app.command()(batch.batch)
for command in (
    browse.candidates,
    browse.diseases,
    browse.sources,
    browse.routes,
    browse.preconditioning,
    browse.evidence,
    browse.trials,
    browse.reference,
    browse.errata,
    browse.schema,
):
    app.command()(command)
for name in ("check", "test", "coverage", "lint", "list", "show"):
    rules_app.command(name)(getattr(rules, f"rules_{name}"))
cache_app.command("info")(cache.cache_info)
cache_app.command("clear")(cache.cache_clear)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (tests call this directly)."""
    for stream in (sys.stdout, sys.stderr):
        # A locale that cannot encode some character must not crash the output.
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")
    try:
        app(args=argv, prog_name="mscadvisor")
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_RUNTIME if exc.code else EXIT_OK
    except MscAdvisorError as exc:
        sys.stderr.write(f"mscadvisor: error: {exc}\n")
        return exc.exit_code
    except BrokenPipeError:
        # The reader went away (e.g. `| head`): stop quietly, without a second error at exit.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK
    except KeyboardInterrupt:
        sys.stderr.write("mscadvisor: interrupted\n")
        return 130
    except Exception as exc:  # a bug: say so in one line; MSCADVISOR_DEBUG=1 shows the traceback
        if os.environ.get("MSCADVISOR_DEBUG"):
            raise
        sys.stderr.write(
            f"mscadvisor: internal error: {type(exc).__name__}: {exc}\n"
            "mscadvisor: this is a bug; rerun with MSCADVISOR_DEBUG=1 for the traceback\n"
        )
        return EXIT_RUNTIME
    return EXIT_OK


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
