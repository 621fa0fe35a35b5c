"""Sandbox-only endpoints: ``/sandbox/public_token/create`` (Items without Link)."""

from __future__ import annotations

from typing import Any

from ..linking import DEFAULT_PASSWORD, DEFAULT_USERNAME, link_item
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_int, get_object, get_str, require
from ._common import get_products, get_webhook

__all__ = ["ROUTES", "sandbox_public_token_create"]


def sandbox_public_token_create(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Create an Item at a sandbox institution and return a public token for it."""
    require(body, "institution_id", "initial_products")
    institution_id = get_str(body, "institution_id", required=True)
    assert institution_id is not None
    products = get_products(body, "initial_products", required=True, min_items=1) or []
    get_object(body, "options")
    item = link_item(
        state,
        institution_id=institution_id,
        products=products,
        # Null overrides mean "use the default", as in Plaid's API.
        username=get_str(body, "options.override_username") or DEFAULT_USERNAME,
        password=get_str(body, "options.override_password") or DEFAULT_PASSWORD,
        webhook=get_webhook(body, "options.webhook"),
        days_requested=get_int(
            body, "options.transactions.days_requested", default=90, minimum=1, maximum=730
        )
        or 90,
    )
    public = state.create_public_token(item.item_id)
    return {"public_token": public.public_token}


ROUTES = (Route("/sandbox/public_token/create", sandbox_public_token_create),)
