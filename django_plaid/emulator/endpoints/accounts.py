"""``/accounts/get`` (cached balances) and ``/accounts/balance/get`` (live balances)."""

from __future__ import annotations

from typing import Any

from ..errors import PlaidErrorResponse
from ..records import Account
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_datetime, get_object, get_str_list
from ._common import item_for_data

__all__ = ["ROUTES", "accounts_balance_get", "accounts_get"]


def _select(accounts: list[Account], body: dict[str, Any]) -> list[Account]:
    get_object(body, "options")
    wanted = get_str_list(body, "options.account_ids")
    if wanted is None:
        return accounts
    known = {account.account_id for account in accounts}
    unknown = [account_id for account_id in wanted if account_id not in known]
    if unknown:
        raise PlaidErrorResponse(
            "INVALID_ACCOUNT_ID",
            "one or more of the account IDs is invalid: " + ", ".join(unknown),
        )
    return [account for account in accounts if account.account_id in set(wanted)]


def accounts_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """List the Item's accounts with cached balances."""
    item = item_for_data(state, body)
    accounts = _select(item.accounts, body)
    return {"accounts": [a.to_dict() for a in accounts], "item": item.to_dict()}


def accounts_balance_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """List the Item's accounts with balances fetched "now" (``last_updated_datetime``)."""
    item = item_for_data(state, body)
    get_datetime(body, "options.min_last_updated_datetime")
    accounts = _select(item.accounts, body)
    now = state.now()
    return {
        "accounts": [a.to_dict(balances_updated_at=now) for a in accounts],
        "item": item.to_dict(),
    }


ROUTES = (
    Route("/accounts/get", accounts_get),
    Route("/accounts/balance/get", accounts_balance_get),
)
