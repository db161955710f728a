"""Options and choices shared by several commands, and shell completion of knowledge-base ids.

Annotations are real objects, not postponed strings: typer reads every command's signature on
every call, and resolving string annotations would add milliseconds to each start-up.
"""

from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any

import typer

from mscadvisor.errors import MscAdvisorError


class Format(StrEnum):
    table = "table"
    json = "json"


class RecommendFormat(StrEnum):
    table = "table"
    json = "json"
    markdown = "markdown"


class InputFormat(StrEnum):
    auto = "auto"
    jsonl = "jsonl"
    csv = "csv"


class BatchFormat(StrEnum):
    jsonl = "jsonl"
    csv = "csv"


class OnError(StrEnum):
    skip = "skip"
    fail = "fail"


class SchemaName(StrEnum):
    recommendation = "recommendation"
    explain = "explain"
    what_if = "what-if"
    batch_line = "batch-line"


# The published schema of each JSON document, in src/mscadvisor/schemas/.
SCHEMA_FILES = {name: f"{name.value}.schema.json" for name in SchemaName}


def complete_ids(kind: str) -> Any:
    """A shell-completion callback offering ids of one kind from the knowledge base."""

    def complete(incomplete: str) -> list[str]:
        from mscadvisor.engine.candidates import source_id
        from mscadvisor.kb.opening import KnowledgeSource

        try:
            kb = KnowledgeSource.from_environment().open()
        except MscAdvisorError:
            return []
        ids: list[str] = {
            "disease": [*kb.diseases, *(a for d in kb.diseases.values() for a in d.aliases)],
            "tissue": list(kb.tissues),
            "route": list(kb.routes),
            "candidate": [
                *(source_id(t, m) for t in kb.tissues for m in kb.modalities),
                *kb.routes,
                *kb.preconditioning,
            ],
            "rule": list(kb.rules),
        }[kind]
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
# Profile options, shared by recommend and explain.
DiseaseOpt = Annotated[
    str | None,
    typer.Option(
        "--disease",
        "-d",
        help="Disease id or alias: POF, AD (Alzheimer's), AS, OP, "
        "SKIN, FRAILTY. Required unless the profile file gives it.",
        autocompletion=complete_ids("disease"),
    ),
]
AgeOpt = Annotated[int | None, typer.Option(help="Patient age in years (0-120).")]
SexOpt = Annotated[str | None, typer.Option(help="female or male.")]
DonorOpt = Annotated[
    str | None,
    typer.Option(help="Where the cells come from: autologous, allogeneic, any (default any)."),
]
ModalityOpt = Annotated[
    str | None, typer.Option(help="cells, exosomes (cell-free) or any (default any).")
]
AvoidOpt = Annotated[
    bool | None,
    typer.Option(
        "--avoid-invasive-harvest",
        show_default=False,
        help="The patient will not undergo a painful or invasive collection.",
    ),
]
ComorbidityOpt = Annotated[
    list[str] | None,
    typer.Option(
        help="Repeatable: diabetes, obesity, thromboembolism, cardiovascular, "
        "immunocompromised, cancer-history."
    ),
]
EtiologyOpt = Annotated[
    str | None, typer.Option(help="An etiology of the disease (see `mscadvisor diseases`).")
]
NeedOpt = Annotated[
    list[str] | None, typer.Option(help="Repeatable: large-cell-dose, durable-effect, fertility.")
]
ProfileOpt = Annotated[
    Path | None, typer.Option(help="JSON or TOML file with the same fields; flags override it.")
]
