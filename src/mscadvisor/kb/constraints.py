"""Field constraints of the record types, enforced by pydantic when it validates rule files.

A constraint is ``Annotated`` metadata that describes itself to pydantic only when pydantic
asks, so code that reads an already-validated knowledge base (the compiled cache) imports
neither pydantic nor a constraint library; start-up time is why (README, Performance).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any


class Check:
    """The value must pass ``test``; when it does not, ``message`` says what was expected."""

    __slots__ = ("message", "test")

    def __init__(self, test: Callable[[Any], bool], message: str) -> None:
        self.test = test
        self.message = message

    def __get_pydantic_core_schema__(self, source: Any, handler: Callable[[Any], Any]) -> Any:
        from pydantic_core import PydanticCustomError, core_schema

        def enforce(value: Any) -> Any:
            if not self.test(value):
                raise PydanticCustomError("constraint", self.message)
            return value

        return core_schema.no_info_after_validator_function(enforce, handler(source))


NOT_EMPTY = Check(lambda value: len(value) > 0, "must not be empty")


def min_items(count: int) -> Check:
    return Check(lambda value: len(value) >= count, f"needs at least {count} items")


def at_least(low: int) -> Check:
    return Check(lambda value: value >= low, f"must be at least {low}")


def between(low: int, high: int) -> Check:
    return Check(lambda value: low <= value <= high, f"must be between {low} and {high}")
