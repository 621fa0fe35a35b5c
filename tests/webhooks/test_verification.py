"""Forged and damaged deliveries are rejected, each leaving nothing stored or processed."""

import base64
import hashlib
import hmac
import json
import time

import pytest
from cryptography.hazmat.primitives import serialization

from django_plaid.models import Item, WebhookEvent
from django_plaid.testing.webhooks import WebhookSigningKey, sign_webhook
from tests.helpers import LOGIN_REQUIRED, item_webhook, pretty

pytestmark = pytest.mark.django_db


@pytest.fixture
def payload(item):
    return item_webhook(item, "ERROR", error=LOGIN_REQUIRED)


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def claims_for(body: bytes, iat: int | None = None) -> dict:
    return {"iat": iat or int(time.time()), "request_body_sha256": hashlib.sha256(body).hexdigest()}


def assert_rejected(response, item, reason=None):
    assert response.status_code == 400, response.content
    assert response.json()["error"] == "verification_failed"
    if reason:
        assert response.json()["reason"] == reason
    assert WebhookEvent.objects.count() == 0
    item.refresh_from_db()
    assert item.status == "healthy"


def test_a_valid_delivery_is_stored_and_processed(deliver, payload, item):
    response = deliver(payload)
    assert response.status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "processed"
    assert event.body == pretty(payload).decode()
    assert event.body_sha256 == hashlib.sha256(pretty(payload)).hexdigest()
    assert (event.webhook_type, event.webhook_code, event.item_id) == (
        "ITEM",
        "ERROR",
        item.item_id,
    )
    item.refresh_from_db()
    assert item.status == "login_required"


def test_no_header(deliver, payload, item):
    assert_rejected(deliver(payload, sign=False), item, "missing_header")


def test_alg_none(deliver, payload, item, emulator):
    body = pretty(payload)
    header = {"alg": "none", "typ": "JWT", "kid": emulator.webhook_kid}
    token = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims_for(body)).encode())}."
    assert_rejected(deliver(body, token=token), item, "bad_algorithm")


def test_hs256_signed_with_the_public_key(deliver, payload, item, emulator):
    """The classic key-confusion forgery: HMAC keyed with the (public) verification key."""
    body = pretty(payload)
    public_pem = emulator.webhook_public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    header = {"alg": "HS256", "typ": "JWT", "kid": emulator.webhook_kid}
    signing_input = (
        f"{b64(json.dumps(header).encode())}.{b64(json.dumps(claims_for(body)).encode())}"
    )
    signature = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    token = f"{signing_input}.{b64(signature)}"
    assert_rejected(deliver(body, token=token), item, "bad_algorithm")


def test_the_wrong_key(deliver, payload, item, emulator):
    body = pretty(payload)
    impostor = WebhookSigningKey.generate()
    impostor.kid = emulator.webhook_kid  # claims to be Plaid's key
    assert_rejected(deliver(body, token=sign_webhook(body, impostor)), item, "bad_signature")


def test_an_unknown_kid(deliver, payload, item):
    body = pretty(payload)
    stranger = WebhookSigningKey.generate()
    assert_rejected(deliver(body, token=sign_webhook(body, stranger)), item, "unknown_kid")


def test_an_expired_key(deliver, payload, item, emulator):
    old_kid = emulator.webhook_kid
    emulator.rotate_webhook_key()
    assert_rejected(deliver(payload, kid=old_kid), item, "expired_key")


def test_a_key_rotated_after_it_was_cached(deliver, payload, item, emulator):
    old_kid = emulator.webhook_kid
    ping = item_webhook(item, "WEBHOOK_UPDATE_ACKNOWLEDGED", new_webhook_url="https://a.example/")
    assert deliver(ping).status_code == 200  # the old key is now cached as current
    emulator.rotate_webhook_key()
    assert deliver(ping).status_code == 200  # a new kid: the cached keys are refreshed
    WebhookEvent.objects.all().delete()
    assert_rejected(deliver(payload, kid=old_kid), item, "expired_key")


