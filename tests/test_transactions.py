"""Transactions sync against the emulator: exact, atomic, restartable, cursor-driven."""

import random
import tracemalloc
from decimal import Decimal

import pytest
from django.test import override_settings

from django_plaid import services
from django_plaid.conf import plaid_settings
from django_plaid.exceptions import PlaidAPIError, PlaidConnectionError
from django_plaid.models import Item, Transaction
from django_plaid.transactions import sync_transactions

pytestmark = pytest.mark.django_db


def stored(item):
    return {
        t.transaction_id: t for t in Transaction.objects.filter(item=item).select_related("account")
    }


def assert_matches_truth(item, emulator):
    """The database holds exactly the emulator's current transactions, field for field."""
    truth = emulator.transactions_truth(item.item_id)
    rows = stored(item)
    assert set(rows) == set(truth), (
        f"missing {len(set(truth) - set(rows))}, extra {len(set(rows) - set(truth))}"
    )
    for transaction_id, data in truth.items():
        row = rows[transaction_id]
        assert row.amount == Decimal(str(data["amount"])), transaction_id
        assert row.pending == data["pending"]
        assert row.pending_transaction_id == data.get("pending_transaction_id")
        assert row.account.account_id == data["account_id"]
        assert row.date.isoformat() == data["date"]
        assert row.name == (data.get("name") or "")
        assert row.raw == data


def sync(item):
    item = Item.objects.get(pk=item.pk)
    services.sync_item(item)
    return Item.objects.get(pk=item.pk)


@pytest.fixture
def small_pages(settings):
    settings.PLAID = {**settings.PLAID, "TRANSACTIONS_PAGE_SIZE": 25}


@pytest.fixture
def sync_requests(emulator):
    """The cursor of every /transactions/sync request the emulator receives."""
    cursors = []

    def record(call):
        if call.path == "/transactions/sync":
            cursors.append(call.body.get("cursor", ""))

    emulator.app.hooks.insert(0, record)
    yield cursors
    emulator.app.hooks.remove(record)


def test_first_sync_stores_every_transaction(item, emulator):
    item = sync(item)
    assert emulator.transactions_truth(item.item_id)
    assert_matches_truth(item, emulator)
    assert item.transactions_cursor
    assert item.transactions_update_status == "HISTORICAL_UPDATE_COMPLETE"


def test_rows_carry_plaids_fields(item, emulator):
    sync(item)
    txn = Transaction.objects.filter(item=item, pending=False).exclude(merchant_name=None).first()
    assert txn.owner_id == item.owner_id
    assert txn.category_primary
    assert txn.category_detailed.startswith(txn.category_primary)
    assert set(txn.location) >= {"address", "city", "region", "postal_code", "country"}
    assert txn.payment_channel in ("online", "in store", "other")


def test_the_second_sync_sends_the_saved_cursor(item, emulator, sync_requests, small_pages):
    item = sync(item)
    first_cursor = item.transactions_cursor
    assert sync_requests[0] == ""
    sync_requests.clear()
    emulator.add_transactions(item.item_id, 3)
    item = sync(item)
    assert sync_requests[0] == first_cursor
    assert item.transactions_cursor != first_cursor
    assert_matches_truth(item, emulator)


def test_pages_are_applied_in_order_across_many_pages(item, emulator, small_pages):
    item = sync(item)
    emulator.add_transactions(item.item_id, 60)
    for _ in range(10):
        emulator.modify_transaction(item.item_id)
    emulator.remove_transaction(item.item_id)
    item = sync(item)
    assert_matches_truth(item, emulator)


def test_pending_transactions_post(api, link, emulator):
    body = link(api, override_username="user_transactions_dynamic", override_password="x")
    item = Item.objects.get(item_id=body["item_id"])
    item = sync(item)
    pending_before = set(
        Transaction.objects.filter(item=item, pending=True).values_list("transaction_id", flat=True)
    )
    assert pending_before
    emulator.refresh_transactions(item.item_id)
    item = sync(item)
    assert_matches_truth(item, emulator)
    # Every pending transaction was replaced by a posted one that names it.
    assert not Transaction.objects.filter(transaction_id__in=pending_before).exists()
    posted = Transaction.objects.filter(item=item, pending_transaction_id__in=pending_before)
    assert set(posted.values_list("pending_transaction_id", flat=True)) == pending_before
    assert not posted.filter(pending=True).exists()


