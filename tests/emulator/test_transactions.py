"""Transactions: generated history, /transactions/sync, /get, /refresh, sandbox create, webhooks."""

from __future__ import annotations

import base64
import json
import re
import time
from datetime import date, timedelta
from itertools import pairwise

import plaid
import pytest
from plaid.model.country_code import CountryCode
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_transactions import LinkTokenTransactions
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_request_options_transactions import (
    SandboxPublicTokenCreateRequestOptionsTransactions,
)
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from django_plaid.emulator import PlaidErrorResponse
from django_plaid.emulator.ledger import (
    Cursor,
    LedgerAccount,
    TransactionLedger,
    decode_cursor,
    encode_cursor,
)
from django_plaid.emulator.merchants import MERCHANTS

from . import make_api, plaid_error, post

ID = re.compile(r"^[A-Za-z0-9]{37}$")
#: Every key plaid-python's Transaction needs (required or always sent by Plaid).
TRANSACTION_KEYS = {
    "account_id",
    "account_owner",
    "amount",
    "authorized_date",
    "authorized_datetime",
    "category",
    "category_id",
    "check_number",
    "counterparties",
    "date",
    "datetime",
    "iso_currency_code",
    "location",
    "logo_url",
    "merchant_entity_id",
    "merchant_name",
    "name",
    "payment_channel",
    "payment_meta",
    "pending",
    "pending_transaction_id",
    "personal_finance_category",
    "personal_finance_category_icon_url",
    "transaction_code",
    "transaction_id",
    "transaction_type",
    "unofficial_currency_code",
    "website",
}
LOCATION_KEYS = {
    "address",
    "city",
    "region",
    "postal_code",
    "country",
    "lat",
    "lon",
    "store_number",
}
PAYMENT_META_KEYS = {
    "reference_number",
    "ppd_id",
    "payee",
    "by_order_of",
    "payer",
    "payment_method",
    "payment_processor",
    "reason",
}
COUNTERPARTY_KEYS = {"name", "type", "website", "logo_url", "entity_id", "confidence_level"}


#: The ``api`` fixture (conftest.py) switches the emulator's webhooks off here.
API_SENDS_WEBHOOKS = False


def sync(emulator, access_token, cursor="", count=None, **options):
    """One raw /transactions/sync call; return (status, body)."""
    body = {"access_token": access_token, "cursor": cursor}
    if count is not None:
        body["count"] = count
    if options:
        body["options"] = options
    status, _, answer = post(emulator, "/transactions/sync", body)
    return status, answer


def sync_all(emulator, access_token, cursor="", count=500, **options):
    """Page until has_more is false; return (store changes applied to ``store``, cursor)."""
    pages = []
    while True:
        status, body = sync(emulator, access_token, cursor, count, **options)
        assert status == 200, body
        pages.append(body)
        cursor = body["next_cursor"]
        if not body["has_more"]:
            return pages, cursor


def apply(store, pages):
    """Apply sync pages in order, the way an app must: added, modified, removed."""
    for page in pages:
        for transaction in page["added"]:
            store[transaction["transaction_id"]] = transaction
        for transaction in page["modified"]:
            store[transaction["transaction_id"]] = transaction
        for removed in page["removed"]:
            store.pop(removed["transaction_id"], None)
    return store


def webhook_codes(emulator):
    return [d.webhook_code for d in emulator.deliveries]


# -- generated history ---------------------------------------------------------------------------


def test_history_has_every_key_and_plausible_values(plaid_emulator):
    item = plaid_emulator.state.create_item()
    truth = plaid_emulator.transactions_truth(item.item_id)
    today = plaid_emulator.state.now().date()
    first_day = (today - timedelta(days=89)).isoformat()
    by_account = {a.account_id: a for a in item.accounts}
    assert 150 < len(truth) < 450
    assert {by_account[t["account_id"]].type for t in truth.values()} == {"depository", "credit"}
    pending = [t for t in truth.values() if t["pending"]]
    posted = [t for t in truth.values() if not t["pending"]]
    assert posted
    for transaction_id, t in truth.items():
        assert set(t) == TRANSACTION_KEYS, set(t) ^ TRANSACTION_KEYS
        assert t["transaction_id"] == transaction_id
        assert ID.match(transaction_id)
        assert set(t["location"]) == LOCATION_KEYS
        assert set(t["payment_meta"]) == PAYMENT_META_KEYS
        assert all(set(c) == COUNTERPARTY_KEYS for c in t["counterparties"])
        assert t["iso_currency_code"] == "USD"
        assert t["unofficial_currency_code"] is None
        assert t["transaction_code"] is None
        assert t["account_owner"] is None
        assert t["check_number"] is None
        assert t["payment_channel"] in ("online", "in store", "other")
        assert first_day <= t["date"] <= today.isoformat()
        assert t["authorized_date"] <= t["date"]
        assert round(t["amount"], 2) == t["amount"]
        assert t["personal_finance_category"]["detailed"].startswith(
            t["personal_finance_category"]["primary"] + "_"
        )
        assert t["personal_finance_category_icon_url"].endswith(
            f"PFC_{t['personal_finance_category']['primary']}.png"
        )
        if t["datetime"] is not None:
            assert t["datetime"].startswith(t["date"] + "T")
            assert t["datetime"].endswith("Z")
    # Only the last few days are pending; posted card purchases often had a pending version.
    assert all(t["date"] >= (today - timedelta(days=3)).isoformat() for t in pending)
    assert all(t["pending_transaction_id"] is None for t in pending)
    with_pending = [t for t in posted if t["pending_transaction_id"]]
    assert with_pending
    assert all(ID.match(t["pending_transaction_id"]) for t in with_pending)
    assert not {t["pending_transaction_id"] for t in with_pending} & set(truth)


