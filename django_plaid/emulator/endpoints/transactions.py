"""``/transactions/sync``, ``/transactions/get``, ``/transactions/refresh`` and
``/sandbox/transactions/create``.

Pages are served as ``RawJSON``: the transactions' JSON is rendered from each ledger entry
and joined, so a 500-transaction page costs about a millisecond to build.
"""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from ..errors import PlaidErrorResponse
from ..ledger import Cursor, SyncPage, Transaction, decode_cursor, encode_cursor
from ..notifications import notify_sync_updates_available
from ..records import Item
from ..routes import RawJSON, Route
from ..state import EmulatorState
from ..validation import (
    get_bool,
    get_date,
    get_int,
    get_number,
    get_object,
    get_str,
    get_str_list,
    invalid_field,
    require,
)
from ._common import item_for_data, item_for_token

__all__ = [
    "ROUTES",
    "sandbox_transactions_create",
    "transactions_get",
    "transactions_refresh",
    "transactions_sync",
]

#: Plaid's own wording for a cursor from another Item (or no cursor at all).
CURSOR_MISMATCH = "cursor not associated with access_token"
#: ``/sandbox/transactions/create`` limits (Plaid's documented examples).
SANDBOX_CREATE_MAX = 10
SANDBOX_CREATE_WINDOW = timedelta(days=14)


def _read_options(body: dict[str, Any], *, get: bool) -> tuple[bool, int]:
    """Validate the options both endpoints share; return (original_description, days)."""
    get_object(body, "options")
    original = get_bool(body, "options.include_original_description")
    get_bool(body, "options.include_personal_finance_category")
    get_bool(body, "options.include_logo_and_counterparty_beta")
    if get:
        get_bool(body, "options.include_personal_finance_category_beta")
    get_str(body, "options.personal_finance_category_version", choices=("v1", "v2"))
    days = get_int(body, "options.days_requested", default=90, minimum=1, maximum=730)
    return original, days or 90


def _accounts_json(item: Item, account_ids: set[str] | None) -> str:
    """``accounts``: the Item's accounts in Plaid's order, only those named if given."""
    return ",".join(
        json.dumps(account.to_dict(), separators=(",", ":"))
        for account in item.accounts
        if account_ids is None or account.account_id in account_ids
    )


def _join(transactions: list[Transaction], original: bool) -> str:
    if original:
        return ",".join(t.to_json(original_description=True) for t in transactions)
    return ",".join(t.to_json() for t in transactions)


def _sync_body(
    *, accounts: str, page: SyncPage | None, next_cursor: str, status: str, original: bool
) -> RawJSON:
    added = modified = removed = ""
    has_more = False
    if page is not None:
        added = _join(page.added, original)
        modified = _join(page.modified, original)
        removed = ",".join(t.removed_json() for t in page.removed)
        has_more = page.has_more
    return RawJSON(
        f'{{"accounts":[{accounts}],"added":[{added}],"modified":[{modified}],'
        f'"removed":[{removed}],"next_cursor":"{next_cursor}",'
        f'"has_more":{"true" if has_more else "false"},'
        f'"transactions_update_status":"{status}"}}'
    )


def _not_ready() -> RawJSON:
    return _sync_body(accounts="", page=None, next_cursor="", status="NOT_READY", original=False)


