"""Pin and reproduce: every JSON result names the command (and for a recommendation the Python
call) that makes it again, byte for byte, and --require-kb refuses other knowledge."""

from __future__ import annotations

import ast
import json
import os
import shlex
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import mscadvisor
from mscadvisor.errors import EXIT_KNOWLEDGE_MISMATCH, EXIT_OK, EXIT_USAGE
from mscadvisor.kb.fingerprint import knowledge_sha256
from mscadvisor.kb.knowledge import KnowledgeBase
from mscadvisor.kb.vocabulary import PROFILE_FIELDS
from mscadvisor.render.output import json_text
from tests.conftest import CliResult
from tests.knowledge_states import AD_CELLS_FOR_POF, write_pack, write_weights
from tests.strategies import raw_profiles

Cli = Callable[..., CliResult]


def command_of(doc: dict[str, Any]) -> list[str]:
    """The reproduce command's arguments after the program name."""
    words = shlex.split(doc["reproduce"]["command"])
    assert words[0] == "mscadvisor"
    return words[1:]


def test_the_command_a_result_gives_prints_it_again_byte_for_byte(tmp_path: Path) -> None:
    """Run as a user would: in a shell, from the folder, with packs, weights and a profile file."""
    write_pack(tmp_path / "pack", AD_CELLS_FOR_POF)
    write_weights(tmp_path / "w.toml")
    (tmp_path / "p.toml").write_text('disease = "pof"\nage = 34\n', encoding="utf-8")
    env = {**os.environ, "MSCADVISOR_RULES": ""}
    m = f"{shlex.quote(sys.executable)} -m mscadvisor"

    def shell(line: str) -> bytes:
        done = subprocess.run(
            ["bash", "-c", line], cwd=tmp_path, env=env, capture_output=True, check=False
        )
        assert done.returncode == EXIT_OK, done.stderr
        return done.stdout

    first = shell(
        f"{m} --rules ./pack --weights w.toml recommend --profile p.toml --need fertility "
        "--source marrow-cells --regimens 2 -f json"
    )
    command = json.loads(first)["reproduce"]["command"]
    assert " --rules pack --weights w.toml recommend --disease POF --age 34 " in command
    assert "--need fertility --source BM-cells --regimens 2 --format json" in command
    again = shell(command.replace("mscadvisor", m, 1))
    assert again == first


@pytest.mark.parametrize(
    "argv",
    [
        ["explain", "-d", "OP", "--age", "70", "-c", "bm-cells", "--sensitivity"],
        ["explain", "-d", "AS", "--donor", "autologous", "-c", "UC-cells"],  # excluded
        ["recommend", "-d", "AD", "--what-if", "modality=exosomes", "--what-if", "age=80"],
    ],
)
def test_explain_and_what_if_commands_print_them_again(cli: Cli, argv: list[str]) -> None:
    first = cli(*argv, "-f", "json")
    assert first.code == EXIT_OK, first.err
    again = cli(*command_of(first.json()))
    assert again.code == EXIT_OK and again.out == first.out


def test_a_batch_line_gives_the_recommend_command_of_its_profile(cli: Cli, tmp_path: Path) -> None:
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"disease": "OP", "comorbidities": ["diabetes"]}\n', encoding="utf-8")
    line = json.loads(cli("batch", str(rows), "--regimens", "1").out)
    assert line.pop("line") == 1
    again = cli(*command_of(line))
    assert again.out == json_text(line)


def test_the_python_call_returns_the_same_recommendation(cli: Cli, tmp_path: Path) -> None:
    weights = str(write_weights(tmp_path / "w.toml"))
    doc = cli("--weights", weights, "recommend", "-d", "POF", "--age", "30", "-f", "json").json()
    call = doc["reproduce"]["python"]
    assert call.startswith("mscadvisor.recommend({'disease': 'POF', 'age': 30}, ")
    result = eval(call, {"mscadvisor": mscadvisor})  # the call under test
    assert json_text(result.to_dict()) == json_text(doc)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(data=raw_profiles(mscadvisor.load_knowledge_base()))
