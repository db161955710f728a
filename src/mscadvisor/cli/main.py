"""The command line: parses arguments, calls the library, prints. Nothing else lives here.

Exit codes: 0 success, 1 error at run time (and failing rule tests), 2 invalid usage or input,
3 invalid knowledge base or rule pack, 4 knowledge state other than the one --require-kb names.

Each command group lives in a module of its own; this one assembles them in the order that
``--help`` lists them, and turns errors into messages and exit codes.
"""

import errno
import functools
import importlib
import inspect
import io
import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NoReturn

import typer

from mscadvisor.cli import root
from mscadvisor.engine.result import DISCLAIMER_SHORT
from mscadvisor.environment import env_flag
from mscadvisor.errors import EXIT_OK, EXIT_RUNTIME, MscAdvisorError
from mscadvisor.render.printable import printable

if TYPE_CHECKING:
    from typer._click import exceptions as click_errors
else:
    # typer raises click's exceptions: those of its private copy of click in recent releases, of
    # the click package before. Either way they live beside typer.BadParameter, which it exports.
    click_errors = sys.modules[typer.BadParameter.__module__]


def examples(*lines: str) -> str:
    r"""A help epilog listing example command lines, one per line: click rewraps every paragraph
    of help text into one, except a paragraph that starts with a line holding only \b."""
    return "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)


def summary(command: Callable[..., Any]) -> str:
    """A command's first paragraph, whole, for the command list of its group's --help (click
    would cut it to one line ending in "...")."""
    return " ".join(inspect.cleandoc(command.__doc__ or "").split("\n\n")[0].split())


APP_SETTINGS: dict[str, Any] = {
    "name": "mscadvisor",
    "help": (
        "Recommend MSC and MSC-exosome sources, administration routes and preconditioning for "
        "aging-related diseases, explaining every point of every score with the rule and the "
        f"citation behind it. {DISCLAIMER_SHORT}\n\n"
        "The options below are global: give them before the command."
    ),
    "epilog": examples(
        "mscadvisor recommend -d POF",
        "mscadvisor --rules my-pack --weights weights.toml recommend -d OP --age 70",
        "mscadvisor --color never explain -d OP -c BM-cells",
        "mscadvisor recommend -h",
    ),
    "no_args_is_help": True,
    "pretty_exceptions_enable": False,
    "rich_markup_mode": None,
    "context_settings": {"help_option_names": ["-h", "--help"]},
}
RULES_SETTINGS: dict[str, Any] = {
    "help": "Check, test, lint, list and show rules: the shipped rules tree or another one "
    "(--base DIR, a complete tree such as an edited copy of rules/), with rule packs on top "
    "(--rules, PACK). Test cases live beside the rules they test, in NAME.cases.toml files.",
    "short_help": "Check, test, lint, list and show rules: the shipped ones, another rules tree "
    "(--base DIR) and rule packs (--rules, PACK).",
    "epilog": examples(
        "mscadvisor rules check",
        "mscadvisor rules test --base /tmp/my-rules",
        "mscadvisor --rules my-pack rules lint",
        "mscadvisor rules show T4-BM-D1-DONOR-AGE",
    ),
    "no_args_is_help": True,
}
CACHE_SETTINGS: dict[str, Any] = {
    "help": "Inspect or clear the compiled knowledge cache.",
    "epilog": examples("mscadvisor cache info", "mscadvisor cache clear"),
    "no_args_is_help": True,
}


class ReaderGone(Exception):
    """The reader of the output went away (``| head``). Not an OSError: click turns a broken
    pipe inside a command into exit 1, and a closed reader is a success here."""


