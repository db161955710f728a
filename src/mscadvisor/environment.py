"""Switches read from environment variables, spelt the way people write them."""

from __future__ import annotations

import os

from mscadvisor.errors import InputError

_ON = frozenset({"1", "true", "yes", "on"})
_OFF = frozenset({"", "0", "false", "no", "off"})


def env_flag(name: str) -> bool:
    """Whether the switch ``name`` is on: 1/true/yes/on turn it on; unset, empty and
    0/false/no/off leave it off (so ``NAME=0`` means off, as people mean it). Anything else is
    an InputError, rather than a guess."""
    value = os.environ.get(name, "").strip().lower()
    if value in _ON:
        return True
    if value in _OFF:
        return False
    raise InputError(
        f"environment variable {name}={os.environ[name]!r}: expected 1, true, yes or on "
        "(to switch it on) or 0, false, no or off"
    )
