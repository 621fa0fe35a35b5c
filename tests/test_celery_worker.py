"""End to end with a real Celery worker process over Redis, on PostgreSQL (CI runs these).

Skipped unless the suite runs on PostgreSQL and Redis answers on 127.0.0.1:6379.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from django_plaid import services
from django_plaid.models import Item, Transaction
from tests.celery import app as celery_app
from tests.helpers import forget_broker_connections, sandbox_public_token
from tests.helpers import wait_for as poll

# Parallel runs on one machine (several checkouts) pick their own Redis database.
BROKER = os.environ.get("DJ_PLAID_TEST_BROKER", "redis://127.0.0.1:6379/13")
ROOT = Path(__file__).resolve().parent.parent


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_timeout=1).ping())
    except Exception:
        return False


pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        not os.environ.get("DATABASE_URL", "").startswith("postgres"),
        reason="real-worker tests run on PostgreSQL (make test-postgres)",
    ),
    pytest.mark.skipif(
        not _redis_up() and not os.environ.get("DJ_PLAID_REQUIRE_WORKER_TESTS"),
        reason="Redis is not running on 127.0.0.1:6379",
    ),
]


def wait_for(condition, timeout=60.0):
    """A worker is slower than the test process: wait longer, poll less often."""
    return poll(condition, timeout, interval=0.2)


class Worker:
    """A `celery worker` process for the suite's app, on the test database."""

    def __init__(self, plaid: dict) -> None:
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "tests.settings",
            "CELERY_BROKER_URL": BROKER,
            "DATABASE_URL": _test_database_url(),
            "DJ_PLAID_TEST_PLAID": json.dumps(plaid),
        }
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> Worker:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "tests.celery",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=2",
                "--pool=prefork",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,  # its own process group: a kill takes the children too
        )
        return self

    def kill(self) -> None:
        """Kill -9 the worker and its pool, as a crashed machine would."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(20)
            except subprocess.TimeoutExpired:
                self.kill()


def _test_database_url() -> str:
    db = connection.settings_dict
    host = f"{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
    return f"postgres://{db['USER'] or 'postgres'}@{host}/{db['NAME']}"


@pytest.fixture
def broker():
    """Publish tasks to Redis instead of running them inline, for this test."""
    import redis

    redis.Redis.from_url(BROKER).flushdb()
    saved = {key: celery_app.conf[key] for key in ("broker_url", "task_always_eager")}
    celery_app.conf.update(broker_url=BROKER, task_always_eager=False)
    forget_broker_connections()
    yield
    celery_app.conf.update(saved)
    forget_broker_connections()


@pytest.fixture
def worker(broker, plaid_emulator_settings):
    emulator = plaid_emulator_settings
    started = []

    def start(**plaid) -> Worker:
        w = Worker({"HOST": emulator.url, **plaid}).start()
        started.append(w)
        return w

    yield start
    for w in started:
        w.stop()


def synced_exactly(item, emulator) -> bool:
    ids = list(Transaction.objects.filter(item=item).values_list("transaction_id", flat=True))
    return len(ids) == len(set(ids)) and set(ids) == set(emulator.transactions_truth(item.item_id))


def test_webhook_to_rows_through_a_real_worker(
    worker, plaid_emulator_settings, live_server, user, settings
):
    emulator = plaid_emulator_settings
    hook = f"{live_server.url}/plaid/webhook/"
    settings.PLAID = {**settings.PLAID, "WEBHOOK_URL": hook}
    worker()
    with emulator.hold_webhooks():
        item = services.exchange_public_token(user, sandbox_public_token(webhook=hook))
    # Plaid's post-link webhooks: verified by the live server, processed by the worker.
    emulator.wait_for_webhooks()
    from django_plaid.sync import request_sync

    request_sync(item.pk)  # the first sync also turns on SYNC_UPDATES_AVAILABLE
    assert wait_for(lambda: synced_exactly(item, emulator))
    emulator.add_transactions(item.item_id, 25)
    emulator.post_pending(item.item_id)
    deliveries = emulator.wait_for_webhooks()
    assert any(d.webhook_code == "SYNC_UPDATES_AVAILABLE" for d in deliveries)
    assert all(d.delivered for d in deliveries)
    assert wait_for(lambda: synced_exactly(item, emulator))
    from django_plaid.models import WebhookEvent

    assert wait_for(lambda: not WebhookEvent.objects.exclude(status="processed").exists())


def test_a_worker_killed_mid_sync_heals(worker, plaid_emulator_settings, user):
    from django_plaid.sync import request_sync
    from django_plaid.tasks import maintenance

    emulator = plaid_emulator_settings
    item = services.exchange_public_token(user, sandbox_public_token())
    emulator.generate_transactions(item.item_id, 3000)
    # The first page answers slowly: the worker is surely mid-sync when it dies.
    emulator.faults.add("slow", path="/transactions/sync", item_id=item.item_id, seconds=3, times=1)
    first = worker(SYNC_LEASE_SECONDS=4, TRANSACTIONS_PAGE_SIZE=100)
    request_sync(item.pk)
    assert wait_for(lambda: Item.objects.get(pk=item.pk).sync_lock_until is not None, 30)
    first.kill()
    assert not Transaction.objects.filter(item=item).exists()  # nothing partial was kept

    worker(SYNC_LEASE_SECONDS=4, TRANSACTIONS_PAGE_SIZE=100)
    time.sleep(5)  # the dead worker's lease runs out
    maintenance.delay()  # what beat does every few minutes
    assert wait_for(lambda: synced_exactly(item, emulator), 90)
    item.refresh_from_db()
    assert item.sync_completed == item.sync_requested


def test_a_killed_workers_item_is_free_within_one_lease(worker, plaid_emulator_settings, user):
    """A worker held in one Plaid request for longer than its lease keeps the Item (the
    heartbeat); once killed, its Item is free again within one lease and then heals."""
    from datetime import timedelta

    from django.utils import timezone

    from django_plaid.sync import acquire_lease, release_lease, request_sync
    from django_plaid.tasks import maintenance
    from tests.concurrency import gate

    lease = 6  # the default's shape (60 s), scaled down: a beat every 2 s
    emulator = plaid_emulator_settings
    item = services.exchange_public_token(user, sandbox_public_token())
    emulator.generate_transactions(item.item_id, 1000)
    with gate(emulator, "/transactions/sync") as held:
        # A request timeout above the hold: the held request must not fail on its own.
        first = worker(SYNC_LEASE_SECONDS=lease, TRANSACTIONS_PAGE_SIZE=100, REQUEST_TIMEOUT=30)
        request_sync(item.pk)
        held.wait()
        taken = Item.objects.get(pk=item.pk)
        assert taken.sync_lock_owner
        # Held past the lease the run took: only the heartbeat keeps the Item its own.
        past = taken.sync_lock_until + timedelta(seconds=1)
        assert wait_for(lambda: timezone.now() > past, lease * 2)
        now = Item.objects.get(pk=item.pk)
        assert now.sync_lock_owner == taken.sync_lock_owner
        assert now.sync_lock_until > taken.sync_lock_until
        assert not acquire_lease(item.pk, "probe")
        first.kill()
        killed = time.monotonic()
        renewed_until = Item.objects.get(pk=item.pk).sync_lock_until
    assert not Transaction.objects.filter(item=item).exists()  # nothing partial was kept

    # The dead worker's lease runs out one lease after its last renewal at the latest.
    assert renewed_until <= timezone.now() + timedelta(seconds=lease)
    assert wait_for(lambda: acquire_lease(item.pk, "probe"), lease * 3)
    freed_after = time.monotonic() - killed
    release_lease(item.pk, "probe")
    assert freed_after <= lease + 1, f"Item blocked {freed_after:.1f} s after the kill"

    worker(SYNC_LEASE_SECONDS=lease, TRANSACTIONS_PAGE_SIZE=100)
    maintenance.delay()  # what beat does every few minutes
    assert wait_for(lambda: synced_exactly(item, emulator), 90)
    item.refresh_from_db()
    assert item.sync_completed == item.sync_requested