def quiet_on_closed_pipe(command: Callable[..., None]) -> Callable[..., None]:
    """command, with a broken pipe reported as ReaderGone (see there)."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except BrokenPipeError:
            raise ReaderGone from None

    return run


# Each command as "module:function" of mscadvisor.cli, imported only when the app is built with it.
COMMANDS: list[tuple[str, str, tuple[str, ...]]] = [
    (
        "recommend",
        "recommend:recommend",
        (
            "mscadvisor recommend -d POF",
            "mscadvisor recommend -d OP --donor autologous --age 70 --explain",
            "mscadvisor recommend -d AD --what-if modality=exosomes",
            "mscadvisor recommend -d POF -f json | jq '.sources[0].id'",
            "mscadvisor recommend -d AS --age 63 --sex male -f markdown > as.md",
            "mscadvisor recommend -d POF --export pof.html",
        ),
    ),
    (
        "explain",
        "recommend:explain_command",
        (
            "mscadvisor explain -d OP --modality cells -c UC-cells",
            "mscadvisor explain -d OP --age 55 -c BM-cells --sensitivity",
            "mscadvisor explain -d AD -c IN -f json",
            "mscadvisor explain -d POF -c BM-cells -f markdown --export bm-cells.html",
        ),
    ),
    (
        "batch",
        "batch:batch",
        (
            "mscadvisor batch cohort.jsonl > results.jsonl",
            "mscadvisor batch cohort.csv -f csv --top 2 -o top.csv",
            "cat cohort.jsonl | mscadvisor batch - -f csv --jobs 2",
        ),
    ),
    (
        "diff",
        "diff:diff",
        (
            "mscadvisor --weights weights.toml diff -d POF",
            "mscadvisor --rules my-pack diff",
            "mscadvisor diff --old-base /tmp/rules-v1 --batch cohort.jsonl -f json",
            "mscadvisor diff --old-weights old-weights.toml --new-weights weights.toml",
            "mscadvisor diff -d POF --exit-code",
        ),
    ),
    (
        "candidates",
        "browse:candidates",
        ("mscadvisor candidates -d POF", "mscadvisor candidates -d alzheimers -f json"),
    ),
    ("diseases", "browse:diseases", ("mscadvisor diseases", "mscadvisor diseases -f json")),
    ("sources", "browse:sources", ("mscadvisor sources", "mscadvisor sources -f json")),
    ("routes", "browse:routes", ("mscadvisor routes", "mscadvisor routes -d alzheimers")),
    (
        "preconditioning",
        "browse:preconditioning",
        ("mscadvisor preconditioning", "mscadvisor preconditioning -d POF -f json"),
    ),
    (
        "evidence",
        "browse:evidence",
        (
            "mscadvisor evidence -d OP --tissue DP",
            "mscadvisor evidence --modality exosomes --route IN -f json",
        ),
    ),
    (
        "gaps",
        "gaps:gaps",
        (
            "mscadvisor gaps -d POF",
            "mscadvisor gaps -d AD --view route --export ad-routes.svg",
            "mscadvisor gaps -f json | jq '.diseases[].disease'",
        ),
    ),
    ("trials", "browse:trials", ("mscadvisor trials", "mscadvisor trials -d POF -f json")),
    (
        "trials-refresh",
        "refresh:trials_refresh",
        (
            "mscadvisor trials-refresh ctgov-export.json",
            "mscadvisor trials-refresh studies.zip page-2.json --pack refreshed -f json",
        ),
    ),
    ("reference", "browse:reference", ("mscadvisor reference 18", "mscadvisor reference -f json")),
    ("errata", "browse:errata", ("mscadvisor errata", "mscadvisor errata -f json")),
    (
        "schema",
        "browse:schema",
        (
            "mscadvisor schema recommendation",
            "mscadvisor schema batch-line > batch-line.schema.json",
        ),
    ),
]
RULES_COMMANDS: dict[str, tuple[str, ...]] = {
    "check": (
        "mscadvisor rules check",
        "mscadvisor rules check /tmp/my-rules",
        "mscadvisor --rules my-pack rules check",
    ),
    "test": (
        "mscadvisor rules test",
        "mscadvisor rules test my-pack",
        "mscadvisor rules test --base /tmp/my-rules",
    ),
    "coverage": ("mscadvisor rules coverage", "mscadvisor rules coverage --base /tmp/my-rules"),
    "lint": ("mscadvisor rules lint", "mscadvisor --rules my-pack rules lint"),
    "list": (
        "mscadvisor rules list --kind route -d POF",
        "mscadvisor rules list --assumptions -f json",
    ),
    "show": ("mscadvisor rules show T4-BM-D1-DONOR-AGE",),
}


def build_app(only: str | None = None) -> typer.Typer:
    """The command-line app: every command, or only the top-level command (or group) ``only``.

    typer reads the signature of every command it is given before it runs one, so a command
    line that runs one command is given an app of that command alone; help, shell completion
    and anything that is not a command name get the whole app."""
    app = typer.Typer(**APP_SETTINGS)
    app.callback()(root.root)
    for name, target, lines in COMMANDS:
        if only in (None, name):
            _add(app, name, target, lines)
    if only in (None, "rules"):
        rules_app = typer.Typer(**RULES_SETTINGS)
        for name, lines in RULES_COMMANDS.items():
            _add(rules_app, name, f"rules:rules_{name}", lines)
        app.add_typer(rules_app, name="rules")
    if only in (None, "cache"):
        cache_app = typer.Typer(**CACHE_SETTINGS)
        for name in ("info", "clear"):
            _add(cache_app, name, f"cache:cache_{name}", (f"mscadvisor cache {name}",))
        app.add_typer(cache_app, name="cache")
    return app


def _add(app: typer.Typer, name: str, target: str, lines: tuple[str, ...]) -> None:
    """Add the command ``target`` ("module:function" of mscadvisor.cli) to app as ``name``."""
    module, function = target.split(":")
    command = getattr(importlib.import_module(f"mscadvisor.cli.{module}"), function)
    app.command(name, short_help=summary(command), epilog=examples(*lines))(
        quiet_on_closed_pipe(command)
    )


TOP_LEVEL = frozenset({*(name for name, _, _ in COMMANDS), "rules", "cache"})


def _root_options_taking_values() -> frozenset[str]:
    """The global options that take a value (--rules DIR), as the root command declares them."""
    from typing import get_args

    names: set[str] = set()
    for parameter in inspect.signature(root.root).parameters.values():
        base, *metadata = get_args(parameter.annotation) or (None,)
        for info in metadata:
            if isinstance(info, typer.models.OptionInfo) and base is not bool:
                declared = (info.default, *(info.param_decls or ()))
                names.update(d for d in declared if isinstance(d, str) and d.startswith("-"))
                names.add(f"--{parameter.name.replace('_', '-')}")
    return frozenset(names)


def invoked_command(args: list[str]) -> str | None:
    """The top-level command a command line runs, or None for help, shell completion and
    anything that names no command (the whole app answers those, with its suggestions)."""
    if any(key.endswith("_COMPLETE") for key in os.environ):
        return None
    taking_values = _root_options_taking_values()
    position = 0
    while position < len(args):
        arg = args[position]
        if arg in ("--help", "-h", "--"):
            return None
        if not arg.startswith("-"):
            return arg if arg in TOP_LEVEL else None
        position += 2 if arg in taking_values else 1
    return None


def __getattr__(name: str) -> Any:
    """``app``: the whole app, for generated documentation and tests; built when first asked
    for, so that running one command imports only that command's module."""
    if name == "app":
        globals()["app"] = whole = build_app()  # later reads find it without asking again
        return whole
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# Global options that print or install something and end the run: --version is eager; typer's
# completion options are not, but end it all the same.
ANSWERING_ALONE = frozenset({"show_completion", "install_completion"})


