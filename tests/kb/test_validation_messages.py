"""Every cross-reference check of the loader, with the exact message a user sees; the
three-valued condition logic; validation messages; cache writing details."""

from __future__ import annotations

from pathlib import Path

import pytest

from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.kb import cache, condition_syntax, conditions
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.kb.loader import RawRecord
from mscadvisor.kb.validation import record_label, validate_records
from tests.packs import new_pack


def pack_problems(tmp_path: Path, text: str, name: str = "p.toml") -> str:
    pack = new_pack(tmp_path / "pack")
    (pack / name).write_text(text, encoding="utf-8")
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base([pack], use_cache=False)
    return str(info.value)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            '[[disease]]\nid = "X1"\nname = "x"\nsystems = ["skin"]\netiologies = ['
            '{ id = "e", name = "e" }, { id = "e", name = "f" }]\n',
            "[[disease]] id 'X1': duplicate etiology id",
        ),
        (
            '[[disease]]\nid = "X2"\nname = "x"\nsystems = ["skin"]\ncitations = [{ ref = 999 }]\n',
            "[[disease]] id 'X2': citation ref 999 is not in the reference list",
        ),
        (
            '[[disease]]\nid = "X3"\nname = "x"\nsystems = ["skin"]\naliases = ["poi"]\n',
            "[[disease]] id 'X3': alias 'poi' also names disease 'POF'",
        ),
        (
            '[[disease]]\nid = "X4"\nname = "x"\nsystems = ["skin"]\ncaveats = [{ code = "c", '
            'message = "m", citations = [{ section = "nowhere" }] }]\n',
            "citation section 'nowhere' is not a [[section]]",
        ),
        (
            '[[disease]]\nid = "X5"\nname = "x"\nsystems = ["skin"]\netiologies = [{ id = "e", '
            'name = "e", citations = [{ nct = "NCT99999999" }] }]\n',
            "citation nct 'NCT99999999' matches no [[trial]]",
        ),
        (
            '[[tissue]]\nid = "T1"\nname = "t"\nlabel = "t"\nperinatal = false\nin_table4 = true\n'
            'procurement = "p"\nadvantages = [{ id = "BM-A1", text = "again" }]\n',
            "Table 4 item id 'BM-A1' is used by more than one item",
        ),
        (
            '[[modality]]\nid = "M1"\nname = "m"\ntradeoffs = [{ text = "t", citations = '
            "[{ ref = 0 }] }]\n",
            "[[modality]] id 'M1'",
        ),
        (
            '[[modality]]\nid = "M2"\nname = "m"\ntradeoffs = [{ text = "t", citations = '
            '[{ table = 4, item = "NO-ITEM" }] }]\n',
            "[[modality]] id 'M2': citation item 'NO-ITEM' is not a Table 4 item",
        ),
        (
            '[[modality]]\nid = "M3"\nname = "m"\ntradeoffs = [{ text = "t", citations = '
            "[{ ref = 1, table = 2 }] }]\n",
            "a citation needs exactly one of ref, nct, table",
        ),
        (
            '[[route]]\nid = "R1"\nname = "r"\ndiseases = ["GOUT"]\n',
            "[[route]] id 'R1': field diseases: unknown id 'GOUT'",
        ),
        (
            '[[route]]\nid = "R2"\nname = "r"\ncitations = [{ ref = 500 }]\n',
            "[[route]] id 'R2': citation ref 500",
        ),
        (
            '[[preconditioning]]\nid = "P1"\nname = "p"\nkind = "combination"\ndiseases = ["POF"]\n'
            'tissues = ["XX"]\n',
            "[[preconditioning]] id 'P1': field tissues: unknown id 'XX'",
        ),
        (
            '[[preconditioning]]\nid = "P2"\nname = "p"\nkind = "combination"\ndiseases = ["POF"]\n'
            'modalities = ["vesicles"]\n',
            "[[preconditioning]] id 'P2': field modalities: unknown id 'vesicles'",
        ),
        (
            '[[preconditioning]]\nid = "P3"\nname = "p"\nkind = "combination"\ndiseases = ["ZZ"]\n',
            "[[preconditioning]] id 'P3': field diseases: unknown id 'ZZ'",
        ),
        (
            '[[preconditioning]]\nid = "P4"\nname = "p"\nkind = "combination"\ndiseases = ["POF"]\n'
            "citations = [{ ref = 700 }]\n",
            "[[preconditioning]] id 'P4': citation ref 700",
        ),
        (
            '[[need]]\nid = "N1"\nname = "n"\ndiseases = ["ZZ"]\n',
            "[[need]] id 'N1': field diseases: unknown id 'ZZ'",
        ),
        (
            '[[trial]]\nid = "TR1"\ndisease = "POF"\npurpose = "p"\ntissue = "UC"\n'
            'modality = "cells"\nphase = "1"\nenrollment = 1\nstatus = "s"\nresults = "r"\n'
            'outcome = "no-results"\n',
            "[[trial]] id 'TR1': a trial needs an nct id or a ref",
        ),
        (
            '[[trial]]\nid = "TR2"\nnct = "NCT02696889"\ndisease = "POF"\npurpose = "p"\n'
            'tissue = "UC"\nmodality = "cells"\nphase = "1"\nenrollment = 1\nstatus = "s"\n'
            'results = "r"\noutcome = "no-results"\n',
            "NCT id 'NCT02696889' is used by more than one [[trial]]",
        ),
        (
            '[[trial]]\nid = "TR3"\nref = 3\ndisease = "POF"\npurpose = "p"\ntissue = "UC"\n'
            'modality = "cells"\nroute = "ZZ"\nphase = "1"\nenrollment = 1\nstatus = "s"\n'
            'results = "r"\noutcome = "no-results"\n',
            "[[trial]] id 'TR3': field route: unknown id 'ZZ'",
        ),
        (
            '[[erratum]]\nid = "E1"\nwhere = "w"\nreadings = ["a", "b"]\nused = "a"\nwhy = "w"\n'
            "citations = [{ ref = 600 }]\n",
            "[[erratum]] id 'E1': citation ref 600",
        ),
        (
            '[[knowledge_base]]\nversion = "x"\nsource_title = "t"\nsource_authors = "a"\n'
            'source_published = "p"\n',
            "exactly one [[knowledge_base]] record is required; found 2",
        ),
    ],
)
def test_cross_reference_checks(tmp_path: Path, text: str, fragment: str) -> None:
    assert fragment in pack_problems(tmp_path, text)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (
            '[[case]]\nid = "C1"\nsummary = "s"\nprofile = { disease = "POF" }\n'
            'expect = [{ top = "BM-cells" }]\n',
            "expect[0]: top needs a category",
        ),
        (
            '[[case]]\nid = "C2"\nsummary = "s"\nprofile = { disease = "POF" }\n'
            'expect = [{ fires = "NO-RULE", candidate = "BM-cells" }]\n',
            "expect[0]: unknown rule 'NO-RULE'",
        ),
        (
            '[[case]]\nid = "C3"\nsummary = "s"\nprofile = { disease = "POF" }\n'
            "expect = [{ score_between = [1, 2] }]\n",
            "expect[0]: score_between needs a candidate",
        ),
        (
            '[[case]]\nid = "C4"\nsummary = "s"\nprofile = { disease = "POF" }\n'
            'expect = [{ excluded = "UC-cells", top = "x", category = "source" }]\n',
            "expect[0]: give exactly one of",
        ),
    ],
)
def test_case_checks(tmp_path: Path, text: str, fragment: str) -> None:
    assert fragment in pack_problems(tmp_path, text, "p.cases.toml")


