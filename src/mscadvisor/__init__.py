"""mscadvisor: evidence-explained recommendations of MSC and MSC-exosome sources, routes and
preconditioning for aging-related diseases. Research decision support, not medical advice.

Public API (imported on first use, so ``import mscadvisor`` stays cheap)::

    from mscadvisor import load_knowledge_base, make_profile, recommend, recommend_many
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"
__all__ = [
    "KnowledgeBase",
    "Profile",
    "Recommendation",
    "__version__",
    "load_knowledge_base",
    "make_profile",
    "recommend",
    "recommend_many",
]

if TYPE_CHECKING:
    from mscadvisor.api import load_knowledge_base, make_profile, recommend, recommend_many
    from mscadvisor.engine.profile import Profile
    from mscadvisor.engine.result import Recommendation
    from mscadvisor.kb.knowledge import KnowledgeBase

_LAZY = {
    "load_knowledge_base": "mscadvisor.api",
    "make_profile": "mscadvisor.api",
    "recommend": "mscadvisor.api",
    "recommend_many": "mscadvisor.api",
    "KnowledgeBase": "mscadvisor.kb.knowledge",
    "Profile": "mscadvisor.engine.profile",
    "Recommendation": "mscadvisor.engine.result",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'mscadvisor' has no attribute {name!r}")
