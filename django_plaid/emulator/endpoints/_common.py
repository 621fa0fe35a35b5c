"""Helpers shared by endpoint modules: product lists, webhook URLs and Item lookups.

``product_item`` is the gate every product endpoint (Auth, Identity, Investments,
Liabilities) passes, in Plaid's order: the access token and the Item's own error, then
PRODUCTS_NOT_SUPPORTED when the institution lacks the product, the product's "no eligible
accounts" code (NO_AUTH_ACCOUNTS, NO_INVESTMENT_ACCOUNTS, NO_LIABILITY_ACCOUNTS), then
the product is added to the Item's billed products if it was not linked with it (what
Plaid does for these four products), and last PRODUCT_NOT_READY while its data is being
prepared. Injected faults come before all of it (they are an app hook).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from ..data import LINKABLE_PRODUCTS
from ..errors import PlaidErrorResponse
from ..records import Account, Item
from ..state import EmulatorState
from ..validation import get_object, get_str, get_str_list, invalid_field

__all__ = [
    "get_products",
    "get_webhook",
    "item_for_data",
    "item_for_token",
    "product_item",
    "select_accounts",
]


def get_products(
    body: dict[str, Any], path: str, *, required: bool = False, min_items: int = 0
) -> list[str] | None:
    """Read a product-name list; unknown names and ``balance`` raise INVALID_PRODUCT."""
    products = get_str_list(body, path, required=required, min_items=min_items)
    if products is None:
        return None
    if "balance" in products:
        raise PlaidErrorResponse(
            "INVALID_PRODUCT",
            "balance is not a valid product for this field; it is available to every Item "
            "without being requested",
        )
    unknown = sorted(set(products) - LINKABLE_PRODUCTS)
    if unknown:
        raise PlaidErrorResponse("INVALID_PRODUCT", "invalid product names: " + ", ".join(unknown))
    # Keep the caller's order but drop repeats.
    return list(dict.fromkeys(products))


def get_webhook(body: dict[str, Any], path: str) -> str | None:
    """Read an optional webhook URL (empty means none); it must be an http(s) URL."""
    webhook = get_str(body, path, allow_empty=True)
    if not webhook:
        return None
    parts = urlsplit(webhook)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise invalid_field(path, "must be a valid http or https URL")
    return webhook


def item_for_token(state: EmulatorState, body: dict[str, Any]) -> Item:
    """Resolve the body's ``access_token`` to its Item (INVALID_ACCESS_TOKEN otherwise)."""
    access_token = get_str(body, "access_token", required=True)
    assert access_token is not None
    return state.item_for_access_token(access_token)


def item_for_data(state: EmulatorState, body: dict[str, Any]) -> Item:
    """Like ``item_for_token``, but an Item in an error state answers with that error."""
    item = item_for_token(state, body)
    error = item.error
    if error is not None:
        raise error
    return item


def product_item(
    state: EmulatorState,
    body: dict[str, Any],
    product: str,
    *,
    eligible: Callable[[Account], bool],
    no_accounts: str | None,
) -> tuple[Item, list[Account]]:
    """Resolve the Item for a product endpoint and return it with its eligible accounts.

    See the module docstring for the checks and their order. ``no_accounts`` is the code
    raised when no account is eligible (None: an empty list is a valid answer).
    """
    item = item_for_data(state, body)
    if product not in item.products and product not in item.institution.products:
        raise PlaidErrorResponse(
            "PRODUCTS_NOT_SUPPORTED",
            f"the following products are not supported by this institution: {product}",
        )
    accounts = [account for account in item.accounts if eligible(account)]
    if not accounts and no_accounts is not None:
        raise PlaidErrorResponse(no_accounts)
    state.add_product(item, product)
    if not state.product_ready(item, product):
        raise PlaidErrorResponse(
            "PRODUCT_NOT_READY",
            f"the requested product is not yet ready: {product}. please provide a webhook "
            "or try the request again later",
        )
    return item, accounts


def select_accounts(item: Item, accounts: list[Account], body: dict[str, Any]) -> list[Account]:
    """Narrow ``accounts`` to ``options.account_ids`` (INVALID_ACCOUNT_ID for ids not on the
    Item; ids of the Item's other accounts simply select nothing)."""
    get_object(body, "options")
    wanted = get_str_list(body, "options.account_ids")
    if wanted is None:
        return accounts
    known = {account.account_id for account in item.accounts}
    unknown = [account_id for account_id in wanted if account_id not in known]
    if unknown:
        raise PlaidErrorResponse(
            "INVALID_ACCOUNT_ID",
            "one or more of the account IDs is invalid: " + ", ".join(unknown),
        )
    chosen = set(wanted)
    return [account for account in accounts if account.account_id in chosen]
