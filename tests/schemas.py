"""The published JSON schemas as the package ships them, and validators that resolve their
references to each other by ``$id`` from those files (never over the network)."""

from __future__ import annotations

import json
from functools import cache
from importlib import resources
from typing import Any

import jsonschema
from referencing import Registry, Resource

# Every document `mscadvisor schema NAME` publishes, by NAME.
NAMES = (
    "recommendation",
    "explain",
    "what-if",
    "batch-line",
    "listing",
    "rules-check",
    "rules-test",
    "rules-coverage",
    "rules-lint",
    "cache-info",
    "gaps",
    "diff",
    "refresh",
)


def folder() -> Any:
    return resources.files("mscadvisor") / "schemas"


@cache
def published(name: str) -> dict[str, Any]:
    return json.loads((folder() / f"{name}.schema.json").read_text("utf-8"))  # type: ignore[no-any-return]


@cache
def registry() -> Registry[Any]:
    shipped = [
        json.loads(f.read_text("utf-8")) for f in folder().iterdir() if f.name.endswith(".json")
    ]
    return Registry().with_resources((s["$id"], Resource.from_contents(s)) for s in shipped)


@cache
def validator(name: str) -> jsonschema.Draft202012Validator:
    schema = published(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema, registry=registry())


def validate(name: str, document: Any) -> None:
    """Raise jsonschema.ValidationError unless the document matches schema NAME."""
    validator(name).validate(document)


def errors(name: str, document: Any) -> list[str]:
    return [e.message for e in validator(name).iter_errors(document)]
