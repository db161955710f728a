"""The drift of Table 3 against a trial registry: for each trial of the review found in the
exports, what the registry says now that the record does not (status, results posted,
enrollment, why it stopped, completion passed, publications the review does not cite), and the
record fields that can be updated without judgement; registered studies the review lacks that
match a catalog disease and an MSC or exosome intervention, as a curation queue.

Posting results is not showing efficacy: a trial's outcome is never changed here. Whatever needs
reading (results, a reason for stopping, a publication) is marked "needs curation".
"""

from __future__ import annotations

import calendar
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from mscadvisor.engine.ctgov import RegistryStudy
from mscadvisor.engine.result import SCHEMA_VERSION
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.records import Disease, Trial

# The registry's statuses in the words Table 3 uses for them.
STATUS_WORDS = {
    "RECRUITING": "Recruiting",
    "NOT_YET_RECRUITING": "Not yet recruiting",
    "ACTIVE_NOT_RECRUITING": "Active, not recruiting",
    "ENROLLING_BY_INVITATION": "Enrolling by invitation",
    "COMPLETED": "Completed",
    "TERMINATED": "Terminated",
    "WITHDRAWN": "Withdrawn",
    "SUSPENDED": "Suspended",
    "UNKNOWN": "unknown",
}
# Table 3's other spellings of a registry status ("Paused" is how it prints SUSPENDED).
REVIEW_SPELLINGS = {"paused": "SUSPENDED"}
STOPPED = ("TERMINATED", "WITHDRAWN", "SUSPENDED")
ENDED = ("COMPLETED", "TERMINATED", "WITHDRAWN")
NOT_REPORTED = ("no-results", "unverified")  # outcomes results posted would change
# Intervention names that say MSCs or their exosomes; \b keeps "msc" out of other words.
MSC_INTERVENTION = re.compile(
    r"mesenchymal|stromal|\bmscs?\b|msc-|-mscs?\b|exosom|extracellular vesicle", re.IGNORECASE
)


@dataclass(frozen=True, slots=True)
class Drift:
    kind: str  # status, results-posted, enrollment, stopped, completion-passed, publications
    text: str
    needs_curation: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"kind": self.kind, "text": self.text, "needs_curation": self.needs_curation}


@dataclass(frozen=True, slots=True)
class TrialDrift:
    trial: Trial
    study: RegistryStudy
    drift: tuple[Drift, ...]
    update: dict[str, Any]  # trial record fields -> their new values

    def to_dict(self) -> dict[str, Any]:
        return {
            "trial": self.trial.id,
            "nct": self.study.nct,
            "disease": self.trial.disease,
            "source": self.study.source,
            "last_update_posted": self.study.last_update_posted,
            "registry_status": self.study.status,
            "drift": [d.to_dict() for d in self.drift],
            "update": self.update,
            "needs_curation": any(d.needs_curation for d in self.drift),
        }


@dataclass(frozen=True, slots=True)
class QueuedStudy:
    study: RegistryStudy
    diseases: tuple[str, ...]
    why: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "nct": self.study.nct,
            "title": self.study.title,
            "status": self.study.status,
            "source": self.study.source,
            "diseases": list(self.diseases),
            "why": list(self.why),
        }


@dataclass(frozen=True, slots=True)
class Refresh:
    as_of: str
    knowledge: dict[str, Any]
    files: tuple[str, ...]
    studies: int
    trials: tuple[TrialDrift, ...]
    queue: tuple[QueuedStudy, ...]
    ignored: int
    missing: tuple[str, ...]  # NCT numbers of Table 3 the exports do not hold
    pack: str | None = None

    def with_pack(self, folder: str) -> Refresh:
        return dataclasses.replace(self, pack=folder)

    @property
    def drifted(self) -> tuple[TrialDrift, ...]:
        return tuple(t for t in self.trials if t.drift)

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": SCHEMA_VERSION,
            "knowledge_base": self.knowledge,
            "as_of": self.as_of,
            "files": list(self.files),
            "studies_read": self.studies,
            "trials": [t.to_dict() for t in self.trials],
            "not_in_exports": list(self.missing),
            "curation_queue": [q.to_dict() for q in self.queue],
            "ignored": self.ignored,
            "pack": self.pack,
        }


def refresh(
    kb: KnowledgeBase, files: list[str], studies: list[RegistryStudy], as_of: dt.date
) -> Refresh:
    """The drift of the knowledge base's trials against the studies read, as of a date."""
    latest = _latest(studies)
    by_nct = {t.nct: t for t in kb.trials.values() if t.nct}
    cited = {r.pmid for r in kb.references.values() if r.pmid}
    trials: list[TrialDrift] = []
    queue: list[QueuedStudy] = []
    ignored = 0
    found: set[str] = set()
    for study in latest:
        trial = next((by_nct[n] for n in (study.nct, *study.aliases) if n in by_nct), None)
        if trial is not None:
            found.add(str(trial.nct))
            trials.append(_trial_drift(trial, study, cited, as_of))
        elif (queued := _queued(kb, study)) is not None:
            queue.append(queued)
        else:
            ignored += 1
    return Refresh(
        as_of=as_of.isoformat(),
        knowledge=kb.identity(),
        files=tuple(files),
        studies=len(studies),
        trials=tuple(sorted(trials, key=lambda t: t.trial.id)),
        queue=tuple(sorted(queue, key=lambda q: q.study.nct)),
        ignored=ignored,
        missing=tuple(sorted(set(by_nct) - found)),
    )