CASE = (
    '[[case]]\nid = "C5"\nsummary = "s"\nprofile = { disease = "POF" }\n'
    'expect = [{ excluded = "UC-cells" }]\n'
)


def test_test_cases_only_in_test_case_files(tmp_path: Path) -> None:
    """A file's name says whether it holds test cases (NAME.cases.toml) or knowledge."""
    message = pack_problems(tmp_path, CASE, "lab.toml")
    assert message.endswith(
        "lab.toml: [[case]] outside a test-case file: test cases go in a file named "
        "*.cases.toml beside the rules they test, here lab.cases.toml"
    )
    (tmp_path / "pack" / "lab.toml").unlink()
    rule = RULE.format(category="source", extra="points = 1")
    message = pack_problems(tmp_path, rule + CASE, "lab.cases.toml")
    assert message.endswith(
        "lab.cases.toml: [[rule]] in a test-case file: a *.cases.toml file holds only [[case]] "
        "records; put the rule records in a rule file such as lab.toml"
    )
    assert "[[case]] outside" not in message


RULE = (
    '[[rule]]\nid = "RX"\ngroup = "g"\ncategory = "{category}"\nsummary = "s"\n'
    'rationale = "r"\nlevel = "in-vitro"\ncitations = [{{ table = 1 }}]\n{extra}\n'
)


