"""trials-refresh on the command line: the drift table fits 80 columns, the pack it writes is
used by --rules and recorded in the result, and the trials listing is unchanged."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CliResult

Cli = Callable[..., CliResult]
EXAMPLE = Path(__file__).parents[2] / "docs" / "examples" / "ctgov-export.json"


def test_the_drift_table_answers_first_and_fits_80_columns(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    result = cli("trials-refresh", str(EXAMPLE), "--as-of", "2026-06-01")
    assert result.code == 0, result.err
    lines = result.out.splitlines()
    assert lines[0].startswith("4 of 4 review trials found in the exports drifted")
    assert max(len(line) for line in lines) <= 80
    # Word-safe: no word of the drift is cut between two lines.
    assert "Sponsor decision: funding" in result.out.replace("\n", " ")
    assert "(needs curation)" in result.out


def test_a_pack_that_cannot_be_written_is_a_run_time_error(cli: Cli, tmp_path: Path) -> None:
    """Exit 1, as for any output that cannot be written; an existing folder is a usage error."""
    missing = tmp_path / "no-such-folder" / "refreshed"
    failed = cli("trials-refresh", str(EXAMPLE), "--pack", str(missing))
    assert failed.code == 1
    assert failed.err == (
        f"mscadvisor: error: {missing}: cannot create the pack: No such file or directory\n"
    )
    taken = cli("trials-refresh", str(EXAMPLE), "--pack", str(tmp_path))
    assert taken.code == 2 and "already exists; give --pack a new folder name" in taken.err


def test_the_pack_is_scored_with_and_recorded(cli: Cli, tmp_path: Path) -> None:
    pack = tmp_path / "refreshed"
    made = cli("trials-refresh", str(EXAMPLE), "--as-of", "2026-06-01", "--pack", str(pack))
    assert made.code == 0, made.err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["refreshed"]  # no temporary left
    assert sorted(p.name for p in pack.iterdir()) == ["pack.toml", "trials.toml"]
    scored = cli("--rules", str(pack), "recommend", "-d", "POF", "-f", "json").json()
    assert [p["name"] for p in scored["knowledge_base"]["packs"]] == ["ctgov-refresh"]
    listed = cli("--rules", str(pack), "trials", "-d", "POF", "-f", "json").json()
    statuses = {row["id"]: row["status"] for row in listed["rows"]}
    assert statuses["NCT02062931"] == "Terminated"
    diff = cli("--rules", str(pack), "diff", "-d", "POF", "-f", "json").json()
    assert "trial:NCT02062931" in {e["id"] for e in diff["edits"]}


def test_the_trials_listing_is_unchanged(cli: Cli) -> None:
    result = cli("trials", "-d", "POF", "-f", "json")
    assert result.code == 0
    assert all(row["disease"] == "POF" for row in result.json()["rows"])
