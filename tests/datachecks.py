"""Checks of the files that follow from the rules (generated docs, golden results), written once
for any rules tree: the repository's, and a scratch copy with a rule added (test_new_rule.py).

Golden results compare everything but the knowledge base's sha256, which changes with every edit
of the knowledge and is checked where it matters (tests of the hash itself).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mscadvisor.api import make_profile, recommend
from mscadvisor.cli.docs import generated_docs
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.render.output import json_text

REPO = Path(__file__).resolve().parents[1]
GOLDEN_POF = REPO / "tests" / "golden" / "recommend_POF.json"
KB_SHA256_PLACEHOLDER = "(the sha256 of the knowledge base: not compared)"


def mask_knowledge_hash(text: str, sha256: str) -> str:
    """A result's JSON text with the knowledge base's sha256 replaced by a placeholder, where
    the knowledge base records it and where its reproduce field repeats it."""
    field = f'"sha256": "{sha256}"'
    assert text.count(field) == 1, f"expected the knowledge base's sha256 {sha256} once"
    return text.replace(sha256, KB_SHA256_PLACEHOLDER)


def stale_docs(docs: Path, base: Path | None = None) -> list[str]:
    """The generated documents in docs that differ from what the rules tree base generates."""
    return [
        name
        for name, text in generated_docs(base).items()
        if not (docs / name).is_file() or (docs / name).read_text("utf-8") != text
    ]


def recommend_json(kb: KnowledgeBase, **profile: Any) -> str:
    """What `mscadvisor recommend --format json` prints for this profile, on any knowledge base."""
    return json_text(recommend(make_profile(kb, **profile), kb).to_dict())
