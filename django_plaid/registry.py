"""The products registry: which products dj-plaid stores besides transactions.

Linking, the periodic task and the API learn from here which products exist and how
they are refreshed, never by importing a product's flows (``products.services``, whose
``FETCHERS`` and ``REFRESHERS`` hold the functions for exactly these names).
"""

from __future__ import annotations

from typing import Any

#: Item products whose data dj-plaid fetches and stores, in fetch order.
FETCHED_PRODUCTS: tuple[str, ...] = ("auth", "identity", "investments", "liabilities")

#: Finer-grained refreshes that webhooks ask for, and the product whose periodic fetch
#: covers each.
COVERED_BY: dict[str, str] = {"holdings": "investments", "investments_transactions": "investments"}

#: Every product a refresh may name: the fetched products and their finer refreshes.
REFRESHABLE_PRODUCTS: tuple[str, ...] = (*FETCHED_PRODUCTS, *COVERED_BY)

#: Products that Link collects for a Plaid user rather than for an Item.
USER_PRODUCTS = frozenset({"income_verification"})


def products_to_fetch(item: Any) -> list[str]:
    """The Item's products that dj-plaid stores data for (besides transactions)."""
    return [p for p in FETCHED_PRODUCTS if p in (item.products or [])]
