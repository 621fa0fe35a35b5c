"""Flows running at once on one Item never undo each other, nor deadlock.

Each test runs the flows truly concurrently (threads, each with its own database
connection) against the emulator; a gate in the emulator holds one flow inside its Plaid
call while another acts, so the interleaving the test is about happens every time.
"""

from __future__ import annotations

import json
import os

import pytest
from django.db import OperationalError
from django.db.models import F

from django_plaid import lifecycle, services, tasks
from django_plaid.models import Account, Item
from django_plaid.products import services as products
from django_plaid.sync import run_sync
from django_plaid.webhooks.processing import store_delivery
from tests.concurrency import gate, in_thread, run_at_once
from tests.helpers import LOGIN_REQUIRED, webhook_payload

pytestmark = pytest.mark.django_db(transaction=True)

on_postgres = pytest.mark.skipif(
    not os.environ.get("DATABASE_URL", "").startswith("postgres"),
    reason="row locks and deadlocks are PostgreSQL's (make test-postgres)",
)


def webhook(item: Item, webhook_type: str, code: str, **fields: object) -> None:
    """Store and process a verified delivery the way the receiver and worker do."""
    payload = webhook_payload(item, webhook_type, code, **fields)
    store_delivery(json.dumps(payload).encode(), payload, verified=True, remote_addr=None)


def sync(item: Item) -> None:
    run_sync(item.pk, services.sync_item)


def test_a_login_required_webhook_during_a_sync_is_not_undone(item, emulator):
    with gate(emulator, "/accounts/get") as held:
        thread, errors = in_thread(lambda: sync(item))
        held.wait()
        webhook(item, "ITEM", "ERROR", error=LOGIN_REQUIRED)
        assert Item.objects.get(pk=item.pk).status == "login_required"
        held.open()
        thread.join(60)
    assert not errors
    item = Item.objects.get(pk=item.pk)
    assert item.status == "login_required"
    assert item.error_code == "ITEM_LOGIN_REQUIRED"


def test_new_accounts_available_during_a_sync_is_kept(item, emulator):
    with gate(emulator, "/accounts/get") as held:
        thread, errors = in_thread(lambda: sync(item))
        held.wait()
        webhook(item, "ITEM", "NEW_ACCOUNTS_AVAILABLE")
        held.open()
        thread.join(60)
    assert not errors
    assert Item.objects.get(pk=item.pk).new_accounts_available is True


def test_a_sync_trigger_during_a_recheck_is_kept(item, emulator):
    with gate(emulator, "/item/get") as held:
        thread, errors = in_thread(lambda: services.refresh_item(Item.objects.get(pk=item.pk)))
        held.wait()
        Item.objects.filter(pk=item.pk).update(sync_requested=F("sync_requested") + 1)
        wanted = Item.objects.get(pk=item.pk).sync_requested
        held.open()
        thread.join(60)
    assert not errors
    assert Item.objects.get(pk=item.pk).sync_requested == wanted


def test_a_recheck_answer_does_not_undo_a_newer_webhook(item, emulator):
    # /item/get answered "healthy" before the webhook said the login broke: the webhook
    # is Plaid's newer word and stays.
    with gate(emulator, "/accounts/get") as held:
        thread, errors = in_thread(lambda: services.refresh_item(Item.objects.get(pk=item.pk)))
        held.wait()
        webhook(item, "ITEM", "ERROR", error=LOGIN_REQUIRED)
        held.open()
        thread.join(60)
    assert not errors
    assert Item.objects.get(pk=item.pk).status == "login_required"


def test_a_live_balance_request_time_survives_a_sync(item, emulator):
    with gate(emulator, "/accounts/get") as held:
        thread, errors = in_thread(lambda: sync(item))
        held.wait()
        assert services.refresh_balances(Item.objects.get(pk=item.pk))
        requested = Item.objects.get(pk=item.pk).balances_requested_at
        held.open()
        thread.join(60)
    assert not errors
    assert requested is not None
    assert Item.objects.get(pk=item.pk).balances_requested_at == requested