@pytest.mark.parametrize(
    ("category", "extra", "fragment"),
    [
        ("regimen", "points = 1", "a regimen rule scores pairing evidence"),
        (
            "route",
            'evidence = { records = "studies", match = ["tissue"], points_each = 1, cap = 1 }',
            "'tissue' does not apply to route candidates",
        ),
        (
            "source",
            'evidence = { records = "studies", match = ["disease"], points_each = 1, '
            'cap = 1, design = ["cohort"] }',
            "evidence.design applies only to trials",
        ),
        (
            "source",
            'evidence = { records = "trials", match = ["disease"], points_each = 1, '
            'cap = 1, setting = ["in-vivo"] }',
            "evidence.setting applies only to studies",
        ),
        ("source", 'points = 1\nconflicts_with = ["NOPE"]', "conflicts_with: unknown rule 'NOPE'"),
        ("source", 'points = 1\nerrata = ["E-NOPE"]', "field errata: unknown erratum 'E-NOPE'"),
        (
            "route",
            'points = 1\napplies_to = { field = "candidate.tissue", op = "eq", value = "BM" }',
            "field 'candidate.tissue' does not exist for route candidates",
        ),
        (
            "source",
            'points = 1\nwhen = { field = "disease.id", op = "eq", value = "GOUT" }',
            "when: disease.id compares against unknown value 'GOUT'",
        ),
    ],
)
def test_rule_checks(tmp_path: Path, category: str, extra: str, fragment: str) -> None:
    message = pack_problems(tmp_path, RULE.format(category=category, extra=extra))
    assert "[[rule]] id 'RX'" in message and fragment in message


UNKNOWN, KNOWN_TRUE, KNOWN_FALSE = (
    {"field": "profile.age", "op": "ge", "value": 60},
    {"field": "disease.id", "op": "eq", "value": "OP"},
    {"field": "disease.id", "op": "eq", "value": "POF"},
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (UNKNOWN, None),
        (KNOWN_TRUE, True),
        (KNOWN_FALSE, False),
        ({"all": [KNOWN_TRUE, UNKNOWN]}, None),
        ({"all": [KNOWN_FALSE, UNKNOWN]}, False),
        ({"all": [KNOWN_TRUE, KNOWN_TRUE]}, True),
        ({"any": [KNOWN_TRUE, UNKNOWN]}, True),
        ({"any": [KNOWN_FALSE, UNKNOWN]}, None),
        ({"any": [KNOWN_FALSE, KNOWN_FALSE]}, False),
        ({"not": KNOWN_TRUE}, False),
        ({"not": KNOWN_FALSE}, True),
        ({"not": UNKNOWN}, None),
        ({"all": []}, True),
        ({"any": []}, False),
    ],
)
def test_partial_verdict(raw: dict[str, object], expected: bool | None) -> None:
    node = condition_syntax.parse(raw, "when", "profile")
    known = {"disease.id": "OP", "disease.systems": frozenset({"skeletal"})}
    assert conditions.partial_verdict(node, known) is expected


