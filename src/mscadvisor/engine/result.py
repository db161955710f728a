"""The result of a recommendation: scored candidates with every contribution, exclusions, notices.

These are the values the Python API returns and every renderer draws from; ``to_dict`` gives the
JSON document whose shape ``schemas/recommendation.schema.json`` publishes.
"""

from __future__ import annotations

import json
from functools import lru_cache
from itertools import islice
from json.encoder import encode_basestring  # the C implementation where there is one
from typing import TYPE_CHECKING, Any, ClassVar

from mscadvisor.engine.profile import SCALARS_WRITTEN_ALIKE, written_alike
from mscadvisor.record import Record

if TYPE_CHECKING:
    from mscadvisor.engine.profile import Profile
    from mscadvisor.engine.reproduce import Reproduction
    from mscadvisor.kb.deferred import Once

# The schema_version of every JSON document (recommendation, explain, what-if, batch line,
# listing, rules and cache documents; see schemas/): one version for all, as they share their
# parts. 1.1 added regimens and packs; 2.0 the evidence each candidate was judged on, graded
# certainty, routes judged for one source and the evidence-first ranking; 2.1 one citation shape
# everywhere (every key always present, with its links) and versioned documents for the
# listing, rules and cache commands; 2.2 regimens name the regimens they tie with (tied_with);
# 2.3 the knowledge base's name and each pack's name and version, from their pack.toml, and
# recommendation, explain and what-if documents say how to regenerate them (reproduce); 2.4
# explain documents list the errata on what the candidate was judged on (errata), a rule lists
# the errata that bear on it, and results a table prints that nothing the review cites confirms
# have the role unverified, not pending; 2.5 a study says the disease it treated (treated) where
# its reference says it is not the one the review files it under, and a rule why no record fires
# it yet (dormant), which rules coverage lists apart.
SCHEMA_VERSION = "2.5"
DISCLAIMER_SHORT = "Research decision support, not medical advice."  # where one line is room
DISCLAIMER = (
    "Research decision support, not medical advice: scores summarise one 2025 review's evidence, "
    "mostly preclinical; clinical decisions need a qualified clinician and the primary literature."
)
RANKING_ORDER = (
    "candidates with evidence for the disease first (general traits alone never outrank it)",
    "score, highest first",
    "certainty, strongest first",
    "the strongest design of direct evidence (clinical, then animal, then cell culture)",
    "id, alphabetical",
)
CATEGORY_KEYS = {"source": "sources", "route": "routes", "preconditioning": "preconditioning"}
CATEGORY_TITLES = {
    "source": "Sources (tissue and modality)",
    "route": "Administration routes",
    "preconditioning": "Preconditioning and combination strategies",
}


class CitationView(Record):
    """A citation resolved for output: what it points at, a human label and its links.

    Every JSON document writes citations in this one shape (``$defs/citation`` of
    recommendation.schema.json): every key, null where it does not apply."""

    label: str
    ref: int | None = None
    nct: str | None = None
    table: int | None = None
    section: str | None = None
    item: str | None = None
    doi_url: str | None = None  # a reference's DOI link
    pubmed_url: str | None = None  # a reference's PubMed link, for a PMID that looks real
    trial_url: str | None = None  # a trial's registry page

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": self.ref,
            "nct": self.nct,
            "table": self.table,
            "section": self.section,
            "item": self.item,
            "label": self.label,
            "doi_url": self.doi_url,
            "pubmed_url": self.pubmed_url,
            "trial_url": self.trial_url,
        }


