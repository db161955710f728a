"""How messages quote the values they name."""

from __future__ import annotations

from mscadvisor.errors import QUOTED_CHARS, quoted, quoted_data


def test_a_long_string_is_cut_and_its_own_length_given() -> None:
    """Not the length of its repr, which adds quotes and escapes."""
    text = "a" * 65
    shown = quoted(text)
    assert len(shown) < QUOTED_CHARS + 30
    assert shown.startswith("'aaaa") and shown.endswith("... (65 characters)")
    assert quoted("\n" * 100).endswith("... (100 characters)")


def test_a_short_value_is_quoted_whole() -> None:
    assert quoted("POF") == "'POF'"
    assert quoted_data(None) == "null" and quoted_data([True, 1]) == "[true, 1]"


def test_a_long_string_read_from_a_file_gives_its_own_length() -> None:
    assert quoted_data("9" * 100).endswith("... (100 characters)")


def test_a_long_value_that_is_not_a_string_gives_the_length_written() -> None:
    written = quoted_data(list(range(100)))
    assert written.endswith(f"... ({len(repr(list(range(100))))} characters)")
