"""trials-refresh on hand-written ClinicalTrials.gov (API v2) documents: every export shape and
status reads, every value that does not fit is refused by its path, and the drift says what the
registry changed without judging results."""

from __future__ import annotations

import datetime as dt
import json
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor.engine import ctgov
from mscadvisor.engine.ctgov import FIELDS, STATUSES, read_studies, study
from mscadvisor.engine.refresh import Refresh, refresh
from mscadvisor.errors import InputError
from mscadvisor.kb.knowledge import KnowledgeBase

FIXTURES = Path(__file__).parents[1] / "fixtures" / "ctgov"
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "ctgov-export.json"
AS_OF = dt.date(2026, 6, 1)


def by_trial(result: Refresh) -> dict[str, Any]:
    return {t["trial"]: t for t in result.to_dict()["trials"]}


@pytest.mark.parametrize("status", STATUSES)
def test_a_study_of_every_status_reads(status: str) -> None:
    (read,) = read_studies([FIXTURES / f"study-{status.lower().replace('_', '-')}.json"])
    assert read.status == status


@pytest.mark.parametrize(
    ("name", "count"), [("page.json", 3), ("array.json", 2), ("studies.ndjson", 3)]
)
def test_every_export_shape_reads(name: str, count: int) -> None:
    studies = read_studies([FIXTURES / name])
    assert len(studies) == count
    assert all(s.source == str(FIXTURES / name) for s in studies)


def test_a_zip_of_study_files_and_several_files_at_once_read(tmp_path: Path) -> None:
    singles = sorted(FIXTURES.glob("study-*.json"))
    archive = tmp_path / "studies.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in singles:
            out.write(path, f"export/{path.name}")
    studies = read_studies([archive, FIXTURES / "page.json"])
    assert len(studies) == len(singles) + 3
    assert studies[0].source == f"{archive}:export/{singles[0].name}"


def test_the_zip_bounds_hold_whatever_the_headers_say(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    archive = tmp_path / "studies.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for n in range(3):
            out.writestr(f"s{n}.json", (FIXTURES / "study-completed.json").read_bytes())
    monkeypatch.setattr(ctgov, "MAX_MEMBERS", 2)
    with pytest.raises(InputError, match="3 files, over the 2-file limit"):
        read_studies([archive])
    monkeypatch.setattr(ctgov, "MAX_MEMBERS", 10)
    monkeypatch.setattr(ctgov, "MAX_ZIP_TOTAL", 100)
    with pytest.raises(InputError, match="bytes uncompressed, over the 100-byte limit"):
        read_studies([archive])


@pytest.mark.parametrize(
    ("name", "message"),
    [
        (
            "bad-status.json",
            "studies[1].protocolSection.statusModule.overallStatus: expected one of "
            "RECRUITING, NOT_YET_RECRUITING, ACTIVE_NOT_RECRUITING, ENROLLING_BY_INVITATION, "
            "COMPLETED, TERMINATED, WITHDRAWN, SUSPENDED, UNKNOWN, got 'DONE'",
        ),
        ("missing-nct.json", "protocolSection.identificationModule.nctId: required field"),
        ("bad-enrollment.json", "[0].protocolSection.designModule.enrollmentInfo.count"),
        ("bad-conditions.json", "conditionsModule.conditions: expected a list"),
        ("bad-line.ndjson", "line 2: invalid JSON"),
        ("not-an-export.json", "not a ClinicalTrials.gov export"),
    ],
)
def test_a_value_that_does_not_fit_is_refused_with_its_path(name: str, message: str) -> None:
    with pytest.raises(InputError) as caught:
        read_studies([FIXTURES / name])
    assert str(caught.value).startswith(f"{FIXTURES / name}: ")
    assert message in str(caught.value)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("last_update_posted", "2024-02-30", "expected a date YYYY-MM-DD, got '2024-02-30'"),
        ("last_update_posted", "2024-02", "expected a date YYYY-MM-DD, got '2024-02'"),
        (
            "completion",
            "2023-04-31",
            "expected a date YYYY-MM-DD (a day that exists) or YYYY-MM, got '2023-04-31'",
        ),
    ],
)
def test_a_date_that_is_no_day_is_refused(field: str, value: str, message: str) -> None:
    """A pack written from the export records the update day, which its trial update must
    give as a calendar date: a date the pack would be refused for is refused here."""
    document = json.loads((FIXTURES / "study-completed.json").read_text())
    *steps, last = FIELDS[field].path.split(".")
    parent = document
    for step in steps:
        parent = parent.setdefault(step, {})
    parent[last] = value
    assert problem(document) == f"f.json: {FIELDS[field].path}: {message}"


