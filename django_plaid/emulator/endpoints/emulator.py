"""Emulator-only controls under ``/emulator/`` (no credentials): reset, Item errors."""

from __future__ import annotations

from typing import Any

from ..routes import Route
from ..state import EmulatorState
from ..validation import get_str, require

__all__ = ["ROUTES", "emulator_item_set_error", "emulator_reset"]


def emulator_reset(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Forget every token and Item."""
    state.reset()
    return {}


def emulator_item_set_error(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Put an Item (by ``item_id`` or ``access_token``) into ``error_code``; null clears it."""
    item_id = get_str(body, "item_id")
    if item_id is None:
        access_token = get_str(body, "access_token")
        if access_token is None:
            require(body, "item_id")
        assert access_token is not None
        item_id = state.item_for_access_token(access_token).item_id
    item = state.set_item_error(item_id, get_str(body, "error_code"))
    return {"item": item.to_dict()}


ROUTES = (
    Route("/emulator/reset", emulator_reset, authenticated=False),
    Route("/emulator/item/set_error", emulator_item_set_error, authenticated=False),
)
