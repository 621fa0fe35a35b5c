"""``/webhook_verification_key/get`` and the emulator-only key rotation control."""

from __future__ import annotations

from typing import Any

from ..errors import PlaidErrorResponse
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_str

__all__ = ["ROUTES", "emulator_webhook_key_rotate", "webhook_verification_key_get"]


def webhook_verification_key_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Publish the JWK of a signing key by ``key_id``, rotated-out keys included."""
    key_id = get_str(body, "key_id", required=True)
    assert key_id is not None
    try:
        key = state.webhook_keys.jwk(key_id)
    except KeyError:
        raise PlaidErrorResponse("INVALID_WEBHOOK_VERIFICATION_KEY_ID") from None
    return {"key": key}


def emulator_webhook_key_rotate(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Start signing with a new key; the old one gets ``expired_at`` (and stays fetchable)."""
    old_kid = state.webhook_keys.current_kid
    state.webhook_keys.rotate()
    return {"key": state.webhook_keys.jwk(), "expired_key": state.webhook_keys.jwk(old_kid)}


ROUTES = (
    Route("/webhook_verification_key/get", webhook_verification_key_get),
    Route("/emulator/webhook_key/rotate", emulator_webhook_key_rotate, authenticated=False),
)