def test_merchants_and_categories_agree(plaid_emulator):
    item = plaid_emulator.state.create_item(days_requested=730)
    truth = plaid_emulator.transactions_truth(item.item_id)
    names = {t["name"] for t in truth.values()}
    for name in (
        "United Airlines",
        "Uber 063015 SF**POOL**",
        "McDonald's",
        "Starbucks",
        "SparkFun",
        "KFC",
        "Madison Bicycle Shop",
        "Touchstone Climbing",
        "Tectra Inc",
        "CD DEPOSIT .INITIAL.",
        "AUTOMATIC PAYMENT - THANK",
        "INTRST PYMNT",
    ):
        assert name in names, name
    expected = {
        "Starbucks": ("FOOD_AND_DRINK", "FOOD_AND_DRINK_COFFEE", "in store"),
        "United Airlines": ("TRAVEL", "TRAVEL_FLIGHTS", "online"),
        "Uber": ("TRANSPORTATION", "TRANSPORTATION_TAXIS_AND_RIDE_SHARES", "online"),
        "Acme Corp": ("INCOME", "INCOME_WAGES", "other"),
        "Greystar": ("RENT_AND_UTILITIES", "RENT_AND_UTILITIES_RENT", "other"),
    }
    seen = set()
    for t in truth.values():
        if t["merchant_name"] in expected:
            primary, detailed, channel = expected[t["merchant_name"]]
            pfc = t["personal_finance_category"]
            assert (pfc["primary"], pfc["detailed"], t["payment_channel"]) == (
                primary,
                detailed,
                channel,
            )
            seen.add(t["merchant_name"])
        if t["personal_finance_category"]["primary"] == "INCOME":
            assert t["amount"] < 0  # money in
        if t["merchant_name"] in ("Starbucks", "KFC"):
            assert t["amount"] > 0
            assert t["location"]["city"] is not None
            assert t["counterparties"][0]["type"] == "merchant"
    assert seen == set(expected)
    # Touchstone is a monthly 78.50, payroll every two weeks.
    climbing = [t for t in truth.values() if t["name"] == "Touchstone Climbing"]
    assert {t["amount"] for t in climbing} == {78.5}
    assert 22 <= len(climbing) <= 26
    payroll = sorted(t["date"] for t in truth.values() if t["merchant_name"] == "Acme Corp")
    gaps = {(date.fromisoformat(b) - date.fromisoformat(a)).days for a, b in pairwise(payroll)}
    assert gaps == {14}


def test_history_is_deterministic_per_item():
    accounts = [
        LedgerAccount("a" * 37, "depository", "checking", "Plaid Checking"),
        LedgerAccount("b" * 37, "credit", "credit card", "Plaid Credit Card"),
        LedgerAccount("c" * 37, "investment", "ira", "Plaid IRA"),
    ]
    today = date(2024, 3, 15)

    def build(item_id, **kwargs):
        ledger = TransactionLedger(item_id, accounts)
        ledger.populate(today, 120, **kwargs)
        return ledger.truth()

    first = build("item-1")
    assert first == build("item-1")
    assert first != build("item-2")
    assert {t["account_id"] for t in first.values()} == {"a" * 37, "b" * 37}
    assert len(build("item-1", count=500)) == 500


def test_days_requested_from_sandbox_and_link(plaid_emulator, api):
    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508",
            initial_products=[Products("transactions")],
            options=SandboxPublicTokenCreateRequestOptions(
                transactions=SandboxPublicTokenCreateRequestOptionsTransactions(days_requested=730)
            ),
        )
    ).public_token
    item_id = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public)
    ).item_id
    today = plaid_emulator.state.now().date()
    dates = [t["date"] for t in plaid_emulator.transactions_truth(item_id).values()]
    assert min(dates) == (today - timedelta(days=729)).isoformat()
    assert len(dates) > 1500

    link_token = api.link_token_create(
        LinkTokenCreateRequest(
            client_name="t",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="u"),
            products=[Products("transactions")],
            transactions=LinkTokenTransactions(days_requested=30),
        )
    ).link_token
    _, _, done = post(
        plaid_emulator, "/emulator/link/complete", {"link_token": link_token}, credentials=False
    )
    item_id = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=done["public_token"])
    ).item_id
    dates = [t["date"] for t in plaid_emulator.transactions_truth(item_id).values()]
    assert min(dates) >= (today - timedelta(days=29)).isoformat()


def test_dynamic_user_starts_with_about_fifty(plaid_emulator):
    item = plaid_emulator.state.create_item(username="user_transactions_dynamic")
    truth = plaid_emulator.transactions_truth(item.item_id)
    assert len(truth) == 50
    assert sum(t["pending"] for t in truth.values()) >= 3


def test_items_without_transactions_have_no_ledger(plaid_emulator):
    item = plaid_emulator.state.create_item(products=("auth",))
    assert item.ledger is None
    with pytest.raises(PlaidErrorResponse) as info:
        plaid_emulator.transactions_truth(item.item_id)
    assert info.value.error_code == "PRODUCT_NOT_ENABLED"
    with pytest.raises(PlaidErrorResponse):
        plaid_emulator.add_transactions(item.access_token, 1)