def test_failures_describe_any_and_nested_conditions() -> None:
    raw = {
        "all": [
            {"field": "profile.donor", "op": "eq", "value": "autologous"},
            {
                "any": [
                    {"field": "profile.age", "op": "ge", "value": 60},
                    {"field": "profile.needs", "op": "contains", "value": "fertility"},
                ]
            },
        ]
    }
    node = condition_syntax.parse(raw, "when", "profile")
    ctx = {"profile.donor": "any", "profile.age": 30, "profile.needs": frozenset()}
    assert conditions.failures(node, ctx) == [
        "profile.donor = autologous",
        "profile.age >= 60 or profile.needs contains fertility",
    ]
    assert (
        conditions.failures(node, {**ctx, "profile.donor": "autologous", "profile.age": 61}) == []
    )


def raw(data: dict[str, object], kind: str = "section", index: int = 3) -> RawRecord:
    return RawRecord(kind, data, "f.toml", index)


def test_record_labels() -> None:
    assert record_label(raw({"id": "x"})) == "f.toml: [[section]] id 'x'"
    assert record_label(raw({"ref": 7}, "reference")) == "f.toml: [[reference]] id 7"
    assert record_label(raw({"title": "t"})) == "f.toml: [[section]] #3"
    assert record_label(raw({"id": ["not", "scalar"]})) == "f.toml: [[section]] #3"


def test_validation_messages() -> None:
    with pytest.raises(KnowledgeBaseError) as info:
        validate_records(
            [
                raw({"id": "x", "title": "t", "extra": 1}),
                raw({"title": 5}, index=4),
                raw({"id": "y"}, index=5),
            ]
        )
    assert info.value.problems == [
        "f.toml: [[section]] id 'x': field extra: unknown key (got 1)",
        "f.toml: [[section]] #4: field id: required field is missing",
        "f.toml: [[section]] #4: field title: Input should be a valid string (got 5)",
        "f.toml: [[section]] id 'y': field title: required field is missing",
    ]


def test_field_constraint_messages() -> None:
    reference = {
        "ref": 0,
        "first_author": "A",
        "authors": "A, B",
        "title": "T",
        "journal": "J",
        "year": 1899,
        "pmid_status": "given",
    }
    erratum = {"id": "e", "where": "w", "readings": ["one"], "used": "u", "why": "y"}
    with pytest.raises(KnowledgeBaseError) as info:
        validate_records(
            [
                raw({"id": "a b", "title": ""}),
                raw({"id": "", "title": "t"}, index=4),
                raw(reference, "reference"),
                raw({**erratum, "citations": []}, "erratum"),
                raw({**reference, "ref": 1, "year": 2000, "doi": "10.1/x"}, "reference"),
            ]
        )
    assert info.value.problems == [
        "f.toml: [[section]] id 'a b': field id: must be an id: not empty, no whitespace "
        "(got 'a b')",
        "f.toml: [[section]] id 'a b': field title: must not be empty (got '')",
        "f.toml: [[section]] id '': field id: must be an id: not empty, no whitespace (got '')",
        "f.toml: [[reference]] id 0: field ref: must be at least 1 (got 0)",
        "f.toml: [[reference]] id 0: field year: must be between 1900 and 2100 (got 1899)",
        "f.toml: [[erratum]] id 'e': field readings: needs at least 2 items (got ['one'])",
        "f.toml: [[erratum]] id 'e': field citations: must not be empty (got [])",
    ]


def test_nct_numbers_are_checked() -> None:
    trial = {
        "id": "t",
        "disease": "POF",
        "purpose": "p",
        "tissue": "UC",
        "modality": "cells",
        "phase": "1",
        "enrollment": 1,
        "status": "s",
        "results": "r",
        "outcome": "no-results",
    }
    validate_records([raw({**trial, "nct": "NCT01234567"}, "trial")])
    with pytest.raises(KnowledgeBaseError) as info:
        validate_records([raw({**trial, "nct": "NCT0123456", "enrollment": 0}, "trial")])
    assert info.value.problems == [
        "f.toml: [[trial]] id 't': field enrollment: must be at least 1 (got 0)",
        "f.toml: [[trial]] id 't': field nct: must be a ClinicalTrials.gov id: NCT and 8 digits "
        "(got 'NCT0123456')",
    ]


