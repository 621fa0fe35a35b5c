"""A database that cannot serve a request (a locked SQLite file, a lock wait that times out
on PostgreSQL) gets a clear JSON 503 on every endpoint, never a 500 or a traceback; an
exchange never leaves an Item orphaned at Plaid nor claiming to be complete; and webhook
deliveries that wait are always processed in the end.

The errors are real (see tests/api/database.py): another connection holds the lock.
"""

from __future__ import annotations

import json
import logging

import pytest
from django.db import OperationalError, connection

from django_plaid import tasks
from django_plaid.models import Item, WebhookEvent, WebhookEventStatus
from django_plaid.webhooks.processing import store_delivery
from tests.api.database import heal_after_the_grace, locked
from tests.concurrency import gate, in_thread
from tests.helpers import client_for, sandbox_public_token, webhook_payload

pytestmark = pytest.mark.django_db(transaction=True)


def assert_database_unavailable(response):
    assert response.status_code == 503, response.content
    assert response["Content-Type"] == "application/json"
    assert response["Retry-After"] == "5"
    body = response.json()
    assert body["error_type"] == "API_ERROR"
    assert body["error_code"] == "DATABASE_UNAVAILABLE"
    assert body["request_id"] is None
    text = response.content.decode().lower()
    # Nothing of the database's own message, nor SQL.
    for leaked in ("locked", "select", "insert", "lock_timeout", "traceback"):
        assert leaked not in text
    return body


ITEM_ENDPOINTS = [
    ("get", "/plaid/items/{item_id}/"),
    ("delete", "/plaid/items/{item_id}/"),
    ("post", "/plaid/items/{item_id}/sync/"),
    ("post", "/plaid/items/{item_id}/update-complete/"),
    ("post", "/plaid/items/{item_id}/refresh-balances/"),
    ("post", "/plaid/items/{item_id}/refresh-products/"),
]
ENDPOINTS = [
    ("get", "/plaid/items/"),
    *ITEM_ENDPOINTS,
    ("get", "/plaid/accounts/"),
    ("get", "/plaid/transactions/"),
    ("get", "/plaid/auth/"),
    ("get", "/plaid/identity/"),
    ("get", "/plaid/investments/holdings/"),
    ("get", "/plaid/investments/transactions/"),
    ("get", "/plaid/liabilities/"),
    ("get", "/plaid/income/"),
    ("post", "/plaid/income/refresh/"),
    ("post", "/plaid/link-token/"),
    ("get", "/plaid/link-events/"),
    ("post", "/plaid/link-events/"),
]
BODIES = {
    "/plaid/link-events/": {"event_name": "EXIT", "metadata": {"status": "requires_credentials"}},
    "/plaid/items/{item_id}/refresh-products/": {"products": ["transactions"]},
}


def host_handler(exc, context):
    """A host's EXCEPTION_HANDLER that handles nothing (DRF then re-raises: a 500)."""
    return None


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_every_endpoint_answers_a_locked_database_with_a_json_503(
    api, item, brief_waits, settings, caplog, method, path
):
    # Whatever the host's exception handler and DEBUG: the views map it themselves.
    settings.DEBUG = True
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "EXCEPTION_HANDLER": f"{__name__}.host_handler",
    }
    url = path.format(item_id=item.item_id)
    body = BODIES.get(path, {})
    with caplog.at_level(logging.ERROR, logger="django_plaid.api"), locked(reads=True):
        response = getattr(api, method)(url, body, format="json")
    assert_database_unavailable(response)
    logged = [r for r in caplog.records if r.name == "django_plaid.api"]
    assert len(logged) == 1
    message = logged[0].getMessage()
    assert "OperationalError" in message
    assert item.access_token not in message
    # PostgreSQL's message goes on with the statement ("LINE 1: SELECT ..."): left out.
    for sql in ("LINE 1", "SELECT", "INSERT", "UPDATE"):
        assert sql not in message


def test_the_item_is_not_changed_by_a_refused_request(api, item, brief_waits):
    before = Item.objects.get(pk=item.pk)
    with locked(reads=False):
        response = api.post(f"/plaid/items/{item.item_id}/update-complete/", format="json")
    assert_database_unavailable(response)
    after = Item.objects.get(pk=item.pk)
    assert (after.refresh_requested_at, after.updated_at) == (
        before.refresh_requested_at,
        before.updated_at,
    )


# -- The exchange -------------------------------------------------------------------------


def test_an_item_that_cannot_be_stored_is_removed_at_plaid(api, emulator, brief_waits):
    token = sandbox_public_token()
    with locked(reads=False):
        response = api.post("/plaid/exchange/", {"public_token": token}, format="json")
    body = assert_database_unavailable(response)
    assert "item_id" not in body  # not linked: link again
    assert not Item.objects.exists()
    assert emulator.state.items == {}  # removed at Plaid: nothing orphaned


