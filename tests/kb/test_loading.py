"""Loading and validating rule trees: every fault is named with file, record, field and value."""

from __future__ import annotations

import functools
import hashlib
import random
import tomllib
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from mscadvisor.errors import KnowledgeBaseError
from mscadvisor.kb import cache, knowledge, packs
from mscadvisor.kb.knowledge import KnowledgeBase, build_knowledge_base, load_knowledge_base
from mscadvisor.kb.loader import list_sources, parse_sources, read_sources, shipped_rules_dir
from mscadvisor.kb.records import CATEGORIES
from mscadvisor.kb.validation import validate_records
from mscadvisor.record import replace
from mscadvisor.render.views import rule_view
from tests.packs import new_pack


def append(path: Path, text: str) -> None:
    path.write_text(path.read_text(encoding="utf-8") + "\n" + text, encoding="utf-8")


def problems_of(root: Path) -> str:
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(base=root)
    return str(info.value)


def test_shipped_rules_are_valid(kb: KnowledgeBase) -> None:
    files = [f for f in (shipped_rules_dir() / "scoring").glob("*.toml") if ".cases." not in f.name]
    declared = [r["id"] for f in files for r in tomllib.loads(f.read_text("utf-8"))["rule"]]
    assert sorted(kb.rules) == sorted(declared) and len(declared) > 60
    assert {r.rule.category for r in kb.rules.values()} == {*CATEGORIES, "regimen"}
    assert kb.info.version


def test_unknown_key_is_named(rules_copy: Path) -> None:
    target = rules_copy / "catalog" / "routes.toml"
    append(target, '[[route]]\nid = "XX"\nname = "x"\ncolour = "red"\n')
    message = problems_of(rules_copy)
    assert f"{target}: [[route]] id 'XX': field colour: unknown key" in message


def test_wrong_type_is_named_with_value(rules_copy: Path) -> None:
    target = rules_copy / "evidence" / "table3_trials.toml"
    text = target.read_text(encoding="utf-8").replace("enrollment = 40", 'enrollment = "40"')
    target.write_text(text, encoding="utf-8")
    message = problems_of(rules_copy)
    assert "[[trial]] id 'NCT01742533': field enrollment" in message
    assert "'40'" in message


def test_duplicate_id_names_both_files(rules_copy: Path) -> None:
    extra = rules_copy / "extra.toml"
    extra.write_text('[[section]]\nid = "conclusion"\ntitle = "again"\n', encoding="utf-8")
    message = problems_of(rules_copy)
    assert f"{extra}: [[section]] id 'conclusion': duplicate id, first defined in" in message
    assert "sections.toml" in message


@pytest.mark.parametrize(
    ("field", "value", "fragment"),
    [
        ("tissue", '"XX"', "field tissue: unknown id 'XX'"),
        ("route", '"nasal-spray"', "field route: unknown id 'nasal-spray'"),
        ("disease", '"GOUT"', "field disease: unknown id 'GOUT'"),
        ("ref", "99", "field ref: 99 is not in the reference list"),
        ("etiology", '"diabetic"', "field etiology: 'diabetic' is not an etiology of POF"),
    ],
)
def test_dangling_ids_in_studies_are_rejected(
    rules_copy: Path, field: str, value: str, fragment: str
) -> None:
    record = {
        "id": '"T9-1"',
        "table": "1",
        "ref": "18",
        "disease": '"POF"',
        "tissue": '"UC"',
        "species": '"human"',
        "modality": '"cells"',
        "setting": '"in-vivo"',
        "effect": '"x"',
    }
    record[field] = value
    body = "\n".join(f"{k} = {v}" for k, v in record.items())
    (rules_copy / "extra.toml").write_text(f"[[study]]\n{body}\n", encoding="utf-8")
    message = problems_of(rules_copy)
    assert "[[study]] id 'T9-1'" in message and fragment in message


