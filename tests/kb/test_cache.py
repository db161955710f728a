"""The compiled knowledge cache: used when valid, ignored (never trusted) otherwise."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.scoring import score
from mscadvisor.kb import cache, knowledge
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from mscadvisor.render.output import json_text
from tests.conftest import CliResult


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(folder))
    monkeypatch.delenv("MSCADVISOR_NO_CACHE", raising=False)
    return folder


def answer(kb: KnowledgeBase) -> str:
    profile = build_profile({"disease": "OP", "age": 70, "donor": "autologous"}, kb, "test")
    return json_text(score(kb, profile).to_dict())


def forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail(*_: object) -> None:
        raise AssertionError("the TOML was parsed although a valid cache exists")

    monkeypatch.setattr(knowledge, "parse_sources", fail)


def test_second_load_uses_the_cache(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first = load_knowledge_base()
    assert len(list(cache_dir.glob("kb-*.bin"))) == 1
    forbid_parsing(monkeypatch)
    second = load_knowledge_base()
    assert second.sha256 == first.sha256
    assert answer(second) == answer(first)
    assert second.studies == first.studies and list(second.rules) == list(first.rules)


@pytest.mark.parametrize(
    "damage",
    [
        lambda b: b[: len(b) // 2],  # truncated
        lambda b: b"garbage",
        lambda b: b"",
        lambda b: b[:-10] + bytes(10),  # corrupt payload: checksum mismatch
        lambda b: b.replace(b"mscadvisor-kb", b"mscadvisor-xx", 1),  # another format
    ],
)
def test_damaged_cache_is_ignored_and_rebuilt(
    cache_dir: Path, damage: Callable[[bytes], bytes], kb: KnowledgeBase
) -> None:
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")
    path.write_bytes(damage(path.read_bytes()))
    rebuilt = load_knowledge_base()
    assert rebuilt.sha256 == kb.sha256 and answer(rebuilt) == answer(kb)
    sources = knowledge.read_sources([knowledge.shipped_rules_dir()])
    assert cache.load(cache.cache_key(sources)) is not None  # the rebuilt cache is valid again


def test_cache_of_another_version_is_not_used(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_knowledge_base()
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    sources = knowledge.read_sources([knowledge.shipped_rules_dir()])
    assert cache.load(cache.cache_key(sources)) is None


def test_cache_of_another_record_layout_is_not_used(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record type that gained a field must not read records its older layout cached."""
    load_knowledge_base()
    sources = knowledge.read_sources([knowledge.shipped_rules_dir()])
    assert cache.load(cache.cache_key(sources)) is not None
    monkeypatch.setattr(cache, "RECORD_LAYOUT", cache.RECORD_LAYOUT + ",new_field")
    assert cache.load(cache.cache_key(sources)) is None


def test_changed_rules_rebuild_the_cache(cache_dir: Path, rules_copy: Path) -> None:
    before = load_knowledge_base(base=rules_copy)
    target = rules_copy / "evidence" / "table3_trials.toml"
    target.write_text(
        target.read_text("utf-8").replace("enrollment = 40", "enrollment = 41"), "utf-8"
    )
    after = load_knowledge_base(base=rules_copy)
    assert after.sha256 != before.sha256
    assert after.trials["NCT01742533"].enrollment == 41
    assert len(list(cache_dir.glob("kb-*.bin"))) == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write to read-only folders")
def test_unwritable_cache_folder_is_not_an_error(
    cache_dir: Path, kb: KnowledgeBase
) -> None:  # pragma: no cover - depends on the user running the tests
    cache_dir.mkdir()
    cache_dir.chmod(0o500)
    assert load_knowledge_base().sha256 == kb.sha256


def test_cache_folder_that_is_a_file_is_not_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x")
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(blocker / "cache"))
    assert load_knowledge_base().sha256 == kb.sha256
    assert answer(load_knowledge_base()) == answer(kb)


def test_cache_can_be_disabled(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSCADVISOR_NO_CACHE", "1")
    load_knowledge_base()
    assert not cache_dir.exists()


def test_cache_commands(cache_dir: Path, cli: Callable[..., CliResult]) -> None:
    assert cli("diseases", "-f", "json").code == 0
    info = cli("cache", "info")
    assert str(cache_dir) in info.out and "files: 1" in info.out
    assert cli("cache", "clear").out.startswith("removed 1 file(s)")
    assert "files: 0" in cli("cache", "info").out


def test_old_cache_files_are_pruned(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, rules_copy: Path
) -> None:
    monkeypatch.setattr(cache, "KEEP", 2)
    cache_dir.mkdir()
    for n in range(4):
        stale = cache_dir / f"kb-stale{n}.bin"
        stale.write_bytes(b"old")
        os.utime(stale, (1000 + n, 1000 + n))
    load_knowledge_base(base=rules_copy)
    names = sorted(p.name for p in cache_dir.iterdir())
    assert len(names) == 2 and "kb-stale3.bin" in names
    assert not any(n.startswith("kb-stale0") for n in names)
