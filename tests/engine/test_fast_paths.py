"""The engine's memos and the result's shared JSON parts change no result: a profile scored after
others (memos warm) equals the same profile scored by a fresh index, and ``to_dict`` and
``to_json_line`` equal the documents built part by part."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from mscadvisor.engine import regimens, scoring
from mscadvisor.engine.profile import build_profile
from mscadvisor.engine.result import CATEGORY_KEYS, Recommendation
from mscadvisor.engine.scoring import score
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.record import replace
from tests.packs import new_pack
from tests.strategies import raw_profiles

KB = load_knowledge_base()

# Fields any disease accepts, to vary a profile without leaving its disease.
NEIGHBOURS = st.fixed_dictionaries(
    {},
    optional={
        "age": st.integers(0, 120),
        "donor": st.sampled_from(["autologous", "allogeneic", "any"]),
        "modality": st.sampled_from(["cells", "exosomes", "any"]),
        "avoid_invasive_harvest": st.booleans(),
        "comorbidities": st.lists(st.sampled_from(sorted(KB.comorbidities)), max_size=3),
        "needs": st.lists(st.sampled_from(sorted(KB.needs)), max_size=3),
    },
)


@settings(max_examples=60, deadline=None)
@given(st.data(), st.integers(0, 4))
def test_a_memoized_result_equals_a_fresh_one(data: st.DataObject, regimens: int) -> None:
    """Profiles of one disease that differ in a few fields share memos; none may leak."""
    first = data.draw(raw_profiles(KB))
    neighbours = [{**first, **data.draw(NEIGHBOURS)} for _ in range(3)]
    profiles = [build_profile(raw, KB, "test") for raw in (first, *neighbours)]
    warm = [score(KB, p, regimens) for p in profiles]
    for profile, memoized in zip(profiles, warm, strict=True):
        scoring._disease_index.cache_clear()  # a fresh index: empty memos
        fresh = score(KB, profile, regimens)
        assert memoized == fresh
        assert memoized.to_dict() == fresh.to_dict()


def built_part_by_part(result: Recommendation) -> dict[str, Any]:
    doc = result.to_dict_head()
    for category, key in CATEGORY_KEYS.items():
        doc[key] = [c.to_dict() for c in result.ranked[category]]
    doc["regimens"] = [r.to_dict() for r in result.regimens]
    doc["excluded"] = [e.to_dict() for e in result.excluded]
    doc["warnings"] = [w.to_dict() for w in result.warnings]
    return doc


@settings(max_examples=40, deadline=None)
@given(st.data())
def test_shared_json_parts_give_the_documents_built_part_by_part(data: st.DataObject) -> None:
    result = score(KB, build_profile(data.draw(raw_profiles(KB)), KB, "test"))
    expected = built_part_by_part(result)
    assert json.dumps(result.to_dict()) == json.dumps(expected)  # keys in the same order too
    line = json.dumps({"line": 7, **expected}, separators=(",", ":"), ensure_ascii=False)
    assert result.to_json_line(line=7) == line


JSON_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=True), st.text()
)
JSON_VALUES = st.recursive(
    JSON_SCALARS, lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner)
)


class Text(str):
    """A str subclass: json.dumps writes it as a string, whatever its own methods say."""

    def __repr__(self) -> str:
        return "changed"


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(
        st.text() | st.builds(Text, st.text()),
        JSON_VALUES | st.builds(Text, st.text()) | st.integers().map(lambda n: n > 0),
        max_size=4,
    )
)
def test_a_flat_block_is_written_as_json_dumps_writes_it(values: dict[str, Any]) -> None:
    """A batch line's first keys and a reproduce block are written without the encoder when
    they hold only strings, ints and None; anything else, as json.dumps would."""
    from mscadvisor.engine.result import _flat_json

    expected = json.dumps(values, separators=(",", ":"), ensure_ascii=False)
    assert _flat_json(values) == expected


def test_the_top_level_lists_of_a_document_are_its_own() -> None:
    result = score(KB, build_profile({"disease": "POF"}, KB, "test"))
    doc = result.to_dict()
    for key in (*CATEGORY_KEYS.values(), "regimens", "excluded", "warnings"):
        doc[key].clear()
    assert result.to_dict() == built_part_by_part(result)


def judge_every_source(
    catalog: Any, sources: Any, judged: Any
) -> tuple[regimens.JudgedSource, ...]:
    """Regimens' inputs with nothing left unjudged: every source, its routes and strategies."""
    routes, strategies = set(KB.routes), set(KB.preconditioning)
    return tuple(
        (s, judged(s, "route", routes), judged(s, "preconditioning", strategies)) for s in sources
    )


