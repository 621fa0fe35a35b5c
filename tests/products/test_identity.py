import pytest

from django_plaid.models import AccountOwner
from tests.helpers import item_webhook, raw_column

pytestmark = pytest.mark.django_db

NAME = "Alberta Bobbeth Charleson"


def test_linking_with_identity_stores_owners_encrypted(link_product):
    item = link_product(["identity"])
    owners = AccountOwner.objects.filter(account__item=item)
    assert owners.exists()
    owner = owners.first().data
    assert NAME in owner["names"]
    assert any(e["data"] == "accountholder0@example.com" for e in owner["emails"])
    stored = raw_column("django_plaid_accountowner", "data")
    assert all(NAME not in value and "example.com" not in value for value in stored)


def test_the_api_masks_identity(api, trust, link_product):
    link_product(["identity"])
    rows = api.get("/plaid/identity/").json()
    assert rows
    text = str(rows)
    assert NAME not in text
    assert "accountholder0@example.com" not in text
    assert "1112223333" not in text
    assert "Cameron" not in text
    owner = rows[0]["owner"]
    assert owner["emails"][0]["data"].endswith("@example.com")
    assert owner["emails"][0]["primary"] in (True, False)  # flags stay readable
    assert NAME in str(trust().get("/plaid/identity/").json())


def test_identity_webhook_refetches(deliver, link_product):
    item = link_product(["identity"])
    AccountOwner.objects.filter(account__item=item).delete()
    deliver(
        item_webhook(
            item,
            "DEFAULT_UPDATE",
            webhook_type="IDENTITY",
            account_ids_with_updated_identity={},
            error=None,
        )
    )
    assert AccountOwner.objects.filter(account__item=item).exists()


def test_other_users_see_no_owners(other_api, link_product):
    link_product(["identity"])
    assert other_api.get("/plaid/identity/").json() == []


def test_owners_never_land_in_clear_columns(link_product):
    item = link_product(["identity"])
    for account in item.accounts.all():
        assert "owners" not in account.raw
    assert all(NAME not in str(value) for value in raw_column("django_plaid_account", "raw"))