def test_the_drift_of_the_example_export(kb: KnowledgeBase) -> None:
    result = refresh(kb, ["x"], read_studies([EXAMPLE]), AS_OF)
    trials = by_trial(result)
    completed = trials["NCT01742533"]
    # Results posted change status and enrollment only: results posted is not efficacy shown.
    assert completed["update"] == {"status": "Completed", "enrollment": 38}
    assert [d["kind"] for d in completed["drift"] if d["needs_curation"]] == ["results-posted"]
    assert "outcome stays no-results" in completed["drift"][1]["text"]
    terminated = trials["NCT02062931"]
    assert terminated["update"] == {"status": "Terminated", "enrollment": 12}
    assert {"kind": "stopped", "text": "terminated: Sponsor decision: funding ended",
            "needs_curation": True} in terminated["drift"]  # fmt: skip
    # Nobody enrolled: a record's enrollment counts people, so it is kept for a person to word.
    assert trials["NCT05494723"]["update"] == {"status": "Withdrawn"}
    unknown = trials["NCT02043743"]
    assert unknown["update"] == {}
    assert [d["kind"] for d in unknown["drift"]] == ["completion-passed", "publications"]
    assert [q["nct"] for q in result.to_dict()["curation_queue"]] == ["NCT09000001"]
    assert result.ignored == 1
    assert "NCT02696889" in result.missing


def test_an_enrollment_without_its_kind_is_said_without_empty_brackets(
    kb: KnowledgeBase, tmp_path: Path
) -> None:
    study = json.loads((FIXTURES / "study-suspended.json").read_text(encoding="utf-8"))
    design = study["protocolSection"]["designModule"]
    design["enrollmentInfo"] = {"count": 25}  # the export gives no ACTUAL or ESTIMATED
    (tmp_path / "study.json").write_text(json.dumps(study), encoding="utf-8")
    result = refresh(kb, ["x"], read_studies([tmp_path / "study.json"]), dt.date(2024, 1, 1))
    (trial,) = by_trial(result).values()
    enrollment = next(d for d in trial["drift"] if d["kind"] == "enrollment")
    assert enrollment["text"].endswith("-> 25")


def test_table_3_spellings_of_a_registry_status_are_no_drift(kb: KnowledgeBase) -> None:
    """Table 3 prints SUSPENDED as "Paused" and NOT_YET_RECRUITING as "Not yet recruiting"."""
    studies = read_studies(
        [FIXTURES / "study-suspended.json", FIXTURES / "study-not-yet-recruiting.json"]
    )
    result = refresh(kb, ["x"], studies, dt.date(2024, 1, 1))
    assert all(d["kind"] != "status" for t in by_trial(result).values() for d in t["drift"])


def test_a_trial_is_found_by_an_old_nct_number_and_the_latest_copy_wins(
    kb: KnowledgeBase,
) -> None:
    document = json.loads((FIXTURES / "study-completed.json").read_text())
    renamed = json.loads(json.dumps(document))
    renamed["protocolSection"]["identificationModule"].update(
        nctId="NCT09999999", nctIdAliases=["NCT01742533"]
    )
    older = json.loads(json.dumps(renamed))
    older["protocolSection"]["statusModule"]["overallStatus"] = "TERMINATED"
    older["protocolSection"]["statusModule"]["lastUpdatePostDateStruct"]["date"] = "2020-01-01"
    studies = [study("a", "", renamed), study("b", "", older)]
    (found,) = refresh(kb, ["a", "b"], studies, AS_OF).trials
    assert (found.trial.id, found.study.source) == ("NCT01742533", "a")


def test_the_queue_needs_a_catalog_disease_and_an_msc_intervention(kb: KnowledgeBase) -> None:
    studies = read_studies([FIXTURES / "page.json", FIXTURES / "studies.ndjson"])
    result = refresh(kb, ["x"], studies, AS_OF)
    (queued,) = result.to_dict()["curation_queue"]
    assert queued["diseases"] == ["POF"]
    assert queued["why"] == [
        "condition 'Primary Ovarian Insufficiency' is POF (registry name 'Primary Ovarian "
        "Insufficiency')",
        "intervention 'Umbilical cord mesenchymal stem cells' (BIOLOGICAL)",
    ]
    assert result.ignored == 2  # an MSC study of knee osteoarthritis, DHEA in POI


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)


def problem(document: Any) -> str | None:
    """Why the study cannot be read, or None when it can."""
    try:
        study("f.json", "", document)
    except InputError as exc:
        return str(exc)
    return None


@settings(max_examples=200, deadline=None)
@given(field=st.sampled_from(sorted(FIELDS)), value=JSON)
def test_any_value_in_any_field_reads_or_is_refused_by_its_path(field: str, value: Any) -> None:
    """Law: whatever a field holds, the study reads or InputError names the field's place."""
    document = json.loads((FIXTURES / "study-completed.json").read_text())
    *steps, last = FIELDS[field].path.split("[]")[0].split(".")
    parent = document
    for step in steps:
        parent = parent.setdefault(step, {})
    parent[last] = value
    message = problem(document)
    assert message is None or message.startswith(f"f.json: {FIELDS[field].path.split('[]')[0]}")