@settings(max_examples=40, deadline=None)
@given(st.data(), st.integers(0, 6))
def test_regimens_judge_only_what_can_pair(data: st.DataObject, top: int) -> None:
    """Leaving unjudged the sources no in vivo record tested, and the routes and strategies no
    such record used with them, changes no regimen."""
    profile = build_profile(data.draw(raw_profiles(KB)), KB, "test")
    scoring._disease_index.cache_clear()
    lazily = score(KB, profile, top)
    scoring._disease_index.cache_clear()
    with patch.object(regimens, "judged_sources", judge_every_source):
        fully = score(KB, profile, top)
    scoring._disease_index.cache_clear()
    assert lazily.regimens == fully.regimens
    assert lazily == fully


def test_what_regimens_pair_is_scored_once_per_source_and_rules() -> None:
    """Judged again for another number of regimens, a profile scores no category again: the
    routes and strategies of each source that regimens pair are memoized as outcomes are."""
    profile = build_profile({"disease": "POF"}, KB, "test")
    scoring._disease_index.cache_clear()
    calls = []
    scored = scoring._score_category

    def counted(*args: Any) -> Any:
        calls.append(args[2])  # the category
        return scored(*args)

    with patch.object(scoring, "_score_category", counted):
        first = score(KB, profile, 3)
        assert len(calls) > 3  # sources, the top source's two categories, and pairing
        calls.clear()
        again = score(KB, profile, 5)
    scoring._disease_index.cache_clear()
    assert calls == [] and again.regimens[:3] == first.regimens[:3]


ROUTE_BY_ETIOLOGY = """
[[rule]]
id = "PACK-ROUTE-ETIOLOGY"
group = "pack"
category = "route"
summary = "Route studied in the patient's etiology"
rationale = "A rule that makes a route's score depend on the etiology."
level = "preclinical-in-vivo"
citations = [{ table = 1 }]
evidence = { records = "studies", match = ["disease", "modality", "route", "etiology"], \
setting = ["in-vivo"], outcome = ["efficacy-reported"], points_each = 3, cap = 6 }
"""


def test_what_regimens_pair_is_judged_anew_for_another_etiology_or_donor(
    tmp_path: Path,
) -> None:
    """Profiles scored one after another, sharing the memos, get the regimens each gets alone."""
    pack = new_pack(tmp_path / "pack")
    (pack / "rules.toml").write_text(ROUTE_BY_ETIOLOGY, encoding="utf-8")
    kb = load_knowledge_base([pack])
    profiles = [
        build_profile({"disease": disease.id, "etiology": etiology, **other}, kb, "test")
        for disease in kb.diseases.values()
        for etiology in [None, *(e.id for e in disease.etiologies)]
        for other in ({"modality": m} for m in ("cells", "exosomes"))
        for other in (other, {**other, "donor": "autologous"}, {**other, "donor": "allogeneic"})
    ]
    scoring._disease_index.cache_clear()
    shared = [score(kb, profile, 10) for profile in profiles]
    alone = []
    for profile in profiles:
        scoring._disease_index.cache_clear()
        alone.append(score(kb, profile, 10))
    scoring._disease_index.cache_clear()
    assert [r.regimens for r in shared] == [r.regimens for r in alone]