# -- /transactions/sync --------------------------------------------------------------------------


def test_full_sync_reproduces_the_truth(plaid_emulator):
    item = plaid_emulator.state.create_item()
    pages, cursor = sync_all(plaid_emulator, item.access_token, count=37)
    assert len(pages) > 3
    assert all(p["has_more"] for p in pages[:-1])
    assert all(len(p["added"]) == 37 for p in pages[:-1])
    assert all(p["transactions_update_status"] == "HISTORICAL_UPDATE_COMPLETE" for p in pages)
    assert apply({}, pages) == plaid_emulator.transactions_truth(item.item_id)
    # Each page lists exactly the accounts its transactions belong to.
    for page in pages:
        assert {a["account_id"] for a in page["accounts"]} == {
            t["account_id"] for t in page["added"]
        }
    # Oldest first ("ascending last-modified"): the first page holds the oldest dates.
    assert pages[0]["added"][0]["date"] <= pages[-1]["added"][-1]["date"]
    # Caught up: the same cursor, nothing new.
    status, body = sync(plaid_emulator, item.access_token, cursor)
    assert status == 200
    assert (body["added"], body["modified"], body["removed"], body["has_more"]) == (
        [],
        [],
        [],
        False,
    )
    assert body["next_cursor"] == cursor
    assert body["accounts"] == []


def test_sync_defaults_and_omitted_cursor(plaid_emulator, api):
    item = plaid_emulator.state.create_item()
    status, _, body = post(
        plaid_emulator, "/transactions/sync", {"access_token": item.access_token}
    )
    assert status == 200
    assert len(body["added"]) == 100
    assert body["has_more"] is True


def test_cursor_format(plaid_emulator):
    item = plaid_emulator.state.create_item()
    _, body = sync(plaid_emulator, item.access_token, count=5)
    cursor = body["next_cursor"]
    assert len(cursor) <= 256
    assert re.match(r"^[A-Za-z0-9_-]+$", cursor)
    decoded = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    assert decoded == {"i": item.item_id, "e": 0, "p": 5, "h": len(item.ledger)}
    assert decode_cursor(cursor) == Cursor(item.item_id, 0, 5, None, len(item.ledger))
    full = Cursor("x" * 37, 3, 10**6, "y" * 37, 10**6)
    assert decode_cursor(encode_cursor(full)) == full
    assert len(encode_cursor(full)) <= 256
    for bad in ("", "!!!", "bm90IGpzb24", base64.urlsafe_b64encode(b"[1]").decode(), "a" * 300):
        assert decode_cursor(bad) is None


@pytest.mark.parametrize(
    "body",
    [
        {"count": 0},
        {"count": 501},
        {"count": "5"},
        {"count": 2.0},
        {"cursor": "x" * 257},
        {"cursor": None, "count": True},
        {"options": {"days_requested": 731}},
        {"options": {"include_original_description": "yes"}},
        {"options": {"personal_finance_category_version": "v3"}},
    ],
)
def test_sync_field_validation(plaid_emulator, body):
    item = plaid_emulator.state.create_item()
    status, _, answer = post(
        plaid_emulator, "/transactions/sync", {"access_token": item.access_token, **body}
    )
    assert (status, answer["error_type"], answer["error_code"]) == (
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    )


def test_foreign_and_broken_cursors(plaid_emulator):
    state = plaid_emulator.state
    mine, other = state.create_item(), state.create_item()
    _, body = sync(plaid_emulator, other.access_token, count=5)
    forged = encode_cursor(Cursor(mine.item_id, 0, len(mine.ledger) + 1))
    for cursor in (body["next_cursor"], "garbage", "eyJ4IjoxfQ", forged):
        status, answer = sync(plaid_emulator, mine.access_token, cursor)
        assert (status, answer["error_type"], answer["error_code"]) == (
            400,
            "INVALID_REQUEST",
            "INVALID_FIELD",
        )
        assert answer["error_message"] == "cursor not associated with access_token"


def test_now_cursor_skips_history(plaid_emulator):
    item = plaid_emulator.state.create_item()
    status, body = sync(plaid_emulator, item.access_token, "now")
    assert status == 200
    assert (body["added"], body["has_more"]) == ([], False)
    plaid_emulator.add_transactions(item.item_id, 2)
    status, body = sync(plaid_emulator, item.access_token, body["next_cursor"])
    assert len(body["added"]) == 2


def test_account_stream(plaid_emulator):
    item = plaid_emulator.state.create_item()
    truth = plaid_emulator.transactions_truth(item.item_id)
    checking = item.accounts[0].account_id
    pages, cursor = sync_all(plaid_emulator, item.access_token, count=10, account_id=checking)
    store = apply({}, pages)
    assert store == {k: v for k, v in truth.items() if v["account_id"] == checking}
    assert all({a["account_id"] for a in p["accounts"]} <= {checking} for p in pages)
    # The stream's cursor does not work without the filter, nor for another account.
    status, answer = sync(plaid_emulator, item.access_token, cursor)
    assert answer["error_code"] == "INVALID_FIELD"
    status, answer = sync(
        plaid_emulator, item.access_token, cursor, account_id=item.accounts[1].account_id
    )
    assert answer["error_code"] == "INVALID_FIELD"
    investment = next(a for a in item.accounts if a.type == "investment")
    status, answer = sync(plaid_emulator, item.access_token, account_id=investment.account_id)
    assert (status, answer["error_code"]) == (400, "INVALID_ACCOUNT_ID")


