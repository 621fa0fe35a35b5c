"""``/identity/get``: the Item's accounts, each with its ``owners`` (see ``identity.py``).

Every account of the Item has identity data, so the only product errors are those of the
``product_item`` gate: PRODUCTS_NOT_SUPPORTED when the institution lacks Identity and
PRODUCT_NOT_READY while its data is being prepared. An Item linked without Identity gets
it added to its billed products on the first call, as at Plaid.
"""

from __future__ import annotations

from typing import Any

from ..identity import owners
from ..routes import Route
from ..state import EmulatorState
from ..validation import require
from ._common import product_item, select_accounts

__all__ = ["ROUTES", "identity_get"]


def identity_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The Item's accounts with their owners' names, emails, phone numbers and addresses."""
    require(body, "access_token")
    item, accounts = product_item(
        state, body, "identity", eligible=lambda account: True, no_accounts=None
    )
    chosen = select_accounts(item, accounts, body)
    return {
        "accounts": [{**account.to_dict(), "owners": owners()} for account in chosen],
        "item": item.to_dict(),
    }


ROUTES = (Route("/identity/get", identity_get),)