def test_concurrent_product_fetches_keep_each_others_times(api, link, emulator):
    linked = link(api, products=["auth", "identity"])
    item = Item.objects.get(item_id=linked["item_id"])
    Item.objects.filter(pk=item.pk).update(product_fetched_at={}, product_attempted_at={})
    # Both flows start from the same loaded state, as two workers would.
    first, second = Item.objects.get(pk=item.pk), Item.objects.get(pk=item.pk)
    errors = run_at_once(
        lambda: products.refresh_product(first, "auth"),
        lambda: products.refresh_product(second, "identity"),
    )
    assert not errors
    item.refresh_from_db()
    assert set(item.product_fetched_at) >= {"auth", "identity"}
    assert set(item.product_attempted_at) >= {"auth", "identity"}


@on_postgres
def test_concurrent_account_writers_on_one_item_do_not_deadlock(api, link, emulator, settings):
    settings.PLAID = {**settings.PLAID, "BALANCE_REFRESHES_PER_MINUTE": 100_000}
    linked = link(api, products=["auth", "transactions"])
    item = Item.objects.get(item_id=linked["item_id"])
    flows = [
        lambda: services.refresh_accounts(Item.objects.get(pk=item.pk)),
        lambda: products.fetch_auth(Item.objects.get(pk=item.pk)),
        lambda: services.refresh_balances(Item.objects.get(pk=item.pk)),
        lambda: services.refresh_item(Item.objects.get(pk=item.pk)),
        lambda: sync(item),
    ]
    errors = []
    for _ in range(6):
        errors += run_at_once(*flows)
    assert not errors, errors
    assert Account.objects.filter(item=item).count() == len(linked["accounts"])


def test_tasks_retry_transient_database_errors(item, emulator, monkeypatch):
    calls = []
    flow = services.refresh_accounts

    def deadlocked_once(obj):
        calls.append(obj.pk)
        if len(calls) == 1:
            raise OperationalError("deadlock detected")
        return flow(obj)

    monkeypatch.setattr(lifecycle, "refresh_accounts", deadlocked_once)
    Account.objects.filter(item=item).delete()
    # apply() runs the task here as a worker would, retries included.
    assert tasks.refresh_accounts.apply((item.pk,), throw=False).successful()
    assert calls == [item.pk, item.pk]
    assert Account.objects.filter(item=item).exists()


def test_database_errors_that_will_not_pass_are_not_retried():
    from django.db import IntegrityError

    assert tasks.is_transient(OperationalError("could not serialize access"))
    assert not tasks.is_transient(IntegrityError("duplicate key"))
    assert not tasks.is_transient(ValueError("bad data"))


def _waiting_on_a_lock() -> bool:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0


def _delete_one(item: Item) -> None:
    Item.objects.get(pk=item.pk).delete()  # the admin's delete, a host's code


def _delete_queryset(item: Item) -> None:
    Item.objects.filter(pk=item.pk).delete()  # the admin's bulk action


def _remove(item: Item) -> None:
    lifecycle.remove_item(Item.objects.get(pk=item.pk))  # DELETE items/<id>/


@on_postgres
@pytest.mark.parametrize("delete", [_delete_one, _delete_queryset, _remove])
def test_deleting_an_item_waits_for_a_flow_adding_its_accounts(item, emulator, delete):
    import threading
    import time

    from django.db import transaction

    from django_plaid.items import lock_item_accounts

    inserted, release = threading.Event(), threading.Event()

    def add_account() -> None:
        # A sync (or accounts refresh) in the middle of adding an Account of the Item.
        with transaction.atomic():
            lock_item_accounts(item.pk)
            Account.objects.create(
                item=item, account_id="acc-new", name="New", type="depository", subtype="savings"
            )
            inserted.set()
            release.wait(30)

    writer, writer_errors = in_thread(add_account)
    assert inserted.wait(30)
    deleter, deleter_errors = in_thread(lambda: delete(item))
    deadline = time.monotonic() + 30
    while not _waiting_on_a_lock() and time.monotonic() < deadline:
        time.sleep(0.02)
    release.set()
    writer.join(30)
    deleter.join(30)
    assert not writer_errors
    # Deleted with every Account, the one added meanwhile included: no IntegrityError.
    assert not deleter_errors, deleter_errors
    assert not Item.objects.filter(pk=item.pk).exists()
    assert not Account.objects.filter(account_id="acc-new").exists()
