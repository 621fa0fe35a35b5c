"""The products registry names exactly the products whose flows exist."""

from django_plaid import registry
from django_plaid.products import services as products


def test_the_registry_lists_the_fetched_products_and_their_refreshes():
    assert tuple(products.FETCHERS) == registry.FETCHED_PRODUCTS
    assert tuple(products.REFRESHERS) == registry.REFRESHABLE_PRODUCTS
    assert set(registry.COVERED_BY.values()) <= set(registry.FETCHED_PRODUCTS)


def test_products_to_fetch_keeps_the_registry_order():
    class Item:
        products = ["liabilities", "transactions", "auth"]

    assert registry.products_to_fetch(Item()) == ["auth", "liabilities"]