def test_the_shared_json_parts_are_bounded_by_their_count(monkeypatch: Any) -> None:
    from mscadvisor.engine import result as results

    monkeypatch.setattr(results, "_ENCODED", {})
    monkeypatch.setattr(results, "_ENCODED_LIMIT", 16)
    profiles = [
        build_profile({"disease": disease, "age": age}, KB, "test")
        for disease in ("POF", "OP", "AD")
        for age in (30, 50, 70)
    ]
    for profile in profiles * 2:  # each profile's parts encoded again after their eviction
        result = score(KB, profile)
        expected = json.dumps(
            {"line": 1, **built_part_by_part(result)}, separators=(",", ":"), ensure_ascii=False
        )
        assert result.to_json_line(line=1) == expected
        assert json.dumps(result.to_dict()) == json.dumps(built_part_by_part(result))
        assert len(results._ENCODED) <= 16


def test_an_index_that_reaches_its_memo_limit_forgets_and_gives_the_same_results(
    monkeypatch: Any,
) -> None:
    monkeypatch.setattr(scoring, "MEMO_LIMIT", 2)
    profiles = [
        build_profile({"disease": "OP", "age": age, "donor": donor}, KB, "test")
        for age in (30, 55, 65, 80)
        for donor in ("autologous", "allogeneic")
    ]
    scoring._disease_index.cache_clear()
    results = [score(KB, p) for p in profiles * 2]
    index = scoring._disease_index(KB, "OP")
    assert len(index.judgement_memo) <= 2  # forgot, again and again, and stayed bounded
    for profile, result in zip(profiles * 2, results, strict=True):
        scoring._disease_index.cache_clear()
        assert score(KB, profile).to_dict() == result.to_dict()
    scoring._disease_index.cache_clear()


class Id(str):
    """An id that prints its own way, as an API caller's str subclass may."""

    def __repr__(self) -> str:
        return f"Id({str.__repr__(self)})"


# Values equal to one another but written differently, one after the other.
LOOK_ALIKES = [
    {"comorbidities": ("diabetes",)},
    {"comorbidities": (Id("diabetes"),)},
    {"comorbidities": (1,)},
    {"comorbidities": (True,)},
    {"age": 0},
    {"age": 0.0},
    {"age": -0.0},
    {"age": False},
]


def test_profile_values_that_are_equal_but_written_differently_are_written_each_their_way() -> None:
    """The texts kept for profile values (their JSON, flags and Python literals) serve only
    values that every equal value is written like: a profile made directly through the API
    with look-alikes (True for 1, -0.0 for 0.0, a str subclass) is written as it is."""
    from mscadvisor.engine import reproduce
    from mscadvisor.engine import result as results
    from mscadvisor.engine.profile import Profile

    for values in LOOK_ALIKES * 2:
        result = score(KB, Profile("OP", **values))
        line = result.to_json_line(line=1)
        expected = {"line": 1, **result.to_dict()}
        assert line == json.dumps(expected, separators=(",", ":"), ensure_ascii=False)
        kept = result.reproduce.recommendation() if result.reproduce else None
        reproduce._kept_texts.cache_clear()
        results._PROFILE_VALUES.clear()
        assert result.reproduce and result.reproduce.recommendation() == kept
    unhashable = replace(score(KB, Profile("OP")), profile=Profile("OP", needs=["x"]))
    assert '"needs":["x"]' in unhashable.to_json_line()


@settings(max_examples=300, deadline=None)
@given(st.text() | st.text(alphabet="ab_@%+=:,./-'\" \t\n$é", max_size=8))
def test_reproduce_quotes_words_as_shlex_does(word: str) -> None:
    import shlex

    from mscadvisor.engine.reproduce import shell_word, shell_words

    assert shell_word(word) == shlex.quote(word)
    assert shell_words([word, "x", word]) == shlex.join([word, "x", word])
