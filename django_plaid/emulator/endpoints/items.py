"""Item endpoints: public-token exchange, ``/item/get``, ``/item/remove``, webhook URL,
access-token rotation."""

from __future__ import annotations

from typing import Any

from ..notifications import notify_item_linked, notify_webhook_update_acknowledged
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_str, require
from ._common import get_webhook, item_for_token

__all__ = [
    "ROUTES",
    "item_access_token_invalidate",
    "item_get",
    "item_public_token_exchange",
    "item_remove",
    "item_webhook_update",
]


def item_public_token_exchange(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Trade a single-use public token for the Item's access token."""
    public_token = get_str(body, "public_token", required=True)
    assert public_token is not None
    item = state.exchange_public_token(public_token)
    # Only new Items get here: update-mode public tokens cannot be exchanged, and Plaid
    # sends no LOGIN_REPAIRED for a repair made through the app's own update mode.
    notify_item_linked(state, item)
    return {"access_token": item.access_token, "item_id": item.item_id}


def item_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Describe the Item; an Item in error still answers, with ``error`` filled in."""
    item = item_for_token(state, body)
    return {"item": item.to_dict(consent_fields=True), "status": item.status_dict()}


def item_remove(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Remove the Item; its access token is invalid from now on."""
    item = item_for_token(state, body)
    get_str(body, "reason_code")
    get_str(body, "reason_note", allow_empty=True)
    state.remove_item(item.item_id)
    return {}


def item_webhook_update(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Point the Item's webhooks at a new URL and acknowledge there (null/"" removes it)."""
    require(body, "access_token")
    item = item_for_token(state, body)
    item.webhook = get_webhook(body, "webhook")
    if item.webhook:
        notify_webhook_update_acknowledged(state, item)
    return {"item": item.to_dict()}


def item_access_token_invalidate(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Rotate the Item's access token: the new one is returned, the old one stops working.

    As at Plaid, an Item in an error state can rotate too (the error is the Item's, not
    the token's), and no webhook is sent.
    """
    access_token = get_str(body, "access_token", required=True)
    assert access_token is not None
    item = state.rotate_access_token(access_token)
    return {"new_access_token": item.access_token}


ROUTES = (
    Route("/item/public_token/exchange", item_public_token_exchange),
    Route("/item/get", item_get),
    Route("/item/remove", item_remove),
    Route("/item/webhook/update", item_webhook_update),
    Route("/item/access_token/invalidate", item_access_token_invalidate),
)
