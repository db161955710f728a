"""The fingerprint of a knowledge state, and pinning a run to one.

A result depends on the rules tree, the rule packs on top and the weights applied. The base
tree and packs are hashed together as ``KnowledgeBase.sha256`` (their content, not their
layout); the weights are hashed with it, so that one sha256 names everything a score depends
on. Without weights it is ``KnowledgeBase.sha256`` itself.
"""

from __future__ import annotations

import json

from mscadvisor.errors import InputError, KnowledgeMismatchError, quoted
from mscadvisor.kb.digest import HEX_DIGITS, sha256
from mscadvisor.kb.knowledge import KnowledgeBase

REQUIRE_ENV = "MSCADVISOR_REQUIRE_KB"
MIN_PREFIX = 8  # hex digits: short enough to type, long enough not to match by chance


def knowledge_sha256(kb: KnowledgeBase) -> str:
    """sha256 of the knowledge state: rules and packs (``kb.sha256``), with the weights."""
    if not kb.weights:
        return kb.sha256
    weights = json.dumps(kb.weights, sort_keys=True, separators=(",", ":"))
    return sha256(f"{kb.sha256}\n{weights}".encode()).hexdigest()


def parse_prefix(text: str, origin: str) -> str:
    """A required sha256 prefix as given by ``origin`` (an option or variable): 8 to 64 hex
    digits, in either case."""
    prefix = text.strip().lower()
    if not MIN_PREFIX <= len(prefix) <= 64 or not set(prefix) <= HEX_DIGITS:
        raise InputError(
            f"{origin} {quoted(text)}: expected {MIN_PREFIX} to 64 hex digits of a knowledge "
            "sha256 (as a result's reproduce.knowledge_sha256 gives it)"
        )
    return prefix


def require(kb: KnowledgeBase, prefix: str, origin: str) -> None:
    """Refuse a knowledge state whose sha256 does not start with ``prefix``."""
    actual = knowledge_sha256(kb)
    if actual.startswith(prefix):
        return
    packs = ", ".join(p.path for p in kb.packs) or "none"
    weights = "yes" if kb.weights else "none"
    raise KnowledgeMismatchError(
        f"{origin} {prefix}: the knowledge state is {actual[:16]}..., not the one required "
        f"(shipped rules {kb.info.version}, packs: {packs}, weights: {weights}); "
        "use the rules, packs and weights the result was made with"
    )