def transactions_sync(state: EmulatorState, body: dict[str, Any]) -> RawJSON:
    """Serve the Item's changes after ``cursor``, at most ``count`` of them.

    The first call activates SYNC_UPDATES_AVAILABLE for the Item. An Item without
    ``transactions`` gets it added (as at Plaid) and answers NOT_READY once.
    """
    require(body, "access_token")
    cursor_text = get_str(body, "cursor", allow_empty=True) or ""
    if len(cursor_text) > 256:
        raise invalid_field("cursor", "must be at most 256 characters")
    count = get_int(body, "count", default=100, minimum=1, maximum=500) or 100
    original, days = _read_options(body, get=False)
    account_id = get_str(body, "options.account_id")
    item = item_for_data(state, body)
    item.sync_activated = True
    if item.ledger is None:
        state.initialize_transactions(item, days)
        # Plaid pulls the history now and says so once it is there.
        notify_sync_updates_available(state, item)
        return _not_ready()
    if not item.transactions_ready:
        return _not_ready()
    ledger = item.ledger
    if account_id is not None and account_id not in {a.account_id for a in ledger.accounts}:
        raise PlaidErrorResponse(
            "INVALID_ACCOUNT_ID",
            f"options.account_id {account_id} is not an account of this Item that has transactions",
        )

    position = 0
    if cursor_text == "now":
        # Plaid's migration cursor: nothing now, and a cursor for everything after.
        position = len(ledger)
    elif cursor_text:
        cursor = decode_cursor(cursor_text)
        if cursor is None or cursor.item_id != item.item_id or cursor.position > len(ledger):
            raise PlaidErrorResponse("INVALID_FIELD", CURSOR_MISMATCH)
        if cursor.epoch != ledger.epoch:
            raise PlaidErrorResponse(
                "INVALID_FIELD",
                f"{CURSOR_MISMATCH}: the Item's transaction history was regenerated since "
                "this cursor was issued; sync again from an empty cursor",
            )
        if cursor.account_id != account_id:
            raise PlaidErrorResponse(
                "INVALID_FIELD",
                f"{CURSOR_MISMATCH}: it belongs to a different options.account_id stream; "
                "start from an empty cursor to switch streams",
            )
        if cursor.head is not None and cursor.head < ledger.pagination_floor:
            raise PlaidErrorResponse("TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION")
        position = cursor.position

    page = ledger.page(position, 0 if cursor_text == "now" else count, account_id)
    next_cursor = encode_cursor(
        Cursor(
            item.item_id,
            ledger.epoch,
            page.position,
            account_id,
            head=len(ledger) if page.has_more else None,
        )
    )
    return _sync_body(
        accounts=_accounts_json(item, page.account_ids),
        page=page,
        next_cursor=next_cursor,
        status="HISTORICAL_UPDATE_COMPLETE",
        original=original,
    )


def transactions_get(state: EmulatorState, body: dict[str, Any]) -> RawJSON:
    """Legacy ``/transactions/get``: current transactions in a date range, newest first."""
    require(body, "access_token", "start_date", "end_date")
    start = get_date(body, "start_date", required=True)
    end = get_date(body, "end_date", required=True)
    assert start is not None
    assert end is not None
    if end < start:
        raise invalid_field("end_date", "must not be before start_date")
    original, days = _read_options(body, get=True)
    count = get_int(body, "options.count", default=100, minimum=1, maximum=500) or 100
    offset = get_int(body, "options.offset", default=0, minimum=0) or 0
    wanted = get_str_list(body, "options.account_ids")
    item = item_for_data(state, body)
    if item.ledger is None:
        state.initialize_transactions(item, days)
        raise PlaidErrorResponse("PRODUCT_NOT_READY")
    if not item.transactions_ready:
        raise PlaidErrorResponse("PRODUCT_NOT_READY")
    ledger = item.ledger
    eligible = {a.account_id for a in ledger.accounts}
    account_ids = None
    if wanted is not None:
        unknown = [a for a in wanted if a not in eligible]
        if unknown:
            raise PlaidErrorResponse(
                "INVALID_ACCOUNT_ID",
                "one or more of the account IDs is invalid: " + ", ".join(unknown),
            )
        account_ids = set(wanted)
    matching = ledger.between(start.isoformat(), end.isoformat(), account_ids)
    chosen = matching[offset : offset + count]
    item_json = json.dumps(item.to_dict(), separators=(",", ":"))
    return RawJSON(
        f'{{"accounts":[{_accounts_json(item, account_ids or eligible)}],'
        f'"transactions":[{_join(chosen, original)}],'
        f'"total_transactions":{len(matching)},"item":{item_json}}}'
    )