def _latest(studies: list[RegistryStudy]) -> list[RegistryStudy]:
    """One study per NCT number: the most recently updated (the first of equals)."""
    kept: dict[str, RegistryStudy] = {}
    for study in studies:
        held = kept.get(study.nct)
        if held is None or study.last_update_posted > held.last_update_posted:
            kept[study.nct] = study
    return list(kept.values())


def _trial_drift(trial: Trial, study: RegistryStudy, cited: set[str], as_of: dt.date) -> TrialDrift:
    drift: list[Drift] = []
    update: dict[str, Any] = {}
    recorded = trial.status.casefold()
    was = REVIEW_SPELLINGS.get(recorded) or next(
        (code for code, word in STATUS_WORDS.items() if word.casefold() == recorded), None
    )
    if was != study.status:
        update["status"] = STATUS_WORDS[study.status]
        drift.append(Drift("status", f"status {trial.status} -> {update['status']}"))
    if study.has_results and trial.outcome in NOT_REPORTED:
        drift.append(
            Drift(
                "results-posted",
                f"results posted; outcome stays {trial.outcome} until someone reads them",
                needs_curation=True,
            )
        )
    drift += _enrollment(trial, study, update)
    if study.status in STOPPED:
        why = study.why_stopped or "no reason given"
        drift.append(Drift("stopped", f"{study.status.lower()}: {why}", needs_curation=True))
    if study.completion and study.status not in ENDED and _last_day(study.completion) < as_of:
        drift.append(
            Drift(
                "completion-passed",
                f"completion {study.completion} passed, still {STATUS_WORDS[study.status]}",
            )
        )
    new = [p for p in study.pmids if p not in cited]
    if new:
        drift.append(
            Drift(
                "publications",
                f"PMID {', '.join(dict.fromkeys(new))} not cited by the review",
                needs_curation=True,
            )
        )
    return TrialDrift(trial, study, tuple(drift), update)


def _enrollment(trial: Trial, study: RegistryStudy, update: dict[str, Any]) -> list[Drift]:
    count, kind = study.enrollment, (study.enrollment_type or "").lower()
    if count is None or (count == trial.enrollment and kind != "actual"):
        return []
    if count == trial.enrollment:
        return [Drift("enrollment", f"enrollment {count} is now the actual count")]
    if count == 0:  # a record's enrollment counts people; none enrolled is for a person to word
        return [
            Drift(
                "enrollment",
                f"enrollment {trial.enrollment or '-'} -> 0 ({kind or 'count'}); kept",
                needs_curation=True,
            )
        ]
    update["enrollment"] = count
    of_kind = f" ({kind})" if kind else ""  # an export may leave the kind out
    return [Drift("enrollment", f"enrollment {trial.enrollment or '-'} -> {count}{of_kind}")]


def _last_day(date: str) -> dt.date:
    """The day a registry date means at the latest (a month ends on its last day)."""
    if len(date) == 10:
        return dt.date.fromisoformat(date)
    year, month = int(date[:4]), int(date[5:7])
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def _words(text: str) -> str:
    return " " + " ".join(re.findall(r"[a-z0-9]+", text.casefold())) + " "


def _terms(disease: Disease) -> list[tuple[str, str]]:
    """(how it is named, the name) for each name a registry condition may use."""
    registry = disease.registry.names if disease.registry else ()
    return [
        ("id", disease.id),
        ("name", disease.name),
        *(("alias", a) for a in disease.aliases),
        *(("registry name", r) for r in registry),
    ]


def _queued(kb: KnowledgeBase, study: RegistryStudy) -> QueuedStudy | None:
    """The study as a curation candidate when a condition names a catalog disease and an
    intervention is MSCs or their exosomes; None otherwise."""
    why: list[str] = []
    diseases: list[str] = []
    for disease in kb.diseases.values():
        for condition in study.conditions:
            hit = next((t for t in _terms(disease) if _words(t[1]) in _words(condition)), None)
            if hit is not None:
                diseases.append(disease.id)
                why.append(f"condition {condition!r} is {disease.id} ({hit[0]} {hit[1]!r})")
                break
    cells = [
        f"intervention {name!r} ({kind or 'type not given'})"
        for kind, name in study.interventions
        if MSC_INTERVENTION.search(name)
    ]
    if not diseases or not cells:
        return None
    return QueuedStudy(study, tuple(diseases), (*why, *cells))
