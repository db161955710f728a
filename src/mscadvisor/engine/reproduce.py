"""How to regenerate a result: the command line (and, for a recommendation, the Python call)
that gives the same document again, and the sha256 of the knowledge it was scored on.

The command is built from what was scored, not from what was typed: the profile as flags
(defaults left out, the disease by its id), every rule pack as ``--rules`` (those of
$MSCADVISOR_RULES too: run it with that variable unset) and ``--require-kb`` with the full
knowledge sha256, so that it refuses to run on other knowledge instead of giving another answer.
Relative paths are relative to the folder the result was made in.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from mscadvisor.engine import defaults
from mscadvisor.engine.profile import SCALARS_WRITTEN_ALIKE, written_alike
from mscadvisor.kb.fingerprint import knowledge_sha256
from mscadvisor.kb.opening import KnowledgeSource
from mscadvisor.kb.vocabulary import PROFILE_FIELD_BY_NAME, PROFILE_FIELDS
from mscadvisor.record import Record

if TYPE_CHECKING:
    from mscadvisor.engine.profile import Profile
    from mscadvisor.kb.knowledge import KnowledgeBase


Texts = list[tuple[str, str]]  # the profile given, as flags and as Python (see Reproduction.texts)
_DEFAULTS = {spec.name: spec.default for spec in PROFILE_FIELDS}
_FORMAT_JSON = "--format json"  # as shell_words writes it: nothing to quote
# The characters of a word that shlex.quote leaves as it is ([\w@%+=:,./-] in ASCII; the empty
# word is quoted). Most words here are such, so shlex (about 0.2 ms to import) is imported only
# for a word that needs quoting.
_SHELL_SAFE = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_@%+=:,./-")


def shell_word(word: str) -> str:
    """``shlex.quote(word)``."""
    if word and _SHELL_SAFE.issuperset(word):
        return word
    import shlex

    return shlex.quote(word)


def shell_words(words: Iterable[str]) -> str:
    """``shlex.join(words)``."""
    return " ".join(map(shell_word, words))


class Reproduction(Record):
    """What a result was made from, as a later run needs it. Made with every result, used
    only when one is written as JSON: what it says is worked out then."""

    kb: KnowledgeBase
    scored: Profile
    regimens: int
    source: str | None  # the source routes were asked to be judged for (None: the top one)

    @property
    def knowledge(self) -> KnowledgeSource:
        return KnowledgeSource.of(self.kb)

    @property
    def knowledge_sha256(self) -> str:
        return _knowledge_sha256(self.kb)

    def texts(self) -> Texts:
        """The profile's fields that differ from the default, and the disease, in the order of
        the vocabulary, each as command-line flags (quoted) and as an item of a Python dict."""
        texts = []
        for name, value in vars(self.scored).items():
            if name == "disease" or (value != _DEFAULTS[name] and value not in (None, ())):
                # A value written alike to all its equals is made once (the first test is
                # the common case, at once): a batch gives the same few values again and again.
                alike = type(value) in SCALARS_WRITTEN_ALIKE or written_alike(value)
                texts.append(_kept_texts(name, value) if alike else _field_texts(name, value))
        return texts

    def command(self, name: str, *options: str, texts: Texts | None = None) -> str:
        """The shell command of ``mscadvisor NAME`` with the profile, ``options`` and
        ``--format json``."""
        flags = [flag for flag, _ in (self.texts() if texts is None else texts)]
        command, _ = _knowledge_words(self.kb, self.knowledge)
        words = [shell_word(name), *flags, *map(shell_word, options), _FORMAT_JSON]
        return " ".join([command, *words])

    def scoring_options(self) -> list[str]:
        """--source and --regimens where they are not the default."""
        options = [] if self.source is None else ["--source", self.source]
        if self.regimens != defaults.REGIMENS:
            options += ["--regimens", str(self.regimens)]
        return options

    def python_call(self, texts: Texts | None = None) -> str:
        """The Python API call that returns the same recommendation."""
        _, opened = _knowledge_words(self.kb, self.knowledge)
        fields = ", ".join([item for _, item in (self.texts() if texts is None else texts)])
        arguments = [f"{{{fields}}}", f"mscadvisor.load_knowledge_base({opened})"]
        if self.regimens != defaults.REGIMENS:
            arguments.append(f"regimens={self.regimens}")
        if self.source is not None:
            arguments.append(f"source={self.source!r}")
        return f"mscadvisor.recommend({', '.join(arguments)})"

    def document(self, command: str, python: str | None = None) -> dict[str, Any]:
        return {"command": command, "python": python, "knowledge_sha256": self.knowledge_sha256}

    def recommendation(self) -> dict[str, Any]:
        """The ``reproduce`` field of a recommendation."""
        texts = self.texts()
        return self.document(
            self.command("recommend", *self.scoring_options(), texts=texts),
            self.python_call(texts),
        )

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


# Alike for every result of a knowledge base (opened from one source), so made once: a batch
# writes one reproduce field per row.


@lru_cache(maxsize=8)
def _knowledge_sha256(kb: KnowledgeBase) -> str:
    return knowledge_sha256(kb)


@lru_cache(maxsize=8)
def _knowledge_words(kb: KnowledgeBase, knowledge: KnowledgeSource) -> tuple[str, str]:
    """The knowledge's part of a command (``mscadvisor --require-kb ...``, quoted) and the
    arguments of a Python call's ``load_knowledge_base``."""
    words = ["mscadvisor", "--require-kb", _knowledge_sha256(kb)]
    for pack in knowledge.packs:
        words += ["--rules", str(pack)]
    if knowledge.weights is not None:
        words += ["--weights", str(knowledge.weights)]
    packs = [str(p) for p in knowledge.packs]
    weights = None if knowledge.weights is None else str(knowledge.weights)
    opened = ", ".join(
        ([f"packs={packs!r}"] if packs else [])
        + ([f"weights={weights!r}"] if weights is not None else [])
    )
    return shell_words(words), opened


def _field_texts(name: str, value: Any) -> tuple[str, str]:
    """A profile field's value as command-line flags (quoted) and as an item of the profile
    dict of a Python call."""
    flag = PROFILE_FIELD_BY_NAME[name].flag
    items = value if isinstance(value, tuple) else (value,)
    words = [word for item in items for word in (flag, str(item))]
    shown = list(value) if isinstance(value, tuple) else value
    return flag if isinstance(value, bool) else shell_words(words), f"{name!r}: {shown!r}"


_kept_texts = lru_cache(maxsize=4096, typed=True)(_field_texts)  # typed: True is not 1
