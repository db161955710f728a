"""What a rules folder is on disk: a rule pack, or a complete rules tree, with a ``pack.toml``
manifest at its root that names it, holding its rule files (``*.toml``) in a bounded tree.

A folder is listed only when it says it is a pack (a folder without ``pack.toml``, such as
``/usr`` or a shared temporary folder, is refused at once, before anything under it is read),
and only within MAX_DEPTH levels of folders, MAX_ENTRIES files and folders and MAX_BYTES bytes
of rule files. What cannot be used is refused, never skipped in silence: a symbolic link to a
folder, a rule file whose suffix is not a lowercase ``.toml``. Names starting with a dot
(``.git``, editor backups) are not part of a pack and are ignored.

A pack given by its user (``--rules``, ``--base``) must also be trusted like the compiled cache:
each folder and rule file owned by the current user or root and writable by no one else, so
another user cannot change the rules a recommendation comes from. The shipped tree is part of
the installed program and is trusted as its code is.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.reading import kind_of
from mscadvisor.record import Record

MANIFEST = "pack.toml"
MAX_DEPTH = 8  # levels of folders below the root; the shipped tree uses 1
MAX_ENTRIES = 2000  # files and folders, of any kind; the shipped tree has about 40
MAX_BYTES = 32 * 1024 * 1024  # of rule files together; the shipped tree has about 200 KB


# A file's size, modification and change times (ns) and inode and device, as listed: on POSIX
# systems whatever rewrites, replaces or renames a file changes its stamp, so the compiled cache
# is keyed by it (see cache.py for what may not).
Stamp = tuple[int, int, int, int, int]


def stamp(info: os.stat_result) -> Stamp:
    return (info.st_size, info.st_mtime_ns, info.st_ctime_ns, info.st_ino, info.st_dev)


class PackFiles(Record):
    """A pack's manifest and its rule files, sorted by relative POSIX path, and the stamps of
    the manifest and then of each rule file (``None`` for a file that could not be looked at:
    reading it will say why)."""

    manifest: str
    rule_files: tuple[str, ...]
    stamps: tuple[Stamp | None, ...]


def list_pack(root: Path, *, trusted: bool = False) -> PackFiles:
    """The manifest and rule files of the pack at root; KnowledgeBaseError says why not.

    ``trusted`` (the shipped tree) skips the ownership and permission checks.
    """
    manifest = _joined(str(root), MANIFEST)
    # By status, not Path.is_dir() and is_file(): those answer False, from Python 3.14 on, for a
    # folder that may not be searched, which is not a missing pack.
    try:
        root_info = os.stat(root)
        if not stat.S_ISDIR(root_info.st_mode):
            raise KnowledgeBaseError([f"{root}: not a folder"])
        try:
            manifest_info: os.stat_result | None = os.stat(manifest)
        except FileNotFoundError:
            manifest_info = None
    except (FileNotFoundError, NotADirectoryError):
        raise KnowledgeBaseError([f"{root}: rules folder does not exist"]) from None
    except OSError as exc:  # a folder that may not be searched, say
        raise KnowledgeBaseError([f"{root}: cannot open folder: {exc.strerror}"]) from None
    if manifest_info is None:
        raise KnowledgeBaseError(
            [
                f"not a rule pack: {root} has no {MANIFEST}; see README (Rule packs) for the "
                'manifest a pack starts with: name = "..." and version = "..."'
            ]
        )
    if not stat.S_ISREG(manifest_info.st_mode):
        raise KnowledgeBaseError(
            [f"{manifest}: is {kind_of(manifest_info.st_mode)}, not a file (the pack's manifest)"]
        )
    walk = _Walk(root, trusted)
    walk.check_trust(root, root_info)
    walk.check_trust(manifest, manifest_info)
    walk.folder(str(root), "", depth=0)
    if walk.problems:
        raise KnowledgeBaseError(walk.problems)
    files = sorted(walk.files)
    return PackFiles(
        manifest,
        tuple(path for _, path, _ in files),
        (stamp(manifest_info), *(file_stamp for _, _, file_stamp in files)),
    )


def _joined(folder: str, name: str) -> str:
    """A path in a folder, as ``Path(folder) / name`` writes it (without a leading "./"), as a
    string: making Path objects for every file was half of listing a pack."""
    return name if folder == "." else os.path.join(folder, name)


class _Walk:
    """One pass over a pack's tree, counting what the bounds limit and collecting problems."""

    def __init__(self, root: Path, trusted: bool) -> None:
        self.root = root
        self.trusted = trusted
        # Each rule file with its path relative to root, in POSIX form, and its stamp.
        self.files: list[tuple[str, str, Stamp | None]] = []
        self.problems: list[str] = []
        self.entries = 0
        self.bytes = 0

    def folder(self, folder: str, relative: str, depth: int) -> None:
        """Walk a folder; ``relative``: its path under root, in POSIX form ending in a slash
        (or "" for root itself), which is cheaper to keep than to compute from each path."""
        try:
            with os.scandir(folder) as listing:
                entries = sorted(listing, key=lambda e: e.name)
        except OSError as exc:
            raise KnowledgeBaseError([f"{folder}: cannot list folder: {exc.strerror}"]) from None
        for entry in entries:
            if entry.name.startswith("."):
                continue
            self.entries += 1
            if self.entries > MAX_ENTRIES:
                raise self.over(f"more than {MAX_ENTRIES} files and folders")
            self.entry(entry, _joined(folder, entry.name), relative + entry.name, depth)

    def entry(self, entry: os.DirEntry[str], path: str, relative: str, depth: int) -> None:
        if entry.is_dir(follow_symlinks=False):
            if depth + 1 > MAX_DEPTH:
                raise self.over(f"folders nested more than {MAX_DEPTH} levels deep ({path})")
            self.check_trust(path, entry.stat(follow_symlinks=False))
            self.folder(path, relative + "/", depth + 1)
        elif entry.is_symlink() and entry.is_dir():
            self.problems.append(
                f"{path}: a symbolic link to a folder; a pack's folders must be its own "
                "(copy the folder in instead)"
            )
        elif entry.name.endswith(".toml"):
            if depth == 0 and entry.name == MANIFEST:
                return
            self.rule_file(entry, path, relative)
        elif entry.name.lower().endswith(".toml"):
            stem = entry.name[: -len(".toml")]
            self.problems.append(
                f"{path}: a rule file's name ends in .toml, in lower case; rename it {stem}.toml"
            )

    def rule_file(self, entry: os.DirEntry[str], path: str, relative: str) -> None:
        try:
            info = entry.stat()  # following a symbolic link, as reading the file will
        except OSError:
            info = None  # reading it says what is wrong (a dangling link, no permission)
        # Only regular files are counted and checked: reading refuses everything else
        # (a FIFO, a link to /dev/zero) with its own message.
        if info is not None and stat.S_ISREG(info.st_mode):
            self.check_trust(path, info)
            self.bytes += info.st_size
            if self.bytes > MAX_BYTES:
                raise self.over(f"more than {MAX_BYTES} bytes of rule files")
        self.files.append((relative, path, None if info is None else stamp(info)))

    def check_trust(self, path: str | Path, info: os.stat_result) -> None:
        if self.trusted or not hasattr(os, "getuid"):
            return
        if info.st_uid not in (os.getuid(), 0):
            self.problems.append(
                f"{path}: owned by another user (uid {info.st_uid}); a pack's files must be "
                "owned by you or root"
            )
        elif info.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
            self.problems.append(
                f"{path}: writable by other users; make it yours alone: chmod go-w '{path}'"
            )

    def over(self, what: str) -> KnowledgeBaseError:
        return KnowledgeBaseError(
            [
                f"{self.root}: {what}; a rule pack is bounded (README, Rule packs): is it the "
                "right folder?"
            ]
        )