def misplaced_global_option(
    exc: "click_errors.NoSuchOption", args: list[str]
) -> "click_errors.UsageError | None":
    """The error for a global option given after the command, saying where it goes; None when
    the unknown option is not one of the root command's."""
    import shlex

    ctx = exc.ctx
    if ctx is None or ctx.parent is None:
        return None
    top = ctx.find_root()
    name = exc.option_name
    option: Any = next(
        (
            p
            for p in top.command.params
            if p.param_type_name == "option" and name in (*p.opts, *p.secondary_opts)
        ),
        None,
    )
    if option is None:
        return None
    if option.is_eager or option.name in ANSWERING_ALONE:  # whatever follows it is not run
        return click_errors.UsageError(
            f"{name} is a global option that answers alone, without a command: "
            f"{top.info_name} {name}",
            ctx=ctx,
        )
    moved = [name]
    given = [i for i, arg in enumerate(args) if arg == name or arg.startswith(f"{name}=")]
    if given and "=" in args[given[-1]]:
        moved = [args[given[-1]]]
    elif not option.is_flag and not option.count:
        after = given[-1] + 1 if given else len(args)
        moved.append(args[after] if after < len(args) else str(option.name).upper())
    command = ctx.command_path.removeprefix(str(top.info_name)).strip()
    example = f"{top.info_name} {shlex.join(moved)} {command} ..."
    return click_errors.UsageError(
        f"{name} is a global option: put it before the command: {example}", ctx=ctx
    )


