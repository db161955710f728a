"""The vocabulary is the one declaration of profile fields: every reader derives from it."""

from __future__ import annotations

import inspect
import io

import pytest
import typer

from mscadvisor.batch import read_rows
from mscadvisor.cli.options import complete_ids, with_profile_options
from mscadvisor.engine.profile import Profile, build_profile
from mscadvisor.engine.scoring import profile_context
from mscadvisor.engine.whatif import FIELD_NAMES, apply_changes
from mscadvisor.errors import InputError
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.vocabulary import (
    CONDITION_PROFILE_FIELDS,
    FIELDS,
    PROFILE_FIELD_BY_NAME,
    PROFILE_FIELD_NAMES,
    PROFILE_FIELDS,
    parse_text,
)


def test_every_profile_field_is_a_condition_field_a_flag_and_a_csv_column(
    kb: KnowledgeBase,
) -> None:
    for spec in CONDITION_PROFILE_FIELDS:
        assert FIELDS[spec.condition_field].kind == spec.kind
    context = profile_context(build_profile({"disease": "OP"}, kb, "t"), kb)
    assert {f for f in FIELDS if f.startswith("profile.")} == {
        f for f in context if f.startswith("profile.")
    }
    header = ",".join(PROFILE_FIELD_NAMES)
    text = header + "\n" + "OP," + ",".join("" for _ in PROFILE_FIELDS[1:]) + "\n"
    (row,) = read_rows(io.BufferedReader(io.BytesIO(text.encode())), "csv", "p.csv")
    assert row.fields == {"disease": "OP"}


def test_profile_options_come_from_the_vocabulary() -> None:
    def command(ctx: typer.Context, profile: object, fmt: str = "table") -> None: ...

    names = list(inspect.signature(with_profile_options()(command)).parameters)
    flags = [s.flag.removeprefix("--").replace("-", "_") for s in PROFILE_FIELDS]
    assert names == ["ctx", *flags, "profile", "fmt"]


@pytest.mark.parametrize(
    ("field", "text", "value"),
    [
        ("avoid_invasive_harvest", "YES", True),
        ("avoid_invasive_harvest", "0", False),
        ("avoid_invasive_harvest", "unknown", None),
        ("age", " 65 ", 65),
        ("age", "-", None),
        ("needs", "fertility;durable-effect", ["fertility", "durable-effect"]),
        ("needs", "fertility, durable-effect", ["fertility", "durable-effect"]),
        ("sex", "none", None),
        ("needs", "-", []),  # a list is cleared by the same words as any other field
        ("comorbidities", " None ", []),
        ("comorbidities", "unknown", []),
        ("comorbidities", "", []),
    ],
)
def test_one_set_of_spellings(field: str, text: str, value: object) -> None:
    assert parse_text(PROFILE_FIELD_BY_NAME[field], text) == value


@pytest.mark.parametrize("text", ["²", "1e3", "6.5", "9" * 5000, "old"])
def test_numbers_are_ascii_digits_of_bounded_length(text: str) -> None:
    with pytest.raises(ValueError, match="whole number of years"):
        parse_text(PROFILE_FIELD_BY_NAME["age"], text)


def test_what_if_and_csv_read_values_alike(kb: KnowledgeBase) -> None:
    base = build_profile({"disease": "OP"}, kb, "t")
    changed = apply_changes(kb, base, ["avoid-invasive-harvest=1", "need=large-cell-dose"])
    assert changed.avoid_invasive_harvest is True
    assert changed.needs == ("large-cell-dose",)
    assert set(FIELD_NAMES.values()) == {s.name for s in CONDITION_PROFILE_FIELDS}
    with pytest.raises(InputError, match="age=²"):
        apply_changes(kb, base, ["age=²"])


def test_choices_are_case_insensitive_and_canonical(kb: KnowledgeBase) -> None:
    profile = build_profile({"disease": "pof", "donor": "Allogeneic", "sex": "FEMALE"}, kb, "t")
    assert (profile.disease, profile.donor, profile.sex) == ("POF", "allogeneic", "female")


def test_a_profile_is_immutable_and_compares_by_value() -> None:
    profile = Profile("OP", age=70)
    assert profile == Profile("OP", age=70) != Profile("OP")
    assert hash(profile) == hash(Profile("OP", age=70))
    assert profile.replace(age=None) == Profile("OP")
    with pytest.raises(AttributeError):
        profile.age = 3  # type: ignore[misc]
    with pytest.raises(TypeError, match="unknown profile field"):
        Profile("OP", smoker=True)


def test_completion_offers_vocabulary_values() -> None:
    assert complete_ids("need")("fer") == ["fertility"]
    assert complete_ids("donor")("a") == ["allogeneic", "any", "autologous"]