def test_a_tampered_body(deliver, payload, item, emulator):
    body = pretty(payload)
    token = emulator.sign_webhook(body)
    tampered = body.replace(b"ITEM_LOGIN_REQUIRED", b"ITEM_LOGIN_REQUIREX")
    assert_rejected(deliver(tampered, token=token), item, "body_mismatch")


def test_a_reserialized_body(deliver, payload, item, emulator):
    token = emulator.sign_webhook(pretty(payload))
    compact = json.dumps(payload).encode()
    assert_rejected(deliver(compact, token=token), item, "body_mismatch")


def test_a_stale_iat(deliver, payload, item):
    assert_rejected(deliver(payload, iat=int(time.time()) - 301), item, "stale")


def test_a_future_iat(deliver, payload, item):
    assert_rejected(deliver(payload, iat=int(time.time()) + 120), item, "future_iat")


def test_the_wrong_environment(deliver, payload, item):
    assert_rejected(deliver({**payload, "environment": "production"}), item, "wrong_environment")


def test_a_body_that_is_not_json(deliver, item):
    assert_rejected(deliver(b"webhook_type=ITEM&webhook_code=ERROR"), item, "not_json")


def test_json_that_is_not_a_webhook(deliver, item):
    assert_rejected(deliver(b'["ITEM", "ERROR"]'), item, "not_a_webhook")


def test_an_oversized_body(deliver, payload, item, settings):
    settings.PLAID = {**settings.PLAID, "WEBHOOK_MAX_BODY_BYTES": 1024}
    big = pretty({**payload, "padding": "x" * 2000})
    assert_rejected(deliver(big), item, "too_large")


def test_a_body_over_djangos_own_limit_is_json_too(deliver, payload, item, settings):
    # DATA_UPLOAD_MAX_MEMORY_SIZE below WEBHOOK_MAX_BODY_BYTES: Django refuses to read
    # the body, and the answer is still the endpoint's JSON, not Django's HTML page.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    big = pretty({**payload, "padding": "x" * 2000})
    assert_rejected(deliver(big), item, "too_large")


def test_a_malformed_jwt(deliver, payload, item):
    assert_rejected(deliver(payload, token="not.a.jwt"), item, "malformed_jwt")


def test_rejections_are_logged_as_security_events(deliver, payload, item, caplog):
    deliver(payload, sign=False)
    (record,) = [r for r in caplog.records if r.name.startswith("django.security")]
    assert "missing_header" in record.getMessage()


def test_only_post_is_allowed(csrf_client):
    assert csrf_client.get("/plaid/webhook/").status_code == 405


def test_a_burst_with_a_new_key_fetches_it_once(deliver, payload, item, emulator):
    fetches = []

    def count(call):
        if call.path == "/webhook_verification_key/get":
            fetches.append(call)

    emulator.app.hooks.append(count)
    try:
        for _ in range(5):
            assert deliver(payload).status_code == 200
    finally:
        emulator.app.hooks.remove(count)
    assert len(fetches) == 1
    assert WebhookEvent.objects.count() == 5


def test_verification_can_be_turned_off(deliver, payload, item, settings):
    settings.PLAID = {**settings.PLAID, "WEBHOOK_VERIFY": False}
    response = deliver(payload, sign=False)
    assert response.status_code == 200
    assert WebhookEvent.objects.get().verified is False
    assert Item.objects.get(pk=item.pk).status == "login_required"


def test_a_kid_that_is_not_plaids_shape(deliver, payload, item):
    body = pretty(payload)
    key = WebhookSigningKey.generate()
    key.kid = "a-kid\n"
    assert_rejected(deliver(body, token=sign_webhook(body, key)), item, "bad_kid")


def test_plaid_unreachable_for_the_key(deliver, payload, item, settings):
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    assert_rejected(deliver(payload), item, "key_unavailable")


def test_a_utf16_body_is_not_json(deliver, item, settings):
    settings.PLAID = {**settings.PLAID, "WEBHOOK_VERIFY": False}
    body = '{"webhook_type": "ITEM", "webhook_code": "ERROR"}'.encode("utf-16")
    assert_rejected(deliver(body, sign=False), item, "not_json")