def test_original_description_option(plaid_emulator):
    item = plaid_emulator.state.create_item()
    _, plain = sync(plaid_emulator, item.access_token, count=20)
    _, rich = sync(plaid_emulator, item.access_token, count=20, include_original_description=True)
    assert all("original_description" not in t for t in plain["added"])
    for t in rich["added"]:
        assert t.pop("original_description")
    assert rich["added"] == plain["added"]


def test_pending_to_posted_is_remove_plus_add(plaid_emulator):
    item = plaid_emulator.state.create_item(username="user_transactions_dynamic")
    pages, cursor = sync_all(plaid_emulator, item.access_token)
    store = apply({}, pages)
    pending = {k for k, v in store.items() if v["pending"]}
    assert pending
    posted = plaid_emulator.post_pending(item.item_id)
    assert set(posted) == pending
    # One entry per page: the halves of each pair land on different pages.
    pages, cursor = sync_all(plaid_emulator, item.access_token, cursor, count=1)
    assert len(pages) == 2 * len(pending)
    removed = [r["transaction_id"] for p in pages for r in p["removed"]]
    added = [t for p in pages for t in p["added"]]
    assert set(removed) == pending
    assert {t["pending_transaction_id"] for t in added} == pending
    assert all(not t["pending"] for t in added)
    assert {t["transaction_id"] for t in added} == set(posted.values())
    assert apply(store, pages) == plaid_emulator.transactions_truth(item.item_id)


def test_changes_in_one_page_collapse(plaid_emulator):
    item = plaid_emulator.state.create_item()
    _, cursor = sync_all(plaid_emulator, item.access_token)
    [new] = plaid_emulator.add_transactions(item.item_id, 1)
    plaid_emulator.modify_transaction(item.item_id, new, amount=12.0)
    old = plaid_emulator.modify_transaction(item.item_id, amount=99.99)
    plaid_emulator.modify_transaction(item.item_id, old, name="RENAMED")
    gone = plaid_emulator.add_transactions(item.item_id, 1)[0]
    plaid_emulator.remove_transaction(item.item_id, gone)
    _, body = sync(plaid_emulator, item.access_token, cursor)
    assert [t["transaction_id"] for t in body["added"]] == [new]
    assert body["added"][0]["amount"] == 12.0
    assert [t["transaction_id"] for t in body["modified"]] == [old]
    assert (body["modified"][0]["amount"], body["modified"][0]["name"]) == (99.99, "RENAMED")
    assert body["removed"] == [
        {"account_id": body["removed"][0]["account_id"], "transaction_id": gone}
    ]


def test_not_ready_phase(plaid_emulator, receiver):
    state = plaid_emulator.state
    plaid_emulator.send_webhooks = True
    item = state.create_item(webhook=receiver.url(), transactions_ready=False)
    public = state.create_public_token(item.item_id).public_token
    post(plaid_emulator, "/item/public_token/exchange", {"public_token": public})
    status, body = sync(plaid_emulator, item.access_token)
    assert status == 200
    assert body == {
        "accounts": [],
        "added": [],
        "modified": [],
        "removed": [],
        "next_cursor": "",
        "has_more": False,
        "transactions_update_status": "NOT_READY",
        "request_id": body["request_id"],
    }
    status, _, answer = post(
        plaid_emulator,
        "/transactions/get",
        {"access_token": item.access_token, "start_date": "2020-01-01", "end_date": "2030-01-01"},
    )
    assert (status, answer["error_code"]) == (400, "PRODUCT_NOT_READY")
    assert plaid_emulator.wait_for_webhooks() == []  # held back while not ready
    plaid_emulator.set_transactions_ready(item.item_id)
    assert [d.webhook_code for d in plaid_emulator.wait_for_webhooks()] == [
        "INITIAL_UPDATE",
        "HISTORICAL_UPDATE",
        "SYNC_UPDATES_AVAILABLE",
    ]
    pages, _ = sync_all(plaid_emulator, item.access_token)
    assert apply({}, pages) == plaid_emulator.transactions_truth(item.item_id)
    # And over HTTP.
    status, _, answer = post(
        plaid_emulator,
        "/emulator/item/set_transactions_ready",
        {"access_token": item.access_token, "ready": False},
        credentials=False,
    )
    assert answer["transactions_ready"] is False
    assert sync(plaid_emulator, item.access_token)[1]["transactions_update_status"] == "NOT_READY"


def test_sync_adds_the_product_to_an_item_without_it(plaid_emulator):
    state = plaid_emulator.state
    item = state.create_item(products=("auth",))
    status, body = sync(plaid_emulator, item.access_token, days_requested=30)
    assert (status, body["transactions_update_status"], body["next_cursor"]) == (
        200,
        "NOT_READY",
        "",
    )
    assert "transactions" in item.products
    assert item.days_requested == 30
    pages, _ = sync_all(plaid_emulator, item.access_token)
    store = apply({}, pages)
    assert store == plaid_emulator.transactions_truth(item.item_id)
    # auth Items have checking, savings and cash management only.
    assert {t["account_id"] for t in store.values()} <= {a.account_id for a in item.accounts}
    # Not at an institution without transactions.
    rux = state.create_item("ins_133502", products=("auth",))
    status, body = sync(plaid_emulator, rux.access_token)
    assert (status, body["error_code"]) == (400, "PRODUCTS_NOT_SUPPORTED")


