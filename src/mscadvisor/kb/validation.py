"""Stage 2a: validate raw records into typed records with pydantic.

Every problem names the file, the record (its id, or its position), the field and the offending
value. pydantic is imported here only, so commands that never validate rule files do not pay
for it.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import defaultdict
from functools import cache
from typing import Any

from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.kb.loader import RawRecord
from mscadvisor.kb.records import MANIFEST_KIND, RECORD_KINDS, record_classes
from mscadvisor.record import as_dataclasses


@cache
def _adapter(kind: str) -> Any:
    from pydantic import TypeAdapter

    as_dataclasses(record_classes())
    return TypeAdapter(RECORD_KINDS[kind])


def record_label(raw: RawRecord) -> str:
    """How messages name a raw record: its file, its kind and its id (or its position); a
    pack's manifest by its file alone."""
    if raw.kind == MANIFEST_KIND:
        return raw.file
    ident = raw.data.get("id", raw.data.get("ref"))
    name = f"id {ident!r}" if isinstance(ident, str | int) else f"#{raw.index}"
    return f"{raw.file}: [[{raw.kind}]] {name}"


def validate_records(raws: list[RawRecord]) -> dict[str, list[tuple[Any, str]]]:
    """Typed records grouped by kind, each paired with the file it came from."""
    from pydantic import ValidationError

    typed: dict[str, list[tuple[Any, str]]] = defaultdict(list)
    problems: list[str] = []
    for raw in raws:
        dates = [
            f"{record_label(raw)}: field {loc}: a TOML date or time, which no field takes; "
            f"write text in quotes (got {value})"
            for loc, value in _dates_and_times(raw.data)
        ]
        if dates:
            problems += dates
            continue
        try:
            # Validate from JSON text in strict mode: TOML values keep their types, so a quoted
            # number stays a string and is rejected where an integer is expected.
            text = json.dumps(raw.data)
            record = _adapter(raw.kind).validate_json(text, strict=True)
        except ValidationError as exc:
            problems += [_describe_error(raw, err) for err in exc.errors()]
            continue
        typed[raw.kind].append((record, raw.file))
    if problems:
        raise KnowledgeBaseError(problems)
    return typed


def _describe_error(raw: RawRecord, err: Any) -> str:
    loc = ".".join(str(part) for part in err["loc"]) or "(record)"
    message = err["msg"]
    if err["type"] == "unexpected_keyword_argument":
        message = "unknown key"
    elif err["type"] in ("missing", "missing_argument"):
        message = "required field is missing"
    shown = "" if "missing" in err["type"] else f" (got {err['input']!r})"
    return f"{record_label(raw)}: field {loc}: {message}{shown}"


def _dates_and_times(value: Any, loc: str = "") -> list[tuple[str, Any]]:
    """Where a TOML date, time or datetime sits in a record (JSON, and so pydantic's strict
    mode, would see only the text it converts to), with its value."""
    if isinstance(value, dt.date | dt.time):
        return [(loc or "(record)", value)]
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return []
    return [
        found
        for key, item in items
        for found in _dates_and_times(item, f"{loc}.{key}" if loc else str(key))
    ]
