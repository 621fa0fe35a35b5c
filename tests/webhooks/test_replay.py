"""A delivery accepted once is never stored or processed again, however it is re-sent.

Plaid signs every delivery attempt anew, so the same signed JWT arriving twice is a
replay (an attacker, or a proxy repeating a request), never a new event. Identical bodies
under different JWTs stay distinct events.
"""

import threading
import time

import pytest
from django.test import Client
from jwt.utils import base64url_decode, base64url_encode

from django_plaid.models import Item, WebhookEvent
from tests.helpers import LOGIN_REQUIRED, URL, item_webhook, pretty

pytestmark = pytest.mark.django_db

#: The order of P-256, the group ES256 signs in.
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551


def sync_webhook(item):
    return {
        "webhook_type": "TRANSACTIONS",
        "webhook_code": "SYNC_UPDATES_AVAILABLE",
        "item_id": item.item_id,
        "initial_update_complete": True,
        "historical_update_complete": True,
        "environment": "sandbox",
    }


def malleated(token: str) -> str:
    """The same ECDSA signature in its other valid form, (r, n - s): a different string."""
    head, _, signature = token.rpartition(".")
    raw = base64url_decode(signature.encode())
    r, s = raw[:32], int.from_bytes(raw[32:], "big")
    flipped = r + (P256_ORDER - s).to_bytes(32, "big")
    return f"{head}.{base64url_encode(flipped).decode()}"


def test_a_replayed_jwt_is_stored_and_processed_once(deliver, item, emulator):
    body = pretty(sync_webhook(item))
    token = emulator.sign_webhook(body)
    first = deliver(body, token=token)
    assert first.status_code == 200
    syncs = Item.objects.get(pk=item.pk).sync_requested
    for _ in range(20):
        again = deliver(body, token=token)
        # A replay gets the first delivery's answer: already received, nothing new stored.
        assert again.status_code == 200
        assert again.json() == {"received": True, "id": first.json()["id"], "replay": True}
    assert WebhookEvent.objects.count() == 1
    assert Item.objects.get(pk=item.pk).sync_requested == syncs


def test_a_replayed_error_does_not_break_a_repaired_item(deliver, item, emulator):
    error = pretty(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    token = emulator.sign_webhook(error)
    assert deliver(error, token=token).status_code == 200
    assert deliver(item_webhook(item, "LOGIN_REPAIRED")).status_code == 200
    assert Item.objects.get(pk=item.pk).status == "healthy"

    deliver(error, token=token)  # the attacker replays the old ERROR within the age window

    assert Item.objects.get(pk=item.pk).status == "healthy"
    assert WebhookEvent.objects.filter(webhook_code="ERROR").count() == 1


def test_identical_bodies_under_different_jwts_stay_distinct_events(deliver, item):
    payload = sync_webhook(item)
    for _ in range(3):
        assert deliver(payload).json().get("replay") is None
    assert WebhookEvent.objects.count() == 3


def test_a_malleated_signature_is_the_same_delivery(deliver, item, emulator):
    """ECDSA's (r, s) and (r, n - s) both verify: re-encoding the signature is no new JWT."""
    body = pretty(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    token = emulator.sign_webhook(body)
    assert deliver(body, token=token).status_code == 200
    twin = malleated(token)
    assert twin != token
    assert deliver(body, token=twin).json()["replay"] is True
    assert deliver(body, token=token + "==").json()["replay"] is True  # padded base64
    assert WebhookEvent.objects.count() == 1


def test_a_replay_is_logged_as_a_security_event(deliver, item, emulator, caplog):
    body = pretty(sync_webhook(item))
    token = emulator.sign_webhook(body)
    deliver(body, token=token)
    deliver(body, token=token)
    (record,) = [r for r in caplog.records if r.name.startswith("django.security")]
    assert "replay" in record.getMessage()
    assert token not in record.getMessage()


def test_unverified_deliveries_cannot_be_told_apart(deliver, item, settings):
    """With verification off there is no signed JWT to recognise: each POST is stored."""
    settings.PLAID = {**settings.PLAID, "WEBHOOK_VERIFY": False}
    body = pretty(sync_webhook(item))
    deliver(body, sign=False)
    deliver(body, sign=False)
    assert WebhookEvent.objects.count() == 2
    assert set(WebhookEvent.objects.values_list("jwt_sha256", flat=True)) == {None}


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("atomic_requests", [False, True])
def test_concurrent_replays_store_exactly_one_event(emulator, link, user, atomic_requests):
    """Twelve threads post the same signed delivery at once: one event, eleven replays.

    On PostgreSQL without ATOMIC_REQUESTS this is the one-statement intake; with it (and
    on SQLite) the savepoint path. Run with DATABASE_URL set for the PostgreSQL proof.
    """
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(user)
    item = Item.objects.get(item_id=link(api)["item_id"])
    body = pretty(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    token = emulator.sign_webhook(body)
    answers, errors = [], []
    start = threading.Barrier(12)

    def post():
        from django.db import connections

        connections["default"].settings_dict["ATOMIC_REQUESTS"] = atomic_requests
        try:
            start.wait(10)
            response = Client().post(
                URL, body, content_type="application/json", HTTP_PLAID_VERIFICATION=token
            )
            answers.append((response.status_code, response.json()))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connections["default"].settings_dict["ATOMIC_REQUESTS"] = False
            connections.close_all()

    threads = [threading.Thread(target=post) for _ in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert errors == []
    assert [status for status, _ in answers] == [200] * 12
    assert sum(1 for _, answer in answers if not answer.get("replay")) == 1
    assert len({answer["id"] for _, answer in answers}) == 1
    assert WebhookEvent.objects.count() == 1
    deadline = time.monotonic() + 10
    while WebhookEvent.objects.filter(status="pending").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert Item.objects.get(pk=item.pk).status == "login_required"


def test_the_jwt_hash_is_on_the_admin_page(deliver, item, emulator, admin_client):
    deliver(sync_webhook(item))
    event = WebhookEvent.objects.get()
    page = admin_client.get(f"/admin/django_plaid/webhookevent/{event.pk}/change/").content
    assert event.jwt_sha256.encode() in page
