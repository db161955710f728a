"""Environment switches: 0 means off, as people write it; an unclear value is refused."""

from __future__ import annotations

import pytest

from mscadvisor.environment import env_flag
from mscadvisor.errors import InputError


@pytest.mark.parametrize("value", ["1", "true", "YES", " on "])
def test_on(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MSCADVISOR_TEST_SWITCH", value)
    assert env_flag("MSCADVISOR_TEST_SWITCH") is True


@pytest.mark.parametrize("value", ["", "0", "false", "No", "off"])
def test_off(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MSCADVISOR_TEST_SWITCH", value)
    assert env_flag("MSCADVISOR_TEST_SWITCH") is False


def test_unset_is_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MSCADVISOR_TEST_SWITCH", raising=False)
    assert env_flag("MSCADVISOR_TEST_SWITCH") is False


def test_unclear_value_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSCADVISOR_TEST_SWITCH", "maybe")
    with pytest.raises(InputError, match=r"MSCADVISOR_TEST_SWITCH='maybe': expected 1, true"):
        env_flag("MSCADVISOR_TEST_SWITCH")