def test_mutation_during_pagination_restarts_and_keeps_nothing_partial(item, emulator, small_pages):
    item = sync(item)
    emulator.add_transactions(item.item_id, 80)
    emulator.faults.add("mutation_during_pagination", item_id=item.item_id, at_page=2)
    result = sync_transactions(Item.objects.get(pk=item.pk))
    assert result.restarts == 1
    assert_matches_truth(item, emulator)


def test_a_failure_mid_sync_keeps_nothing_and_keeps_the_cursor(item, emulator, small_pages):
    item = sync(item)
    cursor = item.transactions_cursor
    before = set(stored(item))
    emulator.add_transactions(item.item_id, 80)
    # The first page succeeds, the second fails: nothing of the first is kept.
    calls = []

    def fail_second_page(call):
        if call.path == "/transactions/sync":
            calls.append(call)
            if len(calls) == 2:
                from django_plaid.emulator.errors import PlaidErrorResponse as EmulatorError

                raise EmulatorError("INTERNAL_SERVER_ERROR")

    emulator.app.hooks.insert(0, fail_second_page)
    try:
        with pytest.raises(PlaidAPIError):
            sync_transactions(Item.objects.get(pk=item.pk))
    finally:
        emulator.app.hooks.remove(fail_second_page)
    assert set(stored(item)) == before
    assert Item.objects.get(pk=item.pk).transactions_cursor == cursor
    item = sync(item)
    assert_matches_truth(item, emulator)


def test_an_invalid_cursor_leads_to_a_full_resync_without_duplicates(item, emulator):
    item = sync(item)
    emulator.remove_transaction(item.item_id)
    Item.objects.filter(pk=item.pk).update(transactions_cursor="bm90LWEtY3Vyc29y")
    result = sync_transactions(Item.objects.get(pk=item.pk))
    assert result.full_resync
    assert_matches_truth(item, emulator)


def test_an_item_without_transactions_only_refreshes_accounts(api, link, emulator, sync_requests):
    body = link(api, products=["auth"])
    item = sync(Item.objects.get(item_id=body["item_id"]))
    assert sync_requests == []
    assert item.accounts.exists()


def test_a_login_required_sync_records_the_status(item, emulator):
    emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    with pytest.raises(PlaidAPIError):
        sync(item)
    assert Item.objects.get(pk=item.pk).status == "login_required"


def test_random_faults_never_lose_duplicate_or_stale_anything(item, emulator, small_pages):
    """Sync through random 500s, 429s, timeouts and mutations; the truth always wins."""
    rng = random.Random(20261127)
    item = sync(item)
    emulator.state.detect_pagination_mutations = True
    with override_settings(PLAID={**plaid_settings.user_settings, "REQUEST_TIMEOUT": 0.5}):
        for _round in range(12):
            emulator.add_transactions(item.item_id, rng.randint(0, 40), pending=rng.random() < 0.3)
            for _ in range(rng.randint(0, 4)):
                emulator.modify_transaction(item.item_id)
            if rng.random() < 0.5:
                emulator.post_pending(item.item_id)
            if rng.random() < 0.3:
                emulator.remove_transaction(item.item_id)
            kind = rng.choice(["http_500", "rate_limit", "slow", "mutation_during_pagination"])
            fault = {"kind": kind, "item_id": item.item_id, "times": rng.randint(1, 2)}
            if kind == "slow":
                fault.update(path="/transactions/sync", seconds=1.0)
            elif kind == "mutation_during_pagination":
                fault["at_page"] = rng.randint(2, 3)
            else:
                fault["path"] = "/transactions/sync"
            emulator.faults.add(fault.pop("kind"), **fault)
            for _attempt in range(6):  # what the task's retries do
                try:
                    services.sync_item(Item.objects.get(pk=item.pk))
                    break
                except (PlaidAPIError, PlaidConnectionError) as e:
                    if not e.retryable:
                        raise
            else:
                pytest.fail("sync never succeeded")
            emulator.faults.clear()
            assert_matches_truth(item, emulator)


def test_memory_stays_flat_however_long_the_history(item, emulator):
    def peak_for(count):
        emulator.generate_transactions(item.item_id, count)
        Transaction.objects.filter(item=item).delete()
        Item.objects.filter(pk=item.pk).update(transactions_cursor="")
        tracemalloc.start()
        try:
            sync_transactions(Item.objects.get(pk=item.pk))
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small = peak_for(1000)
    large = peak_for(6000)
    assert Transaction.objects.filter(item=item).count() == 6000
    # Six times the history, not six times the memory (a page at a time).
    assert large < small * 1.6, (small, large)
