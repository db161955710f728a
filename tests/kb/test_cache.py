"""The compiled knowledge cache: used when valid and private to the user, ignored otherwise."""

from __future__ import annotations

import marshal
import os
import pickle
import stat
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.scoring import score
from mscadvisor.kb import cache, knowledge, packs
from mscadvisor.kb.deferred import Deferred
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from mscadvisor.kb.loader import SourceFile
from mscadvisor.kb.records import Rule
from mscadvisor.render.answer import print_answer
from mscadvisor.render.output import console, json_text
from tests import schemas
from tests.conftest import CliResult, Unprivileged
from tests.packs import SHADOW, new_pack


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(folder))
    monkeypatch.delenv("MSCADVISOR_NO_CACHE", raising=False)
    monkeypatch.setenv(cache.WARNED, "")  # each test is a run of its own: it may warn once
    # Rule files a test writes are fresh, and a cache is not keyed by fresh files' stamps
    # (see test_a_cache_is_not_keyed_by_files_changed_in_the_last_seconds).
    monkeypatch.setattr(cache, "SETTLE_NS", 0)
    return folder


@pytest.fixture
def hashes(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Each computation of a knowledge hash from records, from now on."""
    hashed: list[str] = []
    content_hash = knowledge.content_hash

    def counted(*args: Any) -> str:
        hashed.append("hash")
        return content_hash(*args)

    monkeypatch.setattr(knowledge, "content_hash", counted)
    return hashed


def shipped_key() -> str:
    return cache.cache_key(knowledge.list_sources(knowledge.shipped_rules_dir()))


WARNING = "mscadvisor: warning: not using the compiled knowledge cache: "
SETTLE_NS = cache.SETTLE_NS  # as shipped (the cache_dir fixture sets 0)


def answer(kb: KnowledgeBase) -> str:
    profile = build_profile({"disease": "OP", "age": 70, "donor": "autologous"}, kb, "test")
    return json_text(score(kb, profile).to_dict())


def forbid_parsing(monkeypatch: pytest.MonkeyPatch) -> None:
    """A valid cache is used without reading the rule files, let alone parsing them."""

    def fail(*_: object) -> None:
        raise AssertionError("the rule files were read although a valid cache exists")

    monkeypatch.setattr(knowledge, "read_sources", fail)
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
    sources = knowledge.list_sources(knowledge.shipped_rules_dir())
    assert cache.load(cache.cache_key(sources)) is not None  # the rebuilt cache is valid again


def test_cache_of_another_version_is_not_used(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_knowledge_base()
    monkeypatch.setattr(cache, "__version__", "0.0.0-other")
    sources = knowledge.list_sources(knowledge.shipped_rules_dir())
    assert cache.load(cache.cache_key(sources)) is None


def test_cache_of_another_record_layout_is_not_used(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A record type that gained a field must not read records its older layout cached."""
    load_knowledge_base()
    sources = knowledge.list_sources(knowledge.shipped_rules_dir())
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


def test_a_file_rewritten_with_its_size_and_times_kept_is_read_again(
    cache_dir: Path, rules_copy: Path
) -> None:
    """The cache is keyed by each file's stamp, not its bytes: a rewrite that keeps the size and
    sets the modification time back (as `cp -p` and `rsync -t` do) still changes the change
    time, which nothing but the system clock sets."""
    before = load_knowledge_base(base=rules_copy)
    target = rules_copy / "evidence" / "table3_trials.toml"
    info = target.stat()
    text = target.read_text("utf-8")
    target.write_text(text.replace("enrollment = 40", "enrollment = 41"), "utf-8")
    os.utime(target, ns=(info.st_atime_ns, info.st_mtime_ns))
    assert (target.stat().st_size, target.stat().st_mtime_ns) == (info.st_size, info.st_mtime_ns)
    after = load_knowledge_base(base=rules_copy)
    assert after.trials["NCT01742533"].enrollment == 41
    assert after.sha256 != before.sha256


def test_a_cache_is_not_keyed_by_files_changed_in_the_last_seconds(
    cache_dir: Path, rules_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """File times tick coarsely, so a file changed twice within one tick keeps one stamp: files
    changed less than SETTLE_NS before they were listed are compiled but not cached, until they
    have settled."""
    monkeypatch.setattr(cache, "SETTLE_NS", SETTLE_NS)
    target = rules_copy / "evidence" / "table3_trials.toml"
    target.write_text(target.read_text("utf-8") + "\n", "utf-8")
    fresh = load_knowledge_base(base=rules_copy)
    assert list(cache_dir.glob("kb-*.bin")) == []
    later = time.time_ns() + SETTLE_NS
    monkeypatch.setattr(knowledge, "time_ns", lambda: later)
    settled = load_knowledge_base(base=rules_copy)
    assert len(list(cache_dir.glob("kb-*.bin"))) == 1
    forbid_parsing(monkeypatch)
    assert load_knowledge_base(base=rules_copy).sha256 == settled.sha256 == fresh.sha256


def test_files_settle_by_their_change_time_and_never_unseen() -> None:
    """Every change sets a file's change time; its modification time can be set anywhere, even
    into the future (`touch -d tomorrow`), so it says nothing of when the file last changed."""
    size, old, future, ino, dev = 10, 1_000, 10 * SETTLE_NS, 1, 1

    def listed(mtime: int, ctime: int) -> list[SourceFile]:
        return [SourceFile("a.toml", (size, mtime, ctime, ino, dev))]

    assert cache.settled(listed(old, old), old + SETTLE_NS)
    assert not cache.settled(listed(old, old), old + SETTLE_NS - 1)  # listed too soon after
    assert cache.settled(listed(future, old), old + SETTLE_NS)
    assert not cache.settled(listed(old, future), future)  # `cp -p`: an old mtime, a new ctime
    assert not cache.settled([*listed(old, old), SourceFile("b.toml", None)], future)


@pytest.mark.parametrize("position", range(5), ids=["size", "mtime", "ctime", "inode", "device"])
def test_the_key_changes_with_every_part_of_a_stamp_and_with_the_path(position: int) -> None:
    stamp = (1, 2, 3, 4, 5)
    changed = tuple(v + 1 if n == position else v for n, v in enumerate(stamp))
    key = cache.cache_key([SourceFile("rules/a.toml", stamp)])
    assert cache.cache_key([SourceFile("rules/a.toml", changed)]) != key  # type: ignore[arg-type]
    assert cache.cache_key([SourceFile("rules/b.toml", stamp)]) != key


def test_a_stamp_is_the_files_size_times_inode_and_device(tmp_path: Path) -> None:
    path = tmp_path / "a.toml"
    path.write_text("x = 1\n", "utf-8")
    info = path.stat()
    assert packs.stamp(info) == (
        info.st_size,
        info.st_mtime_ns,
        info.st_ctime_ns,
        info.st_ino,
        info.st_dev,
    )


# Where each part sits in a cache file's payload (see cache.encode).
KEY, COMPACT, TREES, DIGESTS, KNOWLEDGE_SHA256 = range(5)


def replace_in_payload(path: Path, part: int, value: object) -> str:
    """Replace one part of a cache file's payload and recompute its (unkeyed) checksum, as
    anyone who can write the file could; the cache's key."""
    _, _, payload = path.read_bytes().split(b"\n", 2)
    parts = list(marshal.loads(payload))
    parts[part] = value
    path.write_bytes(cache.framed(marshal.dumps(tuple(parts))))
    return str(parts[KEY])


NOT_ONE_SHA256_A_ROOT = {
    "a list": ["0" * 64],
    "none": (),
    "two": ("0" * 64, "0" * 64),
    "short": ("0" * 63,),
    "not hex": ("G" * 64,),
    "a number": (1,),
    "None": None,
}
NOT_A_SHA256 = {
    "short": "0" * 63,
    "not hex": "G" * 64,
    "upper case": "A" * 64,
    "a newline": "0" * 64 + "\n",
    "bytes": b"0" * 64,
    "a number": 0,
    "None": None,
    "a tuple": ("0" * 64,),
}


@pytest.mark.parametrize(
    ("part", "value"),
    [pytest.param(DIGESTS, v, id=f"digests: {n}") for n, v in NOT_ONE_SHA256_A_ROOT.items()]
    + [pytest.param(KNOWLEDGE_SHA256, v, id=f"hash: {n}") for n, v in NOT_A_SHA256.items()],
)
def test_a_cache_whose_digests_or_knowledge_hash_are_not_sha256_is_not_used(
    cache_dir: Path, kb: KnowledgeBase, part: int, value: object
) -> None:
    """The roots' digests must be one sha256 a root; the knowledge hash, one sha256."""
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")
    key = replace_in_payload(path, part, value)
    assert cache.load(key) is None
    reloaded = load_knowledge_base()  # from the rule files, and the cache is written again
    assert reloaded.tree == kb.tree and reloaded.sha256 == kb.sha256
    assert cache.load(key) is not None


def test_a_cache_of_the_previous_layout_is_not_used(cache_dir: Path, kb: KnowledgeBase) -> None:
    """A payload without the knowledge hash (as format 7 wrote it) is no cache."""
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")
    _, _, payload = path.read_bytes().split(b"\n", 2)
    key, compact, trees, digests, _ = marshal.loads(payload)
    path.write_bytes(cache.framed(marshal.dumps((key, compact, trees, digests))))
    assert cache.load(key) is None
    assert load_knowledge_base().sha256 == kb.sha256


@pytest.mark.subprocess
def test_unwritable_cache_folder_is_not_an_error(
    unprivileged: Unprivileged, kb: KnowledgeBase
) -> None:
    folder = unprivileged.folder / "cache"
    folder.mkdir(mode=0o500)
    env = {"MSCADVISOR_NO_CACHE": "0", "MSCADVISOR_CACHE_DIR": str(folder)}
    result = unprivileged.run("recommend", "-d", "POF", "-f", "json", env=env)
    assert result.code == 0 and result.err == ""
    assert result.json()["knowledge_base"]["sha256"] == kb.sha256
    assert list(folder.iterdir()) == []  # it could not be written, and that is no error


@pytest.mark.subprocess
def test_cache_clear_says_which_files_it_could_not_remove(
    unprivileged: Unprivileged, kb: KnowledgeBase
) -> None:
    folder = unprivileged.folder / "cache"
    env = {"MSCADVISOR_NO_CACHE": "0", "MSCADVISOR_CACHE_DIR": str(folder)}
    assert unprivileged.run("recommend", "-d", "POF", env=env).code == 0
    (written,) = folder.glob("kb-*.bin")
    folder.chmod(0o500)  # readable, not writable: the file stays
    try:
        cleared = unprivileged.run("cache", "clear", env=env)
        info = unprivileged.run("cache", "info", env=env)
        folder.chmod(0o000)
        unlisted = unprivileged.run("cache", "clear", env=env)
        unlisted_info = unprivileged.run("cache", "info", env=env)
    finally:
        folder.chmod(0o700)
    assert cleared.code == 1 and cleared.out == f"removed 0 file(s) from {folder}\n"
    assert cleared.err == (f"mscadvisor: error: {written}: cannot remove it: Permission denied\n")
    assert written.exists() and info.code == 0 and f"{written.name}  " in info.out
    assert unlisted.code == 1
    assert unlisted.err == f"mscadvisor: error: {folder}: cannot list it: Permission denied\n"
    assert "state: not used: the folder cannot be listed: Permission denied" in unlisted_info.out


def test_cache_info_names_a_cache_folder_that_cannot_be_made(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., CliResult]
) -> None:
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(blocker / "cache"))
    monkeypatch.delenv("MSCADVISOR_NO_CACHE", raising=False)
    info = cli("cache", "info")
    assert info.code == 0
    assert "state: not used: it cannot be made or looked at: Not a directory" in info.out
    assert cli("cache", "info", "-f", "json").json()["enabled"] is False


