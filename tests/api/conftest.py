"""Fixtures of the API tests."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
def plaid_calls(emulator: Any) -> Any:
    """The paths of every request the emulator receives, in order."""
    calls: list[str] = []

    def record(context: Any) -> None:
        calls.append(context.path)

    emulator.app.hooks.insert(0, record)
    yield calls
    emulator.app.hooks.remove(record)