def test_any_profile_comes_back_from_its_command(cli: Cli, data: dict[str, Any]) -> None:
    """Law: whatever the profile, its recommendation's command prints the same document."""
    kb = mscadvisor.load_knowledge_base()
    doc = mscadvisor.recommend(data, kb).to_dict()
    again = cli(*command_of(doc))
    assert again.code == EXIT_OK, again.err
    assert again.out == json_text(doc)


@settings(max_examples=60, deadline=None)
@given(data=raw_profiles(mscadvisor.load_knowledge_base()), regimens=st.integers(0, 5))
def test_the_python_call_holds_the_profile_given_and_the_options(
    data: dict[str, Any], regimens: int
) -> None:
    """Law: the Python call's profile is the fields that differ from the default (and the
    disease), as lists where they are sets; --regimens is repeated where it is not 3."""
    kb = mscadvisor.load_knowledge_base()
    result = mscadvisor.recommend(data, kb, regimens=regimens)
    call = ast.parse(result.to_dict()["reproduce"]["python"], mode="eval").body
    assert isinstance(call, ast.Call)
    defaults = {spec.name: spec.default for spec in PROFILE_FIELDS}
    given = {
        name: value
        for name, value in result.profile.to_dict().items()
        if name == "disease" or (value not in (None, []) and value != defaults[name])
    }
    assert ast.literal_eval(call.args[0]) == given
    assert [(k.arg, ast.literal_eval(k.value)) for k in call.keywords] == (
        [] if regimens == 3 else [("regimens", regimens)]
    )


def test_the_knowledge_hash_covers_packs_and_weights(tmp_path: Path, kb: KnowledgeBase) -> None:
    assert knowledge_sha256(kb) == kb.sha256  # without weights: the rules' own hash
    weighted = mscadvisor.load_knowledge_base(weights=write_weights(tmp_path / "w.toml"))
    assert knowledge_sha256(weighted) not in (kb.sha256, weighted.sha256)
    packed = mscadvisor.load_knowledge_base([write_pack(tmp_path / "p", AD_CELLS_FOR_POF)])
    assert knowledge_sha256(packed) != kb.sha256


def test_require_kb_scores_only_on_the_knowledge_it_names(
    cli: Cli, tmp_path: Path, kb: KnowledgeBase, monkeypatch: pytest.MonkeyPatch
) -> None:
    prefix = kb.sha256[:8]
    assert cli("--require-kb", prefix.upper(), "recommend", "-d", "POF").code == EXIT_OK
    weights = str(write_weights(tmp_path / "w.toml"))
    refused = cli("--require-kb", prefix, "--weights", weights, "recommend", "-d", "POF")
    assert refused.code == EXIT_KNOWLEDGE_MISMATCH and refused.out == ""
    assert f"--require-kb {prefix}: the knowledge state is " in refused.err
    rows = tmp_path / "rows.jsonl"
    rows.write_text('{"disease": "OP"}\n', encoding="utf-8")
    batch = cli("--require-kb", prefix, "--weights", weights, "batch", str(rows))
    assert batch.code == EXIT_KNOWLEDGE_MISMATCH and batch.out == ""
    monkeypatch.setenv("MSCADVISOR_REQUIRE_KB", prefix)
    explain = cli("--weights", weights, "explain", "-d", "OP", "-c", "BM-cells")
    assert explain.code == EXIT_KNOWLEDGE_MISMATCH and "MSCADVISOR_REQUIRE_KB" in explain.err
    assert cli("diseases").code == EXIT_OK  # listing the knowledge is no score


@pytest.mark.parametrize("prefix", ["abc", "g" * 8, "a" * 65, " "])
def test_require_kb_takes_8_to_64_hex_digits(cli: Cli, prefix: str) -> None:
    result = cli("--require-kb", prefix, "recommend", "-d", "POF")
    assert result.code == EXIT_USAGE and "expected 8 to 64 hex digits" in result.err
