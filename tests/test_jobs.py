"""A broker that is down never fails a request whose work is committed.

The suite's Celery app is pointed at a Redis server of the test's own (on a free port),
which the test then stops: the machine's own Redis is never touched. What was recorded
in the database is then picked up by the periodic task once tasks run again.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from typing import Any

import pytest

from django_plaid import jobs, tasks
from django_plaid.models import Item, WebhookEvent
from tests.celery import app as celery_app
from tests.helpers import forget_broker_connections, sandbox_public_token

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not shutil.which("redis-server"), reason="needs redis-server"),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Broker:
    """A Redis server of this test's own, that the test can stop."""

    def __init__(self) -> None:
        self.port = _free_port()
        self.process = subprocess.Popen(
            ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)
        forget_broker_connections()


@pytest.fixture
def broker() -> Any:
    """Real (not eager) task sending to a broker of the test's own; stopped by the test."""
    server = Broker()
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=server.url)
    forget_broker_connections()
    try:
        yield server
    finally:
        server.process.kill()
        server.process.wait(10)
        celery_app.conf.update(saved)
        forget_broker_connections()


@pytest.fixture
def tasks_run_again() -> Any:
    """Back to eager tasks, as when the broker and workers are up again."""

    def restore() -> None:
        celery_app.conf.update(task_always_eager=True, broker_url="memory://")
        forget_broker_connections()

    return restore


def test_tasks_are_sent_while_the_broker_is_up(broker, item):
    assert jobs.send_refresh_balances(item.pk) is True


def test_a_link_succeeds_with_the_broker_down(
    api, user, emulator, broker, tasks_run_again, django_capture_on_commit_callbacks
):
    broker.stop()
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/plaid/exchange/", {"public_token": sandbox_public_token()}, format="json"
        )
    assert response.status_code == 201, response.content
    item = Item.objects.get(item_id=response.json()["item_id"])
    assert item.accounts.exists()
    # The first sync is owed, in the database: the periodic task runs it later.
    assert item.sync_requested > item.sync_completed
    tasks_run_again()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.maintenance()["sync"] == 1
    item.refresh_from_db()
    assert item.sync_completed == item.sync_requested
    assert item.transactions.exists()


def test_item_actions_answer_what_happened_with_the_broker_down(
    api, item, emulator, broker, tasks_run_again, django_capture_on_commit_callbacks
):
    broker.stop()
    base = f"/plaid/items/{item.item_id}"
    with django_capture_on_commit_callbacks(execute=True):
        sync = api.post(f"{base}/sync/", format="json")
        update = api.post(f"{base}/update-complete/", format="json")
        balances = api.post(f"{base}/refresh-balances/", format="json")
    # Recorded in the database: accepted, and the periodic task does it.
    assert sync.status_code == 202
    assert update.status_code == 202
    # Nothing records a live balance fetch: a clear 503 to try again later.
    assert balances.status_code == 503
    assert balances.json()["error_code"] == "QUEUE_UNAVAILABLE"
    assert set(balances.json()) >= {"error_type", "error_message", "display_message"}
    item.refresh_from_db()
    assert item.sync_requested > item.sync_completed
    assert item.refresh_requested_at is not None


def test_a_lost_recheck_is_run_by_the_periodic_task(
    api, item, emulator, broker, tasks_run_again, django_capture_on_commit_callbacks
):
    from datetime import timedelta

    from django.utils import timezone

    from django_plaid import services

    services.set_item_status(
        item,
        "login_required",
        error={"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"},
    )
    broker.stop()
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post(f"/plaid/items/{item.item_id}/update-complete/").status_code == 202
    tasks_run_again()
    # Not before its own task had its chance...
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.maintenance()["refresh"] == 0
    Item.objects.filter(pk=item.pk).update(
        refresh_requested_at=timezone.now() - timedelta(minutes=5)
    )
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.maintenance()["refresh"] == 1
    item.refresh_from_db()
    assert item.status == "healthy"  # Plaid says the login works
    assert item.refresh_requested_at is None


def test_product_fetches_lost_with_the_broker_are_due_at_once(
    api, link, emulator, broker, tasks_run_again, django_capture_on_commit_callbacks
):
    broker.stop()
    with django_capture_on_commit_callbacks(execute=True):
        linked = link(api, products=["auth"])
    item = Item.objects.get(item_id=linked["item_id"])
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/plaid/items/{item.item_id}/refresh-products/", format="json")
    assert response.status_code == 202
    tasks_run_again()
    with django_capture_on_commit_callbacks(execute=True):
        tasks.maintenance()
    item.refresh_from_db()
    assert "auth" in item.product_fetched_at


def test_webhooks_wait_for_the_broker_and_are_drained_after(
    item, emulator, broker, tasks_run_again, django_capture_on_commit_callbacks
):
    import json

    from django_plaid.webhooks.processing import store_delivery

    broker.stop()
    payload = {
        "webhook_type": "ITEM",
        "webhook_code": "NEW_ACCOUNTS_AVAILABLE",
        "item_id": item.item_id,
        "environment": "sandbox",
    }
    with django_capture_on_commit_callbacks(execute=True):
        store_delivery(json.dumps(payload).encode(), payload, verified=True, remote_addr=None)
    assert WebhookEvent.objects.get().status == "pending"
    tasks_run_again()
    # No new delivery needed: the periodic task drains what waited.
    with django_capture_on_commit_callbacks(execute=True):
        tasks.maintenance()
    assert WebhookEvent.objects.get().status == "processed"
    assert Item.objects.get(pk=item.pk).new_accounts_available


def test_a_payroll_refresh_with_the_broker_down_is_a_clear_503(api, user, broker):
    from django_plaid.products.models import PlaidUser

    PlaidUser.objects.create(owner=user, user_id="usr_x", environment="sandbox")
    broker.stop()
    response = api.post("/plaid/income/refresh/", format="json")
    assert response.status_code == 503
    assert response.json()["error_code"] == "QUEUE_UNAVAILABLE"
