"""Bad states of the compiled knowledge cache: special files named like a cache file, a folder or
file others can write, debris of killed writes. None may block, fail or change a run: the cache
is bypassed (with one warning when it is not the user's alone) and the answer stays the same."""

from __future__ import annotations

import os
from pathlib import Path

from mscadvisor.kb import cache
from mscadvisor.kb.loader import list_sources, shipped_rules_dir
from tests.cli.bad_inputs import BadInput, Setup

CACHE = "c"  # the cache folder, inside the case's folder
RUN = f"MSCADVISOR_CACHE_DIR={{tmp}}/{CACHE} {{m}}"
RECOMMEND = f"{RUN} recommend -d OP -f json"
TWICE = f"{RECOMMEND} >/dev/null && {RECOMMEND}"  # the first run must not break the next
ANSWER = '"disease": "OP"'


def cache_file_name() -> str:
    """The name the shipped knowledge's cache file has for this interpreter and version."""
    return cache.cache_path(cache.cache_key(list_sources(shipped_rules_dir()))).name


def in_cache(make: str) -> Setup:
    """A cache folder (mode 0700) holding, under the cache file's name, what ``make`` says."""

    def setup(folder: Path) -> None:
        root = folder / CACHE
        root.mkdir(mode=0o700)
        path = root / cache_file_name()
        if make == "fifo":
            os.mkfifo(path)
        elif make == "dev-zero":
            path.symlink_to("/dev/zero")
        elif make == "dangling":
            path.symlink_to(root / "gone")
        elif make == "folder":
            path.mkdir()
        elif make == "temp":
            (root / ".kb-killed9x").write_bytes(b"half a cache file")
        elif make == "group-writable-file":
            path.write_bytes(b"mscadvisor-kb\n")
            path.chmod(0o660)
        elif make == "open-folder":
            root.chmod(0o777)

    return setup


CASES: list[BadInput] = [
    BadInput("cache-file-fifo", TWICE, 0, "", in_cache("fifo"), stdout_fragment=ANSWER),
    BadInput(
        "cache-file-link-to-dev-zero",
        TWICE,
        0,
        "",
        in_cache("dev-zero"),
        stdout_fragment=ANSWER,
    ),
    BadInput("cache-file-is-a-folder", TWICE, 0, "", in_cache("folder"), stdout_fragment=ANSWER),
    BadInput(
        "cache-folder-writable-by-others",
        RECOMMEND,
        0,
        f"/{CACHE} is writable by group or others; it must belong to you",
        in_cache("open-folder"),
        stdout_fragment=ANSWER,
    ),
    BadInput(
        "cache-file-writable-by-group",
        RECOMMEND,
        0,
        ".bin is writable by group or others; it must belong to you and be writable only by you",
        in_cache("group-writable-file"),
        stdout_fragment=ANSWER,
    ),
    BadInput(
        "cache-info-dangling-link",
        f"{RUN} cache info",
        0,
        "",
        in_cache("dangling"),
        stdout_fragment="(a symbolic link: never opened, removed by `cache clear`)",
    ),
    BadInput(
        "cache-info-shows-killed-write",
        f"{RUN} cache info",
        0,
        "",
        in_cache("temp"),
        stdout_fragment=".kb-killed9x  17 bytes  (an unfinished write: removed by `cache clear`)",
    ),
    BadInput(
        "cache-clear-removes-killed-write",
        f"{RUN} cache clear",
        0,
        "",
        in_cache("temp"),
        stdout_fragment="removed 1 file(s)",
    ),
]
