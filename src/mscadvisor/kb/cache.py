"""The compiled knowledge cache: validated records as plain data, so loading skips TOML parsing
and pydantic validation.

A cache file is keyed by a hash of every source file's path and bytes, the program version, the
Python version and the layout of the record types (so a changed record type never reads a cache
its older layout wrote); it is written atomically and ignored, never trusted, when it is missing,
corrupt, truncated or from another version, or when the folder cannot be written. The payload is
``marshal`` data (plain values only, which cannot execute code on load) behind a sha256 checksum.
"""

from __future__ import annotations

import hashlib
import marshal
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from mscadvisor import __version__
from mscadvisor.environment import env_flag
from mscadvisor.kb.compact import RECORD_LAYOUT, from_compact, to_compact
from mscadvisor.kb.loader import SourceFile

FORMAT = 2
KEEP = 16  # cache files kept; older ones (other packs, older versions) are removed on write
MAGIC = b"mscadvisor-kb"
Typed = dict[str, list[tuple[Any, str]]]


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
    digest = hashlib.sha256(f"{FORMAT}\0{__version__}\0{sys.version}\0{RECORD_LAYOUT}".encode())
    for source in sources:
        digest.update(b"\0" + source.shown.encode() + b"\0")
        digest.update(hashlib.sha256(source.content).digest())
    return digest.hexdigest()


def cache_path(key: str) -> Path:
    return cache_dir() / f"kb-{key[:32]}.bin"


def load(key: str) -> tuple[Typed, str] | None:
    """The cached records and knowledge hash for this key, or None when there is no usable cache."""
    try:
        blob = cache_path(key).read_bytes()
        magic, checksum, payload = blob.split(b"\n", 2)
        if magic != MAGIC or hashlib.sha256(payload).hexdigest().encode() != checksum:
            return None
        stored_key, sha256, compact = marshal.loads(payload)
        if stored_key != key:
            return None
        typed: Typed = {
            kind: [(from_compact(record), file) for record, file in items]
            for kind, items in compact.items()
        }
    except (OSError, ValueError, EOFError, TypeError, KeyError, IndexError):
        return None
    return typed, sha256


def store(key: str, typed: Typed, sha256: str) -> None:
    """Write the cache atomically; a folder that cannot be written just means no cache."""
    compact = {kind: [(to_compact(r), f) for r, f in items] for kind, items in typed.items()}
    payload = marshal.dumps((key, sha256, compact))
    blob = b"\n".join((MAGIC, hashlib.sha256(payload).hexdigest().encode(), payload))
    import tempfile

    folder = cache_dir()
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=".kb-", dir=folder)
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(blob)
            os.replace(tmp, cache_path(key))
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        _prune(keep=cache_path(key))
    except OSError:
        return


def _prune(keep: Path) -> None:
    """Remove all but the KEEP most recently written cache files (never the one just written)."""
    by_age = sorted(entries(), key=lambda p: p.stat().st_mtime, reverse=True)
    for path in by_age[KEEP:]:
        if path != keep:
            path.unlink(missing_ok=True)


def entries() -> list[Path]:
    try:
        return sorted(cache_dir().glob("kb-*.bin"))
    except OSError:
        return []


def clear() -> int:
    """Delete every cache file; return how many were removed."""
    removed = 0
    for path in entries():
        try:
            path.unlink()
            removed += 1
        except OSError:
            continue
    return removed
