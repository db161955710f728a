"""How to regenerate a result: the command line (and, for a recommendation, the Python call)
that gives the same document again, and the sha256 of the knowledge it was scored on.

The command is built from what was scored, not from what was typed: the profile as flags
(defaults left out, the disease by its id), every rule pack as ``--rules`` (those of
$MSCADVISOR_RULES too: run it with that variable unset) and ``--require-kb`` with the full
knowledge sha256, so that it refuses to run on other knowledge instead of giving another answer.
Relative paths are relative to the folder the result was made in.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from mscadvisor.engine import defaults
from mscadvisor.kb.fingerprint import knowledge_sha256
from mscadvisor.kb.opening import KnowledgeSource
from mscadvisor.kb.vocabulary import PROFILE_FIELDS

if TYPE_CHECKING:
    from mscadvisor.engine.profile import Profile
    from mscadvisor.kb.knowledge import KnowledgeBase


@dataclass(frozen=True, slots=True)
class Reproduction:
    """What a result was made from, as a later run needs it."""

    knowledge: KnowledgeSource
    knowledge_sha256: str
    profile: tuple[tuple[str, Any], ...]  # the profile's fields that differ from the default
    regimens: int
    source: str | None  # the source routes were asked to be judged for (None: the top one)

    @classmethod
    def of(
        cls, kb: KnowledgeBase, profile: Profile, regimens: int, source: str | None
    ) -> Reproduction:
        values = profile.to_dict()
        fields = tuple(
            (spec.name, values[spec.name])
            for spec in PROFILE_FIELDS
            if values.get(spec.name) not in (None, spec.default, [], ()) or spec.name == "disease"
        )
        return cls(KnowledgeSource.of(kb), knowledge_sha256(kb), fields, regimens, source)

    def command(self, name: str, *options: str) -> str:
        """The shell command of ``mscadvisor NAME`` with the profile, ``options`` and
        ``--format json``."""
        words = ["mscadvisor", "--require-kb", self.knowledge_sha256]
        for pack in self.knowledge.packs:
            words += ["--rules", str(pack)]
        if self.knowledge.weights is not None:
            words += ["--weights", str(self.knowledge.weights)]
        words.append(name)
        words += self.profile_flags()
        words += options
        return shlex.join([*words, "--format", "json"])

    def profile_flags(self) -> list[str]:
        specs = {spec.name: spec for spec in PROFILE_FIELDS}
        flags: list[str] = []
        for name, value in self.profile:
            flag = specs[name].flag
            if isinstance(value, bool):
                flags.append(flag)
            elif isinstance(value, list | tuple):
                flags += [word for item in value for word in (flag, str(item))]
            else:
                flags += [flag, str(value)]
        return flags

    def scoring_options(self) -> list[str]:
        """--source and --regimens where they are not the default."""
        options = [] if self.source is None else ["--source", self.source]
        if self.regimens != defaults.REGIMENS:
            options += ["--regimens", str(self.regimens)]
        return options

    def python_call(self) -> str:
        """The Python API call that returns the same recommendation."""
        packs = [str(p) for p in self.knowledge.packs]
        weights = None if self.knowledge.weights is None else str(self.knowledge.weights)
        opened = ", ".join(
            ([f"packs={packs!r}"] if packs else [])
            + ([f"weights={weights!r}"] if weights is not None else [])
        )
        arguments = [repr(dict(self.profile)), f"mscadvisor.load_knowledge_base({opened})"]
        if self.regimens != defaults.REGIMENS:
            arguments.append(f"regimens={self.regimens}")
        if self.source is not None:
            arguments.append(f"source={self.source!r}")
        return f"mscadvisor.recommend({', '.join(arguments)})"

    def document(self, command: str, python: str | None = None) -> dict[str, Any]:
        return {"command": command, "python": python, "knowledge_sha256": self.knowledge_sha256}

    def recommendation(self) -> dict[str, Any]:
        """The ``reproduce`` field of a recommendation."""
        return self.document(self.command("recommend", *self.scoring_options()), self.python_call())

    def what_if(self, changes: Sequence[str]) -> dict[str, Any]:
        """The ``reproduce`` field of a what-if comparison."""
        options = [word for change in changes for word in ("--what-if", change)]
        return self.document(self.command("recommend", *self.scoring_options(), *options))

    def explanation(self, candidate: str, sensitivity: bool) -> dict[str, Any]:
        """The ``reproduce`` field of an explanation (explain scores with the default number
        of regimens, so only --source is repeated)."""
        options = ["--candidate", candidate]
        options += [] if self.source is None else ["--source", self.source]
        return self.document(
            self.command("explain", *options, *(["--sensitivity"] if sensitivity else []))
        )
