"""Options and choices shared by several commands, and shell completion of knowledge-base ids.

Annotations are real objects, not postponed strings: typer reads every command's signature on
every call, and resolving string annotations would add milliseconds to each start-up.
"""

import functools
import inspect
from collections.abc import Callable
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mscadvisor.errors import MscAdvisorError

if TYPE_CHECKING:
    from mscadvisor.kb.vocabulary import ProfileField


class ColorMode(StrEnum):
    auto = "auto"
    always = "always"
    never = "never"


class Format(StrEnum):
    table = "table"
    json = "json"


class RecommendFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


def complete_ids(kind: str) -> Any:
    """A shell-completion callback offering ids of one kind from the knowledge base: a
    vocabulary domain (see ``vocabulary.value_domains``), or disease (with aliases), route,
    candidate or rule."""

    def complete(incomplete: str) -> list[str]:
        from mscadvisor.engine.candidates import source_id
        from mscadvisor.kb.opening import KnowledgeSource
        from mscadvisor.kb.vocabulary import value_domains

        try:
            kb = KnowledgeSource.from_environment().open()
        except MscAdvisorError:
            return []
        named: dict[str, list[str]] = {
            "disease": [*kb.diseases, *(a for d in kb.diseases.values() for a in d.aliases)],
            "route": list(kb.routes),
            "candidate": [
                *(source_id(t, m) for t in kb.tissues for m in kb.modalities),
                *kb.routes,
                *kb.preconditioning,
            ],
            "rule": list(kb.rules),
        }
        ids = named[kind] if kind in named else list(value_domains(kb)[kind])
        return sorted(i for i in ids if i.lower().startswith(incomplete.lower()))

    return complete


FormatOption = Annotated[
    Format, typer.Option("--format", "-f", help="table for people, json for scripts.")
]
DiseaseFilter = Annotated[
    str | None,
    typer.Option(
        "--disease",
        "-d",
        help="Disease id or alias (AD = Alzheimer's).",
        autocompletion=complete_ids("disease"),
    ),
]
ProfileOpt = Annotated[
    Path | None,
    typer.Option(
        readable=False,  # the profile reader says why a file cannot be read, in its own words
        help="JSON or TOML file with the same fields; flags override it.",
    ),
]


class ProfileInput:
    """What the profile options of a command gave: a profile file and the fields set by flags
    (None where a flag was not given). A plain class: it is defined at every start-up."""

    __slots__ = ("fields", "file")

    def __init__(self, file: Path | None, fields: dict[str, Any]) -> None:
        self.file = file
        self.fields = fields


def _profile_option(spec: "ProfileField", help_text: str) -> inspect.Parameter:
    python_type: Any = {"str": str, "int": int, "bool": bool, "set": list[str]}[spec.kind]
    names = [spec.flag, spec.short_flag] if spec.short_flag else [spec.flag]
    option = typer.Option(
        *names,
        help=help_text,
        show_default=spec.kind != "bool",
        autocompletion=complete_ids(spec.domain) if spec.domain else None,
    )
    return inspect.Parameter(
        spec.flag.removeprefix("--").replace("-", "_"),
        inspect.Parameter.KEYWORD_ONLY,
        default=None,
        annotation=Annotated[python_type | None, option],
    )


DISEASE_REQUIRED = "Required unless the profile file gives it."  # how --disease's help ends


@functools.cache
def _profile_parameters(without_disease: str | None) -> dict[inspect.Parameter, str]:
    """The profile options (built once, shared by the commands that take a profile and say
    the same of --disease), each with the profile field it sets."""
    from mscadvisor.kb.vocabulary import PROFILE_FIELDS

    def help_text(spec: "ProfileField") -> str:
        if spec.name != "disease" or without_disease is None:
            return spec.flag_help
        return spec.flag_help.removesuffix(DISEASE_REQUIRED) + without_disease

    return {_profile_option(spec, help_text(spec)): spec.name for spec in PROFILE_FIELDS}


def with_profile_options(
    *, without_disease: str | None = None
) -> Callable[[Callable[..., None]], Callable[..., None]]:
    """Give a command one option per profile field of the vocabulary, and --profile, in place
    of its ``profile`` parameter, which then receives them as a ProfileInput.
    ``without_disease``: what the command does without a disease, for one that needs none."""
    return functools.partial(_with_profile_options, without_disease=without_disease)


def _with_profile_options(
    command: Callable[..., None], without_disease: str | None
) -> Callable[..., None]:
    by_parameter = _profile_parameters(without_disease)
    file_option = inspect.Parameter(
        "profile", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ProfileOpt
    )
    parameters = []
    for parameter in inspect.signature(command).parameters.values():
        if parameter.name == "profile":
            parameters += [*by_parameter, file_option]
        else:
            parameters.append(parameter.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    names = {parameter.name: field for parameter, field in by_parameter.items()}

    @functools.wraps(command)
    def run(**given: Any) -> None:
        fields = {field: given.pop(name) for name, field in names.items()}
        profile = ProfileInput(given.pop("profile"), fields)
        command(**given, profile=profile)

    run.__signature__ = inspect.Signature(parameters)  # type: ignore[attr-defined]
    run.__annotations__ = {p.name: p.annotation for p in parameters}
    return run


SourceOpt = Annotated[
    str | None,
    typer.Option(
        "--source",
        help="The source to judge routes and preconditioning for, e.g. UC-cells "
        "(default: the top-ranked source). Their evidence counts fully only where it "
        "tested that source.",
        autocompletion=complete_ids("candidate"),
    ),
]
