"""Income: ``/user/create``, ``/credit/payroll_income/get``, ``/sandbox/income/fire_webhook``.

The flow: ``/user/create`` {client_user_id} → ``user_id`` (``usr_...``) and ``user_token``
(``user-sandbox-<uuid4>``); ``/link/token/create`` with that user and ``products:
["income_verification"]`` (``income_verification.income_source_types: ["payroll"]``);
``/emulator/link/complete`` (or ``/sandbox/public_token/create`` with the user and
``initial_products: ["income_verification"]``) creates the payroll Item and sends
``INCOME``/``INCOME_VERIFICATION`` (``VERIFICATION_STATUS_PROCESSING_COMPLETE``); then
``/credit/payroll_income/get`` {user_token | user_id, options.item_ids?} lists the user's
payroll Items (``income.payroll_item``).

``/user/remove`` {user_id | user_token} deletes the user and its payroll Items; its
``client_user_id`` may be created again.

Errors: a second ``/user/create`` with the same ``client_user_id`` is 400
INVALID_REQUEST/INVALID_FIELD (Plaid: "the first creation call will succeed and the rest
will fail"); an unknown ``user_token``/``user_id`` is INVALID_USER_TOKEN/INVALID_USER_ID
(INVALID_INPUT); neither given is MISSING_FIELDS; ``options.item_ids`` naming an Item
that is not the user's payroll Item is INVALID_FIELD; a payroll Item still being
processed (``set_product_ready(item, "income_verification", False)``) is
PRODUCT_NOT_READY, and one in an error state answers that error.

``/sandbox/income/fire_webhook`` {item_id, webhook, webhook_code, verification_status?,
user_id?} sends ``INCOME``/``INCOME_VERIFICATION`` (or ``USER_INCOME_VERIFICATION``) about
a payroll Item to the given URL, e.g. with ``VERIFICATION_STATUS_PROCESSING_FAILED``.
"""

from __future__ import annotations

from typing import Any

from ..errors import PlaidErrorResponse
from ..income import VERIFICATION_STATUSES, payroll_item
from ..notifications import notify_income_verification
from ..records import User
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_object, get_str, get_str_list, invalid_field, require
from ._common import get_webhook

__all__ = [
    "ROUTES",
    "credit_payroll_income_get",
    "sandbox_income_fire_webhook",
    "user_create",
    "user_remove",
]

#: ``/sandbox/income/fire_webhook`` codes the emulator sends (risk-signal ones it does not).
INCOME_WEBHOOK_CODES = ("INCOME_VERIFICATION", "USER_INCOME_VERIFICATION")


def user_create(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Create a user for Income; return its ``user_id`` and ``user_token``."""
    require(body, "client_user_id")
    client_user_id = get_str(body, "client_user_id", required=True)
    assert client_user_id is not None
    if len(client_user_id) > 128:
        raise invalid_field("client_user_id", "must be at most 128 characters")
    get_object(body, "identity")
    get_object(body, "consumer_report_user_identity")
    user = state.create_user(client_user_id)
    return {"user_id": user.user_id, "user_token": user.user_token}


def user_remove(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Remove the user (by ``user_id`` or ``user_token``) and its payroll Items."""
    state.remove_user(_user(state, body))
    return {}


def _user(state: EmulatorState, body: dict[str, Any]) -> User:
    user_token = get_str(body, "user_token")
    user_id = get_str(body, "user_id")
    if user_token is None and user_id is None:
        raise PlaidErrorResponse(
            "MISSING_FIELDS", "the following required fields are missing: user_id (or user_token)"
        )
    return state.get_user(user_id=user_id, user_token=user_token)


def credit_payroll_income_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The user's payroll Items with their pay stubs and W-2s."""
    user = _user(state, body)
    get_object(body, "options")
    wanted = get_str_list(body, "options.item_ids")
    owned = [item_id for item_id in user.item_ids if item_id in state.items]
    if wanted is not None:
        unknown = [item_id for item_id in wanted if item_id not in owned]
        if unknown:
            raise invalid_field(
                "options.item_ids", "names Items that are not this user's: " + ", ".join(unknown)
            )
        owned = [item_id for item_id in owned if item_id in set(wanted)]
    items = []
    for item_id in owned:
        item = state.items[item_id]
        if item.error is not None:
            raise item.error
        if not state.product_ready(item, "income_verification"):
            raise PlaidErrorResponse(
                "PRODUCT_NOT_READY",
                "the requested product is not yet ready: payroll income is still being "
                "processed; wait for the INCOME_VERIFICATION webhook",
            )
        items.append(payroll_item(item, updated_at=item.created_at))
    return {"items": items}


def sandbox_income_fire_webhook(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Send an Income verification webhook about a payroll Item to ``webhook``."""
    require(body, "item_id", "webhook", "webhook_code")
    item_id = get_str(body, "item_id", required=True)
    code = get_str(body, "webhook_code", required=True, choices=INCOME_WEBHOOK_CODES)
    status = (
        get_str(body, "verification_status", choices=VERIFICATION_STATUSES)
        or VERIFICATION_STATUSES[0]
    )
    url = get_webhook(body, "webhook")
    if url is None:
        raise invalid_field("webhook", "must be a valid http or https URL")
    assert item_id is not None
    assert code is not None
    item = state.get_item(item_id)
    if item.user_id is None:
        raise PlaidErrorResponse(
            "SANDBOX_PRODUCT_NOT_ENABLED",
            "the requested product is not enabled for this item: income_verification (use "
            "a payroll Item)",
        )
    user_id = get_str(body, "user_id")
    if user_id is not None and user_id != item.user_id:
        raise PlaidErrorResponse("INVALID_USER_ID", "user_id is not the owner of this Item")
    notify_income_verification(state, item, status, webhook_code=code, url=url)
    return {}


ROUTES = (
    Route("/user/create", user_create),
    Route("/user/remove", user_remove),
    Route("/credit/payroll_income/get", credit_payroll_income_get),
    Route("/sandbox/income/fire_webhook", sandbox_income_fire_webhook),
)