def test_broken_toml_is_reported_with_position(rules_copy: Path) -> None:
    (rules_copy / "bad.toml").write_text("[[route]\nid = 1\n", encoding="utf-8")
    message = problems_of(rules_copy)
    assert "bad.toml: invalid TOML" in message and "line 1" in message


def test_unknown_record_kind_is_rejected(rules_copy: Path) -> None:
    (rules_copy / "bad.toml").write_text('[[rulez]]\nid = "x"\n', encoding="utf-8")
    assert "unknown top-level key 'rulez'" in problems_of(rules_copy)


def test_non_utf8_file_is_rejected(rules_copy: Path) -> None:
    (rules_copy / "bad.toml").write_bytes(b'[[section]]\nid = "\xff"\n')
    assert "bad.toml: not UTF-8 text" in problems_of(rules_copy)


def test_missing_folder_is_rejected(tmp_path: Path) -> None:
    assert "rules folder does not exist" in problems_of(tmp_path / "nope")


@pytest.mark.parametrize(
    ("replace", "by", "fragment"),
    [
        ("age = { at_least = 60 }", "age = { around = 60 }", "unknown operator word 'around'"),
        (
            'donor = "autologous", age',
            'donor = "autologus", age',
            "compares against unknown value 'autologus'",
        ),
        ('table4_items = ["BM-D1"]', 'table4_items = ["BM-D9"]', "unknown item 'BM-D9'"),
        (
            'citations = [{ table = 4, item = "BM-D1" }, { section = "aging-in-general" }]',
            "citations = [{ ref = 200 }]",
            "citation ref 200 is not in the reference list",
        ),
        (
            "points = -2\nlevel",
            "level",
            "give exactly one effect: points, exclude = true, evidence, or caveat = true",
        ),
    ],
)
def test_broken_rule_is_rejected(rules_copy: Path, replace: str, by: str, fragment: str) -> None:
    target = rules_copy / "scoring" / "table4.toml"
    text = target.read_text(encoding="utf-8")
    assert replace in text
    target.write_text(text.replace(replace, by, 1), encoding="utf-8")
    message = problems_of(rules_copy)
    assert "[[rule]] id 'T4-BM-D1-DONOR-AGE'" in message and fragment in message


def test_every_problem_is_reported_at_once(rules_copy: Path) -> None:
    target = rules_copy / "catalog" / "routes.toml"
    append(
        target,
        '[[route]]\nid = "XX"\nname = "x"\ndiseases = ["GOUT"]\n'
        '[[route]]\nid = "YY"\nname = "y"\ndiseases = ["FLU"]\n',
    )
    message = problems_of(rules_copy)
    assert "'GOUT'" in message and "'FLU'" in message


@functools.cache
def shipped_typed() -> dict[str, list[tuple[Any, str]]]:
    return validate_records(parse_sources(read_sources(list_sources(shipped_rules_dir()))))


@settings(max_examples=40, deadline=None)
@given(
    field=st.sampled_from(["tissue", "route", "disease", "modality", "preconditioning"]),
    ident=st.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=3, max_size=12),
    position=st.integers(0, 17),
)
def test_any_dangling_id_in_a_trial_is_rejected_naming_it(
    field: str, ident: str, position: int
) -> None:
    typed = shipped_typed()
    valid = {record.id for record, _ in typed[field]}
    assume(ident not in valid)
    trials = list(typed["trial"])
    trial, file = trials[position]
    value: object = (ident,) if field == "preconditioning" else ident
    trials[position] = (replace(trial, **{field: value}), file)
    with pytest.raises(KnowledgeBaseError) as info:
        build_knowledge_base({**typed, "trial": trials})
    assert f"[[trial]] id {trial.id!r}" in str(info.value)
    assert repr(ident) in str(info.value)


