"""The record kinds a rules tree may hold, as frozen records (``mscadvisor.record``).

pydantic validates raw TOML into these types (see ``validation.py``); they are plain records
so that code which only reads an already-validated knowledge base never imports pydantic.
Field constraints come from ``constraints.py``, and pydantic enforces them.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar, Literal

from mscadvisor.kb.constraints import NOT_EMPTY, Check, at_least, between, min_items
from mscadvisor.record import Record, fields_of

_FORBID_EXTRA: dict[str, Any] = {"extra": "forbid"}


def is_identifier(value: str) -> bool:
    """An id is not empty and has no whitespace, so it can be typed on a command line and used
    as a key."""
    return bool(value) and not any(ch.isspace() for ch in value)


def is_nct_number(value: str) -> bool:
    """A ClinicalTrials.gov id: NCT followed by eight digits."""
    return len(value) == 11 and value.startswith("NCT") and value[3:].isdigit()


Id = Annotated[str, Check(is_identifier, "must be an id: not empty, no whitespace")]
Text = Annotated[str, NOT_EMPTY]
RefNumber = Annotated[int, at_least(1)]
Nct = Annotated[str, Check(is_nct_number, "must be a ClinicalTrials.gov id: NCT and 8 digits")]


def is_iso_date(value: str) -> bool:
    """A calendar date written YYYY-MM-DD."""
    import datetime as dt

    try:
        return len(value) == 10 and dt.date.fromisoformat(value).isoformat() == value
    except ValueError:
        return False


IsoDate = Annotated[str, Check(is_iso_date, "must be a date written YYYY-MM-DD")]
# The most points one rule gives or takes (the shipped rules give at most 10): a rule pack's
# larger number is a typo, not a judgement, and would dwarf every other rule.
MAX_POINTS = 100
Points = Annotated[int, between(-MAX_POINTS, MAX_POINTS)]
Cap = Annotated[int, between(0, MAX_POINTS)]

SYSTEMS = ("reproductive", "neural", "vascular", "skeletal", "skin", "systemic")
System = Literal["reproductive", "neural", "vascular", "skeletal", "skin", "systemic"]
Category = Literal["source", "route", "preconditioning", "regimen"]
# The categories ranked on their own; "regimen" rules score combinations of their candidates.
CATEGORIES: tuple[Category, ...] = ("source", "route", "preconditioning")
Setting = Literal["in-vivo", "in-vitro"]
# What a study or trial found. "unverified": the table prints results, but nothing the review
# cites or describes confirms them (see the errata); counted like "no-results".
Outcome = Literal[
    "efficacy-reported",
    "safety-reported",
    "no-efficacy",
    "inconclusive",
    "no-results",
    "unverified",
]
# How a clinical study was designed, as the review describes it.
TrialDesign = Literal["controlled", "cohort", "uncontrolled", "unstated"]
Donor = Literal["autologous", "allogeneic"]
# Evidence levels, strongest first (DESIGN: clinical outcome > clinical without outcome >
# head-to-head in vivo > in vivo > in vitro > expert synthesis).
Level = Literal[
    "clinical-outcome",
    "clinical-no-outcome",
    "preclinical-head-to-head",
    "preclinical-in-vivo",
    "in-vitro",
    "expert-synthesis",
]
LEVELS: tuple[Level, ...] = (
    "clinical-outcome",
    "clinical-no-outcome",
    "preclinical-head-to-head",
    "preclinical-in-vivo",
    "in-vitro",
    "expert-synthesis",
)
GENERAL_LEVEL: Level = "expert-synthesis"  # the level of rules that state general traits


class Citation(Record):
    """A pointer into the source review: a reference, a trial, a table or a named section."""

    ref: RefNumber | None = None
    nct: Nct | None = None
    table: Literal[1, 2, 3, 4] | None = None
    section: Id | None = None
    item: Id | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Etiology(Record):
    id: Id
    name: Text
    citations: tuple[Citation, ...] = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Caveat(Record):
    code: Id
    message: Text
    citations: tuple[Citation, ...] = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class RegistryNames(Record):
    """The condition names trial registries file a disease under, beyond its name and aliases
    (ClinicalTrials.gov registers POF as "Primary Ovarian Insufficiency"), and the basis for
    them: the review does not list them, so they are a stated assumption."""

    names: Annotated[tuple[Text, ...], NOT_EMPTY]
    assumption: Text
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Disease(Record):
    id: Id
    name: Text
    systems: Annotated[tuple[System, ...], NOT_EMPTY]
    aliases: tuple[Text, ...] = ()
    sexes: tuple[Literal["female", "male"], ...] = ("female", "male")
    etiologies: tuple[Etiology, ...] = ()
    caveats: tuple[Caveat, ...] = ()
    citations: tuple[Citation, ...] = ()
    registry: RegistryNames | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Table4Item(Record):
    id: Id
    text: Text
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Tissue(Record):
    id: Id
    name: Text
    label: Text
    perinatal: bool
    in_table4: bool
    procurement: Text
    advantages: tuple[Table4Item, ...] = ()
    disadvantages: tuple[Table4Item, ...] = ()
    aliases: tuple[Text, ...] = ()  # other names people type for it (ids are case-insensitive)
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Tradeoff(Record):
    text: Text
    citations: tuple[Citation, ...] = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Modality(Record):
    id: Id
    name: Text
    tradeoffs: tuple[Tradeoff, ...] = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Route(Record):
    id: Id
    name: Text
    diseases: tuple[Id, ...] = ()
    in_vitro: bool = False
    note: Text | None = None
    citations: tuple[Citation, ...] = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Preconditioning(Record):
    id: Id
    name: Text
    kind: Literal["preconditioning", "engineering", "combination", "biomaterial", "selection"]
    diseases: Annotated[tuple[Id, ...], NOT_EMPTY]
    tissues: tuple[Id, ...] = ()
    modalities: Annotated[tuple[Id, ...], NOT_EMPTY] = ("cells",)
    note: Text | None = None
    citations: tuple[Citation, ...] = ()
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Comorbidity(Record):
    id: Id
    name: Text
    note: Text | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Need(Record):
    id: Id
    name: Text
    diseases: tuple[Id, ...] = ()
    note: Text | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Reference(Record):
    ref: RefNumber
    first_author: Text
    authors: Text
    title: Text
    journal: Text
    year: Annotated[int, between(1900, 2100)]
    pmid_status: Literal["given", "missing", "placeholder", "garbled"]
    doi: Text | None = None
    pmid: Text | None = None
    note: Text | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA

    @property
    def id(self) -> str:
        return str(self.ref)


class Section(Record):
    id: Id
    title: Text
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Study(Record):
    """One row of Table 1 (MSCs) or Table 2 (MSC exosomes)."""

    id: Id
    table: Literal[1, 2]
    ref: RefNumber
    disease: Id
    tissue: Id
    species: Text
    modality: Id
    setting: Setting
    effect: Text
    model: Text | None = None
    etiology: Id | None = None
    preconditioning: tuple[Id, ...] = ()
    route: Id | None = None
    dose: Text | None = None
    in_vitro_model: Text | None = None
    follow_up: Text | None = None
    head_to_head: bool = False
    donor: Literal["autologous", "allogeneic", "xenogeneic"] | None = None
    outcome: Literal["efficacy-reported", "safety-reported"] = "efficacy-reported"
    # What was given, where it is not plain MSCs or exosomes (conditioned medium, mimetic
    # nanovesicles, ...): the record is then only indirect evidence for its modality.
    material: Text | None = None
    # The disease the study treated, where its reference says it is not the one the review files
    # it under: the record is then only indirect evidence for the review's disease.
    treated: Text | None = None
    particle_size: Text | None = None  # Table 2's size column, as printed
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Trial(Record):
    """One row of Table 3 (clinical studies), or a clinical study the review describes only in
    its prose (``in_table3 = false``)."""

    id: Id
    disease: Id
    purpose: Text
    tissue: Id
    modality: Id
    phase: Text
    status: Text
    results: Text
    outcome: Outcome
    enrollment: Annotated[int, at_least(1)] | None = None  # None: the review gives none
    nct: Nct | None = None
    ref: RefNumber | None = None
    route: Id | None = None
    preconditioning: tuple[Id, ...] = ()
    donor: Donor | None = None
    reports_fertility: bool = False
    design: TrialDesign = "unstated"
    in_table3: bool = True
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class TrialUpdate(Record):
    """A rule pack's update of one trial record from a trial registry (``mscadvisor
    trials-refresh`` writes them), applied when the knowledge base is built: each field given
    replaces the trial's. The provenance fields say where the new values come from.

    ``outcome`` and ``results`` are judgements the refresh never makes (posted results are not
    efficacy shown): only a person who read the results sets them."""

    trial: Id  # the id of the trial record updated
    source: Text  # the registry export the values come from
    last_update_posted: IsoDate  # the registry record's last update, as the export gives it
    imported: IsoDate
    status: Text | None = None
    enrollment: Annotated[int, at_least(1)] | None = None
    outcome: Outcome | None = None
    results: Text | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA

    # The fields of the trial record an update may change.
    CHANGES: ClassVar[tuple[str, ...]] = ("status", "enrollment", "outcome", "results")


class Erratum(Record):
    id: Id
    where: Text
    readings: Annotated[tuple[Text, ...], min_items(2)]
    used: Text
    why: Text
    citations: Annotated[tuple[Citation, ...], NOT_EMPTY]
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class EvidenceQuery(Record):
    """How an evidence rule counts table records: which kinds of record (setting, outcome,
    design), which keys must be shared exactly (``match``), and the points per direct and per
    indirect record, each capped."""

    records: Literal["studies", "trials"]
    match: Annotated[
        tuple[
            Literal["disease", "tissue", "modality", "route", "preconditioning", "etiology"], ...
        ],
        NOT_EMPTY,
    ]
    points_each: Points  # per direct record (negative: evidence against)
    cap: Cap  # the most the direct records give, in size
    setting: tuple[Setting, ...] = ()
    outcome: tuple[Outcome, ...] = ()
    design: tuple[TrialDesign, ...] = ()
    head_to_head: bool | None = None
    reports_fertility: bool | None = None
    indirect_each: Points = 0  # per indirect record: one that differs from the question
    indirect_cap: Cap = 0
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class Rule(Record):
    """A scoring rule: when it fires for a candidate it adds points, or excludes the candidate.

    ``applies_to`` and ``when`` are conditions in the small language of ``conditions.py``
    (long form or shorthand, kept as written): ``applies_to`` looks only at the candidate,
    ``when`` only at the profile and disease.
    """

    id: Id
    category: Category
    summary: Text
    rationale: Text
    level: Level
    citations: Annotated[tuple[Citation, ...], NOT_EMPTY]
    group: Id
    applies_to: dict[str, Any] | None = None
    when: dict[str, Any] | None = None
    points: Points | None = None
    exclude: bool = False
    evidence: EvidenceQuery | None = None
    caveat: bool = False  # no points: the summary travels with the candidate as a caveat
    # A number or link the review does not give, declared as a modelling assumption.
    assumption: Text | None = None
    # Why no record of the knowledge base fires the rule yet: it scores evidence the review does
    # not have, which a rule pack may add (`rules coverage` counts it apart, and fails if it fires).
    dormant: Text | None = None
    table4_items: tuple[Id, ...] = ()
    conflicts_with: tuple[Id, ...] = ()
    errata: tuple[Id, ...] = ()  # the errata that bear on what the rule says (explain shows them)
    overrides: Id | None = None  # a rule pack replaces the rule with this id
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA

    def effect_text(self) -> str:
        """What the rule does when it fires, for people: "+2", "exclude", or the evidence rate."""
        if self.exclude:
            return "exclude"
        if self.caveat:
            return "caveat"
        if self.evidence is not None:
            each = "study" if self.evidence.records == "studies" else "trial"
            return f"{self.evidence.points_each:+d} per matching {each}, cap {self.evidence.cap}"
        return f"{self.points:+d}" if self.points is not None else ""


class Expectation(Record):
    """One expected outcome of a rule test case; exactly one of the outcome fields is given."""

    top: Id | None = None  # the first candidate of `category`
    ranks_above: Annotated[tuple[Id, ...], min_items(2)] | None = None  # in this order
    fires: Id | None = None  # rule id, for `candidate`
    not_fires: Id | None = None
    score_between: Annotated[tuple[int, ...], min_items(2)] | None = None  # [low, high]
    excluded: Id | None = None  # candidate id
    candidate: Id | None = None
    category: Category | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA

    OUTCOMES: ClassVar[tuple[str, ...]] = (
        "top",
        "ranks_above",
        "fires",
        "not_fires",
        "score_between",
        "excluded",
    )


class Case(Record):
    """A rule test case: a profile and what must hold for it. Not knowledge: not hashed."""

    id: Id
    summary: Text
    profile: dict[str, Any]
    expect: Annotated[tuple[Expectation, ...], NOT_EMPTY]
    source: Id | None = None  # the source routes and strategies are judged for (default: top)
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


class KnowledgeBaseInfo(Record):
    """Identity of the knowledge base: its version and the document it encodes."""

    version: Text
    source_title: Text
    source_authors: Text
    source_published: Text
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


def _bounded(low: int, high: int) -> Check:
    return Check(lambda value: low <= len(value) <= high, f"must be {low} to {high} characters")


class PackManifest(Record):
    """A pack's ``pack.toml``: what the pack is called and which version of it this is."""

    name: Annotated[Id, _bounded(1, 64)]
    version: Annotated[Id, _bounded(1, 32)]
    description: Annotated[Text, _bounded(1, 500)] | None = None
    __pydantic_config__: ClassVar[dict[str, Any]] = _FORBID_EXTRA


