"""The edits between two knowledge bases: records and rules added, removed or changed (with the
fields that changed), and weights changed. ``mscadvisor diff`` attributes score changes to them.

Rules are compared as written (unweighted), so that a weights file shows as weight edits, not as
every rule it scales changing its points.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import to_plain

Change = Literal["added", "removed", "changed"]
SHOWN_VALUE_CHARS = 40  # a longer value is named by its field only, in the one-line text
# The record kinds compared, as (kind, the KnowledgeBase attribute holding them by id).
RECORD_KINDS = (
    ("rule", "rules"),
    ("trial", "trials"),
    ("study", "studies"),
    ("reference", "references"),
    ("disease", "diseases"),
    ("tissue", "tissues"),
    ("modality", "modalities"),
    ("route", "routes"),
    ("preconditioning", "preconditioning"),
    ("comorbidity", "comorbidities"),
    ("need", "needs"),
    ("section", "sections"),
    ("erratum", "errata"),
)


@dataclass(frozen=True, slots=True)
class FieldChange:
    field: str
    old: Any  # plain JSON data; None where the field is unset
    new: Any

    def text(self) -> str:
        """'status unknown -> terminated', or just the field's name when a value is long."""
        old, new = _shown(self.old), _shown(self.new)
        if len(old) > SHOWN_VALUE_CHARS or len(new) > SHOWN_VALUE_CHARS:
            return self.field
        return f"{self.field} {old} -> {new}"

    def to_dict(self) -> dict[str, Any]:
        return {"field": self.field, "old": self.old, "new": self.new}


@dataclass(frozen=True, slots=True)
class Edit:
    """One difference between the old and the new knowledge: a record or rule (``kind`` as
    in RECORD_KINDS) or a weight (kind "weight", id "rule:ID" or "group:NAME")."""

    kind: str
    id: str
    change: Change
    fields: tuple[FieldChange, ...] = ()
    label: str = ""  # what people call it, where that is not its id (a trial's NCT number)

    @property
    def key(self) -> str:
        """The edit's id in the diff document: 'trial:ID', 'weight:rule:ID'."""
        return f"{self.kind}:{self.id}"

    def text(self) -> str:
        """One line for people: 'trial NCT01742533 changed: status unknown -> terminated'."""
        if self.kind == "weight":
            (factor,) = self.fields
            return f"weight of {self.id.replace(':', ' ', 1)} {factor.old:g} -> {factor.new:g}"
        name = f"{self.kind} {self.label or self.id}"
        if self.change != "changed":
            return f"{name} {self.change}"
        return f"{name} changed: {', '.join(f.text() for f in self.fields)}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.key,
            "kind": self.kind,
            "record": self.id,
            "change": self.change,
            "fields": [f.to_dict() for f in self.fields],
            "text": self.text(),
        }


def knowledge_edits(
    old: KnowledgeBase,
    new: KnowledgeBase,
    old_weights: Mapping[str, float],
    new_weights: Mapping[str, float],
) -> tuple[Edit, ...]:
    """Every edit from ``old`` to ``new`` (both opened without weights), then the weight edits
    from ``old_weights`` to ``new_weights`` (as ``KnowledgeBase.weights`` records them)."""
    edits = [
        edit
        for kind, attribute in RECORD_KINDS
        for edit in _record_edits(kind, old, new, attribute)
    ]
    edits += _weight_edits(old_weights, new_weights)
    return tuple(edits)


def _records(kb: KnowledgeBase, attribute: str) -> dict[str, Any]:
    held = getattr(kb, attribute)
    if attribute == "studies":
        return {study.id: study for study in held}
    if attribute == "rules":
        return {rule_id: parsed.rule for rule_id, parsed in held.items()}
    return {str(ident): record for ident, record in held.items()}


def _record_edits(
    kind: str, old_kb: KnowledgeBase, new_kb: KnowledgeBase, attribute: str
) -> Iterator[Edit]:
    old, new = _records(old_kb, attribute), _records(new_kb, attribute)
    for ident in sorted(old.keys() | new.keys()):
        label = _label(old.get(ident) or new.get(ident))
        if ident not in new:
            yield Edit(kind, ident, "removed", label=label)
        elif ident not in old:
            yield Edit(kind, ident, "added", label=label)
        elif old[ident] != new[ident]:
            before, after = to_plain(old[ident]), to_plain(new[ident])
            fields = tuple(
                FieldChange(name, before.get(name), after.get(name))
                for name in dict.fromkeys([*before, *after])
                if before.get(name) != after.get(name)
            )
            yield Edit(kind, ident, "changed", fields, label)


def _label(record: Any) -> str:
    nct = getattr(record, "nct", None)
    return nct if isinstance(nct, str) and nct != getattr(record, "id", None) else ""


def _weight_edits(old: Mapping[str, float], new: Mapping[str, float]) -> Iterator[Edit]:
    """A weight absent from a side is a factor of 1 there."""
    for name in sorted(old.keys() | new.keys()):
        before, after = old.get(name, 1.0), new.get(name, 1.0)
        if before != after:
            change: Change = "changed"
            if name not in old or name not in new:
                change = "added" if name not in old else "removed"
            yield Edit("weight", name, change, (FieldChange("factor", before, after),))


def _shown(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(map(str, value)) or "-"
    return str(value)