@settings(max_examples=20, deadline=None)
@given(st.randoms(use_true_random=False))
def test_file_order_does_not_change_the_knowledge_base(rnd: random.Random) -> None:
    sources = read_sources(list_sources(shipped_rules_dir()))
    reference = build_knowledge_base(validate_records(parse_sources(sources)))
    shuffled = list(sources)
    rnd.shuffle(shuffled)
    raws = parse_sources(shuffled)
    rnd.shuffle(raws)
    kb = build_knowledge_base(validate_records(raws))
    assert kb.sha256 == reference.sha256
    assert list(kb.rules) == list(reference.rules)
    assert kb.studies == reference.studies


def test_loading_is_deterministic() -> None:
    first, second = load_knowledge_base(), load_knowledge_base()
    assert first.sha256 == second.sha256
    assert first.studies == second.studies and first.trials == second.trials


def test_hash_ignores_comments_and_layout(rules_copy: Path, kb: KnowledgeBase) -> None:
    target = rules_copy / "catalog" / "routes.toml"
    target.write_text("# a new comment\n\n" + target.read_text(encoding="utf-8"), "utf-8")
    (rules_copy / "catalog" / "routes.toml").rename(rules_copy / "catalog" / "z_routes.toml")
    assert load_knowledge_base(base=rules_copy).sha256 == kb.sha256


def test_hash_changes_with_the_knowledge(rules_copy: Path, kb: KnowledgeBase) -> None:
    target = rules_copy / "evidence" / "table3_trials.toml"
    target.write_text(
        target.read_text("utf-8").replace("enrollment = 40", "enrollment = 41"), "utf-8"
    )
    assert load_knowledge_base(base=rules_copy).sha256 != kb.sha256


BM_DONOR_AGE = 'when = { donor = "autologous", age = { at_least = 60 } }'


@pytest.mark.parametrize(
    ("written", "same"),
    [
        (
            'when = { all = [{ field = "profile.donor", op = "eq", value = "autologous" }, '
            '{ field = "profile.age", op = "ge", value = 60 }] }',
            True,
        ),
        ('when = { all = [{ donor = "autologous" }, { age = { at_least = 60 } }] }', True),
        ('when = { donor = "autologous", age = { at_least = 61 } }', False),
        ('when = { age = { at_least = 60 }, donor = "autologous" }', False),  # order is kept
    ],
)
def test_hash_and_rule_listing_ignore_how_a_condition_is_written(
    rules_copy: Path, kb: KnowledgeBase, written: str, same: bool
) -> None:
    """The hash covers what a condition means (its tree), not the form it is written in."""
    target = rules_copy / "scoring" / "table4.toml"
    text = target.read_text("utf-8")
    assert BM_DONOR_AGE in text
    target.write_text(text.replace(BM_DONOR_AGE, written), "utf-8")
    rewritten = load_knowledge_base(base=rules_copy, use_cache=False)
    assert (rewritten.sha256 == kb.sha256) is same
    (row,) = rule_view(rewritten, "T4-BM-D1-DONOR-AGE").rows
    (shipped,) = rule_view(kb, "T4-BM-D1-DONOR-AGE").rows
    assert (row["when"] == shipped["when"]) is same  # `rules list --format json`: the long form
    assert row["when"]["all"][0]["field"] in ("profile.donor", "profile.age")


def test_hash_ignores_test_cases(rules_copy: Path, kb: KnowledgeBase) -> None:
    """Test cases are not knowledge: adding, editing or removing them keeps the hash, with or
    without the compiled cache, while the cache still serves the edited cases."""
    scoring = rules_copy / "scoring"
    assert load_knowledge_base(base=rules_copy).sha256 == kb.sha256  # fills the cache
    table4 = scoring / "table4.cases.toml"
    first = next(iter(load_knowledge_base(base=rules_copy).cases.values()))
    (scoring / "routes.cases.toml").unlink()
    text = table4.read_text("utf-8")
    table4.write_text(text.replace("[[case]]", "# moved\n[[case]]", 1) + "\n", "utf-8")
    target = next(p for p in scoring.glob("*.cases.toml") if first.summary in p.read_text("utf-8"))
    target.write_text(target.read_text("utf-8").replace(first.summary, "Edited summary"), "utf-8")
    for use_cache in (True, True, False):
        loaded = load_knowledge_base(base=rules_copy, use_cache=use_cache)
        assert loaded.sha256 == kb.sha256
        assert loaded.cases[first.id].summary == "Edited summary"
        assert not any(c.startswith("CASE-ROUTE-") for c in loaded.cases)


