"""The compiled cache through any sequence of builds, damage, races, pruning and clearing: loading
gives either nothing or exactly the records a fresh build gives, and a run never fails."""

from __future__ import annotations

import os
import shutil
import stat
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from mscadvisor.kb import cache, knowledge
from mscadvisor.kb.validation import validate_records

SOURCES = knowledge.list_sources(knowledge.shipped_rules_dir())
KEY = cache.cache_key(SOURCES)
FRESH_TYPED = validate_records(knowledge.parse_sources(knowledge.read_sources(SOURCES)))
FRESH_COMPACT = knowledge.compact_records(FRESH_TYPED)
FRESH_KB = knowledge.build_knowledge_base(FRESH_TYPED)
CLEAN_HASH = FRESH_KB.sha256
FRESH_TREES = knowledge.compact_trees(FRESH_KB.rules)
TREE = knowledge.load_knowledge_base(use_cache=False).tree
assert TREE is not None
DIGESTS = (TREE.sha256,)  # the shipped tree's, the one root
VALID_FILE = cache.encode(KEY, FRESH_COMPACT, FRESH_TREES, DIGESTS, CLEAN_HASH)
KEEP = 3  # small, so that pruning happens within a few steps
AS_ROOT = os.geteuid() == 0


def other_key(n: int) -> str:
    return f"{n:064x}"


class CacheStates(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.root = Path(tempfile.mkdtemp(prefix="cache-states-"))
        self.folder = self.root / "cache"
        self.saved = {
            name: os.environ.get(name)
            for name in ("MSCADVISOR_CACHE_DIR", "MSCADVISOR_NO_CACHE", cache.WARNED)
        }
        os.environ["MSCADVISOR_CACHE_DIR"] = str(self.folder)
        os.environ.pop("MSCADVISOR_NO_CACHE", None)
        self.saved_keep, cache.KEEP = cache.KEEP, KEEP

    def teardown(self) -> None:
        cache.KEEP = self.saved_keep
        for name, value in self.saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        if self.folder.is_dir() and not self.folder.is_symlink():
            self.folder.chmod(0o700)
        shutil.rmtree(self.root)

    @property
    def path(self) -> Path:
        return cache.cache_path(KEY)

    def _remove_path(self) -> None:
        if self.path.is_dir() and not self.path.is_symlink():
            shutil.rmtree(self.path)
        else:
            self.path.unlink(missing_ok=True)

    def _has_regular_file(self) -> bool:
        return self.path.is_file() and not self.path.is_symlink()

    @rule()
    def build(self) -> None:
        cache.store(KEY, FRESH_COMPACT, FRESH_TREES, DIGESTS, CLEAN_HASH)

    @rule()
    def run(self) -> None:
        kb = knowledge.load_knowledge_base()
        assert kb.sha256 == CLEAN_HASH

    @rule(n=st.integers(0, 200_000))
    @precondition(lambda self: self._has_regular_file())
    def truncate(self, n: int) -> None:
        data = self.path.read_bytes()
        self.path.write_bytes(data[: n % (len(data) + 1)])

    @rule(at=st.integers(0, 200_000), mask=st.integers(1, 255))
    @precondition(lambda self: self._has_regular_file() and self.path.stat().st_size > 0)
    def flip(self, at: int, mask: int) -> None:
        data = bytearray(self.path.read_bytes())
        data[at % len(data)] ^= mask
        self.path.write_bytes(bytes(data))

    @rule(kind=st.sampled_from(["fifo", "dev-zero", "dangling", "valid-elsewhere", "folder"]))
    @precondition(lambda self: self.folder.is_dir())
    def replace_by(self, kind: str) -> None:
        """What a FIFO, a symbolic link or a folder named like the cache file does to runs."""
        self._remove_path()
        if kind == "fifo":
            os.mkfifo(self.path)
        elif kind == "dev-zero":
            self.path.symlink_to("/dev/zero")
        elif kind == "dangling":
            self.path.symlink_to(self.root / "gone")
        elif kind == "valid-elsewhere":  # a correct cache file, but reached through a link
            elsewhere = self.root / "elsewhere.bin"
            elsewhere.write_bytes(VALID_FILE)
            self.path.symlink_to(elsewhere)
        else:
            self.path.mkdir()
            (self.path / "inside").write_bytes(b"x")

    @rule(
        which=st.sampled_from(["folder", "file"]),
        bits=st.sampled_from([stat.S_IWGRP, stat.S_IWOTH, 0]),
        other_owner=st.booleans(),
    )
    def spoil_ownership(self, which: str, bits: int, other_owner: bool) -> None:
        """Mode bits (and, as root, the owner) of a cache only someone else could have made."""
        path = self.folder if which == "folder" else self.path
        if not path.exists() or path.is_symlink():
            return
        path.chmod(stat.S_IMODE(path.stat().st_mode) | bits)
        if other_owner and AS_ROOT:
            os.chown(path, 54321, -1)

    @rule()
    def make_private_again(self) -> None:
        for path in (self.folder, self.path):
            if path.exists() and not path.is_symlink():
                os.chown(path, os.getuid(), -1)
                path.chmod(stat.S_IMODE(path.stat().st_mode) & ~0o022)

    @rule()
    def race(self) -> None:
        """Two runs storing the same cache at once."""
        writers = [
            threading.Thread(
                target=cache.store, args=(KEY, FRESH_COMPACT, FRESH_TREES, DIGESTS, CLEAN_HASH)
            )
            for _ in "ab"
        ]
        for writer in writers:
            writer.start()
        for writer in writers:
            writer.join()

    @rule(age=st.sampled_from([0, cache.STALE_TEMP_SECONDS * 2]))
    @precondition(lambda self: self.folder.is_dir())
    def killed_write(self, age: int) -> None:
        """The temp file a write killed with -9 leaves behind."""
        debris = Path(tempfile.mkstemp(prefix=cache.TEMP_PREFIX, dir=self.folder)[1])
        debris.write_bytes(b"half")
        then = time.time() - age
        os.utime(debris, (then, then))

    @rule(count=st.integers(1, KEEP + 2))
    def fill_beyond_keep(self, count: int) -> None:
        for n in range(count):
            cache.store(other_key(n), {"knowledge_base": []}, {}, (), CLEAN_HASH)
        if cache.folder_problem() is None and self.folder.is_dir():
            regular = [p for p in cache.entries() if p.name.startswith("kb-") and p.is_file()]
            assert len(regular) <= KEEP

    @rule()
    def clear(self) -> None:
        cache.clear()
        assert all(p.is_dir() and not p.is_symlink() for p in cache.entries())

    @invariant()
    def loads_exactly_the_fresh_records_or_nothing(self) -> None:
        hit: Any = cache.load(KEY)
        if hit is not None:
            assert hit.compact == FRESH_COMPACT and hit.digests == DIGESTS
            assert hit.sha256 == CLEAN_HASH
            # The kinds no scoring reads are left compact, to be decoded when read.
            kinds = cache.DEFERRED_KINDS
            assert hit.typed == {k: v for k, v in FRESH_TYPED.items() if k not in kinds}
            assert {kind: decode() for kind, decode in hit.deferred.items()} == {
                kind: FRESH_TYPED[kind] for kind in kinds
            }
            assert hit.trees == {i: (r.applies_to, r.when) for i, r in FRESH_KB.rules.items()}

    @invariant()
    def cache_info_never_fails(self) -> None:
        for path in cache.entries():
            cache.describe(path)


TestCacheStates = CacheStates.TestCase
TestCacheStates.settings = settings(max_examples=25, stateful_step_count=10, deadline=None)
