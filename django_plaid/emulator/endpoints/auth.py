"""``/auth/get`` and ``/sandbox/item/set_verification_status``.

``/auth/get`` answers the Item's checking, savings and cash management accounts and their
numbers (see ``account_numbers.py`` for the numbers per country). Errors, in order: the
``product_item`` gate (PRODUCTS_NOT_SUPPORTED, NO_AUTH_ACCOUNTS, PRODUCT_NOT_READY; an
Item linked without Auth gets it added, as at Plaid), then, for micro-deposit Items,
PRODUCT_NOT_READY while no account is verified yet and NO_AUTH_ACCOUNTS once every
account's verification expired. Accounts whose verification is pending or expired are
listed (with their ``verification_status``) but get no numbers.

``/sandbox/item/set_verification_status`` sets one auth account to
``automatically_verified`` or ``verification_expired`` and sends
``AUTH``/``AUTOMATICALLY_VERIFIED`` or ``AUTH``/``VERIFICATION_EXPIRED`` (with the
``account_id``) to the Item's webhook. Plaid's sandbox only accepts it for automated
micro-deposit Items (Houndstooth Bank, ``ins_109512``, password ``microdeposits_good``);
the emulator also accepts it for the auth accounts of any Item with Auth, so an app's
handlers can be tested on any Item. Without Auth on the Item:
SANDBOX_ERROR/SANDBOX_PRODUCT_NOT_ENABLED.
"""

from __future__ import annotations

from typing import Any

from ..account_numbers import (
    PENDING_VERIFICATION,
    SETTABLE_VERIFICATION_STATUSES,
    has_numbers,
    is_auth_account,
    numbers_for,
)
from ..errors import PlaidErrorResponse
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_str, require
from ._common import item_for_token, product_item, select_accounts

__all__ = ["ROUTES", "auth_get", "sandbox_item_set_verification_status"]


def auth_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The Item's auth accounts and their account and routing numbers."""
    require(body, "access_token")
    item, accounts = product_item(
        state, body, "auth", eligible=is_auth_account, no_accounts="NO_AUTH_ACCOUNTS"
    )
    if not any(has_numbers(a) for a in accounts):
        if any(a.verification_status in PENDING_VERIFICATION for a in accounts):
            raise PlaidErrorResponse(
                "PRODUCT_NOT_READY",
                "the requested product is not yet ready: the account's micro-deposit "
                "verification is still pending",
            )
        raise PlaidErrorResponse(
            "NO_AUTH_ACCOUNTS",
            "no valid checking or savings account(s) found: every account's verification "
            "has expired or failed",
        )
    chosen = select_accounts(item, accounts, body)
    return {
        "accounts": [account.to_dict() for account in chosen],
        "numbers": numbers_for(item.institution, [a for a in chosen if has_numbers(a)]),
        "item": item.to_dict(),
    }


def sandbox_item_set_verification_status(
    state: EmulatorState, body: dict[str, Any]
) -> dict[str, Any]:
    """Verify (or expire) an account's micro-deposits and send the AUTH webhook about it."""
    require(body, "access_token", "account_id", "verification_status")
    account_id = get_str(body, "account_id", required=True)
    status = get_str(
        body, "verification_status", required=True, choices=SETTABLE_VERIFICATION_STATUSES
    )
    assert account_id is not None
    assert status is not None
    item = item_for_token(state, body)
    if "auth" not in item.products:
        raise PlaidErrorResponse(
            "SANDBOX_PRODUCT_NOT_ENABLED",
            "the requested product is not enabled for this item: auth (needed to set a "
            "verification status)",
        )
    state.set_verification_status(item, account_id, status)
    return {}


ROUTES = (
    Route("/auth/get", auth_get),
    Route("/sandbox/item/set_verification_status", sandbox_item_set_verification_status),
)