def test_the_shipped_tree_names_itself_with_the_version_of_its_knowledge(
    kb: KnowledgeBase,
) -> None:
    assert kb.tree is not None
    assert (kb.tree.name, kb.tree.version) == ("mscadvisor-rules", kb.info.version)
    assert kb.packs == () and "pack.toml" not in {Path(f).name for f in kb.files}


def test_a_pack_is_recorded_by_its_manifest_and_loads_again_from_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MSCADVISOR_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.delenv("MSCADVISOR_NO_CACHE", raising=False)
    monkeypatch.setattr(cache, "SETTLE_NS", 0)  # the pack's files are fresh
    pack = new_pack(tmp_path / "lab", 'name = "lab"\nversion = "2.1"\ndescription = "Ours"\n')
    first = load_knowledge_base([pack])
    assert [(p.name, p.version, p.path) for p in first.packs] == [("lab", "2.1", str(pack))]

    def no_parsing(*_: object) -> None:
        raise AssertionError("a manifest was parsed although a valid cache exists")

    assert first.sha256 == load_knowledge_base().sha256  # a manifest is not knowledge
    monkeypatch.setattr(knowledge, "parse_sources", no_parsing)
    second = load_knowledge_base([pack])
    assert second.packs == first.packs and second.tree == first.tree
    assert second.sha256 == first.sha256


def test_a_folder_without_a_manifest_is_refused_before_anything_under_it_is_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "big" / "project").mkdir(parents=True)
    (tmp_path / "big" / "project" / "pyproject.toml").write_text("[project]\n", "utf-8")
    monkeypatch.setattr(packs._Walk, "folder", None)  # listing anything would fail
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base(base=tmp_path / "big")
    assert info.value.problems == [
        f"not a rule pack: {tmp_path / 'big'} has no pack.toml; see README (Rule packs) for the "
        'manifest a pack starts with: name = "..." and version = "..."'
    ]


