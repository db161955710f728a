"""Rule pack folders for tests: every pack starts with its manifest, pack.toml."""

from __future__ import annotations

from pathlib import Path

MANIFEST = 'name = "test-pack"\nversion = "1.0"\n'


def new_pack(folder: Path, manifest: str = MANIFEST) -> Path:
    """An empty rule pack: the folder (made if needed) with its pack.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(manifest, encoding="utf-8")
    return folder