class EvidenceUse(Record):
    """One study or trial as evidence for one candidate: direct when it tested exactly what
    the candidate asks, else indirect, with what differs."""

    record: str
    citation: CitationView
    grade: str  # controlled-clinical, cohort, uncontrolled-clinical, animal, in-vitro
    outcome: str
    role: str  # supports, against, safety only, inconclusive, pending, unverified
    direct: bool
    differs: tuple[str, ...]
    size: int | None = None  # enrollment of a clinical study, where the review gives it
    head_to_head: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "record": self.record,
            "citation": self.citation.to_dict(),
            "grade": self.grade,
            "outcome": self.outcome,
            "role": self.role,
            "direct": self.direct,
            "differs": list(self.differs),
            "size": self.size,
        }


class Contribution(Record):
    rule: str
    points: int
    reason: str
    level: str
    citations: tuple[CitationView, ...]
    records: tuple[str, ...] = ()  # evidence rules: the records counted
    assumption: str | None = None  # a number or link the review does not give, declared

    def cited(self) -> str:
        """Its citations' labels, for people."""
        return "; ".join(c.label for c in self.citations)

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "points": self.points,
            "reason": self.reason,
            "level": self.level,
            "citations": [c.to_dict() for c in self.citations],
            "records": list(self.records),
            "assumption": self.assumption,
        }


class Notice(Record):
    """A warning about the query or the evidence, with where it comes from."""

    code: str
    message: str
    citations: tuple[CitationView, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "citations": [c.to_dict() for c in self.citations],
        }


class ScoredCandidate(Record):
    category: str
    id: str
    label: str
    rank: int
    score: int
    base: int
    certainty: str
    certainty_label: str
    certainty_reasons: tuple[str, ...]
    contributions: tuple[Contribution, ...]
    caveats: tuple[str, ...]
    tied_with: tuple[str, ...]
    tissue: str | None = None
    modality: str | None = None
    evidence: tuple[EvidenceUse, ...] = ()  # every study or trial that tested it, as used
    has_evidence: bool = False  # False: only general traits and synthesis speak for it
    caveat_rules: tuple[str, ...] = ()  # the caveat rules whose summaries head ``caveats``

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"id": self.id, "label": self.label}
        if self.category == "source":
            out["tissue"] = self.tissue
            out["modality"] = self.modality
        out.update(
            rank=self.rank,
            score=self.score,
            base=self.base,
            certainty=self.certainty,
            certainty_label=self.certainty_label,
            certainty_reasons=list(self.certainty_reasons),
            contributions=[c.to_dict() for c in self.contributions],
            caveats=list(self.caveats),
            caveat_rules=list(self.caveat_rules),
            tied_with=list(self.tied_with),
            evidence=[e.to_dict() for e in self.evidence],
            traits_only=not self.has_evidence,
        )
        return out


class Exclusion(Record):
    category: str
    id: str
    label: str
    reason: str
    rule: str
    citations: tuple[CitationView, ...]

    def to_dict(self) -> dict[str, Any]:
        return {
            "category": self.category,
            "id": self.id,
            "label": self.label,
            "reason": self.reason,
            "rule": self.rule,
            "citations": [c.to_dict() for c in self.citations],
        }


class Regimen(Record):
    """A source, route and optional strategy that a record used together. The source is as
    ranked among the sources; the route and strategy are as scored for that source, unranked
    (rank 0, no ties): only the routes and strategies a record used with it are scored."""

    rank: int
    source: ScoredCandidate
    route: ScoredCandidate
    preconditioning: ScoredCandidate | None
    pairing: tuple[Contribution, ...]
    paired_by: tuple[CitationView, ...]
    tied_with: tuple[str, ...] = ()  # every other regimen with its score, proposed or not

    @property
    def id(self) -> str:
        parts = [self.source.id, self.route.id]
        return "+".join(parts + ([self.preconditioning.id] if self.preconditioning else []))

    @property
    def parts(self) -> tuple[ScoredCandidate, ...]:
        return (self.source, self.route) + ((self.preconditioning,) if self.preconditioning else ())

    @property
    def score(self) -> int:
        return sum(p.score for p in self.parts) + sum(c.points for c in self.pairing)

    def sum_text(self) -> str:
        """How the score adds up, for people: 'UC-cells +8 + IV +8 + pairing +2'."""
        terms = [f"{p.id} {p.score:+d}" for p in self.parts]
        return " + ".join(terms + [f"pairing {c.points:+d}" for c in self.pairing])

    def to_dict(self) -> dict[str, Any]:
        return {
            "rank": self.rank,
            "id": self.id,
            "source": self.source.id,
            "route": self.route.id,
            "preconditioning": self.preconditioning.id if self.preconditioning else None,
            "score": self.score,
            "tied_with": list(self.tied_with),
            "parts": [{"category": p.category, "id": p.id, "score": p.score} for p in self.parts],
            "pairing": [c.to_dict() for c in self.pairing],
            "paired_by": [c.to_dict() for c in self.paired_by],
        }


