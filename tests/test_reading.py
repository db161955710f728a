"""The bounded reader of user files: what it refuses, where its limits sit, and what it says."""

from __future__ import annotations

import json
import os
import socket
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscadvisor.reading import (
    MAX_DEPTH,
    MAX_NUMBER_CHARS,
    Unreadable,
    decode,
    load_json,
    load_toml,
    read_file,
)


def refused(call: object, *args: object) -> str:
    with pytest.raises(Unreadable) as caught:
        call(*args)  # type: ignore[operator]
    return str(caught.value)


def test_regular_files_are_read_up_to_the_limit(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_bytes(b"x" * 10)
    assert read_file(path, 10) == b"x" * 10
    assert refused(read_file, path, 9) == "10 bytes, over the 9-byte limit"
    assert refused(read_file, tmp_path / "none", 9) == "no such file"


def test_special_files_are_refused_without_blocking(tmp_path: Path) -> None:
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    assert refused(read_file, fifo, 100) == "is a pipe or FIFO, not a file"
    assert refused(read_file, Path("/dev/zero"), 100) == "is a device, not a file"
    assert refused(read_file, tmp_path, 100) == "is a folder, not a file"
    with socket.socket(socket.AF_UNIX) as server:
        server.bind(str(tmp_path / "sock"))
        assert refused(read_file, tmp_path / "sock", 100) == "is a socket, not a file"


def test_text_is_utf8_and_a_byte_order_mark_is_not_data() -> None:
    assert decode("\ufeffé".encode()) == "é"
    assert refused(decode, b"ab\xe9") == "not UTF-8 text (byte 2)"


@pytest.mark.parametrize("load", [load_json, load_toml])
def test_numbers_up_to_the_length_limit(load: object) -> None:
    longest, too_long = "9" * MAX_NUMBER_CHARS, "9" * (MAX_NUMBER_CHARS + 1)
    text = (lambda n: f"[{n}]") if load is load_json else (lambda n: f"a = {n}")
    assert "9" * MAX_NUMBER_CHARS in str(load(text(longest)))  # type: ignore[operator]
    assert str(MAX_NUMBER_CHARS) in refused(load, text(too_long))


def test_json_floats_are_finite_and_bounded() -> None:
    assert load_json("[1.5, 2e3]") == [1.5, 2000.0]
    assert refused(load_json, "[1e400]").startswith("number 1e400 is out of range")
    assert refused(load_json, "[1." + "5" * MAX_NUMBER_CHARS + "]").startswith("a number of")
    for constant in ("NaN", "Infinity", "-Infinity"):
        assert refused(load_json, f"[{constant}]") == f"{constant} is not a number JSON allows"


def test_toml_floats_are_finite() -> None:
    assert load_toml("a = 1.5") == {"a": 1.5}
    for text in ("nan", "inf", "-inf", "1e400"):
        assert "out of range" in refused(load_toml, f"a = {text}")


def test_nesting_up_to_the_depth_limit() -> None:
    def nested(depth: int) -> str:
        return "[" * depth + "]" * depth

    assert load_json(nested(MAX_DEPTH))
    assert refused(load_json, nested(MAX_DEPTH + 1)) == f"nested more than {MAX_DEPTH} levels deep"
    assert refused(load_json, nested(100_000)) == f"nested more than {MAX_DEPTH} levels deep"
    assert load_toml(f"a = {nested(MAX_DEPTH - 1)}")  # the table itself is one level
    assert "nested more than" in refused(load_toml, f"a = {nested(MAX_DEPTH)}")


def test_duplicate_keys_and_invalid_documents() -> None:
    assert refused(load_json, '{"a": 1, "a": 2}') == "duplicate key 'a'"
    assert refused(load_json, '[{"a": 1}, {"b": {"c": 1, "d": 2, "c": 3}}]') == "duplicate key 'c'"
    assert refused(load_json, "\ufeff{}") == (
        "invalid JSON at line 1, column 1: Unexpected UTF-8 BOM (decode using utf-8-sig)"
    )
    assert refused(load_json, "{").startswith("invalid JSON at line 1, column 2")
    assert refused(load_toml, "a = 1\na = 2").startswith("invalid TOML")
    assert refused(load_toml, "a = " + "9" * 5000).startswith("an integer of more than")


def test_brackets_inside_strings_are_no_nesting() -> None:
    assert load_json('{"a": "' + "[{" * MAX_DEPTH + '", "b": [[1]]}') == {
        "a": "[{" * MAX_DEPTH,
        "b": [[1]],
    }
    mixed = '{"a": ' * (MAX_DEPTH // 2) + "[" * (MAX_DEPTH // 2 + 1) + "1"
    mixed += "]" * (MAX_DEPTH // 2 + 1) + "}" * (MAX_DEPTH // 2)
    assert refused(load_json, mixed) == f"nested more than {MAX_DEPTH} levels deep"


JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(10**30), 10**30)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(JSON_VALUES, st.booleans())
def test_a_document_within_the_limits_reads_as_json_loads_reads_it(
    value: object, indented: bool
) -> None:
    text = json.dumps(value, indent=2 if indented else None)
    assert load_json(text) == json.loads(text)