class ClosedStream:
    """Stands in for a standard stream the caller closed (``>&-``, ``<&-``), which Python
    leaves as None: any use of it is an OSError that names it."""

    def __init__(self, name: str) -> None:
        self.name = name

    def flush(self) -> None:
        """Nothing to flush: a command that wrote nothing to the stream ends well."""

    def __getattr__(self, attribute: str) -> NoReturn:
        raise OSError(errno.EBADF, f"standard {self.name} is closed")


def stand_in_for_closed_streams() -> None:
    """A closed stdin or stdout fails where it is used, with a message; a closed stderr takes
    nothing, like /dev/null: whoever closed it wants no diagnostics (the exit code still
    tells)."""
    if sys.stdin is None:
        sys.stdin = ClosedStream("input")
    if sys.stdout is None:
        sys.stdout = ClosedStream("output")
    if sys.stderr is None:
        sys.stderr = open(os.devnull, "w", encoding="utf-8")  # noqa: SIM115 (for the whole run)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; return the exit code instead of exiting (tests call this directly)."""
    stand_in_for_closed_streams()
    for stream in (sys.stdout, sys.stderr):
        # A locale that cannot encode some character must not crash the output.
        if isinstance(stream, io.TextIOWrapper):
            stream.reconfigure(errors="replace")
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        # Not standalone: click's usage errors come back here, to be explained (see below).
        code = build_app(invoked_command(args))(
            args=args, prog_name="mscadvisor", standalone_mode=False
        )
        sys.stdout.flush()  # a full disk shows here, not as a warning at exit
    except click_errors.NoSuchOption as exc:
        (misplaced_global_option(exc, args) or exc).show()
        return exc.exit_code
    except click_errors.ClickException as exc:
        exc.show()
        return exc.exit_code
    except typer.Abort:  # pragma: no cover - raised at end of input at a prompt; none here
        sys.stderr.write("Aborted!\n")
        return EXIT_RUNTIME
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else EXIT_RUNTIME if exc.code else EXIT_OK
    except MscAdvisorError as exc:
        return _error(str(exc), exc.exit_code)
    except (BrokenPipeError, ReaderGone):
        # The reader went away (e.g. `| head`): stop quietly, without a second error at exit.
        from mscadvisor.render.output import discard_stdout

        discard_stdout()
        return EXIT_OK
    except OSError as exc:
        # Every file the tool opens reports its own errors: this is a standard stream that is
        # closed or cannot be written (a full disk, a file size limit).
        from mscadvisor.render.output import stream_problem

        return _error(stream_problem(exc), EXIT_RUNTIME)
    except KeyboardInterrupt:
        sys.stderr.write("mscadvisor: interrupted\n")
        return 130
    except Exception as exc:  # a bug: say so in one line; MSCADVISOR_DEBUG=1 shows the traceback
        if _debugging():
            raise
        return _error(
            f"internal error: {type(exc).__name__}: {exc}\n"
            "mscadvisor: this is a bug; rerun with MSCADVISOR_DEBUG=1 for the traceback",
            EXIT_RUNTIME,
            "",
        )
    return code if isinstance(code, int) else EXIT_OK


def _error(message: str, code: int, kind: str = "error: ") -> int:
    """Say message on stderr (data in it made printable) and give back the exit code."""
    sys.stderr.write(f"mscadvisor: {kind}{printable(message)}\n")
    return code


def _debugging() -> bool:
    """Whether MSCADVISOR_DEBUG asks for tracebacks (a value that is no switch does not)."""
    try:
        return env_flag("MSCADVISOR_DEBUG")
    except MscAdvisorError:
        return False
