"""Fuzzing: command lines from a grammar of valid and invalid tokens, mutated profile files,
batch rows and rule files. Whatever the input: no traceback, a documented exit code, and JSON
on stdout that parses (and matches its published schema) when the command succeeds.

The quick profile runs in CI; `MSCADVISOR_FUZZ=long python -m pytest tests/cli/test_fuzz.py` runs
many more examples by hand.
"""

from __future__ import annotations

import io
import json
import math
import os
import string
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from mscadvisor import batch
from mscadvisor.engine.profile import build_profile, read_profile_file
from mscadvisor.errors import (
    EXIT_KNOWLEDGE_BASE,
    EXIT_OK,
    EXIT_RUNTIME,
    EXIT_USAGE,
    InputError,
    KnowledgeBaseError,
    MscAdvisorError,
)
from mscadvisor.kb.knowledge import load_knowledge_base
from mscadvisor.kb.opening import KnowledgeSource
from tests import schemas
from tests.conftest import CliResult
from tests.packs import new_pack

LONG = os.environ.get("MSCADVISOR_FUZZ") == "long"
FUZZ = settings(
    max_examples=2000 if LONG else 60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
DOCUMENTED = {EXIT_OK, EXIT_RUNTIME, EXIT_USAGE, EXIT_KNOWLEDGE_BASE}
KB = load_knowledge_base()

# Text as people and programs write it, with control characters, a bidi override and a NUL.
junk = st.text(
    alphabet=string.ascii_letters + string.digits + "-_=.,;:/ é[]{}'\"\x1b\x07\x00\u202e²",
    max_size=12,
)
diseases = st.sampled_from([*KB.diseases, "alzheimers", "poi", "gout", "AD ", ""]) | junk
candidates = st.sampled_from(["BM-cells", "AD-exosomes", "IN", "hypoxia", "XX", ""]) | junk
numbers = st.sampled_from(
    ["34", "0", "120", "121", "-1", "old", "3.5", "", "²", "nan", "1e308", "9" * 5000]
)
formats = st.sampled_from(["table", "json", "markdown", "yaml", ""])


def option(name: str, values: st.SearchStrategy[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.tuples(st.just(name), values).map(list), max_size=2).map(
        lambda pairs: [token for pair in pairs for token in pair]
    )


profile_options = st.tuples(
    option("--disease", diseases),
    option("--age", numbers),
    option("--sex", st.sampled_from(["female", "male", "other"])),
    option("--donor", st.sampled_from(["autologous", "allogeneic", "any", "self"])),
    option("--modality", st.sampled_from(["cells", "exosomes", "any", "cell"])),
    option("--comorbidity", st.sampled_from([*KB.comorbidities, "flu"])),
    option("--need", st.sampled_from([*KB.needs, "speed"])),
    option("--etiology", st.sampled_from(["diabetic", "photoaging", "natural-aging", "x"])),
    st.lists(st.just("--avoid-invasive-harvest"), max_size=1),
).map(lambda parts: [token for part in parts for token in part])

command_lines = st.one_of(
    st.tuples(
        st.just(["recommend"]),
        profile_options,
        option("--format", formats),
        option("--top", numbers),
        option(
            "--what-if",
            st.sampled_from(
                ["age=65", "donor=autologous", "needs=fertility", "colour=red", "age="]
            ),
        ),
        st.lists(st.just("--explain"), max_size=1),
    ),
    st.tuples(
        st.just(["explain"]),
        profile_options,
        option("--candidate", candidates),
        option("--format", formats),
        st.lists(st.just("--sensitivity"), max_size=1),
    ),
    st.tuples(
        st.sampled_from(
            [["diseases"], ["sources"], ["errata"], ["routes"], ["preconditioning"], ["trials"]]
        ),
        option("--disease", diseases),
        option("--format", formats),
    ),
    st.tuples(
        st.just(["evidence"]),
        option("--disease", diseases),
        option("--tissue", st.sampled_from(["BM", "ad", "bone", ""])),
        option("--route", st.sampled_from(["IV", "in", "oral"])),
        option("--modality", st.sampled_from(["cells", "exo"])),
        option("--format", formats),
    ),
    st.tuples(st.just(["reference"]), st.lists(numbers, max_size=1), option("--format", formats)),
    st.tuples(
        st.sampled_from(
            [
                ["rules", "list"],
                ["rules", "show"],
                ["schema"],
                ["cache", "info"],
                ["rules", "lint"],
                ["rules", "check"],
                ["nonsense"],
                [],
            ]
        ),
        st.lists(
            st.sampled_from(
                [
                    "recommendation",
                    "what-if",
                    "batch-line",
                    "listing",
                    "rules-test",
                    "T4-BM-D1-DONOR-AGE",
                    "x",
                    "--kind",
                    "table4",
                    "--help",
                    "-f",
                    "json",
                ]
            ),
            max_size=3,
        ),
    ),
).map(lambda parts: [token for part in parts for token in part])


def schema_of(argv: list[str]) -> str:
    """The schema of the document a command line that asks for JSON prints."""
    if argv[:1] == ["recommend"]:
        return "what-if" if "--what-if" in argv else "recommendation"
    if argv[:1] == ["explain"]:
        return "explain"
    if argv[:2] in (
        ["rules", "check"],
        ["rules", "test"],
        ["rules", "coverage"],
        ["rules", "lint"],
    ):
        return "-".join(argv[:2])
    if argv[:2] == ["cache", "info"]:
        return "cache-info"
    return "listing"


@FUZZ
@given(command_lines)
def test_any_command_line(cli: Callable[..., CliResult], argv: list[str]) -> None:
    result = cli(*argv)
    assert result.code in DOCUMENTED, (argv, result.code, result.err)
    assert "Traceback" not in result.err and "internal error" not in result.err, (argv, result.err)
    formats_given = [
        argv[i + 1] for i, token in enumerate(argv[:-1]) if token in ("--format", "-f")
    ]
    wants_json = bool(formats_given) and formats_given[-1] == "json"
    if result.code == 0 and wants_json and "--help" not in argv:
        schemas.validate(schema_of(argv), json.loads(result.out))
    if result.code != 0:
        assert result.out == "" or argv[:1] == ["rules"], (argv, result.out[:200])


class Literal(str):
    """Text written into a document as it is: what no encoder would write (a number of
    thousands of digits, NaN, nesting thousands deep)."""


def nested(depth: int) -> Literal:
    return Literal("[" * depth + "]" * depth)


# Leaves beyond the ordinary: integers of any size, NaN and infinities, overlong numbers,
# nesting up to far past any limit, control characters in text.
leaves = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()
    | junk
    | st.integers(40, 5000).map(lambda n: Literal("9" * n))
    | st.integers(1, 3000).map(nested)
)
json_values = st.recursive(
    leaves,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(junk, children, max_size=3),
    max_leaves=12,
)


class Pairs(tuple[tuple[str, Any], ...]):
    """The members of a JSON object in order, a key possibly more than once."""


def json_text(value: Any) -> str:
    """JSON of value; Literal text as it is, Pairs as an object that may repeat a key."""
    if isinstance(value, Literal):
        return str(value)
    if isinstance(value, dict):
        value = Pairs(value.items())
    if isinstance(value, Pairs):
        return "{" + ", ".join(f"{json.dumps(k)}: {json_text(v)}" for k, v in value) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(json_text(v) for v in value) + "]"
    return json.dumps(value)  # NaN and Infinity as JavaScript writes them


def toml_text(value: Any) -> str:
    """TOML of a value that is no table; Literal text as it is."""
    if isinstance(value, Literal):
        return str(value)
    if isinstance(value, dict):
        return (
            "{ " + ", ".join(f"{json.dumps(k)} = {toml_text(v)}" for k, v in value.items()) + " }"
        )
    if isinstance(value, list):
        return "[" + ", ".join(toml_text(v) for v in value) + "]"
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # nan, inf, -inf: TOML spells them as Python does
    return json.dumps(value)


VALID_PROFILE = {
    "disease": "OP",
    "age": 70,
    "sex": "female",
    "donor": "autologous",
    "modality": "cells",
    "avoid_invasive_harvest": True,
    "comorbidities": ["diabetes"],
    "etiology": "diabetic",
    "needs": ["fertility"],
}
VALID_NORMALISED = build_profile(VALID_PROFILE, KB, "valid profile")
FIELD_WORDS = {"comorbidities": "comorbidit", "needs": "need"}  # messages may say one of them
T = TypeVar("T")


def outcome(call: Callable[[], T]) -> tuple[T | None, MscAdvisorError | None]:
    """What call returns, or the error by which it refused its input."""
    try:
        return call(), None
    except (InputError, KnowledgeBaseError) as exc:
        return None, exc


@FUZZ
@given(
    st.dictionaries(st.sampled_from([*VALID_PROFILE, "colour"]), json_values, max_size=4),
    st.sampled_from([".json", ".toml"]),
    st.booleans(),
)
def test_mutated_profile_files(
    tmp_path: Path, changes: dict[str, Any], suffix: str, repeat_a_key: bool
) -> None:
    raw = {**VALID_PROFILE, **changes}
    members = [*raw.items(), *([("disease", "POF")] if repeat_a_key else [])]
    # TOML has no null: a key set to None is left out, and then written once, not twice.
    repeat_a_key = repeat_a_key and (suffix == ".json" or raw["disease"] is not None)
    path = tmp_path / f"profile{suffix}"
    if suffix == ".json":
        path.write_text(json_text(Pairs(members)), encoding="utf-8")
    else:
        lines = [f"{k} = {toml_text(v)}" for k, v in members if v is not None]
        path.write_text("\n".join(lines), encoding="utf-8")
    fields, unreadable = outcome(lambda: read_profile_file(path))
    if unreadable is not None:
        assert f"profile {path}: " in str(unreadable)  # the file itself is bad: named
        return
    assert not repeat_a_key  # a key given twice is never read as one of its values
    assert fields is not None
    profile, refused = outcome(lambda: build_profile(fields, KB, str(path)))
    if refused is not None:
        # refused: the message names a field the mutation changed, or one checked against it
        named = {f for f in fields if FIELD_WORDS.get(f, f) in str(refused)}
        named |= {"disease"} if "disease" in str(refused) else set()
        culprits = set(changes) | ({"sex", "etiology"} if "disease" in changes else set())
        assert named & culprits, (changes, str(refused))
        return
    assert profile is not None
    # accepted: the profile says what the file says, normalised
    assert {**VALID_PROFILE, **changes} != VALID_PROFILE or profile == VALID_NORMALISED
    assert profile.disease == KB.resolve_disease(fields["disease"]).id
    assert profile.age == fields.get("age")
    assert profile.age is None or (type(profile.age) is int and 0 <= profile.age <= 120)
    assert profile.avoid_invasive_harvest is (fields.get("avoid_invasive_harvest") is True)
    for key in ("comorbidities", "needs"):
        assert getattr(profile, key) == tuple(sorted(set(fields.get(key) or [])))
    for key, default in (("sex", None), ("donor", "any"), ("modality", "any")):
        value = fields.get(key)
        assert getattr(profile, key) == (default if value is None else value.strip().lower())
    etiology = fields.get("etiology")
    assert profile.etiology == (None if etiology is None else etiology.strip())


@FUZZ
@given(
    st.lists(
        st.one_of(
            junk,
            json_values.map(json_text),
            st.dictionaries(junk, json_values, max_size=3).map(
                lambda d: json_text(Pairs([*d.items(), ("disease", "OP"), ("disease", "POF")]))
            ),
            st.binary(max_size=20).map(lambda b: b.decode("latin-1")),
        ),
        max_size=6,
    )
)
def test_batch_rows_never_crash(lines: list[str]) -> None:
    job = batch.Job(KnowledgeSource(), "jsonl", 0, 1)
    blocks: list[bytes] = []
    reports: list[str] = []
    data = b"\n".join(line.encode("utf-8", "surrogateescape") for line in lines)
    rows = batch.read_rows(
        io.BufferedReader(io.BytesIO(data)), "jsonl", "fuzz.jsonl", unparsed=True
    )
    summary = batch.run(job, rows, blocks.append, reports.append, fail_fast=False)
    outputs = b"".join(blocks).splitlines()
    assert summary.read == summary.scored + summary.rejected == len(outputs) + len(reports)
    for text in outputs:
        schemas.validate("batch-line", json.loads(text))


RULE = {
    "id": "FUZZ-RULE",
    "group": "fuzz",
    "category": "source",
    "summary": "A fuzzed rule",
    "rationale": "Generated.",
    "applies_to": {"field": "candidate.tissue", "op": "eq", "value": "BM"},
    "when": {"field": "profile.age", "op": "ge", "value": 60},
    "points": -1,
    "level": "expert-synthesis",
    "citations": [{"table": 4}],
}
toml_values = st.recursive(
    st.booleans()
    | st.integers()
    | st.floats()
    | junk
    | st.integers(40, 5000).map(lambda n: Literal("9" * n))
    | st.integers(1, 3000).map(nested)
    | st.sampled_from([Literal("1979-05-27"), Literal("07:32:00"), Literal("1979-05-27T07:32:00Z")])
    | st.integers(1, 600).map(lambda n: Literal("{ not = " * n + "{ tissue = 'BM' }" + " }" * n)),
    lambda children: (
        st.lists(children, max_size=3)
        | st.dictionaries(
            st.sampled_from(
                [
                    *("field", "op", "value", "all", "any", "not", "ref", "table", "x"),
                    *("tissue", "age", "at_least", "any_of", "given"),  # the shorthand
                ]
            ),
            children,
            max_size=3,
        )
    ),
    max_leaves=12,
)


@FUZZ
@given(st.dictionaries(st.sampled_from([*RULE, "unknown"]), toml_values, max_size=3))
def test_mutated_rule_files(
    tmp_path_factory: pytest.TempPathFactory, changes: dict[str, Any]
) -> None:
    pack = new_pack(tmp_path_factory.mktemp("pack"))
    written = {**RULE, **changes}
    body = "\n".join(f"{k} = {toml_text(v)}" for k, v in written.items())
    (pack / "rule.toml").write_text(f"[[rule]]\n{body}\n", encoding="utf-8")
    kb, refused = outcome(lambda: load_knowledge_base([pack], use_cache=False))
    if refused is not None:
        # refused: with at least one problem, and every problem names the file
        assert isinstance(refused, KnowledgeBaseError) and refused.problems
        assert all(p.startswith(f"{pack / 'rule.toml'}: ") for p in refused.problems), refused
        return
    assert kb is not None
    # accepted: exactly the written rule was added to the shipped ones, as written
    assert set(kb.rules) - set(KB.rules) == {written["id"]}
    assert len(kb.rules) == len(KB.rules) + 1
    parsed = kb.rules[written["id"]]
    assert parsed.file == str(pack / "rule.toml")
    for key in ("group", "category", "summary", "rationale", "points", "level"):
        assert getattr(parsed.rule, key) == written[key], key
