import pytest

from django_plaid import services
from django_plaid.models import Item, Transaction

pytestmark = pytest.mark.django_db


@pytest.fixture
def synced(item, emulator):
    services.sync_item(Item.objects.get(pk=item.pk))
    return Item.objects.get(pk=item.pk)


def all_pages(api, url):
    rows = []
    while url:
        body = api.get(url).json()
        rows += body["results"]
        url = body["next"]
    return rows


def test_list_is_newest_first_and_complete(api, synced):
    rows = all_pages(api, "/plaid/transactions/?page_size=37")
    assert len(rows) == Transaction.objects.filter(item=synced).count()
    assert len({r["transaction_id"] for r in rows}) == len(rows)
    keys = [(r["date"], r["transaction_id"]) for r in rows]
    dates = [r["date"] for r in rows]
    assert dates == sorted(dates, reverse=True)
    assert len(keys) == len(set(keys))


def test_transaction_shape(api, synced):
    row = api.get("/plaid/transactions/?page_size=1").json()["results"][0]
    assert set(row) == {
        "transaction_id",
        "account_id",
        "item_id",
        "amount",
        "iso_currency_code",
        "unofficial_currency_code",
        "date",
        "authorized_date",
        "datetime",
        "authorized_datetime",
        "name",
        "merchant_name",
        "payment_channel",
        "pending",
        "pending_transaction_id",
        "personal_finance_category",
        "location",
        "counterparties",
    }
    assert row["item_id"] == synced.item_id
    assert isinstance(row["amount"], (int, float))


def test_filters(api, synced):
    account = synced.accounts.filter(transactions__isnull=False).first()
    rows = all_pages(api, f"/plaid/transactions/?account_id={account.account_id}&page_size=500")
    assert rows
    assert {r["account_id"] for r in rows} == {account.account_id}
    pending = all_pages(api, "/plaid/transactions/?pending=true&page_size=500")
    assert pending
    assert all(r["pending"] for r in pending)
    dates = sorted({r["date"] for r in all_pages(api, "/plaid/transactions/?page_size=500")})
    start, end = dates[len(dates) // 3], dates[2 * len(dates) // 3]
    window = all_pages(api, f"/plaid/transactions/?start_date={start}&end_date={end}")
    assert window
    assert all(start <= r["date"] <= end for r in window)
    by_item = all_pages(api, f"/plaid/transactions/?item_id={synced.item_id}&page_size=500")
    assert len(by_item) == Transaction.objects.filter(item=synced).count()


@pytest.mark.parametrize(
    "query",
    [
        "start_date=yesterday",
        "pending=maybe",
        "page_size=0",
        "page_size=501",
        "page_size=ten",
        "cursor=%%%",
        "start_date=2026-02-01&end_date=2026-01-01",
    ],
)
def test_bad_parameters_are_400(api, synced, query):
    response = api.get(f"/plaid/transactions/?{query}")
    assert response.status_code == 400
    assert response.json()


def test_retrieve(api, synced):
    txn = Transaction.objects.filter(item=synced).first()
    body = api.get(f"/plaid/transactions/{txn.transaction_id}/").json()
    assert body["transaction_id"] == txn.transaction_id


def test_other_users_transactions_are_invisible(other_api, synced):
    txn = Transaction.objects.filter(item=synced).first()
    assert other_api.get(f"/plaid/transactions/{txn.transaction_id}/").status_code == 404
    assert other_api.get("/plaid/transactions/").json()["results"] == []
    assert other_api.get(f"/plaid/transactions/?item_id={synced.item_id}").json()["results"] == []


@pytest.fixture
def many(item, emulator):
    emulator.generate_transactions(item.item_id, 1200)
    services.sync_item(Item.objects.get(pk=item.pk))
    return item


@pytest.mark.parametrize("page_size", [1, 100, 500])
def test_a_fixed_number_of_queries_whatever_the_page_size(
    api, many, page_size, django_assert_num_queries
):
    with django_assert_num_queries(1):
        first = api.get(f"/plaid/transactions/?page_size={page_size}").json()
    with django_assert_num_queries(1):
        api.get(first["next"])


def test_reads_never_call_plaid(api, synced, plaid_calls):
    txn = Transaction.objects.filter(item=synced).first()
    for url in (
        "/plaid/items/",
        f"/plaid/items/{synced.item_id}/",
        "/plaid/accounts/",
        "/plaid/transactions/",
        f"/plaid/transactions/{txn.transaction_id}/",
    ):
        assert api.get(url).status_code == 200
    assert plaid_calls == []


def test_sync_endpoint_queues_a_sync(api, item, emulator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/plaid/items/{item.item_id}/sync/")
    assert response.status_code == 202
    assert response.json() == {"item_id": item.item_id, "queued": True}
    assert Transaction.objects.filter(item=item).count() == len(
        emulator.transactions_truth(item.item_id)
    )


def test_refresh_balances_endpoint(api, item, emulator, django_capture_on_commit_callbacks):
    before = item.accounts.first().balances_updated_at
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/plaid/items/{item.item_id}/refresh-balances/")
    assert response.status_code == 202
    assert item.accounts.first().balances_updated_at > before


def test_other_users_cannot_sync_or_refresh(other_api, item):
    assert other_api.post(f"/plaid/items/{item.item_id}/sync/").status_code == 404
    assert other_api.post(f"/plaid/items/{item.item_id}/refresh-balances/").status_code == 404
