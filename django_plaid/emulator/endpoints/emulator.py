"""Emulator-only controls under ``/emulator/`` (no credentials).

Reset, Item errors, the Items' transactions (generate, change, inspect, NOT_READY),
product readiness and fault injection. Items are named by ``item_id`` or
``access_token``.

``/emulator/item/set_product_ready`` {item_id | access_token, product, ready (default
true)} starts or ends a product's PRODUCT_NOT_READY phase (``product``: auth, identity,
income_verification, investments, liabilities or transactions; see
``EmulatorState.set_product_ready``) and answers {item_id, product, ready}.
"""

from __future__ import annotations

from typing import Any

from ..errors import PlaidErrorResponse
from ..faults import FAULT_KINDS
from ..ledger import MAX_DAYS
from ..records import READINESS_PRODUCTS, Item
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_bool, get_int, get_number, get_str, invalid_field, require

__all__ = [
    "ROUTES",
    "emulator_faults_add",
    "emulator_faults_clear",
    "emulator_faults_list",
    "emulator_item_add_transactions",
    "emulator_item_generate_transactions",
    "emulator_item_modify_transaction",
    "emulator_item_post_pending",
    "emulator_item_remove_transaction",
    "emulator_item_set_error",
    "emulator_item_set_product_ready",
    "emulator_item_set_transactions_ready",
    "emulator_item_transactions",
    "emulator_reset",
]


def _item(state: EmulatorState, body: dict[str, Any]) -> Item:
    """The Item named by ``item_id`` or ``access_token`` (MISSING_FIELDS without either)."""
    item_id = get_str(body, "item_id")
    if item_id is not None:
        return state.get_item(item_id)
    access_token = get_str(body, "access_token")
    if access_token is None:
        require(body, "item_id")
    assert access_token is not None
    return state.item_for_access_token(access_token)


def emulator_reset(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Forget every token and Item, and remove every fault."""
    state.reset()
    return {}


def emulator_item_set_error(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Put an Item (by ``item_id`` or ``access_token``) into ``error_code``; null clears it."""
    item = state.set_item_error(_item(state, body).item_id, get_str(body, "error_code"))
    return {"item": item.to_dict()}


def emulator_item_generate_transactions(
    state: EmulatorState, body: dict[str, Any]
) -> dict[str, Any]:
    """Replace the Item's history with ``count`` transactions over ``days`` (default 730)."""
    require(body, "count")
    count = get_int(body, "count", minimum=0, maximum=1_000_000)
    days = get_int(body, "days", default=MAX_DAYS, minimum=1, maximum=MAX_DAYS)
    assert count is not None
    assert days is not None
    item = _item(state, body)
    ledger = state.generate_transactions(item, count, days=days)
    return {"item_id": item.item_id, "count": len(ledger.current), "days": days}


def emulator_item_add_transactions(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Add ``count`` (default 1) new transactions, posted unless ``pending``."""
    count = get_int(body, "count", default=1, minimum=0, maximum=10_000)
    assert count is not None
    ids = state.add_transactions(_item(state, body), count, pending=get_bool(body, "pending"))
    return {"transaction_ids": ids}


def emulator_item_modify_transaction(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Change one transaction (``transaction_id`` or a random posted one).

    ``amount`` and/or ``name`` set new values; without them the amount grows by $1.00.
    """
    transaction_id = state.modify_transaction(
        _item(state, body),
        get_str(body, "transaction_id"),
        amount=get_number(body, "amount"),
        name=get_str(body, "name"),
    )
    return {"transaction_id": transaction_id}


def emulator_item_remove_transaction(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Remove one transaction (``transaction_id`` or a random one)."""
    transaction_id = state.remove_transaction(_item(state, body), get_str(body, "transaction_id"))
    return {"transaction_id": transaction_id}


def emulator_item_post_pending(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Post every pending transaction: ``posted`` maps each pending id to its posted id."""
    return {"posted": state.post_pending(_item(state, body))}


def emulator_item_transactions(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The Item's current transactions exactly as served (``transactions_truth``)."""
    truth = state.transactions_truth(_item(state, body))
    return {"transactions": list(truth.values()), "total_transactions": len(truth)}


def emulator_item_set_transactions_ready(
    state: EmulatorState, body: dict[str, Any]
) -> dict[str, Any]:
    """End (``ready``: true, the default) or start the Item's NOT_READY phase."""
    item = state.set_transactions_ready(_item(state, body), get_bool(body, "ready", default=True))
    return {"item_id": item.item_id, "transactions_ready": item.transactions_ready}


def emulator_item_set_product_ready(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """End (``ready``: true, the default) or start a product's PRODUCT_NOT_READY phase."""
    require(body, "product")
    product = get_str(body, "product", required=True, choices=READINESS_PRODUCTS)
    ready = get_bool(body, "ready", default=True)
    assert product is not None
    item = state.set_product_ready(_item(state, body), product, ready)
    return {"item_id": item.item_id, "product": product, "ready": ready}


def emulator_faults_add(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Add a fault: ``kind`` plus optional ``path``, ``item_id``/``access_token``, ``times``,
    ``rate``, ``seconds``, ``error_code``, ``error_message``, ``at_page``."""
    require(body, "kind")
    kind = get_str(body, "kind", required=True, choices=FAULT_KINDS)
    assert kind is not None
    item_id = None
    if body.get("item_id") is not None or body.get("access_token") is not None:
        item_id = _item(state, body).item_id
    try:
        fault = state.faults.add(
            kind,
            path=get_str(body, "path"),
            item_id=item_id,
            times=get_int(body, "times", minimum=1),
            rate=get_number(body, "rate"),
            seconds=get_number(body, "seconds"),
            error_code=get_str(body, "error_code"),
            error_message=get_str(body, "error_message"),
            at_page=get_int(body, "at_page", minimum=1),
        )
    except ValueError as exc:
        raise PlaidErrorResponse("INVALID_FIELD", str(exc)) from None
    return {"fault": fault.to_dict()}


def emulator_faults_clear(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Remove the fault ``id``, or every fault."""
    fault_id = get_str(body, "id")
    cleared = state.faults.clear(fault_id)
    if fault_id is not None and not cleared:
        raise invalid_field("id", f"no fault {fault_id}")
    return {"cleared": cleared}


def emulator_faults_list(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Every fault added since the last clear, with how often each fired."""
    return {"faults": [fault.to_dict() for fault in state.faults.list()]}


def _control(path: str, handler: Any) -> Route:
    return Route(path, handler, authenticated=False)


ROUTES = (
    _control("/emulator/reset", emulator_reset),
    _control("/emulator/item/set_error", emulator_item_set_error),
    _control("/emulator/item/generate_transactions", emulator_item_generate_transactions),
    _control("/emulator/item/add_transactions", emulator_item_add_transactions),
    _control("/emulator/item/modify_transaction", emulator_item_modify_transaction),
    _control("/emulator/item/remove_transaction", emulator_item_remove_transaction),
    _control("/emulator/item/post_pending", emulator_item_post_pending),
    _control("/emulator/item/transactions", emulator_item_transactions),
    _control("/emulator/item/set_transactions_ready", emulator_item_set_transactions_ready),
    _control("/emulator/item/set_product_ready", emulator_item_set_product_ready),
    _control("/emulator/faults", emulator_faults_add),
    _control("/emulator/faults/clear", emulator_faults_clear),
    _control("/emulator/faults/list", emulator_faults_list),
)
