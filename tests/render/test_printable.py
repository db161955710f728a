"""Text from data is shown, never obeyed: control characters in rule packs reach no terminal,
no Markdown reader and no export as themselves (render/printable.py), in every human format;
JSON keeps the data as it is."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from xml.etree import ElementTree

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscadvisor.render.printable import markdown_text, printable
from tests.authoring.test_packs import PACK, PACK_CASES, make_pack
from tests.conftest import CliResult

Cli = Callable[..., CliResult]

# Clears the screen, sets the window title, rings; a CSI in C1; a right-to-left override; a
# carriage return that would overwrite the line; a tag that a Markdown viewer would run.
HOSTILE = "\\u001b[2J\\u001b]0;pwned\\u0007 \\u009b31m \\u202egnp.exe\\r<script>alert(1)</script>"
SHOWN = "\\x1b[2J\\x1b]0;pwned\\x07"  # how a human format shows the start of it
# What no human format may print: C0 but newline and tab, DEL, C1, bidi controls.
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028-\u202e\u2066-\u2069]")


def hostile_pack(folder: Path) -> str:
    """A rule pack whose rule summary, study effect and test case summary are hostile."""
    text = PACK.replace(
        "Our lab replicated dental pulp MSCs for osteoporosis", f"Lab rule {HOSTILE}"
    ).replace("Our lab's replication", f"Lab study {HOSTILE}")
    cases = PACK_CASES.replace("With our replication", f"Lab case {HOSTILE}")
    return str(make_pack(folder, text, cases))


HUMAN_FORMATS = [
    ("recommend", "-d", "OP"),
    ("recommend", "-d", "OP", "--detail"),
    ("recommend", "-d", "OP", "--explain", "--top", "0"),
    ("recommend", "-d", "OP", "--explain", "-f", "markdown"),
    ("recommend", "-d", "OP", "--what-if", "age=80"),
    ("explain", "-d", "OP", "-c", "DP-cells"),
    ("explain", "-d", "OP", "-c", "DP-cells", "-f", "markdown"),
    ("rules", "list", "--kind", "source", "-d", "OP"),
    ("rules", "show", "LAB-DP-REPLICATED"),
    ("rules", "test"),
    ("evidence", "-d", "OP", "--tissue", "DP"),
]


@pytest.mark.parametrize("args", HUMAN_FORMATS, ids=" ".join)
def test_no_control_character_of_a_pack_reaches_the_output(
    args: tuple[str, ...], cli: Cli, tmp_path: Path
) -> None:
    result = cli("--rules", hostile_pack(tmp_path / "pack"), *args)
    assert result.code == 0, result.err
    assert not CONTROL.search(result.out + result.err)
    if "markdown" in args:  # a terminal shows a tag as text; a Markdown viewer would run it
        assert "<script>" not in result.out


@pytest.mark.parametrize("args", [HUMAN_FORMATS[2], HUMAN_FORMATS[3], HUMAN_FORMATS[8]])
def test_a_control_character_is_shown_escaped(
    args: tuple[str, ...], cli: Cli, tmp_path: Path
) -> None:
    out = cli("--rules", hostile_pack(tmp_path / "pack"), *args).out
    assert SHOWN in out
    assert "\\u202egnp.exe" in out


@pytest.mark.parametrize("suffix", [".svg", ".html"])
@pytest.mark.parametrize("command", [HUMAN_FORMATS[2], HUMAN_FORMATS[5]], ids=" ".join)
def test_an_export_of_hostile_text_is_well_formed(
    command: tuple[str, ...], suffix: str, cli: Cli, tmp_path: Path
) -> None:
    export = tmp_path / f"out{suffix}"
    pack = hostile_pack(tmp_path / "pack")
    assert cli("--rules", pack, *command, "--export", str(export)).code == 0
    text = export.read_text(encoding="utf-8")
    assert SHOWN in text and not CONTROL.search(text) and "<script>" not in text
    if suffix == ".svg":
        ElementTree.fromstring(text)  # raises on a character XML does not allow


def test_json_keeps_the_text_as_it_is(cli: Cli, tmp_path: Path) -> None:
    pack = hostile_pack(tmp_path / "pack")
    out = cli("--rules", pack, "rules", "show", "LAB-DP-REPLICATED", "-f", "json").out
    (row,) = json.loads(out)["rows"]
    assert row["summary"] == json.loads(f'"Lab rule {HOSTILE}"')


@given(st.text())
def test_printable_text_holds_no_control_character_but_newline_and_tab(text: str) -> None:
    shown = printable(text)
    assert not CONTROL.search(shown)
    assert shown.count("\n") == text.count("\n") and shown.count("\t") == text.count("\t")


@pytest.mark.parametrize(
    ("text", "shown"),
    [("a\u2028b", "a\\u2028b"), ("a\u2029b", "a\\u2029b"), ("a\u0085b", "a\\x85b")],
)
def test_a_line_break_other_than_newline_is_shown_escaped(text: str, shown: str) -> None:
    assert printable(text) == shown


# Cn: U+FFFE and U+FFFF, which XML does not allow, are unassigned code points; Zl and Zp are
# the line and paragraph separators.
@given(st.text(st.characters(exclude_categories=("Cc", "Cf", "Cs", "Cn", "Zl", "Zp"))))
def test_printable_leaves_ordinary_text_as_it_is(text: str) -> None:
    assert printable(text) == text


@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("<script>x</script>", "&lt;script>x&lt;/script>"),
        ("<!-- hidden -->", "&lt;!-- hidden -->"),
        ("age < 60; score <= 5; a<br>b", "age < 60; score <= 5; a<br>b"),
    ],
)
def test_markdown_shows_tags_from_data_as_text(text: str, shown: str) -> None:
    assert markdown_text(text) == shown


def test_an_indented_line_is_printable_too() -> None:
    # Caveats, certainty steps and the answer's "not in it" line are printed as rich Text,
    # which the console's own filter of markup strings never sees.
    from mscadvisor.render.output import console, print_indented

    recorder = console(record=True, quiet=True)
    print_indented(recorder, "caveat: " + json.loads(f'"{HOSTILE}"'))  # as TOML decodes it
    text = recorder.export_text()
    assert not CONTROL.search(text) and SHOWN in text