def test_item_errors_and_bad_tokens(plaid_emulator):
    item = plaid_emulator.state.create_item()
    plaid_emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    for path in ("/transactions/sync", "/transactions/refresh"):
        status, _, body = post(plaid_emulator, path, {"access_token": item.access_token})
        assert (status, body["error_code"]) == (400, "ITEM_LOGIN_REQUIRED")
    status, _, body = post(plaid_emulator, "/transactions/sync", {"access_token": "nope"})
    assert body["error_code"] == "INVALID_ACCESS_TOKEN"
    status, _, body = post(plaid_emulator, "/transactions/sync", {})
    assert body["error_code"] == "MISSING_FIELDS"


def test_regenerated_history_refuses_old_cursors(plaid_emulator):
    item = plaid_emulator.state.create_item()
    _, cursor = sync_all(plaid_emulator, item.access_token)
    plaid_emulator.generate_transactions(item.item_id, 300, days=60)
    status, body = sync(plaid_emulator, item.access_token, cursor)
    assert (status, body["error_code"]) == (400, "INVALID_FIELD")
    assert body["error_message"].startswith("cursor not associated with access_token")
    pages, _ = sync_all(plaid_emulator, item.access_token)
    store = apply({}, pages)
    assert len(store) == 300
    assert store == plaid_emulator.transactions_truth(item.item_id)


def test_detect_pagination_mutations(plaid_emulator):
    state = plaid_emulator.state
    state.detect_pagination_mutations = True
    item = state.create_item()
    _, first = sync(plaid_emulator, item.access_token, count=50)
    plaid_emulator.add_transactions(item.item_id, 1)
    status, body = sync(plaid_emulator, item.access_token, first["next_cursor"], count=50)
    assert (status, body["error_type"], body["error_code"]) == (
        400,
        "TRANSACTIONS_ERROR",
        "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
    )
    # Retrying the page fails again; a restart from the loop's first cursor works.
    assert sync(plaid_emulator, item.access_token, first["next_cursor"])[0] == 400
    pages, cursor = sync_all(plaid_emulator, item.access_token, count=50)
    assert apply({}, pages) == plaid_emulator.transactions_truth(item.item_id)
    # A final cursor (has_more false) is never stale.
    plaid_emulator.add_transactions(item.item_id, 1)
    assert sync(plaid_emulator, item.access_token, cursor)[0] == 200
    plaid_emulator.reset()
    assert plaid_emulator.state.detect_pagination_mutations is False


# -- webhooks --------------------------------------------------------------------------------------


def test_first_sync_activates_sync_updates_available(plaid_emulator):
    item = plaid_emulator.state.create_item(webhook="https://example.com/hook")
    plaid_emulator.add_transactions(item.item_id, 1)
    plaid_emulator.modify_transaction(item.item_id)
    assert webhook_codes(plaid_emulator) == []
    sync(plaid_emulator, item.access_token, count=1)
    posted = next(
        k for k, v in plaid_emulator.transactions_truth(item.item_id).items() if not v["pending"]
    )
    for change in (
        lambda: plaid_emulator.add_transactions(item.item_id, 2),
        lambda: plaid_emulator.add_transactions(item.item_id, 1, pending=True),
        lambda: plaid_emulator.modify_transaction(item.item_id),
        lambda: plaid_emulator.remove_transaction(item.item_id, posted),
        lambda: plaid_emulator.post_pending(item.item_id),
    ):
        before = len(plaid_emulator.deliveries)
        change()
        [delivery] = plaid_emulator.deliveries[before:]
        assert delivery.payload == {
            "webhook_type": "TRANSACTIONS",
            "webhook_code": "SYNC_UPDATES_AVAILABLE",
            "item_id": item.item_id,
            "initial_update_complete": True,
            "historical_update_complete": True,
            "environment": "sandbox",
        }
    # No webhook URL, no webhook; notify=False, none either.
    before = len(plaid_emulator.deliveries)
    plaid_emulator.state.add_transactions(item.item_id, 1, notify=False)
    quiet = plaid_emulator.state.create_item()
    sync(plaid_emulator, quiet.access_token)
    plaid_emulator.add_transactions(quiet.item_id, 1)
    assert len(plaid_emulator.deliveries) == before


def test_fire_webhook_adds_what_it_announces(plaid_emulator, api):
    item = plaid_emulator.state.create_item(webhook="https://example.com/hook")
    token = item.access_token
    size = len(plaid_emulator.transactions_truth(token))
    fire = {"access_token": token, "webhook_code": "DEFAULT_UPDATE"}
    post(plaid_emulator, "/sandbox/item/fire_webhook", {**fire, "options": {"new_transactions": 3}})
    assert len(plaid_emulator.transactions_truth(token)) == size + 3
    assert webhook_codes(plaid_emulator) == ["DEFAULT_UPDATE"]
    assert plaid_emulator.deliveries[-1].payload["new_transactions"] == 3
    _, cursor = sync_all(plaid_emulator, token)
    fire = {"access_token": token, "webhook_code": "SYNC_UPDATES_AVAILABLE"}
    post(plaid_emulator, "/sandbox/item/fire_webhook", {**fire, "options": {"new_transactions": 2}})
    assert webhook_codes(plaid_emulator)[-1:] == ["SYNC_UPDATES_AVAILABLE"]
    _, body = sync(plaid_emulator, token, cursor)
    assert len(body["added"]) == 2
    # Once synced, DEFAULT_UPDATE with news also says SYNC_UPDATES_AVAILABLE (first).
    fire = {"access_token": token, "webhook_code": "DEFAULT_UPDATE"}
    post(plaid_emulator, "/sandbox/item/fire_webhook", {**fire, "options": {"new_transactions": 1}})
    assert webhook_codes(plaid_emulator)[-2:] == ["SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE"]