def test_a_pack_given_as_the_current_folder_names_its_files_as_pathlib_does(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pack = new_pack(tmp_path / "lab")
    (pack / "sub").mkdir()
    for name in ("sub/a.toml", "b.toml"):
        (pack / name).write_text(f"# {name}\n", "utf-8")
    monkeypatch.chdir(pack)
    listing = packs.list_pack(Path("."))
    assert listing.manifest == str(Path(".") / "pack.toml") == "pack.toml"  # no "./"
    assert listing.rule_files == tuple(str(Path(".") / name) for name in ("b.toml", "sub/a.toml"))


def test_a_packs_files_are_listed_by_their_relative_posix_path(tmp_path: Path) -> None:
    # Their order makes the pack's sha256: "a.toml" sorts before "a/..." ("." < "/"), though a
    # walk by names meets the folder "a" first.
    pack = new_pack(tmp_path / "lab")
    layout = ["a/b.toml", "a.toml", "a-b.toml", "B.toml", "a/c/d.toml", "ab.toml", "a/b/e.toml"]
    for name in layout:
        (pack / name).parent.mkdir(parents=True, exist_ok=True)
        (pack / name).write_text(f"# {name}\n", "utf-8")
    listing = packs.list_pack(pack)
    assert [Path(p).relative_to(pack).as_posix() for p in listing.rule_files] == sorted(layout)
    assert listing.rule_files == tuple(str(pack / name) for name in sorted(layout))
    sources = read_sources(list_sources(pack))
    assert [s.file.shown for s in sources] == [listing.manifest, *listing.rule_files]
    assert all(s.sha256 == hashlib.sha256(s.content).digest() for s in sources)


@pytest.mark.parametrize(
    ("limit", "value", "layout", "fragment"),
    [
        (
            "MAX_ENTRIES",
            3,
            ["a.toml", "b.toml", "c.toml", "d.toml"],
            "more than 3 files and folders",
        ),
        ("MAX_BYTES", 10, ["a.toml", "b.toml"], "more than 10 bytes of rule files"),
        ("MAX_DEPTH", 1, ["x/y/a.toml"], "folders nested more than 1 levels deep"),
    ],
)
def test_a_pack_is_bounded(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    limit: str,
    value: int,
    layout: list[str],
    fragment: str,
) -> None:
    pack = new_pack(tmp_path / "lab")
    for name in layout:
        (pack / name).parent.mkdir(parents=True, exist_ok=True)
        (pack / name).write_text("# nothing yet\n", "utf-8")
    packs.list_pack(pack)  # within the real bounds
    monkeypatch.setattr(packs, limit, value)
    with pytest.raises(KnowledgeBaseError) as info:
        packs.list_pack(pack)
    (problem,) = info.value.problems
    assert problem.startswith(f"{pack}: {fragment}")
    assert problem.endswith(
        "; a rule pack is bounded (README, Rule packs): is it the right folder?"
    )


def test_hidden_entries_are_not_part_of_a_pack(tmp_path: Path) -> None:
    pack = new_pack(tmp_path / "lab")
    (pack / ".git").mkdir()
    (pack / ".git" / "config.toml").write_text("not toml at all", "utf-8")
    (pack / ".rules.toml.swp").write_text("not toml at all", "utf-8")
    assert load_knowledge_base([pack], use_cache=False).packs[0].name == "test-pack"


def test_everything_a_pack_cannot_use_is_reported_at_once(tmp_path: Path) -> None:
    pack = new_pack(tmp_path / "lab")
    (tmp_path / "shared").mkdir()
    (pack / "shared").symlink_to(tmp_path / "shared")
    (pack / "Rules.Toml").write_text("", "utf-8")
    (pack / "open.toml").write_text("", "utf-8")
    (pack / "open.toml").chmod(0o646)
    with pytest.raises(KnowledgeBaseError) as info:
        load_knowledge_base([pack], use_cache=False)
    assert info.value.problems == [
        f"{pack / 'Rules.Toml'}: a rule file's name ends in .toml, in lower case; rename it "
        "Rules.toml",
        f"{pack / 'open.toml'}: writable by other users; make it yours alone: chmod go-w "
        f"'{pack / 'open.toml'}'",
        f"{pack / 'shared'}: a symbolic link to a folder; a pack's folders must be its own (copy "
        "the folder in instead)",
    ]


def test_a_base_tree_is_checked_like_a_pack_and_the_shipped_tree_is_trusted(
    rules_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (rules_copy / "scoring").chmod(0o775)
    assert "scoring: writable by other users" in problems_of(rules_copy)
    (rules_copy / "scoring").chmod(0o755)
    (rules_copy / "pack.toml").unlink()
    assert "has no pack.toml" in problems_of(rules_copy)
    monkeypatch.setattr(packs.stat, "S_IWGRP", 0o020 | 0o004)  # world-readable counts as open
    load_knowledge_base(use_cache=False)  # the shipped tree is not checked


def test_a_pack_given_twice_by_the_api_is_one_problem(tmp_path: Path) -> None:
    from tests.packs import new_pack

    pack = new_pack(tmp_path / "pack")
    with pytest.raises(KnowledgeBaseError) as raised:
        knowledge.load_knowledge_base((pack, pack))
    assert raised.value.problems == [f"{pack}: this rule pack is given twice; give it once"]