def transactions_refresh(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Pull new data now; only ``user_transactions_dynamic`` Items actually change."""
    require(body, "access_token")
    item = item_for_data(state, body)
    if item.ledger is None:
        raise PlaidErrorResponse(
            "PRODUCT_NOT_ENABLED",
            "the requested product is not enabled for this item: transactions (add it "
            "before calling /transactions/refresh)",
        )
    state.refresh_transactions(item)
    return {}


def sandbox_transactions_create(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Add up to 10 posted transactions to a ``user_transactions_dynamic`` Item.

    Other Items answer SANDBOX_ERROR/SANDBOX_PRODUCT_NOT_ENABLED (the emulator's choice:
    Plaid documents the restriction but not its error).
    """
    require(body, "access_token", "transactions")
    raw = body["transactions"]
    if not isinstance(raw, list) or not all(isinstance(t, dict) for t in raw):
        raise invalid_field("transactions", "must be an array of objects")
    if not raw:
        raise invalid_field("transactions", "must contain at least 1 item")
    if len(raw) > SANDBOX_CREATE_MAX:
        raise PlaidErrorResponse(
            "INVALID_FIELD",
            "The request contains too many transactions.",
            display_message="The request contains too many transactions.",
        )
    item = item_for_token(state, body)
    today = state.now().date()
    specs = []
    # Nested under the request's own key, so error messages name e.g. transactions.0.amount.
    nested = {"transactions": {str(index): entry for index, entry in enumerate(raw)}}
    for index in range(len(raw)):
        prefix = f"transactions.{index}"
        require(
            nested,
            *(f"{prefix}.{k}" for k in ("date_transacted", "date_posted", "amount", "description")),
        )
        transacted = get_date(nested, f"{prefix}.date_transacted", required=True)
        posted = get_date(nested, f"{prefix}.date_posted", required=True)
        amount = get_number(nested, f"{prefix}.amount", required=True)
        description = get_str(nested, f"{prefix}.description", required=True)
        currency = get_str(nested, f"{prefix}.iso_currency_code")
        account_id = get_str(nested, f"{prefix}.account_id")
        assert transacted is not None
        assert posted is not None
        oldest = today - SANDBOX_CREATE_WINDOW
        if not (oldest <= transacted <= today and oldest <= posted <= today) or posted < transacted:
            message = (
                "Transaction and posted dates must be within the last 14 days. The posted "
                "date cannot be before the transaction date."
            )
            raise PlaidErrorResponse("INVALID_FIELD", message, display_message=message)
        specs.append(
            {
                "date_transacted": transacted.isoformat(),
                "date_posted": posted.isoformat(),
                "amount": amount,
                "description": description,
                "iso_currency_code": currency,
                "account_id": account_id,
            }
        )
    if item.ledger is None:
        raise PlaidErrorResponse(
            "SANDBOX_PRODUCT_NOT_ENABLED",
            "the requested product is not enabled for this item: transactions",
        )
    if not item.dynamic:
        raise PlaidErrorResponse(
            "SANDBOX_PRODUCT_NOT_ENABLED",
            "/sandbox/transactions/create only works for Items created with the "
            "user_transactions_dynamic test user",
        )
    eligible = {a.account_id for a in item.ledger.accounts}
    for spec in specs:
        if spec["account_id"] is not None and spec["account_id"] not in eligible:
            raise PlaidErrorResponse(
                "INVALID_ACCOUNT_ID",
                f"account_id {spec['account_id']} is not a depository or credit account of "
                "this Item",
            )
    state.create_transactions(item, specs)
    return {}


ROUTES = (
    Route("/transactions/sync", transactions_sync),
    Route("/transactions/get", transactions_get),
    Route("/transactions/refresh", transactions_refresh),
    Route("/sandbox/transactions/create", sandbox_transactions_create),
)
