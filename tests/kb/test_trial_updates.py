"""[[trial_update]]: a rule pack updates a trial record, with provenance, when the knowledge base
is built; the update counts in the knowledge hash and shows as an edit of the trial."""

from __future__ import annotations

from pathlib import Path

import pytest

from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.kb.edits import knowledge_edits
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from tests.packs import new_pack

PROVENANCE = 'source = "export.json"\nlast_update_posted = "2025-09-30"\nimported = "2026-06-01"\n'


def pack_of(tmp_path: Path, *updates: str, name: str = "pack") -> Path:
    pack = new_pack(tmp_path / name)
    (pack / "trials.toml").write_text(
        "".join(f"[[trial_update]]\n{u}{PROVENANCE}\n" for u in updates), encoding="utf-8"
    )
    return pack


def test_an_update_changes_only_the_fields_it_gives(kb: KnowledgeBase, tmp_path: Path) -> None:
    pack = pack_of(tmp_path, 'trial = "NCT01742533"\nstatus = "Completed"\nenrollment = 38\n')
    updated = load_knowledge_base([pack], use_cache=False)
    before, after = kb.trials["NCT01742533"], updated.trials["NCT01742533"]
    assert (after.status, after.enrollment) == ("Completed", 38)
    assert (after.outcome, after.results) == (before.outcome, before.results)
    assert updated.sha256 != kb.sha256
    (edit,) = knowledge_edits(kb, updated, {}, {})
    assert edit.text() == (
        "trial NCT01742533 changed: status unknown -> Completed, enrollment 40 -> 38"
    )


def test_the_compiled_cache_applies_the_update_too(kb: KnowledgeBase, tmp_path: Path) -> None:
    pack = pack_of(tmp_path, 'trial = "NCT01742533"\nstatus = "Completed"\n')
    fresh = load_knowledge_base([pack])
    cached = load_knowledge_base([pack])
    assert cached.trials["NCT01742533"].status == "Completed"
    assert cached.sha256 == fresh.sha256


@pytest.mark.parametrize(
    ("updates", "message"),
    [
        (['trial = "NCT00000000"\n'], "[[trial_update]] of unknown trial 'NCT00000000'"),
        (
            ['trial = "NCT01742533"\n', 'trial = "NCT01742533"\nstatus = "x"\n'],
            "[[trial_update]] of trial 'NCT01742533':",
        ),
        (['trial = "NCT01742533"\nenrollment = 0\n'], "field enrollment"),
        (['trial = "NCT01742533"\noutcome = "cured"\n'], "field outcome"),
    ],
)
def test_a_bad_update_is_refused(tmp_path: Path, updates: list[str], message: str) -> None:
    with pytest.raises(KnowledgeBaseError) as caught:
        load_knowledge_base([pack_of(tmp_path, *updates)], use_cache=False)
    assert any(message in p for p in caught.value.problems), caught.value.problems


def test_provenance_dates_are_calendar_dates(tmp_path: Path) -> None:
    pack = new_pack(tmp_path / "pack")
    (pack / "trials.toml").write_text(
        '[[trial_update]]\ntrial = "NCT01742533"\nsource = "e.json"\n'
        'last_update_posted = "2025-02-30"\nimported = "2026-06-01"\n',
        encoding="utf-8",
    )
    with pytest.raises(KnowledgeBaseError, match=r"last_update_posted: .*YYYY-MM-DD"):
        load_knowledge_base([pack], use_cache=False)


def test_two_packs_updating_one_trial_are_refused(tmp_path: Path) -> None:
    first = pack_of(tmp_path, 'trial = "NCT01742533"\nstatus = "Completed"\n', name="a")
    second = pack_of(tmp_path, 'trial = "NCT01742533"\nstatus = "Terminated"\n', name="b")
    with pytest.raises(KnowledgeBaseError, match="already updates it"):
        load_knowledge_base([first, second], use_cache=False)