def test_cache_store_leaves_one_file_and_no_temporary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(tmp_path / "c"))
    load_knowledge_base()
    files = [p.name for p in (tmp_path / "c").iterdir()]
    assert len(files) == 1 and files[0].startswith("kb-") and files[0].endswith(".bin")
    blob = (tmp_path / "c" / files[0]).read_bytes()
    assert blob.startswith(cache.MAGIC + b"\n")
    assert cache.clear() == (1, []) and cache.entries() == []
    assert cache.clear() == (0, [])


def test_trial_lookup() -> None:
    kb = load_knowledge_base()
    found = kb.trial_by_nct("NCT04388982")
    assert found is not None and found.ref == 64
    assert kb.trial_by_nct("NCT00000000") is None


@pytest.mark.parametrize(
    ("value", "field"),
    [
        ("1979-05-27", "summary"),
        ("07:32:00", "summary"),
        ("1979-05-27T07:32:00Z", "summary"),
        ('"s"\ntable4_items = ["A", 1979-05-27]', "table4_items.1"),
    ],
)
def test_a_toml_date_is_not_text(tmp_path: Path, value: str, field: str) -> None:
    rule = RULE.format(category="source", extra="points = 1").replace(
        'summary = "s"', f"summary = {value}"
    )
    message = pack_problems(tmp_path, rule)
    assert (
        f"p.toml: [[rule]] id 'RX': field {field}: a TOML date or time, which no field " in message
    )
    assert "write text in quotes (got " in message


@pytest.mark.parametrize(("depth", "refused"), [(16, False), (17, True)])
def test_conditions_are_nested_at_most_16_deep(tmp_path: Path, depth: int, refused: bool) -> None:
    condition = '{ tissue = "BM" }'
    for _ in range(depth - 1):
        condition = f"{{ not = {condition} }}"
    rule = RULE.format(category="source", extra=f"points = 1\napplies_to = {condition}")
    expected = (
        "p.toml: [[rule]] id 'RX': applies_to: conditions nested more than 16 deep (all, any "
        "and not inside one another); write it with fewer levels"
    )
    pack = new_pack(tmp_path / "pack")
    (pack / "p.toml").write_text(rule, encoding="utf-8")
    try:
        load_knowledge_base([pack], use_cache=False)
        problems = ""
    except KnowledgeBaseError as exc:
        problems = str(exc)
    assert (expected in problems) == refused


RULE_WITH = (
    '[[rule]]\nid = "BIG"\ngroup = "x"\ncategory = "source"\nsummary = "s"\nrationale = "r"\n'
    'applies_to = {{ tissue = "BM" }}\nlevel = "expert-synthesis"\n'
    "citations = [{{ table = 4 }}]\n{}\n"
)


@pytest.mark.parametrize(
    ("field", "fragment"),
    [
        ("points = 101", "field points: must be between -100 and 100 (got 101)"),
        ("points = -101", "field points: must be between -100 and 100 (got -101)"),
        (
            'evidence = { records = "studies", match = ["disease"], points_each = 1000, cap = 6 }',
            "field evidence.points_each: must be between -100 and 100 (got 1000)",
        ),
        (
            'evidence = { records = "studies", match = ["disease"], points_each = 2, cap = 101 }',
            "field evidence.cap: must be between 0 and 100 (got 101)",
        ),
    ],
)
def test_a_rule_gives_or_takes_at_most_100_points(
    tmp_path: Path, field: str, fragment: str
) -> None:
    """A larger number in a pack is a typo, not a judgement: it would dwarf every other rule."""
    assert fragment in pack_problems(tmp_path, RULE_WITH.format(field))


def test_a_rule_of_100_points_loads(tmp_path: Path) -> None:
    pack = new_pack(tmp_path / "pack")
    (pack / "p.toml").write_text(RULE_WITH.format("points = -100"), encoding="utf-8")
    assert load_knowledge_base([pack], use_cache=False).rules["BIG"].rule.points == -100