# -- /transactions/refresh and /sandbox/transactions/create ---------------------------------------


def test_refresh_of_the_dynamic_user(plaid_emulator):
    state = plaid_emulator.state
    item = state.create_item(username="user_transactions_dynamic", webhook="https://e.x/h")
    pages, cursor = sync_all(plaid_emulator, item.access_token)
    store = apply({}, pages)
    pending = {k for k, v in store.items() if v["pending"]}
    posted_before = {k: v["amount"] for k, v in store.items() if not v["pending"]}
    status, _, body = post(
        plaid_emulator, "/transactions/refresh", {"access_token": item.access_token}
    )
    assert (status, set(body)) == (200, {"request_id"})
    pages, cursor = sync_all(plaid_emulator, item.access_token, cursor)
    [page] = pages
    added, modified = page["added"], page["modified"]
    assert {r["transaction_id"] for r in page["removed"]} == pending
    new_posted = [t for t in added if t["pending_transaction_id"]]
    assert {t["pending_transaction_id"] for t in new_posted} == pending
    new_pending = [t for t in added if t["pending"]]
    assert 2 <= len(new_pending) <= 4
    [bumped] = modified
    assert bumped["amount"] == round(posted_before[bumped["transaction_id"]] + 1, 2)
    assert apply(store, pages) == plaid_emulator.transactions_truth(item.item_id)
    payloads = {d.webhook_code: d.payload for d in plaid_emulator.deliveries}
    assert payloads["DEFAULT_UPDATE"]["new_transactions"] == len(added)
    assert set(payloads["TRANSACTIONS_REMOVED"]["removed_transactions"]) == pending
    assert "SYNC_UPDATES_AVAILABLE" in payloads
    # The next refresh posts the pending ones this one made.
    plaid_emulator.refresh_transactions(item.item_id)
    pages, _ = sync_all(plaid_emulator, item.access_token, cursor)
    assert {r["transaction_id"] for r in pages[0]["removed"]} == {
        t["transaction_id"] for t in new_pending
    }


def test_refresh_of_other_users_changes_nothing(plaid_emulator):
    state = plaid_emulator.state
    item = state.create_item(webhook="https://e.x/h")
    _, cursor = sync_all(plaid_emulator, item.access_token)
    before = plaid_emulator.transactions_truth(item.item_id)
    state.advance_time(timedelta(hours=1))
    status, _, _ = post(
        plaid_emulator, "/transactions/refresh", {"access_token": item.access_token}
    )
    assert status == 200
    assert plaid_emulator.transactions_truth(item.item_id) == before
    assert sync(plaid_emulator, item.access_token, cursor)[1]["added"] == []
    assert webhook_codes(plaid_emulator) == []
    assert item.last_successful_update >= item.created_at + timedelta(hours=1)
    auth_only = state.create_item(products=("auth",))
    status, _, body = post(
        plaid_emulator, "/transactions/refresh", {"access_token": auth_only.access_token}
    )
    assert (status, body["error_type"], body["error_code"]) == (
        400,
        "ITEM_ERROR",
        "PRODUCT_NOT_ENABLED",
    )


def create_body(access_token, today, **overrides):
    transaction = {
        "date_transacted": (today - timedelta(days=3)).isoformat(),
        "date_posted": (today - timedelta(days=1)).isoformat(),
        "amount": 42.5,
        "description": "Madison Bicycle Shop tune-up",
        **overrides,
    }
    return {"access_token": access_token, "transactions": [transaction]}


def test_sandbox_transactions_create(plaid_emulator):
    state = plaid_emulator.state
    today = state.now().date()
    item = state.create_item(username="user_transactions_dynamic", webhook="https://e.x/h")
    _, cursor = sync_all(plaid_emulator, item.access_token)
    body = create_body(item.access_token, today)
    body["transactions"].append(
        {
            "date_transacted": today.isoformat(),
            "date_posted": today.isoformat(),
            "amount": -250,
            "description": "Mystery deposit",
            "iso_currency_code": "CAD",
            "account_id": item.accounts[1].account_id,
        }
    )
    status, _, answer = post(plaid_emulator, "/sandbox/transactions/create", body)
    assert (status, set(answer)) == (200, {"request_id"})
    [page], _ = sync_all(plaid_emulator, item.access_token, cursor)
    bike, mystery = page["added"]
    assert (bike["name"], bike["amount"], bike["pending"]) == (
        "Madison Bicycle Shop tune-up",
        42.5,
        False,
    )
    assert (bike["date"], bike["authorized_date"]) == (
        (today - timedelta(days=1)).isoformat(),
        (today - timedelta(days=3)).isoformat(),
    )
    assert bike["account_id"] == item.accounts[0].account_id  # the first depository account
    assert bike["merchant_name"] == "Madison Bicycle Shop"
    assert bike["personal_finance_category"]["primary"] == "GENERAL_MERCHANDISE"
    assert (mystery["account_id"], mystery["iso_currency_code"]) == (
        item.accounts[1].account_id,
        "CAD",
    )
    assert mystery["merchant_name"] is None
    assert mystery["personal_finance_category"] == {
        "primary": "TRANSFER_IN",
        "detailed": "TRANSFER_IN_DEPOSIT",
        "confidence_level": "LOW",
    }
    codes = webhook_codes(plaid_emulator)
    assert codes == ["DEFAULT_UPDATE", "SYNC_UPDATES_AVAILABLE"]
    assert plaid_emulator.deliveries[0].payload["new_transactions"] == 2


