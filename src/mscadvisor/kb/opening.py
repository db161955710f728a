"""The one way to open a knowledge base: the shipped rules (or another base tree), rule packs on
top, and a weights file applied last. The CLI, the Python API and batch workers all use it."""

from __future__ import annotations

import os
import weakref
from pathlib import Path
from typing import TYPE_CHECKING

from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.record import Record

if TYPE_CHECKING:  # imported when opened: the CLI reads its options before it needs rules
    from mscadvisor.kb.knowledge import KnowledgeBase

RULES_ENV = "MSCADVISOR_RULES"
# Where each knowledge base opened here came from, so a result can say how to open it again.
_OPENED_FROM: weakref.WeakKeyDictionary[KnowledgeBase, KnowledgeSource] = (
    weakref.WeakKeyDictionary()
)


class KnowledgeSource(Record):
    """Where a knowledge base comes from. Plain paths, so it can be sent to worker processes."""

    packs: tuple[Path, ...] = ()
    weights: Path | None = None
    base: Path | None = None  # a complete rules tree instead of the shipped one

    @classmethod
    def from_environment(
        cls, packs: tuple[Path, ...] = (), weights: Path | None = None
    ) -> KnowledgeSource:
        """Packs named in $MSCADVISOR_RULES (a path list) first, then the given ones."""
        return cls((*_packs_from_environment(), *packs), weights)

    def with_packs(self, *packs: Path) -> KnowledgeSource:
        return KnowledgeSource((*self.packs, *packs), self.weights, self.base)

    def with_base(self, base: Path | None) -> KnowledgeSource:
        """The same packs and weights on another complete rules tree (None: keep this one)."""
        return self if base is None else KnowledgeSource(self.packs, self.weights, base)

    def open(self) -> KnowledgeBase:
        try:
            kb = self._load()
        except KnowledgeBaseError as exc:
            raise KnowledgeBaseError(_naming_the_variable(exc.problems)) from None
        _OPENED_FROM[kb] = self
        return kb

    def _load(self) -> KnowledgeBase:
        from mscadvisor.kb.knowledge import load_knowledge_base

        kb = load_knowledge_base(self.packs, base=self.base)
        if self.weights is None:
            return kb
        from mscadvisor.kb.weights import apply_weights, read_weights

        return apply_weights(kb, read_weights(self.weights, kb))

    @classmethod
    def of(cls, kb: KnowledgeBase) -> KnowledgeSource:
        """The source a knowledge base was opened from; for one built another way, its packs
        (its weights, if any, then have no file to name)."""
        return _OPENED_FROM.get(kb) or cls(tuple(Path(p.path) for p in kb.packs))


def _naming_the_variable(problems: list[str]) -> list[str]:
    """Problems with a pack that $MSCADVISOR_RULES names say so: the user may not know it is
    set, and no option on the command line names that folder."""
    named = [str(pack) for pack in _packs_from_environment()]
    return [
        f"{problem} (a pack named by ${RULES_ENV})"
        if any(problem.startswith((f"{pack}:", f"{pack}{os.sep}")) for pack in named)
        else problem
        for problem in problems
    ]


def _packs_from_environment() -> list[Path]:
    """The packs $MSCADVISOR_RULES names (a path list)."""
    return [Path(p) for p in os.environ.get(RULES_ENV, "").split(os.pathsep) if p]
