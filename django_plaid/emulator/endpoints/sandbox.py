"""Sandbox-only endpoints: Items without Link, fired webhooks, forced login resets.

``/sandbox/public_token/create`` with ``income_verification`` in ``initial_products``
and a ``user_token`` or ``user_id`` creates the user's payroll Item (as a payroll-income
Link would, ``options.income_verification.income_source_types`` included) and sends
``INCOME``/``INCOME_VERIFICATION`` to ``options.webhook``; ``institution_id`` is then the
payroll provider (a bank institution id means the default, ADP).
"""

from __future__ import annotations

from typing import Any

from ..errors import PlaidErrorResponse
from ..linking import (
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    is_income_link,
    link_item,
    link_payroll_item,
)
from ..notifications import (
    FIRE_WEBHOOK_TYPES,
    LOGIN_REQUIRED_DISPLAY_MESSAGE,
    PRODUCTS_FOR_WEBHOOK_TYPE,
    fired_payload,
    notify_item_error,
    notify_sync_updates_available,
    send_item_webhook,
)
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_int, get_object, get_str, get_str_list, invalid_field, require
from ._common import get_products, get_webhook, item_for_token

__all__ = [
    "ROUTES",
    "sandbox_item_fire_webhook",
    "sandbox_item_reset_login",
    "sandbox_public_token_create",
]

#: Plaid's ``WebhookType`` enum (what ``webhook_type`` may say at all).
_WEBHOOK_TYPES = frozenset(
    {"AUTH", "HOLDINGS", "INVESTMENTS_TRANSACTIONS", "ITEM", "LIABILITIES", "TRANSACTIONS"}
    | {"ASSETS", "IDENTITY"}
)


def sandbox_public_token_create(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Create an Item at a sandbox institution and return a public token for it."""
    require(body, "institution_id", "initial_products")
    institution_id = get_str(body, "institution_id", required=True)
    assert institution_id is not None
    products = get_products(body, "initial_products", required=True, min_items=1) or []
    get_object(body, "options")
    user_id = get_str(body, "user_id")
    user_token = get_str(body, "user_token")
    if user_id is not None or user_token is not None:
        user_id = state.get_user(user_id=user_id, user_token=user_token).user_id
    if is_income_link(products):
        get_object(body, "options.income_verification")
        item = link_payroll_item(
            state,
            user_id=user_id,
            products=products,
            username=get_str(body, "options.override_username") or DEFAULT_USERNAME,
            password=get_str(body, "options.override_password") or DEFAULT_PASSWORD,
            institution_id=institution_id,
            webhook=get_webhook(body, "options.webhook"),
            income_source_types=get_str_list(
                body, "options.income_verification.income_source_types"
            ),
        )
        return {"public_token": state.create_public_token(item.item_id).public_token}
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


def sandbox_item_fire_webhook(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Send the Item a webhook of the given code (and type, for ``DEFAULT_UPDATE``).

    For ``TRANSACTIONS`` ``DEFAULT_UPDATE`` and ``SYNC_UPDATES_AVAILABLE``,
    ``options.new_transactions`` new transactions are added to the Item first.
    """
    require(body, "access_token", "webhook_code")
    webhook_code = get_str(body, "webhook_code", required=True)
    assert webhook_code is not None
    allowed_types = FIRE_WEBHOOK_TYPES.get(webhook_code)
    if allowed_types is None:
        raise invalid_field(
            "webhook_code",
            "must be one of " + ", ".join(sorted(FIRE_WEBHOOK_TYPES)),
        )
    webhook_type = get_str(body, "webhook_type", choices=_WEBHOOK_TYPES) or allowed_types[0]
    if webhook_type not in allowed_types:
        hint = " (use /sandbox/item/reset_login for ITEM/ERROR)" if webhook_code == "ERROR" else ""
        raise invalid_field(
            "webhook_type",
            f"must be one of {', '.join(allowed_types)} for webhook_code {webhook_code}{hint}",
        )
    get_object(body, "options")
    new_transactions = get_int(body, "options.new_transactions", default=0, minimum=0) or 0

    item = item_for_token(state, body)
    if not item.webhook:
        raise PlaidErrorResponse("SANDBOX_WEBHOOK_INVALID")
    product = PRODUCTS_FOR_WEBHOOK_TYPE[webhook_type]
    if product is not None and product not in item.products:
        raise PlaidErrorResponse(
            "SANDBOX_PRODUCT_NOT_ENABLED",
            f"the requested product is not enabled for this item: {product} (needed for "
            f"{webhook_type} webhooks)",
        )
    if (
        webhook_type == "TRANSACTIONS"
        and webhook_code in ("DEFAULT_UPDATE", "SYNC_UPDATES_AVAILABLE")
        and new_transactions
    ):
        # Make the news true: the transactions the webhook announces really arrive.
        state.add_transactions(item, new_transactions, notify=False)
        if webhook_code == "DEFAULT_UPDATE" and item.sync_activated and item.transactions_ready:
            notify_sync_updates_available(state, item)
    payload = fired_payload(
        state, item, webhook_type, webhook_code, new_transactions=new_transactions
    )
    send_item_webhook(state, item, payload)
    return {"webhook_fired": True}


def sandbox_item_reset_login(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Force the Item into ``ITEM_LOGIN_REQUIRED`` and send ``ITEM``/``ERROR`` about it."""
    item = item_for_token(state, body)
    state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    item.last_failed_update = state.now()
    notify_item_error(
        state, item, "ITEM_LOGIN_REQUIRED", display_message=LOGIN_REQUIRED_DISPLAY_MESSAGE
    )
    return {"reset_login": True}


ROUTES = (
    Route("/sandbox/public_token/create", sandbox_public_token_create),
    Route("/sandbox/item/fire_webhook", sandbox_item_fire_webhook),
    Route("/sandbox/item/reset_login", sandbox_item_reset_login),
)