# The record a pack's manifest becomes; no rule file may hold one (see loader.py).
MANIFEST_KIND = "pack"

# TOML array-of-tables name -> record type. The order here is the order of validation.
RECORD_KINDS: dict[str, type] = {
    MANIFEST_KIND: PackManifest,
    "knowledge_base": KnowledgeBaseInfo,
    "section": Section,
    "reference": Reference,
    "disease": Disease,
    "tissue": Tissue,
    "modality": Modality,
    "route": Route,
    "preconditioning": Preconditioning,
    "comorbidity": Comorbidity,
    "need": Need,
    "study": Study,
    "trial": Trial,
    "trial_update": TrialUpdate,
    "erratum": Erratum,
    "rule": Rule,
    "case": Case,
}


def record_classes() -> tuple[type[Record], ...]:
    """Every record type of a rules tree, nested ones included."""
    return tuple(
        cls
        for cls in globals().values()
        if isinstance(cls, type) and issubclass(cls, Record) and cls is not Record
    )


def to_plain(value: Any) -> Any:
    """A record as JSON-ready plain data (dicts, lists, scalars)."""
    if isinstance(value, Record):
        return {name: to_plain(field) for name, field in fields_of(value).items()}
    if isinstance(value, tuple | list):
        return [to_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: to_plain(v) for k, v in value.items()}
    return value