def test_accounts_that_cannot_be_stored_leave_a_linked_item_the_periodic_task_heals(
    user, emulator, brief_waits, lost_tasks
):
    # The Item row is stored; the database refuses writes while /accounts/get answers,
    # so the Accounts cannot be stored. The task queued to fetch them is lost.
    responses = []
    with gate(emulator, "/accounts/get") as held:
        token = sandbox_public_token(products=["transactions", "auth"])
        thread, errors = in_thread(
            lambda: responses.append(
                client_for(user).post("/plaid/exchange/", {"public_token": token}, format="json")
            )
        )
        held.wait()
        with locked(reads=False):
            held.open()
            thread.join(30)
    assert not errors
    (response,) = responses
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["accounts"] == []
    assert body["products"] == []  # not known yet, and not claimed
    assert body["refresh_pending"] is True
    item = Item.objects.get(item_id=body["item_id"])
    assert list(emulator.state.items) == [item.item_id]  # kept, never orphaned
    assert item.refresh_requested_at is not None

    lost_tasks()  # workers are back; the lost task is not
    assert heal_after_the_grace()["refresh"] == 1
    item.refresh_from_db()
    assert item.refresh_requested_at is None
    assert sorted(item.products) == ["auth", "transactions"]
    assert item.accounts.count() == len(emulator.state.items[item.item_id].accounts)
    assert client_for(user).get(f"/plaid/items/{item.item_id}/").json()["refresh_pending"] is False


def test_a_linked_item_that_cannot_be_read_back_is_named_in_the_503(
    user, emulator, brief_waits, lost_tasks
):
    responses = []
    with gate(emulator, "/accounts/get") as held:
        token = sandbox_public_token()
        thread, errors = in_thread(
            lambda: responses.append(
                client_for(user).post("/plaid/exchange/", {"public_token": token}, format="json")
            )
        )
        held.wait()
        with locked(reads=True):
            held.open()
            thread.join(30)
    assert not errors
    body = assert_database_unavailable(responses[0])
    item = Item.objects.get(item_id=body["item_id"])  # linked: the client must not link again
    assert "Do not link it again" in body["error_message"]
    assert list(emulator.state.items) == [item.item_id]
    lost_tasks()
    heal_after_the_grace()
    assert Item.objects.get(pk=item.pk).accounts.exists()


def test_a_complete_link_owes_nothing(api, emulator, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(
            "/plaid/exchange/", {"public_token": sandbox_public_token()}, format="json"
        )
    assert response.status_code == 201
    assert response.json()["refresh_pending"] is False
    assert Item.objects.get().refresh_requested_at is None


# -- Webhooks -----------------------------------------------------------------------------


def test_a_delivery_that_cannot_be_stored_is_a_json_503_plaid_retries(
    item, deliver, brief_waits, settings, caplog
):
    settings.DEBUG = True
    payload = webhook_payload(item, "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    with caplog.at_level(logging.ERROR, logger="django_plaid.webhooks"), locked(reads=False):
        refused = deliver(payload)
    assert refused.status_code == 503
    assert refused["Retry-After"] == "5"
    assert refused.json() == {
        "error": "database_unavailable",
        "detail": "The delivery could not be stored; send it again later.",
    }
    (logged,) = [r.getMessage() for r in caplog.records if r.name == "django_plaid.webhooks"]
    assert logged.startswith(
        "Could not store a Plaid webhook (TRANSACTIONS SYNC_UPDATES_AVAILABLE): OperationalError: "
    )
    assert not WebhookEvent.objects.exists()
    # Plaid sends it again (signed anew): stored and processed.
    again = deliver(payload)
    assert again.status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEventStatus.PROCESSED


def test_deliveries_a_failed_drain_left_pending_are_drained_by_the_periodic_task(
    item, brief_waits, lost_tasks
):
    # Stored while no task can be sent: they wait, pending.
    for code in ("SYNC_UPDATES_AVAILABLE", "DEFAULT_UPDATE"):
        payload = webhook_payload(item, "TRANSACTIONS", code)
        store_delivery(json.dumps(payload).encode(), payload, verified=True, remote_addr=None)
    lost_tasks()
    # The drain runs while the database refuses writes ("database is locked"): it fails.
    with locked(reads=False), pytest.raises(OperationalError):
        tasks.drain_webhooks.apply(throw=True)
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {
        WebhookEventStatus.PENDING
    }
    # The periodic task drains them.
    tasks.maintenance()
    assert set(WebhookEvent.objects.values_list("status", flat=True)) == {
        WebhookEventStatus.PROCESSED
    }


@pytest.fixture
def atomic_requests():
    """ATOMIC_REQUESTS on for the block (read per request from the connection's settings)."""
    settings_dict = connection.settings_dict
    saved = settings_dict.get("ATOMIC_REQUESTS", False)
    settings_dict["ATOMIC_REQUESTS"] = True
    yield
    settings_dict["ATOMIC_REQUESTS"] = saved


@pytest.mark.skipif(
    connection.vendor == "sqlite",
    reason="on SQLite, ATOMIC_REQUESTS takes the write lock before any view runs",
)
def test_under_atomic_requests_a_delivery_that_cannot_be_stored_is_rolled_back(
    item, deliver, brief_waits, atomic_requests
):
    payload = webhook_payload(item, "TRANSACTIONS", "SYNC_UPDATES_AVAILABLE")
    with locked(reads=False, tables=["django_plaid_webhookevent"]):
        refused = deliver(payload)
    assert refused.status_code == 503
    assert refused.json()["error"] == "database_unavailable"
    assert not WebhookEvent.objects.exists()
    assert deliver(payload).status_code == 200
    assert WebhookEvent.objects.get().status == WebhookEventStatus.PROCESSED
