"""One sync per Item at a time; triggers that arrive meanwhile are merged, never lost."""

import threading
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.utils import timezone

from django_plaid.models import Item
from django_plaid.sync import acquire_lease, release_lease, run_sync

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def item(user):
    return Item.objects.create(
        owner=user, item_id="sync-item", access_token="t", environment="sandbox"
    )


def trigger(item):
    Item.objects.filter(pk=item.pk).update(sync_requested=F("sync_requested") + 1)


def in_thread(target, *args):
    result = []

    def run():
        try:
            result.append(target(*args))
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    return thread, result


def test_a_trigger_during_a_running_sync_is_merged_into_it(item):
    started, proceed = threading.Event(), threading.Event()
    calls = []

    def body(item, owner):
        calls.append(item.sync_requested)
        if len(calls) == 1:
            started.set()
            assert proceed.wait(10)

    trigger(item)
    thread, result = in_thread(run_sync, item.pk, body)
    assert started.wait(10)
    trigger(item)  # arrives while the first sync runs
    assert run_sync(item.pk, body) is False  # no second, parallel run
    proceed.set()
    thread.join(10)
    assert result == [True]
    assert len(calls) == 2  # the running sync went round once more
    item.refresh_from_db()
    assert item.sync_completed == item.sync_requested == 2
    assert item.sync_lock_until is None


def test_concurrent_triggers_never_run_in_parallel_and_none_is_lost(item):
    running = []
    overlap = []
    lock = threading.Lock()

    def body(item, owner):
        with lock:
            running.append(1)
            if len(running) > 1:
                overlap.append(True)
        threading.Event().wait(0.01)
        with lock:
            running.pop()

    def trigger_and_sync():
        trigger(item)
        run_sync(item.pk, body)

    threads = [in_thread(trigger_and_sync)[0] for _ in range(8)]
    for thread in threads:
        thread.join(20)
    assert overlap == []
    item.refresh_from_db()
    assert item.sync_requested == 8
    assert item.sync_completed == 8
    assert item.sync_lock_until is None


def test_a_dead_workers_lease_expires(item):
    Item.objects.filter(pk=item.pk).update(
        sync_lock_owner="dead", sync_lock_until=timezone.now() - timedelta(seconds=1)
    )
    trigger(item)
    assert run_sync(item.pk, lambda item, owner: None) is True
    item.refresh_from_db()
    assert item.sync_completed == 1


def test_a_live_lease_is_respected(item):
    assert acquire_lease(item.pk, "other")
    trigger(item)
    assert run_sync(item.pk, lambda item, owner: None) is False
    release_lease(item.pk, "other")
    assert run_sync(item.pk, lambda item, owner: None) is True


def test_a_failed_sync_releases_the_lease_and_keeps_the_trigger(item):
    trigger(item)

    def body(item, owner):
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        run_sync(item.pk, body)
    item.refresh_from_db()
    assert item.sync_lock_until is None
    assert item.sync_completed == 0  # still owed: a retry or the periodic task picks it up


def test_two_triggers_at_once_for_one_item_sync_it_exactly(plaid_emulator_settings, user):
    """Two real syncs race for one Item: one runs, the other merges; no duplicate, no loss."""
    from django_plaid import services
    from django_plaid.models import Transaction
    from tests.helpers import sandbox_public_token

    emulator = plaid_emulator_settings
    item = services.exchange_public_token(user, sandbox_public_token())
    item.refresh_from_db()
    before = item.sync_requested  # linking queued the first sync
    emulator.add_transactions(item.item_id, 50)
    barrier = threading.Barrier(2)

    def trigger_and_sync():
        trigger(item)
        barrier.wait(10)
        run_sync(item.pk, services.sync_item)

    threads = [in_thread(trigger_and_sync)[0] for _ in range(2)]
    emulator.add_transactions(item.item_id, 5)  # an update while they run
    for thread in threads:
        thread.join(30)
    trigger(item)
    run_sync(item.pk, services.sync_item)
    truth = emulator.transactions_truth(item.item_id)
    ids = list(Transaction.objects.filter(item=item).values_list("transaction_id", flat=True))
    assert len(ids) == len(set(ids))
    assert set(ids) == set(truth)
    item.refresh_from_db()
    assert item.sync_completed == item.sync_requested == before + 3


# The lease's heartbeat and what a lost lease does. The lease is short here (2 s, a beat
# every 2/3 s) so that a held Plaid call outlasts it within the test.
LEASE = 2


def heartbeats(item):
    return [t for t in threading.enumerate() if t.name == f"django-plaid-lease-{item.pk}"]


@pytest.fixture
def linked(plaid_emulator_settings, user, settings):
    """An Item linked and synced through the emulator, with a short lease set."""
    from django_plaid import services
    from tests.helpers import sandbox_public_token

    settings.PLAID = {**settings.PLAID, "SYNC_LEASE_SECONDS": LEASE}
    item = services.exchange_public_token(user, sandbox_public_token())
    trigger(item)
    run_sync(item.pk, services.sync_item)
    item.refresh_from_db()
    return item


