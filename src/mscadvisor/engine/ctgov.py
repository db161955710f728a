"""ClinicalTrials.gov (API v2) study records, read offline from the files a user downloaded.

One file may be a single study object, an API page (``{"studies": [...], "nextPageToken": ...}``),
the website's JSON array download, NDJSON (one study per line) or a zip holding one JSON file
per study. Every file is read through ``mscadvisor.reading`` (bounded, regular files only, strict
JSON); a zip is bounded in members, in each member's size and in their total, and a member whose
name could point outside the archive is refused.

Where each value sits in a study is written in one table, FIELDS: the registry has renamed its
fields before (API v1 to v2), and a rename is then a one-line change. A value that does not fit
is refused with its path: ``export.json: studies[3].protocolSection.statusModule.overallStatus:
expected one of RECRUITING, ..., got 'DONE'``.
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from mscadvisor.errors import InputError
from mscadvisor.kb.records import is_iso_date, is_nct_number
from mscadvisor.reading import Unreadable, decode, load_json, read_file

MAX_FILE_BYTES = 128 * 1024 * 1024  # an export of a few thousand full study records
MAX_MEMBERS = 10_000  # studies in one zip
MAX_MEMBER_BYTES = 8 * 1024 * 1024  # one study record is rarely over 200 KB
MAX_ZIP_TOTAL = 256 * 1024 * 1024  # uncompressed, all members together

STATUSES = (
    "RECRUITING",
    "NOT_YET_RECRUITING",
    "ACTIVE_NOT_RECRUITING",
    "ENROLLING_BY_INVITATION",
    "COMPLETED",
    "TERMINATED",
    "WITHDRAWN",
    "SUSPENDED",
    "UNKNOWN",
)
PHASES = ("EARLY_PHASE1", "PHASE1", "PHASE2", "PHASE3", "PHASE4", "NA")
ENROLLMENT_TYPES = ("ACTUAL", "ESTIMATED")
_DATE = re.compile(r"\d{4}-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?")  # the registry gives both


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("expected text")
    return value


def _one_of(choices: tuple[str, ...]) -> Callable[[Any], str]:
    def check(value: Any) -> str:
        if value not in choices:
            raise ValueError(f"expected one of {', '.join(choices)}")
        return str(value)

    return check


def _nct(value: Any) -> str:
    if not isinstance(value, str) or not is_nct_number(value):
        raise ValueError("expected an NCT number (NCT and 8 digits)")
    return value


def _date(value: Any) -> str:
    """A calendar date YYYY-MM-DD, or a month YYYY-MM (the registry gives both)."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise ValueError("expected a date YYYY-MM-DD or YYYY-MM")
    if len(value) > len("YYYY-MM") and not is_iso_date(value):
        raise ValueError("expected a date YYYY-MM-DD (a day that exists) or YYYY-MM")
    return value


def _day(value: Any) -> str:
    """A calendar date YYYY-MM-DD: a pack's trial update records the day (see records.py)."""
    if not isinstance(value, str) or not is_iso_date(value):
        raise ValueError("expected a date YYYY-MM-DD")
    return value


def _count(value: Any) -> int:
    if type(value) is not int or value < 0:
        raise ValueError("expected a count (a whole number, 0 or more)")
    return value


def _flag(value: Any) -> bool:
    if not isinstance(value, bool):
        raise ValueError("expected true or false")
    return value


def _pmid(value: Any) -> str:
    if not isinstance(value, str) or not value.isdigit():
        raise ValueError("expected a PubMed id (digits)")
    return value


class _Misfit(ValueError):
    """A value on the way to a field that is not of the kind the path needs."""

    def __init__(self, path: str, problem: str) -> None:
        super().__init__(problem)
        self.path = path


@dataclass(frozen=True, slots=True)
class Field:
    """Where a value sits in an API v2 study (dotted; ``[]`` walks each item of a list), how it
    is checked, and whether a study must have it."""

    path: str
    check: Callable[[Any], Any]
    required: bool = False