@pytest.mark.parametrize(
    ("overrides", "code", "message"),
    [
        ({"date_posted": "2020-01-01"}, "INVALID_FIELD", "within the last 14 days"),
        ({"date_transacted": "tomorrow"}, "INVALID_FIELD", "YYYY-MM-DD"),
        ({"amount": "12"}, "INVALID_FIELD", "must be a number"),
        ({"description": None}, "MISSING_FIELDS", "transactions.0.description"),
        ({"account_id": "nope"}, "INVALID_ACCOUNT_ID", "nope"),
    ],
)
def test_sandbox_transactions_create_validation(plaid_emulator, overrides, code, message):
    state = plaid_emulator.state
    today = state.now().date()
    item = state.create_item(username="user_transactions_dynamic")
    status, _, body = post(
        plaid_emulator,
        "/sandbox/transactions/create",
        create_body(item.access_token, today, **overrides),
    )
    assert (status, body["error_code"]) == (400, code)
    assert message in body["error_message"]


def test_sandbox_transactions_create_limits(plaid_emulator):
    state = plaid_emulator.state
    today = state.now().date()
    dynamic = state.create_item(username="user_transactions_dynamic")
    body = create_body(dynamic.access_token, today)
    body["transactions"] *= 11
    status, _, answer = post(plaid_emulator, "/sandbox/transactions/create", body)
    assert (status, answer["error_code"], answer["error_message"]) == (
        400,
        "INVALID_FIELD",
        "The request contains too many transactions.",
    )
    reversed_dates = create_body(
        dynamic.access_token,
        today,
        date_transacted=today.isoformat(),
        date_posted=(today - timedelta(days=1)).isoformat(),
    )
    assert post(plaid_emulator, "/sandbox/transactions/create", reversed_dates)[0] == 400
    good = state.create_item()
    status, _, answer = post(
        plaid_emulator, "/sandbox/transactions/create", create_body(good.access_token, today)
    )
    assert (status, answer["error_type"], answer["error_code"]) == (
        400,
        "SANDBOX_ERROR",
        "SANDBOX_PRODUCT_NOT_ENABLED",
    )
    assert "user_transactions_dynamic" in answer["error_message"]


# -- /transactions/get ----------------------------------------------------------------------------


def get(emulator, access_token, start, end, **options):
    body = {"access_token": access_token, "start_date": start, "end_date": end}
    if options:
        body["options"] = options
    return post(emulator, "/transactions/get", body)


def test_transactions_get_pages_by_offset(plaid_emulator):
    item = plaid_emulator.state.create_item(days_requested=200)
    truth = plaid_emulator.transactions_truth(item.item_id)
    today = plaid_emulator.state.now().date()
    start, end = (today - timedelta(days=120)).isoformat(), (today - timedelta(days=10)).isoformat()
    expected = {k for k, v in truth.items() if start <= v["date"] <= end}
    seen = []
    offset = 0
    while True:
        status, _, body = get(
            plaid_emulator, item.access_token, start, end, count=40, offset=offset
        )
        assert status == 200
        assert body["total_transactions"] == len(expected)
        assert body["item"]["item_id"] == item.item_id
        assert {a["type"] for a in body["accounts"]} == {"depository", "credit"}
        seen.extend(body["transactions"])
        offset += 40
        if offset >= body["total_transactions"]:
            break
    assert [t["transaction_id"] for t in seen] != []
    assert {t["transaction_id"] for t in seen} == expected
    assert len(seen) == len(expected)
    dates = [t["date"] for t in seen]
    assert dates == sorted(dates, reverse=True)
    assert all(t == truth[t["transaction_id"]] for t in seen)
    # Default count 100; an offset past the end is empty.
    _, _, body = get(plaid_emulator, item.access_token, "2000-01-01", today.isoformat())
    assert len(body["transactions"]) == 100
    assert body["total_transactions"] == len(truth)
    _, _, body = get(plaid_emulator, item.access_token, start, end, offset=10**6)
    assert body["transactions"] == []


def test_transactions_get_account_filter_and_errors(plaid_emulator):
    item = plaid_emulator.state.create_item()
    today = plaid_emulator.state.now().date().isoformat()
    checking = item.accounts[0].account_id
    _, _, body = get(
        plaid_emulator, item.access_token, "2000-01-01", today, account_ids=[checking], count=500
    )
    assert {t["account_id"] for t in body["transactions"]} == {checking}
    assert [a["account_id"] for a in body["accounts"]] == [checking]
    for args, options, code in (
        (("2024-02-01", "2024-01-01"), {}, "INVALID_FIELD"),
        (("2024-13-01", "2024-01-01"), {}, "INVALID_FIELD"),
        (("2024-01-01", today), {"count": 501}, "INVALID_FIELD"),
        (("2024-01-01", today), {"offset": -1}, "INVALID_FIELD"),
        (("2024-01-01", today), {"account_ids": ["nope"]}, "INVALID_ACCOUNT_ID"),
    ):
        status, _, body = get(plaid_emulator, item.access_token, *args, **options)
        assert (status, body["error_code"]) == (400, code)
    status, _, body = post(plaid_emulator, "/transactions/get", {"access_token": item.access_token})
    assert "start_date" in body["error_message"]
    # An Item without the product gets it, but the data is not ready on that first call.
    auth_only = plaid_emulator.state.create_item(products=("auth",))
    status, _, body = get(plaid_emulator, auth_only.access_token, "2000-01-01", today)
    assert (status, body["error_code"]) == (400, "PRODUCT_NOT_READY")
    status, _, body = get(plaid_emulator, auth_only.access_token, "2000-01-01", today)
    assert status == 200
    assert body["total_transactions"] > 0


