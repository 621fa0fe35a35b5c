"""``/investments/holdings/get`` and ``/investments/transactions/get``.

Both serve the Item's investment accounts (``balances`` with the required, nullable
``margin_loan_amount``) and the securities their rows refer to (see ``investments.py``
for the data). Errors, in order: the ``product_item`` gate (PRODUCTS_NOT_SUPPORTED,
NO_INVESTMENT_ACCOUNTS, PRODUCT_NOT_READY; an Item linked without Investments gets it
added on the first call, as at Plaid), then INVALID_ACCOUNT_ID for ``options.account_ids``
not on the Item.

``/investments/transactions/get`` pages the transactions dated ``start_date`` ..
``end_date`` newest first with ``options.count`` (1-500, default 100) and
``options.offset``; ``total_investment_transactions`` counts all that match. When the
Item was not linked with Investments and ``options.async_update`` is true, the first call
answers PRODUCT_NOT_READY and sends ``INVESTMENTS_TRANSACTIONS``/``HISTORICAL_UPDATE``
(Plaid's asynchronous extraction, finished at once); without ``async_update`` it answers
right away, as Plaid does after waiting for the extraction.

Note for clients: plaid-python 46 cannot read ``account.balances`` of a typed
``InvestmentAccount`` (its allOf parts hold different balance classes, so attribute
access raises ApiValueError, with Plaid's own answers too); read
``account.to_dict()["balances"]`` or the raw JSON instead.
"""

from __future__ import annotations

from typing import Any

from ..errors import PlaidErrorResponse
from ..investments import INVESTMENT_TYPES, SECURITIES
from ..notifications import notify_investments_historical_update
from ..records import Account
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_bool, get_date, get_int, get_object, invalid_field, require
from ._common import item_for_data, product_item, select_accounts

__all__ = ["ROUTES", "investments_holdings_get", "investments_transactions_get"]

_BY_ID = {security.security_id: security for security in SECURITIES.values()}


def _is_investment(account: Account) -> bool:
    return account.type in INVESTMENT_TYPES


def _accounts(accounts: list[Account]) -> list[dict[str, Any]]:
    rendered = []
    for account in accounts:
        body = account.to_dict()
        # InvestmentAccountBalance requires it; the sandbox accounts have no margin loans.
        body["balances"]["margin_loan_amount"] = None
        rendered.append(body)
    return rendered


def _securities(security_ids: list[str | None], state: EmulatorState) -> list[dict[str, Any]]:
    as_of = state.now().date()
    unique = dict.fromkeys(s for s in security_ids if s is not None)
    return [_BY_ID[security_id].to_dict(as_of) for security_id in unique]


def investments_holdings_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The Item's investment accounts, their holdings and the securities held."""
    require(body, "access_token")
    item, accounts = product_item(
        state, body, "investments", eligible=_is_investment, no_accounts="NO_INVESTMENT_ACCOUNTS"
    )
    chosen = select_accounts(item, accounts, body)
    holdings = state.investments(item).holdings(state.now().date(), [a.account_id for a in chosen])
    return {
        "accounts": _accounts(chosen),
        "holdings": holdings,
        "securities": _securities([h["security_id"] for h in holdings], state),
        "item": item.to_dict(),
    }


def investments_transactions_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """One page of the Item's investment transactions in a date range, newest first."""
    require(body, "access_token", "start_date", "end_date")
    start = get_date(body, "start_date", required=True)
    end = get_date(body, "end_date", required=True)
    assert start is not None
    assert end is not None
    if end < start:
        raise invalid_field("end_date", "must not be before start_date")
    get_object(body, "options")
    count = get_int(body, "options.count", default=100, minimum=1, maximum=500) or 100
    offset = get_int(body, "options.offset", default=0, minimum=0) or 0
    async_update = get_bool(body, "options.async_update")
    linked = "investments" in item_for_data(state, body).products
    item, accounts = product_item(
        state, body, "investments", eligible=_is_investment, no_accounts="NO_INVESTMENT_ACCOUNTS"
    )
    if not linked and async_update:
        notify_investments_historical_update(state, item)
        raise PlaidErrorResponse(
            "PRODUCT_NOT_READY",
            "the requested product is not yet ready: investments transactions are being "
            "extracted; wait for the HISTORICAL_UPDATE webhook",
        )
    chosen = select_accounts(item, accounts, body)
    matching = state.investments(item).between(start, end, [a.account_id for a in chosen])
    page = matching[offset : offset + count]
    return {
        "accounts": _accounts(chosen),
        "investment_transactions": [t.to_dict() for t in page],
        "securities": _securities([t.security_id for t in page], state),
        "total_investment_transactions": len(matching),
        "item": item.to_dict(),
    }


ROUTES = (
    Route("/investments/holdings/get", investments_holdings_get),
    Route("/investments/transactions/get", investments_transactions_get),
)
