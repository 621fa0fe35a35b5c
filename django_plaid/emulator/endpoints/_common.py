"""Helpers shared by endpoint modules: product lists, webhook URLs and Item lookups."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from ..data import LINKABLE_PRODUCTS
from ..errors import PlaidAPIError
from ..state import EmulatorState, Item
from ..validation import get_str, get_str_list, invalid_field

__all__ = ["get_products", "get_webhook", "item_for_data", "item_for_token"]


def get_products(
    body: dict[str, Any], path: str, *, required: bool = False, min_items: int = 0
) -> list[str] | None:
    """Read a product-name list; unknown names and ``balance`` raise INVALID_PRODUCT."""
    products = get_str_list(body, path, required=required, min_items=min_items)
    if products is None:
        return None
    if "balance" in products:
        raise PlaidAPIError(
            "INVALID_PRODUCT",
            "balance is not a valid product for this field; it is available to every Item "
            "without being requested",
        )
    unknown = sorted(set(products) - LINKABLE_PRODUCTS)
    if unknown:
        raise PlaidAPIError("INVALID_PRODUCT", "invalid product names: " + ", ".join(unknown))
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