# -- controls, generation, speed -----------------------------------------------------------------


def test_mutation_controls_over_http(plaid_emulator):
    item = plaid_emulator.state.create_item(username="user_transactions_dynamic")
    token = item.access_token

    def control(path, **body):
        status, _, answer = post(plaid_emulator, "/emulator/item/" + path, body, credentials=False)
        assert status == 200, answer
        return answer

    added = control("add_transactions", access_token=token, count=3, pending=True)[
        "transaction_ids"
    ]
    truth = plaid_emulator.transactions_truth(token)
    assert all(truth[t]["pending"] for t in added)
    changed = control("modify_transaction", item_id=item.item_id, transaction_id=added[0], amount=7)
    assert truth[changed["transaction_id"]]["amount"] != 7.0
    assert plaid_emulator.transactions_truth(token)[added[0]]["amount"] == 7.0
    removed = control("remove_transaction", item_id=item.item_id, transaction_id=added[1])
    assert removed["transaction_id"] not in plaid_emulator.transactions_truth(token)
    posted = control("post_pending", item_id=item.item_id)["posted"]
    assert added[0] in posted
    listed = control("transactions", access_token=token)
    assert {t["transaction_id"] for t in listed["transactions"]} == set(
        plaid_emulator.transactions_truth(token)
    )
    generated = control("generate_transactions", item_id=item.item_id, count=123, days=30)
    assert generated == {
        "item_id": item.item_id,
        "count": 123,
        "days": 30,
        "request_id": generated["request_id"],
    }
    status, _, body = post(
        plaid_emulator,
        "/emulator/item/generate_transactions",
        {"item_id": item.item_id, "count": -1},
        credentials=False,
    )
    assert (status, body["error_code"]) == (400, "INVALID_FIELD")


def test_generate_one_hundred_thousand(plaid_emulator):
    item = plaid_emulator.state.create_item()
    started = time.perf_counter()
    ledger = plaid_emulator.generate_transactions(item.item_id, 100_000)
    generated = time.perf_counter() - started
    assert len(ledger.current) == 100_000
    assert generated < 10  # about 1 s on a laptop; generous for slow CI
    dates = [t.date for t in ledger.current.values()]
    today = plaid_emulator.state.now().date()
    assert min(dates) == (today - timedelta(days=729)).isoformat()
    assert max(dates) == today.isoformat()
    # A 500-transaction page costs the emulator about a millisecond (measured on handle()).
    headers = {"plaid-client-id": "test_client_id", "plaid-secret": "test_secret"}
    raw = json.dumps({"access_token": item.access_token, "count": 500}).encode()
    plaid_emulator.app.handle("POST", "/transactions/sync", headers, raw)  # warm up
    started = time.perf_counter()
    response = plaid_emulator.app.handle("POST", "/transactions/sync", headers, raw)
    body = response.encode()
    elapsed = time.perf_counter() - started
    assert elapsed < 0.25  # ~1 ms measured; loose so a busy machine does not fail the suite
    page = json.loads(body)
    assert len(page["added"]) == 500
    assert page["has_more"] is True
    # And the SDK's raw path (what the Django app uses) reads the same bytes.
    api = make_api(plaid_emulator)
    answer = api.transactions_sync(
        TransactionsSyncRequest(access_token=item.access_token, count=500), _preload_content=False
    )
    assert json.loads(answer.data)["added"] == page["added"]


def test_sdk_raw_path_matches_typed(plaid_emulator):
    api = make_api(plaid_emulator)
    item = plaid_emulator.state.create_item(username="user_transactions_dynamic")
    request = TransactionsSyncRequest(access_token=item.access_token, count=10)
    typed = api.transactions_sync(request)
    raw = json.loads(api.transactions_sync(request, _preload_content=False).data)
    assert [t.transaction_id for t in typed.added] == [t["transaction_id"] for t in raw["added"]]
    assert typed.next_cursor == raw["next_cursor"]
    with pytest.raises(plaid.ApiException) as info:
        api.transactions_sync(
            TransactionsSyncRequest(access_token=item.access_token, cursor="zz"),
            _preload_content=False,
        )
    assert plaid_error(info.value).error_code == "INVALID_FIELD"


def test_reset_forgets_transactions(plaid_emulator):
    item = plaid_emulator.state.create_item()
    plaid_emulator.reset()
    _, body = sync(plaid_emulator, item.access_token)
    assert body["error_code"] == "INVALID_ACCESS_TOKEN"


def test_every_merchant_renders_valid_json():
    for merchant in MERCHANTS.values():
        json.loads("{" + merchant.fragment + "}")
        assert json.loads("{" + merchant.fragment_original + "}")["original_description"]
