"""Write a refresh's record updates as a rule pack: ``pack.toml`` and ``trials.toml`` holding one
``[[trial_update]]`` per trial whose record the registry changes, with its provenance. The
shipped knowledge base is never edited; ``mscadvisor --rules PACK ...`` applies the pack.

The pack folder appears whole or not at all: it is written in a fresh folder beside it, then
renamed into place; an existing folder is never overwritten.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from mscadvisor.engine.refresh import Refresh
from mscadvisor.errors import InputError, MscAdvisorError

UPDATES_FILE = "trials.toml"


def pack_files(result: Refresh, name: str) -> dict[str, str]:
    """File name -> text of the pack for a refresh."""
    sources = ", ".join(sorted({t.study.source for t in result.trials if t.update}))
    manifest = _table(
        {
            "name": name,
            "version": result.as_of,
            "description": "Trial records refreshed from ClinicalTrials.gov exports"
            + (f" ({sources})" if sources else ""),
        }
    )
    header = (
        f"# Written by mscadvisor trials-refresh on {result.as_of}. Outcome and results are\n"
        "# never set automatically: add them here only after reading the posted results.\n"
    )
    records = [
        "[[trial_update]]\n"
        + _table(
            {
                "trial": t.trial.id,
                **t.update,
                "source": t.study.source,
                "last_update_posted": t.study.last_update_posted,
                "imported": result.as_of,
            }
        )
        for t in result.trials
        if t.update
    ]
    return {"pack.toml": manifest, UPDATES_FILE: header + "\n" + "\n".join(records)}


def _table(values: dict[str, Any]) -> str:
    # JSON strings and integers are valid TOML values.
    return "".join(
        f"{key} = {json.dumps(value, ensure_ascii=False)}\n" for key, value in values.items()
    )


def write_pack(folder: Path, files: dict[str, str]) -> None:
    """Create the pack folder with these files: InputError when it exists (another name is
    needed), MscAdvisorError (exit 1, as for any output) when it cannot be written."""
    if folder.exists() or folder.is_symlink():
        raise InputError(f"{folder}: already exists; give --pack a new folder name")
    parent = folder.parent
    try:
        temporary = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=parent))
    except OSError as exc:
        raise MscAdvisorError(f"{folder}: cannot create the pack: {exc.strerror or exc}") from None
    try:
        for name, text in files.items():
            (temporary / name).write_text(text, encoding="utf-8")
        temporary.chmod(0o755 & ~_umask())
        os.rename(temporary, folder)
    except OSError as exc:
        shutil.rmtree(temporary, ignore_errors=True)
        raise MscAdvisorError(f"{folder}: cannot write the pack: {exc.strerror or exc}") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