class Recommendation(Record):
    generator_version: str
    _identity: Once[dict[str, Any]]  # see knowledge_base
    disease: str
    disease_name: str
    profile: Profile
    ranked: dict[str, tuple[ScoredCandidate, ...]]  # category -> candidates in rank order
    excluded: tuple[Exclusion, ...]
    warnings: tuple[Notice, ...]
    regimens: tuple[Regimen, ...] = ()
    judged_for: str | None = None  # the source that routes and preconditioning are judged for
    # How to make it again (None: not made by score()); not part of what the result is.
    reproduce: Reproduction | None = None
    _uncompared: ClassVar[frozenset[str]] = frozenset({"reproduce"})

    @property
    def knowledge_base(self) -> dict[str, Any]:
        """``KnowledgeBase.identity()``: name, version, sha256, packs and weights; made when
        first read, so that without the compiled cache the knowledge hash is computed only for
        an output that reports it."""
        return self._identity.get()

    @property
    def weights(self) -> dict[str, float]:
        """The weights the result was scored with (see weights.py)."""
        return self.knowledge_base["weights"]  # type: ignore[no-any-return]

    def to_dict(self) -> dict[str, Any]:
        """The JSON document. The parts results share (candidates, regimens, exclusions,
        notices) are made once and shared by every document that holds them: read it, or
        ``copy.deepcopy`` it before changing anything below its top-level lists."""
        doc = self.to_dict_head()
        for key, items in self._lists():
            doc[key] = list(_encoded(items).doc)
        for key, items in self._items():
            doc[key] = [_encoded(item).doc for item in items]
        return doc

    def to_dict_head(self) -> dict[str, Any]:
        """Everything but the candidate, regimen, exclusion and warning lists."""
        return {**self._shared_head(), **self._own_head()}

    def _shared_head(self) -> dict[str, Any]:
        """The head's keys every result of a knowledge base has alike."""
        return {
            "schema_version": SCHEMA_VERSION,
            "generator": {"name": "mscadvisor", "version": self.generator_version},
            "disclaimer": DISCLAIMER,
            "knowledge_base": {
                **self.knowledge_base,
                "packs": [dict(pack) for pack in self.knowledge_base["packs"]],
            },
        }

    def _own_head(self) -> dict[str, Any]:
        """The head's keys of this result."""
        return {
            "query": {
                "disease": self.disease,
                "disease_name": self.disease_name,
                "profile": self.profile.to_dict(),
            },
            "ranking": _ranking(self.judged_for),
            "reproduce": self.reproduce.recommendation() if self.reproduce else None,
        }

    def _own_head_json(self) -> bytes:
        """``_own_head`` as compact JSON without braces, from texts encoded once where results
        share them (the disease, each profile value, the ranking block): a batch writes one
        head per row. The key order is ``_own_head``'s."""
        reproduce = _flat_json(self.reproduce.recommendation()) if self.reproduce else "null"
        return (
            f'"query":{_query_json(self.disease, self.disease_name)}'
            f'"profile":{_profile_json(self.profile)}}},'
            f'"ranking":{_ranking_json(self.judged_for)},"reproduce":{reproduce}'
        ).encode()

    def _lists(self) -> list[tuple[str, tuple[Any, ...]]]:
        """The lists the engine shares whole between results (its memoized rankings,
        regimens and exclusions)."""
        lists = [(key, self.ranked[category]) for category, key in CATEGORY_KEYS.items()]
        return [*lists, ("regimens", self.regimens), ("excluded", self.excluded)]

    def _items(self) -> tuple[tuple[str, tuple[Any, ...]], ...]:
        """The lists whose items, not the lists themselves, are shared (the warnings add the
        profile's own to the judgement's)."""
        return (("warnings", self.warnings),)

    def to_json_line(self, **first: Any) -> str:
        """The document as one compact JSON line, with ``first`` keys before the rest.

        Equal to ``json.dumps({**first, **self.to_dict()}, separators=(",", ":"),
        ensure_ascii=False)`` but fast for batches: see ``to_json_bytes``.
        """
        return self.to_json_bytes(**first).decode("utf-8")

    def to_json_bytes(self, **first: Any) -> bytes:
        """``to_json_line`` as UTF-8, made from the JSON text of each shared part, encoded
        once and reused."""
        return b"".join(self.json_pieces(**first))

    def json_pieces(self, **first: Any) -> list[bytes]:
        """``to_json_bytes`` in pieces, to be joined: a batch joins a block of lines at once,
        so that the shared parts (most of a line) are copied once, not once per nesting."""
        head = [_flat_json(first)[1:-1].encode("utf-8")] if first else []
        head += (_shared_head_json(self), self._own_head_json())
        pieces = [b"{" + b",".join(head)]
        for key, items in self._lists():
            pieces.append(_KEYS_JSON[key])
            pieces += _encoded(items).list_json
        for key, items in self._items():
            inner = b",".join([_encoded(item).json for item in items])
            pieces += (_KEYS_JSON[key], b"[", inner, b"]")
        pieces.append(b"}")
        return pieces