def test_a_device_as_cache_folder_is_not_taken_for_an_untrusted_folder(
    monkeypatch: pytest.MonkeyPatch, cli: Callable[..., CliResult]
) -> None:
    """/dev/null is writable by everyone, but it is no folder: no warning about its mode."""
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", "/dev/null")
    monkeypatch.delenv("MSCADVISOR_NO_CACHE", raising=False)
    monkeypatch.setenv(cache.WARNED, "")
    result = cli("recommend", "-d", "POF", "-f", "json")
    assert result.code == 0 and "not using the compiled knowledge cache" not in result.err
    assert cli("cache", "clear").out == "removed 0 file(s) from /dev/null\n"
    assert "state: not used: it is a device, not a folder" in cli("cache", "info").out


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


def test_no_cache_0_uses_the_cache_and_1_does_not(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSCADVISOR_NO_CACHE", "1")
    load_knowledge_base()
    assert not cache_dir.exists()
    monkeypatch.setenv("MSCADVISOR_NO_CACHE", "0")
    load_knowledge_base()
    assert len(list(cache_dir.glob("kb-*.bin"))) == 1
    forbid_parsing(monkeypatch)
    load_knowledge_base()  # read from the cache: no parsing
    monkeypatch.setenv("MSCADVISOR_NO_CACHE", "1")
    with pytest.raises(AssertionError, match="were read"):
        load_knowledge_base()


def test_default_folder_is_made_private(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kb: KnowledgeBase
) -> None:
    monkeypatch.delenv("MSCADVISOR_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    monkeypatch.setenv(cache.WARNED, "")
    load_knowledge_base()
    folder = tmp_path / "xdg" / "mscadvisor"
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    (written,) = folder.iterdir()
    assert stat.S_IMODE(written.stat().st_mode) == 0o600


def as_root_only(mark: str) -> pytest.MarkDecorator:
    return pytest.mark.skipif(os.geteuid() != 0, reason=f"only root can {mark}")


def group_writable(path: Path) -> None:
    path.chmod(path.stat().st_mode | stat.S_IWGRP)


def others_writable(path: Path) -> None:
    path.chmod(path.stat().st_mode | stat.S_IWOTH)


def another_owner(path: Path) -> None:
    os.chown(path, 54321, -1)


@pytest.mark.parametrize(
    ("target", "spoil", "problem"),
    [
        ("folder", others_writable, "is writable by group or others"),
        ("folder", group_writable, "is writable by group or others"),
        ("file", group_writable, "is writable by group or others"),
        ("file", others_writable, "is writable by group or others"),
        pytest.param(
            "folder",
            another_owner,
            "belongs to another user (uid 54321)",
            marks=as_root_only("give a file away"),
        ),
        pytest.param(
            "file",
            another_owner,
            "belongs to another user (uid 54321)",
            marks=as_root_only("give a file away"),
        ),
    ],
)
def test_cache_not_private_to_the_user_is_neither_read_nor_written(
    cache_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    kb: KnowledgeBase,
    target: str,
    spoil: Callable[[Path], None],
    problem: str,
) -> None:
    """Like ssh's StrictModes: whoever else can write the cache could change the scores."""
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")
    spoiled = cache_dir if target == "folder" else path
    spoil(spoiled)
    capsys.readouterr()
    assert cache.load(shipped_key()) is None
    path.write_bytes(b"damaged, so that a write would show")
    for _ in range(2):
        assert load_knowledge_base().sha256 == kb.sha256
    assert path.read_bytes() == b"damaged, so that a write would show"  # not rewritten
    assert [p.name for p in cache_dir.iterdir()] == [path.name]  # no temp file either
    err = capsys.readouterr().err
    assert (
        err == f"{WARNING}{spoiled} {problem}; it must belong to you and be writable only by you\n"
    )


def rewrite_payload(path: Path, edit: Callable[[dict[str, Any], dict[str, Any]], None]) -> None:
    """Edit a cache file's records and condition trees in place (``edit(compact, trees)``) and
    recompute its (unkeyed) checksum, as anyone who can write the file could."""
    _, _, payload = path.read_bytes().split(b"\n", 2)
    key, compact, trees, digests, knowledge_sha256 = marshal.loads(payload)
    edit(compact, trees)
    path.write_bytes(cache.framed(marshal.dumps((key, compact, trees, digests, knowledge_sha256))))


def tamper_points(path: Path, rule_id: str, points: int) -> None:
    def edit(compact: dict[str, Any], _: dict[str, Any]) -> None:
        rules = compact["rule"]
        (n,) = [i for i, (record, _) in enumerate(rules) if record[1] == rule_id]
        record, file = rules[n]
        slot = 1 + Rule._fields.index("points")
        rules[n] = ([*record[:slot], points, *record[slot + 1 :]], file)

    rewrite_payload(path, edit)


def bm_score(kb: KnowledgeBase) -> int:
    profile = build_profile({"disease": "OP", "age": 70, "donor": "autologous"}, kb, "test")
    return next(c.score for c in score(kb, profile).ranked["source"] if c.id == "BM-cells")


def test_the_cache_key_follows_the_stamps_of_the_code_that_compiles_knowledge(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Code changed under the same version (an editable install) keys another cache."""
    code = tmp_path / "kb"
    code.mkdir()
    (code / "cache.py").write_text("x = 1\n")
    (code / "notes.txt").write_text("not code\n")
    monkeypatch.setattr(cache, "__file__", str(code / "cache.py"))
    sources = knowledge.list_sources(knowledge.shipped_rules_dir())
    key = cache.cache_key(sources)
    assert cache.cache_key(sources) == key
    (code / "notes.txt").write_text("still not code\n")
    assert cache.cache_key(sources) == key
    (code / "cache.py").write_text("x = 22\n")
    changed = cache.cache_key(sources)
    assert changed != key
    (code / "new.py").write_text("")
    assert cache.cache_key(sources) not in (key, changed)


def test_a_cache_that_other_code_wrote_is_not_used(
    cache_dir: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch, hashes: list[str]
) -> None:
    """Not its records, nor the knowledge hash it keeps, which other code may compute
    otherwise: the hash is computed again."""
    load_knowledge_base()
    assert hashes == ["hash"]
    load_knowledge_base()
    assert hashes == ["hash"]  # a hit
    monkeypatch.setattr(cache, "_code_stamps", lambda: "other code")
    assert load_knowledge_base().sha256 == kb.sha256
    assert hashes == ["hash", "hash"]
    assert len(list(cache_dir.glob("kb-*.bin"))) == 2


def test_a_cache_edited_by_its_owner_is_not_what_rules_check_reports(
    cache_dir: Path, kb: KnowledgeBase, cli: Callable[..., CliResult]
) -> None:
    """The cache is trusted as the installed program is: what its owner writes in it (its
    checksum recomputed) is scored, hash and all. `rules check` reads the rule files, never the
    cache, and prints the hash they give, which is how a result is checked (see the README)."""
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")
    tamper_points(path, "T4-BM-A2-OSTEOGENIC", 999)
    edited = load_knowledge_base()
    assert bm_score(edited) == bm_score(kb) + 998  # the edited cache was used
    assert bm_score(load_knowledge_base(use_cache=False)) == bm_score(kb)  # not the files
    checked = cli("rules", "check", "-f", "json")
    assert checked.code == 0 and checked.json()["knowledge_base"]["sha256"] == kb.sha256
    assert cli("cache", "clear").code == 0
    assert bm_score(load_knowledge_base()) == bm_score(kb)


def test_the_cached_knowledge_hash_is_that_of_the_records_the_cache_gives(
    cache_dir: Path, kb: KnowledgeBase
) -> None:
    """The hash a cache keeps is the one its records and condition trees give when hashed again,
    the same as without the cache: the cache neither loses nor changes what the hash covers."""
    load_knowledge_base()
    hit = cache.load(shipped_key())
    assert hit is not None
    loaded = load_knowledge_base()
    assert knowledge.content_hash(hit.compact, loaded.rules) == hit.sha256 == kb.sha256
    assert loaded.sha256 == load_knowledge_base(use_cache=False).sha256


def test_rules_check_never_reads_the_cache(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, cli: Callable[..., CliResult]
) -> None:
    def refuse(*_: object) -> None:
        raise AssertionError("rules check read the compiled cache")

    load_knowledge_base()
    monkeypatch.setattr(cache, "load", refuse)
    assert cli("rules", "check").code == 0


def test_hash_is_the_same_with_and_without_the_cache(cache_dir: Path) -> None:
    built = load_knowledge_base()
    cached = load_knowledge_base()
    assert cached.sha256 == built.sha256 == load_knowledge_base(use_cache=False).sha256


@pytest.mark.parametrize(
    "replace",
    [
        pytest.param(os.mkfifo, id="fifo"),
        pytest.param(lambda p: p.symlink_to("/dev/zero"), id="link-to-dev-zero"),
        pytest.param(lambda p: p.mkdir(), id="folder"),
    ],
)
def test_cache_file_that_is_not_a_regular_file_is_never_opened(
    cache_dir: Path, kb: KnowledgeBase, replace: Callable[[Path], None]
) -> None:
    """A FIFO would block the open, /dev/zero would never end: neither is opened, and the next
    write replaces what can be replaced."""
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")
    path.unlink()
    replace(path)
    assert cache.load(shipped_key()) is None
    assert load_knowledge_base().sha256 == kb.sha256
    if not path.is_dir():
        assert stat.S_ISREG(path.lstat().st_mode)
        assert cache.load(shipped_key()) is not None


def test_link_to_a_valid_cache_file_is_not_followed(cache_dir: Path, tmp_path: Path) -> None:
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")
    elsewhere = tmp_path / "elsewhere.bin"
    path.rename(elsewhere)
    path.symlink_to(elsewhere)
    assert cache.load(shipped_key()) is None


def test_oversized_cache_file_is_not_read(cache_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    load_knowledge_base()
    monkeypatch.setattr(cache, "MAX_BYTES", 1000)
    assert cache.load(shipped_key()) is None


def test_cache_info_shows_every_entry_without_failing(
    cache_dir: Path, cli: Callable[..., CliResult]
) -> None:
    load_knowledge_base()
    (cache_dir / "kb-dangling.bin").symlink_to(cache_dir / "gone")
    (cache_dir / ".kb-left0by9kill").write_bytes(b"half a cache")
    info = cli("cache", "info")
    assert info.code == 0, info.err
    assert "files: 3" in info.out
    assert "kb-dangling.bin  0 bytes  (a symbolic link: never opened, removed by" in info.out
    assert ".kb-left0by9kill  12 bytes  (an unfinished write: removed by `cache clear`)" in info.out
    doc = cli("cache", "info", "-f", "json").json()
    schemas.validate("cache-info", doc)
    names = [f["name"] for f in doc["files"]]
    # By name: the cache's own file sorts anywhere beside the dangling link (its name is a hash).
    assert names == sorted(names) and names[0] == ".kb-left0by9kill" and "kb-dangling.bin" in names
    assert cli("cache", "clear").out.startswith("removed 3 file(s)")
    assert list(cache_dir.iterdir()) == []


def test_cache_info_says_why_a_file_is_not_used_and_what_clear_leaves(
    cache_dir: Path, cli: Callable[..., CliResult]
) -> None:
    load_knowledge_base()
    (good,) = cache_dir.iterdir()
    blob = good.read_bytes()
    (cache_dir / "kb-short.bin").write_bytes(blob[:100])
    (cache_dir / "kb-flipped.bin").write_bytes(blob[:5000] + b"X" + blob[5001:])
    (cache_dir / "kb-text.bin").write_bytes(b"abcd")
    (cache_dir / "kb-folder.bin").mkdir()
    info = cli("cache", "info").out
    assert f"  {good.name}  {len(blob)} bytes\n" in info
    assert "kb-short.bin  100 bytes  (not used: damaged: its checksum fails)" in info
    assert f"kb-flipped.bin  {len(blob)} bytes  (not used: damaged: its checksum fails)" in info
    assert "kb-text.bin  4 bytes  (not used: not a cache file)" in info
    assert "kb-folder.bin  0 bytes  (a folder: never opened, and left alone by `cache clear`)" in (
        info
    )
    assert cli("cache", "clear").out.startswith("removed 4 file(s)")
    assert [p.name for p in cache_dir.iterdir()] == ["kb-folder.bin"]


def test_cache_info_says_a_cache_folder_that_is_a_file_is_not_used(
    tmp_path: Path, cli: Callable[..., CliResult], monkeypatch: pytest.MonkeyPatch
) -> None:
    a_file = tmp_path / "cohort.csv"
    a_file.write_text("disease\nPOF\n", encoding="utf-8")
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(a_file))
    assert "state: not used: it is a file, not a folder\n" in cli("cache", "info").out
    assert cli("cache", "info", "-f", "json").json()["enabled"] is False
    assert cli("recommend", "-d", "POF").code == 0
    assert a_file.read_text("utf-8") == "disease\nPOF\n"


def test_cache_info_says_why_an_untrusted_folder_is_not_used(
    cache_dir: Path, cli: Callable[..., CliResult]
) -> None:
    load_knowledge_base()
    others_writable(cache_dir)
    assert "state: not used: the folder is writable by group or others" in cli("cache", "info").out
    assert cli("cache", "info", "-f", "json").json()["enabled"] is False


def test_stale_temp_files_are_pruned_and_fresh_ones_kept(cache_dir: Path, rules_copy: Path) -> None:
    """A write killed with -9 leaves its temp file; a fresh one may be a write in progress."""
    cache_dir.mkdir()
    stale, fresh = cache_dir / ".kb-stale", cache_dir / ".kb-fresh"
    for path in (stale, fresh):
        path.write_bytes(b"partial")
    old = time.time() - cache.STALE_TEMP_SECONDS - 60
    os.utime(stale, (old, old))
    load_knowledge_base(base=rules_copy)
    assert not stale.exists() and fresh.exists()


def test_dangling_cache_file_does_not_stop_pruning(
    cache_dir: Path, monkeypatch: pytest.MonkeyPatch, rules_copy: Path
) -> None:
    monkeypatch.setattr(cache, "KEEP", 2)
    cache_dir.mkdir()
    (cache_dir / "kb-dangling.bin").symlink_to(cache_dir / "gone")
    for n in range(3):
        stale = cache_dir / f"kb-stale{n}.bin"
        stale.write_bytes(b"old")
        os.utime(stale, (1000 + n, 1000 + n))
    load_knowledge_base(base=rules_copy)
    assert len(list(cache_dir.iterdir())) == 2


@pytest.mark.subprocess
def test_one_warning_per_run_even_with_worker_processes(tmp_path: Path) -> None:
    folder = tmp_path / "cache"
    folder.mkdir()
    folder.chmod(0o777)
    rows = tmp_path / "in.jsonl"
    rows.write_text('{"disease": "OP"}\n' * 3, encoding="utf-8")
    env = {**os.environ, "MSCADVISOR_CACHE_DIR": str(folder)}
    env.pop(cache.WARNED, None)
    proc = subprocess.run(
        [sys.executable, "-m", "mscadvisor", "batch", str(rows), "--jobs", "2"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr.count("mscadvisor: warning:") == 1 and proc.stderr.startswith(WARNING)
    assert len(proc.stdout.splitlines()) == 3
    assert list(folder.iterdir()) == []


def test_test_cases_and_errata_are_decoded_from_the_cache_only_when_read(
    cache_dir: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    load_knowledge_base()
    # The fixture's own, when it came from the cache too, are decoded now, not counted below.
    assert len(kb.cases) > 0 and len(kb.errata) > 0
    decoded: list[str] = []
    decode = cache.decode

    def counted(kind: str, items: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
        decoded.append(kind)
        return decode(kind, items)

    monkeypatch.setattr(cache, "decode", counted)
    hit = load_knowledge_base()
    assert isinstance(hit.cases, Deferred) and isinstance(hit.errata, Deferred)
    assert answer(hit) == answer(kb)
    assert decoded == []  # a recommendation never reads them
    assert dict(hit.cases) == dict(kb.cases) and dict(hit.errata) == dict(kb.errata)
    assert len(hit.cases) == len(kb.cases)
    assert decoded == ["case", "erratum"]  # each once, when first read
    assert hit.files == kb.files  # the files of the records not decoded yet too


def test_equal_records_are_written_once_and_loaded_as_one(
    cache_dir: Path, kb: KnowledgeBase
) -> None:
    fresh = load_knowledge_base()
    hit = load_knowledge_base()
    citations = [c for rule in hit.rules.values() for c in rule.rule.citations]
    assert len({id(c) for c in citations}) == len(set(citations)) < len(citations)
    trees = [tree for rule in hit.rules.values() for tree in (rule.applies_to, rule.when)]
    assert len({id(t) for t in trees}) == len(set(trees)) < len(trees)
    assert answer(hit) == answer(fresh) == answer(kb)
    assert hit.sha256 == fresh.sha256 == kb.sha256


def test_the_knowledge_hash_is_computed_once_when_an_output_reports_it(
    kb: KnowledgeBase, hashes: list[str]
) -> None:
    """Without the cache."""
    fresh = load_knowledge_base(use_cache=False)
    result = score(fresh, build_profile({"disease": "POF"}, fresh, "test"), 3)
    print_answer(console(quiet=True), result, 3, True)  # the answer at a glance
    assert hashes == []
    assert result.to_dict()["knowledge_base"]["sha256"] == kb.sha256  # JSON reports it
    assert fresh.sha256 == kb.sha256
    assert hashes == ["hash"]  # once, and kept
    copy = pickle.loads(pickle.dumps(result))  # a copy carries the hash, not the knowledge
    assert copy == result
    assert type(result.knowledge_base) is dict and type(copy.knowledge_base) is dict


def test_the_knowledge_hash_is_computed_when_the_cache_is_written_and_never_on_a_hit(
    cache_dir: Path, kb: KnowledgeBase, hashes: list[str]
) -> None:
    assert load_knowledge_base().sha256 == kb.sha256
    assert hashes == ["hash"]  # the cache was written with it
    hit = load_knowledge_base()
    result = score(hit, build_profile({"disease": "POF"}, hit, "test"), 3)
    assert result.to_dict()["knowledge_base"]["sha256"] == kb.sha256
    assert hashes == ["hash"]


OVERRIDE = SHADOW.replace(
    'id = "T4-BM-D1-DONOR-AGE"', 'id = "LAB-DONOR-AGE"\noverrides = "T4-BM-D1-DONOR-AGE"'
)


def test_an_override_renames_rules_in_test_cases_read_from_the_cache(
    cache_dir: Path, tmp_path: Path
) -> None:
    pack = new_pack(tmp_path / "lab")
    (pack / "rules.toml").write_text(OVERRIDE, encoding="utf-8")
    fresh = load_knowledge_base([pack], use_cache=False)
    named = {e.fires or e.not_fires for c in fresh.cases.values() for e in c.expect}
    assert "LAB-DONOR-AGE" in named and "T4-BM-D1-DONOR-AGE" not in named  # cases renamed
    load_knowledge_base([pack])
    hit = load_knowledge_base([pack])
    assert dict(hit.cases) == dict(fresh.cases)


def test_a_test_case_edited_into_garbage_in_the_cache_is_reported_when_read(
    cache_dir: Path, cli: Callable[..., CliResult]
) -> None:
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")

    def edit(compact: dict[str, Any], _: dict[str, Any]) -> None:
        record, file = compact["case"][0]
        compact["case"][0] = (["NoSuchRecord", *record[1:]], file)

    rewrite_payload(path, edit)
    assert cli("recommend", "-d", "POF", "-f", "json").code == 0  # never reads the cases
    tested = cli("rules", "test")
    assert tested.code == 3
    assert tested.err.startswith("mscadvisor: error: invalid knowledge base: compiled knowledge")
    assert "[[case]] records cannot be read" in tested.err and "cache clear" in tested.err


def test_a_knowledge_base_from_the_cache_pickles_before_and_after_its_deferred_records_are_read(
    cache_dir: Path, kb: KnowledgeBase
) -> None:
    load_knowledge_base()
    hit = load_knowledge_base()
    before = pickle.loads(pickle.dumps(hit))
    assert dict(before.cases) == dict(kb.cases)
    assert len(hit.errata) == len(kb.errata)
    after = pickle.loads(pickle.dumps(hit))
    assert dict(after.errata) == dict(kb.errata) and after.sha256 == kb.sha256


@pytest.mark.parametrize(
    "tree",
    [
        ("bogus", 5),
        ["Compare", "profile.no_such_field", "eq", 1],
        ["Compare", "profile.age", "no_such_op", 1],
        ["Compare", "profile.age", "ge", {"a": 1}],
        ["Not", "profile.age"],
        ["All", ["Compare", "profile.age", "ge", 60]],  # children must be a tuple
        ["NoSuchNode", ()],
    ],
)
def test_a_condition_tree_that_no_parse_makes_leaves_the_cache_unused(
    cache_dir: Path, kb: KnowledgeBase, tree: Any
) -> None:
    """Edited by hand past its checksum: the cache is not used (and is rebuilt), never an
    internal error when a profile is scored."""
    load_knowledge_base()
    (path,) = cache_dir.glob("kb-*.bin")

    def edit(_: dict[str, Any], trees: dict[str, Any]) -> None:
        trees["T4-BM-D1-DONOR-AGE"] = (trees["T4-BM-D1-DONOR-AGE"][0], tree)

    rewrite_payload(path, edit)
    assert cache.load(shipped_key()) is None
    reloaded = load_knowledge_base()
    assert reloaded.sha256 == kb.sha256 and answer(reloaded) == answer(kb)
    assert cache.load(shipped_key()) is not None  # rebuilt
