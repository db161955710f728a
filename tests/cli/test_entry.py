"""The console script runs the CLI without the garbage collector; batch, which runs long and
makes garbage, turns it back on."""

from __future__ import annotations

import gc
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from mscadvisor.cli import entry, main


@pytest.fixture
def collector_restored() -> Iterator[None]:
    yield
    gc.unfreeze()
    gc.enable()


@pytest.mark.usefixtures("collector_restored")
def test_the_command_runs_without_the_collector(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[bool] = []
    monkeypatch.setattr(main, "main", lambda: seen.append(gc.isenabled()) or 0)
    with pytest.raises(SystemExit) as exited:
        entry.run()
    assert exited.value.code == 0 and seen == [False]
    assert gc.get_freeze_count() > 0  # what start-up made is out of the exit collection's reach


@pytest.mark.usefixtures("collector_restored")
def test_batch_turns_the_collector_back_on(tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"disease": "OP"}) + "\n", encoding="utf-8")
    gc.disable()
    assert main.main(["batch", str(rows), "-o", str(tmp_path / "out.jsonl")]) == 0
    assert gc.isenabled()