# Each list's key as it follows the key before it in a JSON line.
_KEYS_JSON = {
    key: f',"{key}":'.encode()
    for key in (*CATEGORY_KEYS.values(), "regimens", "excluded", "warnings")
}


# Compact JSON, as json.dumps(value, separators=(",", ":"), ensure_ascii=False) writes it:
# one encoder for all, as json.dumps makes one per call when given options.
_compact = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode


def _flat_json(values: dict[str, Any]) -> str:
    """``_compact(values)``, written directly for a dict of strings, ints and None (a batch
    line's first keys, a reproduce block): a batch writes both on every line, and the
    encoder's set-up costs more than the writing."""
    parts = []
    for key, value in values.items():
        kind = type(value)
        if kind is str:
            text = encode_basestring(value)
        elif kind is int:
            text = int.__repr__(value)
        elif value is None:
            text = "null"
        else:
            return _compact(values)
        if type(key) is not str:
            return _compact(values)
        parts.append(f"{encode_basestring(key)}:{text}")
    return "{" + ",".join(parts) + "}"


@lru_cache(maxsize=64)
def _query_json(disease: str, disease_name: str) -> str:
    """The query's JSON up to its profile: an object left open."""
    return _compact({"disease": disease, "disease_name": disease_name})[:-1] + ","


# The JSON of a profile field's value ("name":value), by field, type and value, for values
# written alike (``written_alike``): profiles are made of few distinct values. Bounded.
_PROFILE_VALUES: dict[tuple[str, type, Any], str] = {}
_PROFILE_VALUES_LIMIT = 4096


