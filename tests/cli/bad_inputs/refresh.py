"""Bad ClinicalTrials.gov exports for trials-refresh: values that do not fit their field (named
by path), files of no export shape, zips that try to escape or to explode, and a --pack folder
that exists."""

from __future__ import annotations

import json
import os
import shutil
import zipfile
from pathlib import Path

from mscadvisor.errors import EXIT_USAGE
from tests.cli.bad_inputs import BadInput, Setup

FIXTURES = Path(__file__).parents[2] / "fixtures" / "ctgov"


def fixture(*names: str) -> Setup:
    def setup(folder: Path) -> None:
        for name in names:
            shutil.copy(FIXTURES / name, folder / name)

    return setup


def zipped(members: dict[str, bytes], *, compress: bool = False) -> Setup:
    def setup(folder: Path) -> None:
        method = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
        with zipfile.ZipFile(folder / "export.zip", "w", method) as archive:
            for name, data in members.items():
                archive.writestr(name, data)

    return setup


def existing_pack(folder: Path) -> None:
    fixture("study-completed.json")(folder)
    (folder / "refreshed").mkdir()


def fifo(folder: Path) -> None:
    os.mkfifo(folder / "export.json")


STUDY = (FIXTURES / "study-completed.json").read_bytes()
BOMB = json.dumps({"pad": " " * (9 * 1024 * 1024)}).encode()  # compresses to a few KB

CASES = [
    BadInput(
        "refresh-bad-status",
        "{m} trials-refresh bad-status.json",
        EXIT_USAGE,
        "bad-status.json: studies[1].protocolSection.statusModule.overallStatus: expected one "
        "of RECRUITING",
        fixture("bad-status.json"),
    ),
    BadInput(
        "refresh-missing-nct",
        "{m} trials-refresh missing-nct.json",
        EXIT_USAGE,
        "missing-nct.json: protocolSection.identificationModule.nctId: required field is missing",
        fixture("missing-nct.json"),
    ),
    BadInput(
        "refresh-enrollment-text",
        "{m} trials-refresh bad-enrollment.json",
        EXIT_USAGE,
        "bad-enrollment.json: [0].protocolSection.designModule.enrollmentInfo.count: expected "
        "a count",
        fixture("bad-enrollment.json"),
    ),
    BadInput(
        "refresh-conditions-not-a-list",
        "{m} trials-refresh bad-conditions.json",
        EXIT_USAGE,
        "bad-conditions.json: protocolSection.conditionsModule.conditions: expected a list",
        fixture("bad-conditions.json"),
    ),
    BadInput(
        "refresh-not-an-export",
        "{m} trials-refresh not-an-export.json",
        EXIT_USAGE,
        "not-an-export.json: not a ClinicalTrials.gov export",
        fixture("not-an-export.json"),
    ),
    BadInput(
        "refresh-ndjson-broken-line",
        "{m} trials-refresh bad-line.ndjson",
        EXIT_USAGE,
        "bad-line.ndjson: line 2: invalid JSON",
        fixture("bad-line.ndjson"),
    ),
    BadInput(
        "refresh-duplicate-key",
        "{m} trials-refresh duplicate-key.json",
        EXIT_USAGE,
        "duplicate-key.json: duplicate key 'protocolSection'",
        fixture("duplicate-key.json"),
    ),
    BadInput(
        "refresh-fifo", "{m} trials-refresh export.json", EXIT_USAGE, "export.json: is a pipe", fifo
    ),
    BadInput(
        "refresh-zip-escape",
        "{m} trials-refresh export.zip",
        EXIT_USAGE,
        "export.zip:../../etc/study.json: a file name pointing outside the archive",
        zipped({"../../etc/study.json": STUDY}),
    ),
    BadInput(
        "refresh-zip-absolute",
        "{m} trials-refresh export.zip",
        EXIT_USAGE,
        "export.zip:/tmp/study.json: a file name pointing outside the archive",
        zipped({"/tmp/study.json": STUDY}),
    ),
    BadInput(
        "refresh-zip-bomb",
        "{m} trials-refresh export.zip",
        EXIT_USAGE,
        "export.zip:big.json: 9437",
        zipped({"big.json": BOMB}, compress=True),
    ),
    BadInput(
        "refresh-zip-not-json",
        "{m} trials-refresh export.zip",
        EXIT_USAGE,
        "export.zip:notes.txt: not a .json study file",
        zipped({"notes.txt": b"hello"}),
    ),
    BadInput(
        "refresh-zip-broken",
        "{m} trials-refresh export.zip",
        EXIT_USAGE,
        "export.zip: not a readable zip file",
        lambda folder: (folder / "export.zip").write_bytes(b"PK\x03\x04 broken"),
    ),
    BadInput(
        "refresh-pack-exists",
        "{m} trials-refresh study-completed.json --pack refreshed",
        EXIT_USAGE,
        "refreshed: already exists; give --pack a new folder name",
        existing_pack,
    ),
    BadInput(
        "refresh-pack-name-with-space",
        "{m} trials-refresh study-completed.json --pack p --pack-name 'my pack'",
        EXIT_USAGE,
        "--pack-name: 'my pack': a pack's name is an id",
        fixture("study-completed.json"),
    ),
    BadInput(
        "refresh-as-of-not-a-date",
        "{m} trials-refresh study-completed.json --as-of tomorrow",
        EXIT_USAGE,
        "--as-of: expected a date YYYY-MM-DD, got 'tomorrow'",
        fixture("study-completed.json"),
    ),
]
