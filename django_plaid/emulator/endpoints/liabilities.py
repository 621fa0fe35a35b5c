"""``/liabilities/get``: credit card, mortgage and student loan details (``liabilities.py``).

Errors, in order: the ``product_item`` gate (PRODUCTS_NOT_SUPPORTED when the institution
lacks Liabilities, NO_LIABILITY_ACCOUNTS when the Item has no credit card, mortgage or
student loan account, PRODUCT_NOT_READY while the data is being prepared); an Item
linked without Liabilities gets it added on the first call, as at Plaid. ``accounts``
lists the liability accounts (those named by ``options.account_ids`` if given); a
``liabilities`` list with no account of its kind is null.
"""

from __future__ import annotations

from typing import Any

from ..liabilities import is_liability_account, liabilities_for
from ..routes import Route
from ..state import EmulatorState
from ..validation import require
from ._common import product_item, select_accounts

__all__ = ["ROUTES", "liabilities_get"]


def liabilities_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The Item's liability accounts and their credit, mortgage and student loan details."""
    require(body, "access_token")
    item, accounts = product_item(
        state,
        body,
        "liabilities",
        eligible=is_liability_account,
        no_accounts="NO_LIABILITY_ACCOUNTS",
    )
    chosen = select_accounts(item, accounts, body)
    return {
        "accounts": [account.to_dict() for account in chosen],
        "liabilities": liabilities_for(chosen, item.created_at.date()),
        "item": item.to_dict(),
    }


ROUTES = (Route("/liabilities/get", liabilities_get),)