def _profile_json(profile: Profile) -> str:
    """``_compact(profile.to_dict())``."""
    pieces = []
    for name, value in vars(profile).items():
        kind = type(value)
        key = (name, kind, value)
        alike = kind in SCALARS_WRITTEN_ALIKE or written_alike(value)  # the first, at once
        text = _PROFILE_VALUES.get(key) if alike else None
        if text is None:
            shown = list(value) if isinstance(value, tuple) else value
            text = f"{_compact(name)}:{_compact(shown)}"
            if alike:
                if len(_PROFILE_VALUES) >= _PROFILE_VALUES_LIMIT:
                    _PROFILE_VALUES.clear()
                _PROFILE_VALUES[key] = text
        pieces.append(text)
    return "{" + ",".join(pieces) + "}"


@lru_cache(maxsize=64)
def _ranking_json(judged_for: str | None) -> str:
    return _compact(_ranking(judged_for))


def _ranking(judged_for: str | None) -> dict[str, Any]:
    """The head's ranking block: how the lists are ordered."""
    return {
        "order": list(RANKING_ORDER),
        "score": "base + sum of contributions",
        "routes_and_preconditioning_for": judged_for,
    }


# The JSON of the shared head keys (without braces), by the knowledge base's identity block
# (shared by all its results, kept alive here) and the generator version: a few per process.
_SHARED_HEADS: dict[tuple[int, str], tuple[dict[str, Any], bytes]] = {}


def _shared_head_json(result: Recommendation) -> bytes:
    key = (id(result.knowledge_base), result.generator_version)
    found = _SHARED_HEADS.get(key)
    if found is None or found[0] is not result.knowledge_base:
        if len(_SHARED_HEADS) >= 64:
            _SHARED_HEADS.clear()
        text = _compact(result._shared_head())[1:-1].encode("utf-8")
        found = _SHARED_HEADS[key] = (result.knowledge_base, text)
    return found[1]


class _Encoded:
    """An immutable result part, or a tuple of them, with its JSON document and the compact
    JSON text in UTF-8 of the part (of a tuple: of each of its parts), each made when first
    asked for (a batch needs only the text, the API only the document). A tuple's text is not
    kept whole: tuples that share parts would hold the same text many times over. It keeps the
    part alive, so the part's id, which keys it in ``_ENCODED``, cannot be reused by another
    object while it is there."""

    __slots__ = ("_doc", "_json", "_list_json", "part")

    def __init__(self, part: Any) -> None:
        self.part = part
        self._doc: Any = None
        self._json: bytes | None = None
        self._list_json: tuple[bytes, ...] | None = None

    @property
    def doc(self) -> Any:
        if self._doc is None:
            part = self.part
            is_list = isinstance(part, tuple)
            self._doc = [_encoded(item).doc for item in part] if is_list else part.to_dict()
        return self._doc

    @property
    def json(self) -> bytes:
        """The JSON text of a part."""
        if self._json is None:
            self._json = _compact(self.part.to_dict()).encode("utf-8")
        return self._json

    @property
    def list_json(self) -> tuple[bytes, ...]:
        """The JSON text of a tuple as a list, in pieces: brackets, each part's text, commas."""
        if self._list_json is None:
            texts = [_encoded(item).json for item in self.part]
            inner = [piece for text in texts for piece in (b",", text)][1:]
            self._list_json = (b"[", *inner, b"]")
        return self._list_json


# The encoded parts, by the part's id. Results share the engine's memoized parts, and those
# alone are worth keeping; the count is bounded all the same (a batch meets ever more parts,
# if ever fewer new ones). When the bound is reached the older half goes (dicts keep the
# order of insertion), so the parts in use come back at once and stay.
_ENCODED: dict[int, _Encoded] = {}
_ENCODED_LIMIT = 16_384


def _encoded(part: Any) -> _Encoded:
    entry = _ENCODED.get(id(part))
    if entry is not None and entry.part is part:
        return entry
    if len(_ENCODED) >= _ENCODED_LIMIT:
        for key in list(islice(_ENCODED, _ENCODED_LIMIT // 2)):
            del _ENCODED[key]
    entry = _ENCODED[id(part)] = _Encoded(part)
    return entry
