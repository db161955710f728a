"""The compiled knowledge cache: validated records as plain data, so loading skips TOML parsing
and pydantic validation.

It also keeps every rule's conditions as the trees they parse to, which would otherwise be
parsed again on every run. Records of the kinds no scoring reads (``DEFERRED_KINDS``) are left
undecoded by ``load``; ``decode`` makes them when a command reads them.

A cache file is keyed by every source file's path and stamp (``packs.Stamp``: size, modification
and change times, inode and device), the program version, the Python version, the layout of the
record types and the stamps of this folder's modules (so code changed under the same version
never reads a cache that older code wrote, records or knowledge hash). So a valid cache is found
without reading a rule file: on POSIX systems whatever writes, replaces or renames a file
changes its stamp, for the change time follows the system clock alone, even when a tool sets the
modification time back. (A program writing through a memory map may leave the times as they were
until it syncs; ``cache clear`` or MSCADVISOR_NO_CACHE then.) File times tick coarsely, and a
file changed twice within one tick keeps one stamp; so a cache is written only when every file
last changed at least SETTLE_NS before it was listed (the problem git calls "racily clean"
files). Beside the records, the cache keeps each root's sha256 (a ``PackInfo``'s), made from the
files' bytes when they were compiled, and the knowledge hash (``knowledge.content_hash``) of the
records it stores, computed when it is written: computing it again on every run would cost a
tenth of this package's share of a recommendation's start-up.

A cache file is written atomically, and it is ignored (and replaced by the next write) when it
is missing, corrupt, truncated, from another version, over MAX_BYTES, or not a regular file: a
symbolic link, a FIFO or a folder in the cache folder is never followed or opened (a folder is
not replaced either). A folder that cannot be written just means no cache. The payload is
``marshal`` data (plain values only, which cannot execute code on load) behind a CRC-32
checksum, which catches damage but not tampering: no checksum could, as whoever can write the
file can recompute it.

So the cache is per-user state, trusted the way ssh trusts ``~/.ssh`` (StrictModes) and git a
repository (safe.directory): only when the folder and the file belong to the current user and
neither is writable by group or others. Otherwise it is bypassed, neither read nor written, with
one warning per run. Its owner can still edit it, as they can edit the installed program, and
then what it says of the knowledge (its hash included) is what they wrote; `rules check` reads
the rule files, never the cache, and prints the hash they give.
"""

from __future__ import annotations

import contextlib
import functools
import marshal
import os
import stat
import sys
import time
import zlib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from mscadvisor import __version__
from mscadvisor.environment import env_flag
from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.kb.compact import RECORD_LAYOUT, from_compact, from_compact_items, shared
from mscadvisor.kb.conditions import well_formed
from mscadvisor.kb.digest import HEX_DIGITS, sha256
from mscadvisor.kb.loader import SourceFile
from mscadvisor.kb.packs import stamp
from mscadvisor.kb.records import MANIFEST_KIND
from mscadvisor.kb.vocabulary import FIELDS
from mscadvisor.reading import Unreadable, kind_of, read_file
from mscadvisor.record import Record

FORMAT = 8
KEEP = 16  # cache files kept; older ones (other packs, older versions) are removed on write
MAX_BYTES = 64 * 1024 * 1024  # the shipped knowledge compiles to about 120 KB
MAGIC = b"mscadvisor-kb"
TEMP_PREFIX = ".kb-"  # a file being written; one that stays was left by a killed write
STALE_TEMP_SECONDS = 600  # no write takes this long, so an older temp file is debris
# Set in the environment once warned, so the worker processes a run starts afterwards keep quiet.
WARNED = "_MSCADVISOR_CACHE_WARNED"
Typed = dict[str, list[tuple[Any, str]]]
Compact = dict[str, list[tuple[Any, str]]]  # records as ``compact.to_compact`` data, by kind
Trees = dict[str, tuple[Any, Any]]  # a rule's (applies_to, when) condition trees, by rule id
Digests = tuple[str, ...]  # the sha256 of each root's knowledge files, as PackInfo gives it
Decoders = dict[str, Callable[[], list[tuple[Any, str]]]]  # what makes a deferred kind's records
# How long a file must have been left alone before its stamp may key a cache: file times tick
# coarsely (milliseconds, or seconds on some file systems), so a file changed again within the
# same tick keeps its stamp; a cache is not written while a file is that fresh.
SETTLE_NS = 2_000_000_000
# Rule test cases and errata: over a third of the records, read by no recommendation.
DEFERRED_KINDS = ("case", "erratum")
# What decoding a payload that passed its checksum but was edited by hand can raise.
DAMAGE = (ValueError, EOFError, TypeError, KeyError, IndexError, AttributeError, RecursionError)


