"""Profiles: what is refused, what is warned about, and how files and flags combine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor.engine import profile as profile_module
from mscadvisor.engine.notices import profile_notices
from mscadvisor.engine.profile import Profile, build_profile, read_profile_file
from mscadvisor.errors import InputError
from mscadvisor.kb.knowledge import KnowledgeBase, load_knowledge_base
from mscadvisor.kb.vocabulary import PROFILE_FIELD_NAMES
from tests.strategies import raw_profiles


def build(kb: KnowledgeBase, **raw: Any) -> Profile:
    return build_profile(raw, kb, "test")


def test_normalises_aliases_case_and_lists(kb: KnowledgeBase) -> None:
    profile = build(
        kb, disease="poi", sex="Female", comorbidities=["obesity", "diabetes", "obesity"]
    )
    assert profile.disease == "POF" and profile.sex == "female"
    assert profile.comorbidities == ("diabetes", "obesity")


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ({"disease": "GOUT"}, "unknown disease 'GOUT'"),
        ({"disease": "alzheimer"}, None),
        ({"disease": "POF", "age": 300}, "age: 300 is outside 0-120"),
        ({"disease": "POF", "age": "34"}, "expected a whole number"),
        ({"disease": "POF", "age": True}, "expected a whole number"),
        ({"disease": "POF", "sex": "male"}, "valid for POF: female"),
        ({"disease": "POF", "donor": "self"}, "unknown donor"),
        ({"disease": "POF", "comorbidities": ["diabetis"]}, "did you mean 'diabetes'"),
        ({"disease": "POF", "comorbidities": "diabetes"}, "expected a list"),
        ({"disease": "POF", "needs": ["speed"]}, "unknown need"),
        ({"disease": "POF", "etiology": "diabetic"}, "(it applies to OP)"),
        ({"disease": "OP", "etiology": "postmenopasual"}, "did you mean 'postmenopausal'"),
        ({"disease": "POF", "avoid_invasive_harvest": "yes"}, "expected true or false"),
        ({"disease": "POF", "agee": 3}, "unknown profile field 'agee' (did you mean 'age'?)"),
        ({"age": 30}, "the disease is required"),
        ({"disease": 5}, "test: field disease: expected a non-empty string, got 5"),
    ],
)
def test_bad_profiles_are_refused_clearly(
    kb: KnowledgeBase, raw: dict[str, Any], fragment: str | None
) -> None:
    if fragment is None:
        assert build_profile(raw, kb, "test").disease == "AD"
        return
    with pytest.raises(InputError) as info:
        build_profile(raw, kb, "test")
    assert fragment in str(info.value)
    assert str(info.value).startswith("test: ")  # says where, whatever is wrong, once
    assert str(info.value).count("test: ") == 1


def test_unknown_disease_lists_valid_ids(kb: KnowledgeBase) -> None:
    with pytest.raises(InputError, match="valid: AD, AS, FRAILTY, OP, POF, SKIN"):
        build(kb, disease="POFF")


def test_unknown_disease_suggests_an_id_as_the_catalog_writes_it(kb: KnowledgeBase) -> None:
    with pytest.raises(InputError, match=r"'nope' \(did you mean 'OP'\?\)"):
        build(kb, disease="nope")


def test_fertility_outside_pof_is_warned_not_ignored(kb: KnowledgeBase) -> None:
    notices = profile_notices(build(kb, disease="OP", needs=["fertility"]), kb)
    assert [n.code for n in notices] == ["need-not-applicable"]
    assert "fertility" in notices[0].message


def test_pof_age_outside_definition_is_warned(kb: KnowledgeBase) -> None:
    codes = [n.code for n in profile_notices(build(kb, disease="POF", age=45), kb)]
    assert codes == ["age-outside-definition"]
    assert profile_notices(build(kb, disease="POF", age=39), kb) == ()


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.json", '{"disease": "OP", "age": 70, "comorbidities": ["diabetes"]}'),
        ("p.toml", 'disease = "OP"\nage = 70\ncomorbidities = ["diabetes"]\n'),
    ],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])  # with and without a byte-order mark
def test_profile_files(
    tmp_path: Path, kb: KnowledgeBase, name: str, text: str, encoding: str
) -> None:
    path = tmp_path / name
    path.write_text(text, encoding=encoding)
    assert build_profile(read_profile_file(path), kb, str(path)) == Profile(
        disease="OP", age=70, comorbidities=("diabetes",)
    )


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("p.json", b'{"disease": "OP",\n "age": }', "invalid JSON at line 2, column"),
        ("p.toml", b'disease = "OP"\nage = \n', "invalid TOML"),
        ("p.json", b"", "file is empty"),
        ("p.json", b"\xff\xfe\x00garbage", "not UTF-8"),
        ("p.json", b"[1, 2]", "expected an object"),
        ("p.yaml", b"disease: OP", "unknown file type '.yaml'"),
    ],
)
def test_bad_profile_files(tmp_path: Path, name: str, content: bytes, fragment: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=None) as info:
        read_profile_file(path)
    assert fragment in str(info.value) and str(path) in str(info.value)


def test_missing_and_folder_profiles(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no such file"):
        read_profile_file(tmp_path / "none.json")
    folder = tmp_path / "dir.json"
    folder.mkdir()
    with pytest.raises(InputError, match="is a folder"):
        read_profile_file(folder)


def test_profile_reads_well_for_people(kb: KnowledgeBase) -> None:
    profile = build(kb, disease="POF", age=30, comorbidities=["diabetes", "obesity"])
    assert profile.describe() == (
        "age=30, sex=-, donor=any, modality=any, avoid_invasive_harvest=no, "
        "comorbidities=diabetes,obesity, etiology=-, needs=-"
    )


@settings(max_examples=80, deadline=None)
@given(st.data())
def test_a_value_read_from_the_memo_reads_as_it_does_fresh(data: st.DataObject) -> None:
    """build_profile keeps the values it accepted (a batch reads the same few again and again):
    profiles built with the memo warm equal those built with it empty."""
    kb = load_knowledge_base()
    raws = [data.draw(raw_profiles(kb)) for _ in range(4)]
    warm = [build_profile(raw, kb, "test") for raw in raws]
    for raw, profile in zip(raws, warm, strict=True):
        profile_module._accepted.cache_clear()
        assert build_profile(raw, kb, "test") == profile
        # As the constructor makes it: every field, in the vocabulary's order (its hash).
        again = Profile(
            profile.disease, **{k: v for k, v in vars(profile).items() if k != "disease"}
        )
        assert tuple(vars(profile)) == PROFILE_FIELD_NAMES and hash(again) == hash(profile)


@pytest.mark.parametrize(
    ("accepted", "refused", "fragment"),
    [
        ({"age": 1}, {"age": True}, "expected a whole number"),  # True == 1
        ({"age": 30}, {"age": 30.0}, "expected a whole number"),  # 30.0 == 30
        ({"avoid_invasive_harvest": False}, {"avoid_invasive_harvest": 0}, "expected true"),
        ({"comorbidities": ["diabetes"]}, {"comorbidities": ["diabetes", 1]}, "expected"),
        ({"comorbidities": ["diabetes"]}, {"comorbidities": [["diabetes"]]}, "expected"),
        ({"comorbidities": ["diabetes"]}, {"comorbidities": ("diabetes",)}, "expected a list"),
    ],
)
def test_a_look_alike_of_an_accepted_value_is_still_refused(
    kb: KnowledgeBase, accepted: dict[str, Any], refused: dict[str, Any], fragment: str
) -> None:
    build_profile({"disease": "POF", **accepted}, kb, "first")
    with pytest.raises(InputError) as info:
        build_profile({"disease": "POF", **refused}, kb, "second")
    assert str(info.value).startswith("second: field") and fragment in str(info.value)


def test_a_value_accepted_for_one_disease_is_refused_for_another(kb: KnowledgeBase) -> None:
    assert build(kb, disease="OP", etiology="postmenopausal").etiology == "postmenopausal"
    with pytest.raises(InputError, match=r"\(it applies to OP\)"):
        build(kb, disease="POF", etiology="postmenopausal")


def test_the_memo_of_accepted_values_is_bounded(
    kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(profile_module, "ACCEPTED_LIMIT", 4)
    profile_module._accepted.cache_clear()
    for disease in ("OP", "POF", "AD"):
        for age in range(20, 40):
            assert build(kb, disease=disease, age=age, donor="any").age == age
            assert len(profile_module._accepted(kb)) <= 4  # for all diseases together
    # A list longer than MEMO_ITEMS, or a string longer than MEMO_CHARS, is read every time.
    profile_module._accepted.cache_clear()
    many = ["diabetes"] * (profile_module.MEMO_ITEMS + 1)
    padded = "any" + " " * profile_module.MEMO_CHARS
    assert build(kb, disease="OP", comorbidities=many, donor=padded).comorbidities == ("diabetes",)
    assert not profile_module._accepted(kb)


def test_list_items_of_a_str_subclass_are_never_mixed_with_plain_strings(
    kb: KnowledgeBase,
) -> None:
    """A value is kept by its exact types: an API caller's str subclass (which may print its
    own way) never comes back to a caller who gave plain strings, nor the other way round."""

    class Id(str):
        pass

    profile_module._accepted.cache_clear()
    first = build(kb, disease="OP", comorbidities=[Id("diabetes")])
    second = build(kb, disease="OP", comorbidities=["diabetes"])
    assert type(first.comorbidities[0]) is Id and type(second.comorbidities[0]) is str