# THE mapping from the registry's field names to what the refresh reads.
FIELDS: dict[str, Field] = {
    "nct": Field("protocolSection.identificationModule.nctId", _nct, required=True),
    "aliases": Field("protocolSection.identificationModule.nctIdAliases[]", _nct),
    "title": Field("protocolSection.identificationModule.briefTitle", _text),
    "status": Field("protocolSection.statusModule.overallStatus", _one_of(STATUSES), required=True),
    "why_stopped": Field("protocolSection.statusModule.whyStopped", _text),
    "last_update_posted": Field(
        "protocolSection.statusModule.lastUpdatePostDateStruct.date", _day, required=True
    ),
    "completion": Field("protocolSection.statusModule.completionDateStruct.date", _date),
    "phases": Field("protocolSection.designModule.phases[]", _one_of(PHASES)),
    "enrollment": Field("protocolSection.designModule.enrollmentInfo.count", _count),
    "enrollment_type": Field(
        "protocolSection.designModule.enrollmentInfo.type", _one_of(ENROLLMENT_TYPES)
    ),
    "has_results": Field("hasResults", _flag),
    "conditions": Field("protocolSection.conditionsModule.conditions[]", _text),
    "intervention_types": Field(
        "protocolSection.armsInterventionsModule.interventions[].type", _text
    ),
    "intervention_names": Field(
        "protocolSection.armsInterventionsModule.interventions[].name", _text
    ),
    "pmids": Field("protocolSection.referencesModule.references[].pmid", _pmid),
}


@dataclass(frozen=True, slots=True)
class RegistryStudy:
    """What the refresh reads of one registered study, and where it was read from."""

    source: str  # the file (and zip member) shown in messages and provenance
    nct: str
    status: str
    last_update_posted: str
    aliases: tuple[str, ...] = ()
    title: str = ""
    why_stopped: str | None = None
    completion: str | None = None
    phases: tuple[str, ...] = ()
    enrollment: int | None = None
    enrollment_type: str | None = None
    has_results: bool = False
    conditions: tuple[str, ...] = ()
    intervention_types: tuple[str, ...] = ()
    intervention_names: tuple[str, ...] = ()
    pmids: tuple[str, ...] = ()

    @property
    def interventions(self) -> tuple[tuple[str, str], ...]:
        """(type, name) of each intervention."""
        types = self.intervention_types + ("",) * len(self.intervention_names)
        return tuple(zip(types, self.intervention_names, strict=False))


def read_studies(paths: list[Path]) -> list[RegistryStudy]:
    """Every study of every file, in order; InputError names the first file and field that do
    not fit."""
    studies: list[RegistryStudy] = []
    for path in paths:
        try:
            data = read_file(path, MAX_FILE_BYTES)
        except Unreadable as exc:
            raise InputError(f"{path}: {exc}") from None
        if data.startswith(b"PK\x03\x04") or path.suffix.lower() == ".zip":
            studies += _zip_studies(str(path), data)
        else:
            studies += _file_studies(str(path), data)
    return studies


EXPORT_SHAPES = (
    'expected a study (with protocolSection), an API page ({"studies": [...]}), a JSON array '
    "of studies, NDJSON or a zip of study files, as ClinicalTrials.gov API v2 gives them"
)


def _file_studies(shown: str, data: bytes) -> list[RegistryStudy]:
    try:
        text = decode(data)
    except Unreadable as exc:
        raise InputError(f"{shown}: {exc}") from None
    try:
        document = load_json(text)
    except Unreadable as whole:
        lines = [(n, line) for n, line in enumerate(text.splitlines(), 1) if line.strip()]
        if len(lines) < 2 or not lines[0][1].lstrip().startswith("{"):
            raise InputError(f"{shown}: {whole}; {EXPORT_SHAPES}") from None
        return [_ndjson_study(shown, n, line) for n, line in lines]
    return [study(shown, where, item) for where, item in _shape(shown, document)]


def _ndjson_study(shown: str, number: int, line: str) -> RegistryStudy:
    try:
        document = load_json(line)
    except Unreadable as exc:
        raise InputError(f"{shown}: line {number}: {exc}") from None
    return study(shown, f"line {number}: ", document)


def _shape(shown: str, document: Any) -> Iterator[tuple[str, Any]]:
    """(path prefix, study) for each study of a document, whichever shape it has."""
    if isinstance(document, list):
        yield from ((f"[{n}].", item) for n, item in enumerate(document))
    elif isinstance(document, dict) and "studies" in document:
        studies = document["studies"]
        if not isinstance(studies, list):
            raise InputError(f"{shown}: studies: expected a list of studies")
        yield from ((f"studies[{n}].", item) for n, item in enumerate(studies))
    elif isinstance(document, dict) and "protocolSection" in document:
        yield "", document
    else:
        raise InputError(f"{shown}: not a ClinicalTrials.gov export: {EXPORT_SHAPES}")


