"""The changelists at scale: a fixed number of queries, no full count, bounded filters."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from django_plaid.admin import filters, paging
from django_plaid.models import Account, Transaction

from .data import make_bank, registered_models

pytestmark = pytest.mark.django_db

MODELS = [model._meta.model_name for model in registered_models()]
TRANSACTIONS = "/admin/django_plaid/transaction/"


def _queries(client, url):
    client.get(url)  # the session, content types and permissions cached
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries.captured_queries)


@pytest.mark.parametrize("model_name", MODELS)
def test_changelist_queries_do_not_grow_with_rows(admin_client, model_name):
    url = reverse(f"admin:django_plaid_{model_name}_changelist")
    make_bank(items=1, accounts=8, transactions=1)  # a row of every model
    few = _queries(admin_client, url)
    make_bank(items=3, accounts=12, transactions=3, start=1)
    assert _queries(admin_client, url) == few


def test_transaction_filters_and_search_cost_a_fixed_number_of_queries(admin_client):
    bank = make_bank(items=1, accounts=2, transactions=1)
    account, item = bank.accounts[0], bank.items[0]
    urls = [
        f"{TRANSACTIONS}?item={item.pk}",
        f"{TRANSACTIONS}?item={item.pk}&account={account.pk}",
        f"{TRANSACTIONS}?q=amazon",
        f"{TRANSACTIONS}?q={account.account_id}",
    ]
    before = [_queries(admin_client, url) for url in urls]
    make_bank(items=3, accounts=12, transactions=3, start=1)
    assert [_queries(admin_client, url) for url in urls] == before


def test_a_filtered_list_counts_only_up_to_the_limit(admin_client, monkeypatch):
    make_bank(items=1, accounts=4, transactions=3)  # 12 transactions
    monkeypatch.setattr(paging, "COUNT_LIMIT", 5)
    response = admin_client.get(TRANSACTIONS, {"pending__exact": "0"})
    cl = response.context["cl"]
    assert cl.paginator.bounded
    assert cl.result_count == 5
    assert "more than 5" in response.content.decode()
    sql = " ".join(q["sql"] for q in _captured(admin_client, f"{TRANSACTIONS}?pending__exact=0"))
    assert "LIMIT 6" in sql


def test_an_unfiltered_list_counts_exactly_when_small(admin_client):
    make_bank(items=1, accounts=2, transactions=3)
    response = admin_client.get(TRANSACTIONS)
    cl = response.context["cl"]
    assert cl.result_count == Transaction.objects.count() == 6
    assert not cl.paginator.estimated
    assert not cl.paginator.bounded


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's estimate")
def test_an_unfiltered_big_table_is_estimated_not_counted(admin_client, monkeypatch):
    make_bank(items=1, accounts=2, transactions=3)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Transaction._meta.db_table}")
    monkeypatch.setattr(paging, "ESTIMATE_FROM", 1)
    queries = _captured(admin_client, TRANSACTIONS)
    assert not any("COUNT(" in q["sql"].upper() for q in queries)
    response = admin_client.get(TRANSACTIONS)
    assert response.context["cl"].paginator.estimated
    assert "about 6" in response.content.decode()


def _captured(client, url):
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    return queries.captured_queries


# -- The filters name the Item, and stay bounded ---------------------------------------


def _choices(response, title):
    spec = next(f for f in response.context["cl"].filter_specs if str(f.title) == title)
    return [label for _, label in spec.lookup_choices]


def test_account_choices_say_which_item(admin_client):
    make_bank(items=2, accounts=3, transactions=1)
    labels = _choices(admin_client.get(TRANSACTIONS), "account")
    assert "First Platypus Bank · Plaid Business Credit Card ••9999" in labels
    assert (
        "The Very Long Named Cooperative Credit Union of the Northern Territories · "
        "Plaid Business Credit Card ••9999"
    ) in labels
    assert len(set(labels)) == len(labels) == 6


def test_same_institution_twice_adds_the_owner(admin_client):
    make_bank(items=1, accounts=1, transactions=1)
    make_bank(items=1, accounts=1, transactions=1, start=3)  # First Platypus Bank again
    labels = _choices(admin_client.get(TRANSACTIONS), "account")
    assert len(set(labels)) == 2
    assert all("customer.with.a.long.name" in label for label in labels)
    items = _choices(admin_client.get(TRANSACTIONS), "item")
    assert len(set(items)) == 2


def test_choosing_an_item_narrows_the_accounts(admin_client):
    bank = make_bank(items=2, accounts=3, transactions=1)
    item = bank.items[1]
    response = admin_client.get(TRANSACTIONS, {"item": item.pk})
    assert _choices(response, "account") == [
        "The Very Long Named Cooperative Credit Union of the Northern Territories · " + name
        for name in (
            "Plaid Business Credit Card ••9999",
            "Plaid Checking ••0000",
            "Plaid Saving ••1111",
        )
    ]
    assert {t.item_id for t in response.context["cl"].result_list} == {item.pk}
    account = item.accounts.get(mask="9999")
    response = admin_client.get(TRANSACTIONS, {"item": item.pk, "account": account.pk})
    assert {t.account_id for t in response.context["cl"].result_list} == {account.pk}


def test_too_many_choices_lists_only_the_chosen_one(admin_client, monkeypatch):
    bank = make_bank(items=2, accounts=3, transactions=1)
    monkeypatch.setattr(filters, "CHOICES_LIMIT", 2)
    response = admin_client.get(TRANSACTIONS)
    titles = [str(f.title) for f in response.context["cl"].filter_specs]
    assert "account" not in titles  # too many: search by account_id instead
    assert "item" in titles  # two Items: within the limit
    account = bank.accounts[4]
    response = admin_client.get(TRANSACTIONS, {"account": account.pk})
    assert len(_choices(response, "account")) == 1
    assert {t.account_id for t in response.context["cl"].result_list} == {account.pk}


def test_a_bad_filter_value_shows_nothing(admin_client):
    make_bank(items=1, accounts=1, transactions=1)
    response = admin_client.get(TRANSACTIONS, {"account": "not-a-number"})
    assert response.status_code == 200
    assert list(response.context["cl"].result_list) == []


def test_pasted_ids_are_looked_up_by_their_index(admin_client):
    bank = make_bank(items=2, accounts=2, transactions=2)
    account, item = bank.accounts[0], bank.items[1]
    txn = Transaction.objects.filter(account=bank.accounts[3]).first()
    found = admin_client.get(TRANSACTIONS, {"q": account.account_id}).context["cl"].result_list
    assert {t.account_id for t in found} == {account.pk}
    found = admin_client.get(TRANSACTIONS, {"q": item.item_id}).context["cl"].result_list
    assert {t.item_id for t in found} == {item.pk}
    assert len(found) == 4
    found = admin_client.get(TRANSACTIONS, {"q": txn.transaction_id}).context["cl"].result_list
    assert [t.pk for t in found] == [txn.pk]
    for q in _captured(admin_client, f"{TRANSACTIONS}?q={txn.transaction_id}"):
        assert "LIKE" not in q["sql"].upper()


def test_a_name_is_searched_in_names(admin_client):
    make_bank(items=1, accounts=2, transactions=1)
    found = admin_client.get(TRANSACTIONS, {"q": "marketplace"}).context["cl"].result_list
    assert len(found) == 2


def test_category_and_channel_choices_need_no_query(admin_client):
    make_bank(items=1, accounts=1, transactions=1)
    response = admin_client.get(TRANSACTIONS, {"category_primary": "GENERAL_MERCHANDISE"})
    assert "General merchandise" in _choices(response, "category")
    assert len(response.context["cl"].result_list) == 1
    assert _choices(response, "payment channel") == ["Online", "In store", "Other"]


def test_account_list_filters_by_item(admin_client):
    bank = make_bank(items=2, accounts=2, transactions=0)
    response = admin_client.get("/admin/django_plaid/account/", {"item": bank.items[0].pk})
    assert set(response.context["cl"].result_list) == set(
        Account.objects.filter(item=bank.items[0])
    )
    assert "First Platypus Bank · customer.with.a.long.name.0@example-enterprises.com" not in (
        _choices(response, "item")
    )  # two institutions: the institution alone tells them apart
    assert "First Platypus Bank" in _choices(response, "item")


def test_a_search_reads_the_table_once(admin_client):
    make_bank(items=1, accounts=2, transactions=2)
    searches = [
        q["sql"]
        for q in _captured(admin_client, f"{TRANSACTIONS}?q=marketplace")
        if "LIKE" in q["sql"].upper()
    ]
    # One scan for the keys (the count); the page's rows are then read by their keys.
    assert len(searches) == 2
    assert '"django_plaid_transaction"."id" IN (' not in searches[0]
    assert '"django_plaid_transaction"."id" IN (' in searches[1]


def test_filtered_pages_are_the_slices_of_the_list(admin_client, monkeypatch):
    from django_plaid.admin.transactions import TransactionAdmin

    make_bank(items=1, accounts=4, transactions=3)
    monkeypatch.setattr(TransactionAdmin, "list_per_page", 5)
    expected = list(
        Transaction.objects.filter(pending=False)
        .order_by("-date", "-id")
        .values_list("pk", flat=True)
    )
    shown = []
    for page in (1, 2):
        response = admin_client.get(TRANSACTIONS, {"pending__exact": "0", "p": page})
        shown += [t.pk for t in response.context["cl"].result_list]
    assert shown == expected[:10]
    assert admin_client.get(TRANSACTIONS, {"pending__exact": "0", "p": 9}).status_code == 302
