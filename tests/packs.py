"""Rule pack folders for tests: every pack starts with its manifest, pack.toml."""

from __future__ import annotations

from pathlib import Path

MANIFEST = 'name = "test-pack"\nversion = "1.0"\n'


def new_pack(folder: Path, manifest: str = MANIFEST) -> Path:
    """An empty rule pack: the folder (made if needed) with its pack.toml."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pack.toml").write_text(manifest, encoding="utf-8")
    return folder


# A pack rule in the place of a shipped one: the bone-marrow donor-age rule, from 50, not 60.
SHADOW = """
[[rule]]
id = "T4-BM-D1-DONOR-AGE"
group = "lab"
category = "source"
summary = "Own bone marrow from 50"
rationale = "A lab that sees decline earlier."
applies_to = { field = "candidate.tissue", op = "eq", value = "BM" }
when = { all = [{ field = "profile.donor", op = "eq", value = "autologous" },
                { field = "profile.age", op = "ge", value = 50 }] }
points = -3
level = "expert-synthesis"
citations = [{ table = 4, item = "BM-D1" }]
"""
