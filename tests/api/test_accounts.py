import pytest

pytestmark = pytest.mark.django_db


def test_list_my_accounts(api, item):
    body = api.get("/plaid/accounts/").json()
    assert len(body) == item.accounts.count()
    assert {a["item_id"] for a in body} == {item.item_id}
    assert all("access_token" not in a for a in body)


def test_filter_by_item(api, link):
    first = link(api, "ins_109508")
    second = link(api, "ins_109509")
    body = api.get(f"/plaid/accounts/?item_id={second['item_id']}").json()
    assert {a["item_id"] for a in body} == {second["item_id"]}
    assert len(body) == len(second["accounts"])
    assert first["item_id"] not in str(body)


def test_retrieve(api, item):
    account = item.accounts.first()
    body = api.get(f"/plaid/accounts/{account.account_id}/").json()
    assert body["account_id"] == account.account_id
    assert set(body["balances"]) == {
        "available",
        "current",
        "limit",
        "iso_currency_code",
        "unofficial_currency_code",
    }


def test_other_users_accounts_are_invisible(other_api, item):
    account = item.accounts.first()
    assert other_api.get(f"/plaid/accounts/{account.account_id}/").status_code == 404
    assert other_api.get("/plaid/accounts/").json() == []
    assert other_api.get(f"/plaid/accounts/?item_id={item.item_id}").json() == []


def test_list_uses_a_fixed_number_of_queries(api, link, django_assert_max_num_queries):
    link(api, "ins_109508")
    link(api, "ins_109509")
    with django_assert_max_num_queries(3):
        api.get("/plaid/accounts/")
