"""The indented JSON writer is json.dumps(indent=2, ensure_ascii=False), character for character,
for every document: plain ones it writes itself, the rest it leaves to json.dumps."""

from __future__ import annotations

import enum
import json
import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from mscadvisor.render import indented_json

scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats()  # nan and the infinities included: json.dumps writes NaN and Infinity
    | st.text()  # any code point: quotes, backslashes, controls, surrogates, non-ASCII
)
keys = st.text() | st.integers() | st.booleans() | st.none() | st.floats(allow_nan=False)
documents = st.recursive(
    scalars,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.lists(inner, max_size=4).map(tuple)
        | st.dictionaries(keys, inner, max_size=4)
    ),
    max_leaves=40,
)


@given(documents)
def test_same_text_as_json_dumps(document: Any) -> None:
    assert indented_json.dumps(document) == json.dumps(document, indent=2, ensure_ascii=False)


class Colour(enum.StrEnum):
    RED = "red"


class Level(enum.IntEnum):
    HIGH = 3


@pytest.mark.parametrize(
    "document",
    [
        [math.nan],
        {"k": [1.5, math.inf]},
        [-math.inf],
        [Colour.RED],
        {"k": Level.HIGH},
        {1: "x"},
        {Colour.RED: 1},
        {"k": (True, None, "", [], {})},
    ],
)
def test_values_only_json_dumps_knows_are_left_to_it(document: Any) -> None:
    assert indented_json.dumps(document) == json.dumps(document, indent=2, ensure_ascii=False)


def test_a_value_json_cannot_write_is_refused_as_json_dumps_refuses_it() -> None:
    with pytest.raises(TypeError, match="not JSON serializable"):
        indented_json.dumps({"a": [object()]})
