import pytest

from django_plaid.models import Liability
from tests.helpers import item_webhook, raw_column

pytestmark = pytest.mark.django_db


def test_linking_with_liabilities_stores_all_three_kinds(link_product):
    item = link_product(["liabilities"])
    kinds = set(Liability.objects.filter(account__item=item).values_list("kind", flat=True))
    assert kinds == {"credit", "mortgage", "student"}
    card = Liability.objects.filter(account__item=item, kind="credit").first()
    assert card.interest_rate_percentage is not None  # the purchase APR
    mortgage = Liability.objects.get(account__item=item, kind="mortgage")
    assert mortgage.data["property_address"]
    stored = raw_column("django_plaid_liability", "data")
    assert all(value.startswith("gAAAA") for value in stored)


def test_the_api_masks_account_numbers(api, link_product):
    item = link_product(["liabilities"])
    rows = api.get("/plaid/liabilities/").json()
    assert {r["kind"] for r in rows} == {"credit", "mortgage", "student"}
    mortgage = next(r for r in rows if r["kind"] == "mortgage")
    number = Liability.objects.get(account__item=item, kind="mortgage").data["account_number"]
    if number:
        assert number not in str(rows)
        assert mortgage["details"]["account_number"].startswith("••••")
    assert mortgage["next_payment_due_date"]


def test_liabilities_webhook_refetches(deliver, link_product):
    item = link_product(["liabilities"])
    Liability.objects.filter(account__item=item).delete()
    deliver(
        item_webhook(
            item,
            "DEFAULT_UPDATE",
            webhook_type="LIABILITIES",
            account_ids_with_new_liabilities=[],
            account_ids_with_updated_liabilities={},
            error=None,
        )
    )
    kinds = set(Liability.objects.filter(account__item=item).values_list("kind", flat=True))
    assert kinds == {"credit", "mortgage", "student"}


def test_other_users_see_no_liabilities(other_api, link_product):
    link_product(["liabilities"])
    assert other_api.get("/plaid/liabilities/").json() == []


def test_refresh_products_endpoint(api, link_product, django_capture_on_commit_callbacks):
    item = link_product(["liabilities"])
    Liability.objects.filter(account__item=item).delete()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/plaid/items/{item.item_id}/refresh-products/", {}, format="json")
    assert response.status_code == 202
    assert response.json()["products"] == ["liabilities"]
    assert Liability.objects.filter(account__item=item).exists()
    bad = api.post(
        f"/plaid/items/{item.item_id}/refresh-products/", {"products": ["auth"]}, format="json"
    )
    assert bad.status_code == 400


def test_product_refreshed_signal(link_product):
    from unittest import mock

    from django_plaid import signals

    handler = mock.Mock()
    signals.product_refreshed.connect(handler)
    try:
        item = link_product(["liabilities"])
    finally:
        signals.product_refreshed.disconnect(handler)
    kwargs = handler.call_args.kwargs
    assert kwargs["item"].pk == item.pk
    assert kwargs["product"] == "liabilities"
    assert kwargs["count"] == Liability.objects.filter(account__item=item).count()