def study(shown: str, where: str, document: Any) -> RegistryStudy:
    """One study document checked against FIELDS; ``where`` prefixes paths in messages."""
    if not isinstance(document, dict):
        raise InputError(f"{shown}: {where or '(document)'}: expected a study object")
    values: dict[str, Any] = {}
    for name, spec in FIELDS.items():
        try:
            found = list(_walk(document, spec.path.split("."), ""))
        except _Misfit as exc:
            raise InputError(f"{shown}: {where}{exc.path}: {exc}") from None
        if not found and spec.required:
            raise InputError(f"{shown}: {where}{spec.path}: required field is missing")
        checked = []
        for path, value in found:
            try:
                checked.append(spec.check(value))
            except ValueError as exc:
                raise InputError(f"{shown}: {where}{path}: {exc}, got {_shown(value)}") from None
        if checked:
            values[name] = tuple(checked) if "[]" in spec.path else checked[0]
    return RegistryStudy(source=shown, **values)


def _walk(value: Any, steps: list[str], path: str) -> Iterator[tuple[str, Any]]:
    """(path, value) at the end of each way ``steps`` leads through value; a missing key or
    null ends a way, a value of the wrong kind on the way is refused with its path."""
    if not steps:
        if value is not None:
            yield path, value
        return
    step, rest = steps[0], steps[1:]
    key = step.removesuffix("[]")
    if not isinstance(value, dict):
        raise _Misfit(path, f"expected an object, got {_shown(value)}")
    here = f"{path}.{key}" if path else key
    child = value.get(key)
    if child is None:
        return
    if step.endswith("[]"):
        if not isinstance(child, list):
            raise _Misfit(here, f"expected a list, got {_shown(child)}")
        for n, item in enumerate(child):
            yield from _walk(item, rest, f"{here}[{n}]")
    else:
        yield from _walk(child, rest, here)


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _zip_studies(shown: str, data: bytes) -> list[RegistryStudy]:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        members = [m for m in archive.infolist() if not m.is_dir()]
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise InputError(f"{shown}: not a readable zip file: {exc}") from None
    if len(members) > MAX_MEMBERS:
        raise InputError(f"{shown}: {len(members)} files, over the {MAX_MEMBERS}-file limit")
    total = sum(m.file_size for m in members)
    if total > MAX_ZIP_TOTAL:
        raise InputError(
            f"{shown}: {total} bytes uncompressed, over the {MAX_ZIP_TOTAL}-byte limit"
        )
    studies: list[RegistryStudy] = []
    for member in members:
        name = f"{shown}:{member.filename}"
        _check_member(name, member)
        studies += _file_studies(name, _member_bytes(archive, name, member))
    return studies


def _check_member(name: str, member: zipfile.ZipInfo) -> None:
    path = PurePosixPath(member.filename)
    if (
        path.is_absolute()
        or ".." in path.parts
        or "\\" in member.filename
        or re.match(r"[A-Za-z]:", member.filename)
    ):
        raise InputError(f"{name}: a file name pointing outside the archive; refused")
    if member.flag_bits & 0x1:
        raise InputError(f"{name}: encrypted; export the studies again without a password")
    if not member.filename.lower().endswith(".json"):
        raise InputError(f"{name}: not a .json study file")
    if member.file_size > MAX_MEMBER_BYTES:
        raise InputError(
            f"{name}: {member.file_size} bytes, over the {MAX_MEMBER_BYTES}-byte limit"
        )


def _member_bytes(archive: zipfile.ZipFile, name: str, member: zipfile.ZipInfo) -> bytes:
    """The member's bytes, bounded whatever its header declares."""
    try:
        with archive.open(member) as stream:
            content = stream.read(MAX_MEMBER_BYTES + 1)
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError) as exc:
        raise InputError(f"{name}: cannot read from the zip: {exc}") from None
    if len(content) > MAX_MEMBER_BYTES:
        raise InputError(f"{name}: over the {MAX_MEMBER_BYTES}-byte limit")
    return content
