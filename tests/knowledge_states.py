"""Knowledge states for tests that compare or pin them: rule packs, weights files and edited
copies of the shipped rules tree, each written by one helper."""

from __future__ import annotations

import shutil
from pathlib import Path

from mscadvisor.kb.loader import shipped_rules_dir
from tests.packs import new_pack

# A pack rule that gives adipose cells points for POF (and nothing else).
AD_CELLS_FOR_POF = """
[[rule]]
id = "PACK-AD-POF"
group = "pack"
category = "source"
summary = "Adipose cells for POF, as a new study reports"
rationale = "A test rule: points a new publication would give."
applies_to = { tissue = "AD", modality = "cells" }
when = { field = "disease.id", op = "eq", value = "POF" }
points = 9
level = "expert-synthesis"
citations = [{ section = "msc-pof" }]
"""
# Halves the animal evidence of sources: POF's first source becomes BM-cells (clinical).
HALF_ANIMAL_WEIGHTS = '[rules]\n"EV-SRC-ANIMAL" = 0.5\n'


def write_pack(folder: Path, knowledge: str) -> Path:
    """A rule pack folder holding ``knowledge`` (TOML records), with its manifest."""
    new_pack(folder)
    (folder / "knowledge.toml").write_text(knowledge, encoding="utf-8")
    return folder


def write_weights(path: Path, text: str = HALF_ANIMAL_WEIGHTS) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def copy_rules(folder: Path, *edits: tuple[str, str, str]) -> Path:
    """A copy of the shipped rules tree with each (file, old text, new text) edit made."""
    shutil.copytree(shipped_rules_dir(), folder)
    for name, old, new in edits:
        path = folder / name
        text = path.read_text(encoding="utf-8")
        assert text.count(old) == 1, f"{name}: expected {old!r} once"
        path.write_text(text.replace(old, new), encoding="utf-8")
    return folder


# NCT02696889 (BM-cells for POF, the one clinical result of its source) terminated without
# results: a trial status change as a refreshed registry export would bring.
TERMINATED_TRIAL = (
    "evidence/table3_trials.toml",
    'status = "Completed"\nresults = "FSH halved',
    'status = "Terminated"\nresults = "FSH halved',
)
TRIAL_WITHOUT_RESULTS = (
    "evidence/table3_trials.toml",
    'outcome = "efficacy-reported"\nreports_fertility = true\ndesign = "uncontrolled"',
    'outcome = "no-results"\nreports_fertility = true\ndesign = "uncontrolled"',
)