def stored(item):
    from django_plaid.models import Transaction

    return set(Transaction.objects.filter(item=item).values_list("transaction_id", flat=True))


def test_a_sync_held_in_a_slow_plaid_call_keeps_its_lease(linked, plaid_emulator_settings):
    from django_plaid import services
    from tests.concurrency import WAIT_SECONDS, gate
    from tests.concurrency import in_thread as run_in_thread

    emulator, item = plaid_emulator_settings, linked
    emulator.add_transactions(item.item_id, 20)
    results = []
    with gate(emulator, "/transactions/sync") as held:
        trigger(item)
        thread, errors = run_in_thread(
            lambda: results.append(run_sync(item.pk, services.sync_item))
        )
        held.wait()
        taken = Item.objects.get(pk=item.pk)
        assert heartbeats(item)
        # Wait past the lease the run took: only renewals keep the Item its own.
        while timezone.now() < taken.sync_lock_until + timedelta(seconds=LEASE / 2):
            threading.Event().wait(0.1)
        now = Item.objects.get(pk=item.pk)
        assert now.sync_lock_owner == taken.sync_lock_owner
        assert now.sync_lock_until > taken.sync_lock_until
        assert not acquire_lease(item.pk, "other")  # still live: nobody takes it over
    thread.join(WAIT_SECONDS)
    assert not thread.is_alive()
    assert errors == []
    assert results == [True]
    assert stored(item) == set(emulator.transactions_truth(item.item_id))
    item.refresh_from_db()
    assert item.sync_completed == item.sync_requested
    assert item.sync_lock_until is None
    assert item.sync_lock_owner == ""
    assert heartbeats(item) == []  # the heartbeat ended with the run


def test_a_run_that_lost_its_lease_stops_without_saving(linked, plaid_emulator_settings):
    from django_plaid import services
    from tests.concurrency import WAIT_SECONDS, gate
    from tests.concurrency import in_thread as run_in_thread

    emulator, item = plaid_emulator_settings, linked
    before = stored(item)
    emulator.add_transactions(item.item_id, 20)
    results = []
    with gate(emulator, "/transactions/sync") as held:
        trigger(item)
        thread, errors = run_in_thread(
            lambda: results.append(run_sync(item.pk, services.sync_item))
        )
        held.wait()
        # The run stalls past its lease (a paused process, say) and another run takes over.
        Item.objects.filter(pk=item.pk).update(
            sync_lock_until=timezone.now() - timedelta(seconds=1)
        )
        assert acquire_lease(item.pk, "other")
        # The next beat finds the lease lost and the heartbeat ends, the call still held.
        deadline = timezone.now() + timedelta(seconds=WAIT_SECONDS)
        while heartbeats(item) and timezone.now() < deadline:
            threading.Event().wait(0.05)
        assert heartbeats(item) == []
    thread.join(WAIT_SECONDS)
    assert not thread.is_alive()
    assert errors == []
    assert results == [False]
    assert stored(item) == before  # nothing of the stale run was saved
    now = Item.objects.get(pk=item.pk)
    assert now.transactions_cursor == item.transactions_cursor
    assert now.sync_completed == item.sync_completed
    assert now.sync_lock_owner == "other"  # the new holder's lease is left alone


def test_a_lease_lost_just_before_the_cursor_is_saved_rolls_back(linked, plaid_emulator_settings):
    from django_plaid.exceptions import SyncLeaseLost
    from django_plaid.sync import renew_lease
    from django_plaid.transactions import sync_transactions

    emulator, item = plaid_emulator_settings, linked
    before = stored(item)
    emulator.add_transactions(item.item_id, 20)
    assert acquire_lease(item.pk, "mine")

    def renew():
        held = renew_lease(item.pk, "mine")
        if held and not connection.in_atomic_block:
            # After the last page, before the final transaction: another run takes over.
            Item.objects.filter(pk=item.pk).update(
                sync_lock_until=timezone.now() - timedelta(seconds=1)
            )
            assert acquire_lease(item.pk, "other")
        return held

    with pytest.raises(SyncLeaseLost):
        sync_transactions(item, renew=renew)
    assert stored(item) == before
    now = Item.objects.get(pk=item.pk)
    assert now.transactions_cursor == item.transactions_cursor
    assert now.sync_lock_owner == "other"


def test_a_sync_inside_the_callers_transaction_runs_without_a_heartbeat(item):
    from django.db import transaction

    seen = []
    trigger(item)
    with transaction.atomic():
        assert run_sync(item.pk, lambda item, owner: seen.append(heartbeats(item))) is True
    assert seen == [[]]
    item.refresh_from_db()
    assert item.sync_completed == 1