def cache_dir() -> Path:
    """MSCADVISOR_CACHE_DIR, else $XDG_CACHE_HOME/mscadvisor, else ~/.cache/mscadvisor."""
    explicit = os.environ.get("MSCADVISOR_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "mscadvisor"


def enabled() -> bool:
    return not env_flag("MSCADVISOR_NO_CACHE")


def cache_key(sources: Sequence[SourceFile]) -> str:
    """The key of the cache of these files as listed: their paths and stamps, with the program
    and Python versions, the record layout and the stamps of the code that compiles them."""
    stamps = "\0".join(f"{source.shown}\0{source.stamp}" for source in sources)
    text = f"{FORMAT}\0{__version__}\0{sys.version}\0{RECORD_LAYOUT}\0{_code_stamps()}\0{stamps}"
    return sha256(text.encode("utf-8", "surrogateescape")).hexdigest()


def _code_stamps() -> str:
    """The stamps of the modules of this folder, which validate, compile and hash knowledge:
    what the cache holds depends on them, and a program changed under the same version (an
    editable install, a reinstall) must not read a cache that older code wrote."""
    try:
        with os.scandir(os.path.dirname(__file__)) as entries:
            modules = [(e.name, stamp(e.stat())) for e in entries if e.name.endswith(".py")]
    except OSError:
        return "?"  # a folder its own modules were imported from, but unlisted: the version keys
    return repr(sorted(modules))


def settled(sources: Sequence[SourceFile], listed_ns: int) -> bool:
    """Whether every file was last changed at least SETTLE_NS before ``listed_ns`` (when the
    listing began), so that no later change can have left its stamp as listed. Its change
    time says when: every change sets it, while the modification time can be set to any
    time, even the future."""
    changes = [s.stamp[2] for s in sources if s.stamp is not None]  # None: not looked at
    return len(changes) == len(sources) and max(changes, default=0) <= listed_ns - SETTLE_NS


def cache_path(key: str) -> Path:
    return cache_dir() / f"kb-{key[:32]}.bin"


def distrust(info: os.stat_result) -> str | None:
    """Why a cache folder or file with this status cannot be trusted, or None when it can: it
    must belong to the current user and be writable by nobody else."""
    if info.st_uid != os.getuid():
        return f"belongs to another user (uid {info.st_uid})"
    if info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        return "is writable by group or others"
    return None


def _trusted(path: Path, info: os.stat_result) -> bool:
    """Whether the cache may use this folder or file; warns (once per run) when it may not."""
    problem = distrust(info)
    if problem is None:
        return True
    if not os.environ.get(WARNED):
        os.environ[WARNED] = "1"
        _warn(
            f"not using the compiled knowledge cache: {path} {problem}; it must belong to you "
            "and be writable only by you"
        )
    return False


def _warn(message: str) -> None:
    """One line on stderr (never stdout, which may carry JSON); a closed stderr is no error."""
    try:
        if sys.stderr is not None:
            sys.stderr.write(f"mscadvisor: warning: {message}\n")
            sys.stderr.flush()
    except (OSError, ValueError):
        return


def _existing(path: Path, *, follow: bool = False) -> os.stat_result | None:
    """The status of path, or None if there is none. A cache file's own status is wanted (a
    symbolic link is not followed); the folder may be a link to a folder elsewhere, which is
    judged by that folder."""
    try:
        return os.stat(path, follow_symlinks=follow)
    except OSError:
        return None


class Hit(Record):
    """What a valid cache gives: its records by kind (but those of ``DEFERRED_KINDS``), all
    their compact forms, the rules' condition trees, the sha256 of each root's files, the
    knowledge hash of the records, and a decoder of each deferred kind's records."""

    typed: Typed
    compact: Compact
    trees: Trees
    digests: Digests
    sha256: str
    deferred: Decoders


def load(key: str) -> Hit | None:
    """The cache for this key, or None when there is no usable cache."""
    folder = cache_dir()
    path = cache_path(key)
    folder_info = _existing(folder, follow=True)
    if folder_info is None or not stat.S_ISDIR(folder_info.st_mode):  # `cache info` says why
        return None
    if not _trusted(folder, folder_info):
        return None
    info = _existing(path)
    if info is None or not stat.S_ISREG(info.st_mode) or not _trusted(path, info):
        return None
    try:
        payload = marshal.loads(_checked_payload(path))
        stored_key, compact, compact_trees, digests, knowledge_sha256 = payload
        if (
            stored_key != key
            or not _one_digest_a_root(digests, compact)
            or not _is_sha256(knowledge_sha256)
        ):
            return None
        made: dict[int, Any] = {}  # records recur (see compact.py): each is made once
        typed: Typed = {
            kind: from_compact_items(items, made)
            for kind, items in compact.items()
            if kind not in DEFERRED_KINDS
        }
        trees: Trees = {
            rule: (from_compact(applies_to, made), from_compact(when, made))
            for rule, (applies_to, when) in compact_trees.items()
        }
        if not all(well_formed(tree, FIELDS) for pair in trees.values() for tree in pair):
            return None
    except (Unreadable, *DAMAGE):
        return None
    deferred: Decoders = {
        kind: functools.partial(decode, kind, compact[kind])
        for kind in DEFERRED_KINDS
        if kind in compact
    }
    return Hit(typed, compact, trees, digests, knowledge_sha256, deferred)


def _one_digest_a_root(digests: object, compact: Compact) -> bool:
    """Whether the cached digests are sha256 hex digests, one for each root (each has one
    manifest)."""
    return (
        type(digests) is tuple
        and len(digests) == len(compact.get(MANIFEST_KIND, ()))
        and all(_is_sha256(d) for d in digests)
    )


def _is_sha256(digest: object) -> bool:
    """Whether this is a sha256 hex digest, as ``hexdigest()`` writes one."""
    return type(digest) is str and len(digest) == 64 and set(digest) <= HEX_DIGITS


def _checked_payload(path: Path) -> bytes:
    """The payload of a cache file whose header and checksum hold; a ValueError (Unreadable
    for a file that cannot be read) says why there is none."""
    parts = read_file(path, MAX_BYTES).split(b"\n", 2)
    if len(parts) != 3 or parts[0] != MAGIC:
        raise ValueError("not a cache file")
    if parts[1] != checksum(parts[2]):
        raise ValueError("damaged: its checksum fails")
    return parts[2]


def checksum(payload: bytes) -> bytes:
    """What catches a damaged payload (CRC-32 is made for that); nothing here can catch
    tampering, which is why nobody but the user may write the cache."""
    return b"%08x" % zlib.crc32(payload)


def decode(kind: str, items: list[tuple[Any, str]]) -> list[tuple[Any, str]]:
    """Records of a deferred kind, from what ``load`` gave of them. The checksum passed, so a
    failure here means a cache edited by hand: KnowledgeBaseError says so."""
    try:
        return from_compact_items(items, {})
    except DAMAGE as exc:
        raise damaged(f"its [[{kind}]] records cannot be read", exc) from None


def damaged(what: str, exc: BaseException) -> KnowledgeBaseError:
    return KnowledgeBaseError(
        [
            f"compiled knowledge cache in {cache_dir()}: {what} ({type(exc).__name__}); "
            "remove it with `mscadvisor cache clear`"
        ]
    )


def store(
    key: str, compact: Compact, trees: Trees, digests: Digests, knowledge_sha256: str
) -> None:
    """Write the cache atomically, in a folder made private to the user (mode 0700) if it is
    new; an untrusted or unwritable folder, or an untrusted file in the way, means no cache.
    ``trees``: the rules' condition trees, each as ``compact.to_compact`` data;
    ``knowledge_sha256``: the records' knowledge hash."""
    blob = encode(key, compact, trees, digests, knowledge_sha256)
    if len(blob) > MAX_BYTES:
        return
    folder = cache_dir()
    path = cache_path(key)
    try:
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if not _trusted(folder, os.stat(folder)):
            return
        info = _existing(path)
        if info is not None and stat.S_ISREG(info.st_mode) and not _trusted(path, info):
            return
        import tempfile

        fd, tmp = tempfile.mkstemp(prefix=TEMP_PREFIX, dir=folder)  # mode 0600
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(tmp, path)  # replaces a symbolic link or FIFO, never writes through it
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(keep=path)
    except OSError:
        return


def encode(
    key: str, compact: Compact, trees: Trees, digests: Digests, knowledge_sha256: str
) -> bytes:
    """A cache file's bytes, as ``store`` writes them: equal records written once."""
    seen: dict[str, Any] = {}
    compact = {kind: [(shared(r, seen), f) for r, f in items] for kind, items in compact.items()}
    trees = {rule: (shared(a, seen), shared(w, seen)) for rule, (a, w) in trees.items()}
    return framed(marshal.dumps((key, compact, trees, digests, knowledge_sha256)))


def framed(payload: bytes) -> bytes:
    """A cache file's bytes around its payload, as ``load`` reads them."""
    return b"\n".join((MAGIC, checksum(payload), payload))


def _prune(keep: Path) -> None:
    """Remove all but the KEEP most recently written cache files (never the one just written)
    and the temp files killed writes left. An entry that vanishes or cannot be removed meanwhile
    is skipped, so it cannot stop pruning."""
    now = time.time()
    by_age: list[tuple[float, Path]] = []
    for path in entries():
        info = _existing(path)
        if info is None:
            continue
        if path.name.startswith(TEMP_PREFIX):
            if now - info.st_mtime > STALE_TEMP_SECONDS:
                _remove(path)
        elif path != keep:
            by_age.append((info.st_mtime, path))
    by_age.sort(reverse=True)
    for _, path in by_age[KEEP - 1 :]:
        _remove(path)


def _remove(path: Path) -> None:
    with contextlib.suppress(OSError):  # a folder named like a cache file, or one we may not write
        path.unlink(missing_ok=True)


def entries() -> list[Path]:
    """The cache files and temp files in the cache folder, whatever kind of file each is (none
    where the folder cannot be listed)."""
    try:
        return _listed()
    except OSError:
        return []


def _listed() -> list[Path]:
    """``entries()``; an OSError when the folder exists but cannot be listed."""
    folder = cache_dir()
    try:
        names = os.listdir(folder)
    except (FileNotFoundError, NotADirectoryError):  # no cache: `cache info` says why
        return []
    return [
        folder / name
        for name in sorted(names)
        if name.startswith(TEMP_PREFIX) or (name.startswith("kb-") and name.endswith(".bin"))
    ]


def describe(path: Path) -> tuple[int, str | None]:
    """An entry's size in bytes (0 unless it is a regular file) and why it is not used, or None
    for a cache file the cache may read (whether its key is that of the rules in use, only a
    load can say)."""
    info = _existing(path)
    if info is None:
        return 0, "removed while being listed"
    if stat.S_ISDIR(info.st_mode):  # `cache clear` removes files, never a folder's contents
        return 0, "a folder: never opened, and left alone by `cache clear`"
    if not stat.S_ISREG(info.st_mode):
        what = "a symbolic link" if stat.S_ISLNK(info.st_mode) else kind_of(info.st_mode)
        return 0, f"{what}: never opened, removed by `cache clear`"
    if path.name.startswith(TEMP_PREFIX):
        return info.st_size, "an unfinished write: removed by `cache clear`"
    problem = distrust(info)
    if problem is None:
        try:
            _checked_payload(path)
        except ValueError as exc:
            problem = str(exc)
    return info.st_size, None if problem is None else f"not used: {problem}"


def folder_problem() -> str | None:
    """Why the cache folder cannot be used, or None (a folder not made yet is made private)."""
    folder = cache_dir()
    try:
        info = os.stat(folder)
    except FileNotFoundError:
        return None
    except OSError as exc:  # a file where a folder on the way should be, say
        return f"it cannot be made or looked at: {exc.strerror or exc}"
    if not stat.S_ISDIR(info.st_mode):
        what = "a file" if stat.S_ISREG(info.st_mode) else kind_of(info.st_mode)
        return f"it is {what}, not a folder"
    problem = distrust(info)
    if problem is not None:
        return f"the folder {problem}; it must be yours alone"
    try:
        _listed()
    except OSError as exc:
        return f"the folder cannot be listed: {exc.strerror or exc}"
    return None


def clear() -> tuple[int, list[str]]:
    """Delete every cache file and temp file: how many were removed, and why each of the others
    could not be (a folder named like one is left alone, and is no problem)."""
    try:
        paths = _listed()
    except OSError as exc:
        return 0, [f"{cache_dir()}: cannot list it: {exc.strerror or exc}"]
    removed, problems = 0, []
    for path in paths:
        info = _existing(path)
        if info is None or stat.S_ISDIR(info.st_mode):
            continue
        try:
            path.unlink(missing_ok=True)
        except OSError as exc:
            problems.append(f"{path}: cannot remove it: {exc.strerror or exc}")
        else:
            removed += 1
    return removed, problems
