"""Webhooks: signing keys, signed deliveries with retries, and the endpoints that send them."""

from __future__ import annotations

import hashlib
import json
import logging
import socket
import time
from datetime import datetime, timedelta, timezone

import jwt
import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_webhook_update_request import ItemWebhookUpdateRequest
from plaid.model.products import Products
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_fire_webhook_request_options import (
    SandboxItemFireWebhookRequestOptions,
)
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.webhook_type import WebhookType
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from django_plaid.emulator import Delivery, Emulator
from django_plaid.testing.webhooks import WebhookSigningKey, sign_webhook, webhook_body

from . import make_api, plaid_failure, post

LOGIN_REQUIRED_ERROR = {
    "error_type": "ITEM_ERROR",
    "error_code": "ITEM_LOGIN_REQUIRED",
    "error_code_reason": None,
    "error_message": "the login details of this item have changed (credentials, MFA, or "
    "required user action) and a user login is required to update this information. use "
    "Link's update mode to restore the item to a good state",
    "display_message": "We're unable to update your account information. Please log in again.",
    "status": 400,
}


def new_item(api, products=("transactions",), webhook=None, institution_id="ins_109508"):
    """Create and exchange a sandbox Item; return (access_token, item_id)."""
    request = SandboxPublicTokenCreateRequest(
        institution_id=institution_id, initial_products=[Products(p) for p in products]
    )
    if webhook is not None:
        request.options = SandboxPublicTokenCreateRequestOptions(webhook=webhook)
    public_token = api.sandbox_public_token_create(request).public_token
    exchanged = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=public_token)
    )
    return exchanged.access_token, exchanged.item_id


def fire(api, access_token, code, webhook_type=None, **options):
    request = SandboxItemFireWebhookRequest(access_token=access_token, webhook_code=code)
    if webhook_type is not None:
        request.webhook_type = WebhookType(webhook_type)
    if options:
        request.options = SandboxItemFireWebhookRequestOptions(**options)
    return api.sandbox_item_fire_webhook(request)


def fetch_jwk(api, kid):
    key = api.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=kid)).key
    return key.to_dict()


def verify(api, received):
    """Verify a received delivery as an app must (plaid-api.md §6); return the claims."""
    token = received.headers["plaid-verification"]
    header = jwt.get_unverified_header(token)
    assert header["alg"] == "ES256"
    assert header["typ"] == "JWT"
    jwk = fetch_jwk(api, header["kid"])
    assert jwk["expired_at"] is None
    claims = jwt.decode(token, jwt.PyJWK(jwk).key, algorithms=["ES256"])
    assert claims["request_body_sha256"] == hashlib.sha256(received.body).hexdigest()
    assert abs(claims["iat"] - time.time()) < 60
    return claims


# -- the generic signing helper -----------------------------------------------------------------


def test_signing_key_and_jwk():
    key = WebhookSigningKey.generate()
    jwk = key.jwk()
    assert set(jwk) == {"alg", "crv", "kid", "kty", "use", "x", "y", "created_at", "expired_at"}
    assert (jwk["alg"], jwk["crv"], jwk["kty"], jwk["use"]) == ("ES256", "P-256", "EC", "sig")
    assert jwk["kid"] == key.kid
    assert len(key.kid) == 36
    # 32 bytes of base64url without padding is 43 characters.
    assert len(jwk["x"]) == len(jwk["y"]) == 43
    assert "=" not in jwk["x"] + jwk["y"]
    assert isinstance(jwk["created_at"], int)
    assert jwk["expired_at"] is None
    assert key.jwk(expired_at=123)["expired_at"] == 123
    assert "private_key" not in repr(key)


def test_sign_webhook_matches_plaids_recipe():
    key = WebhookSigningKey.generate()
    payload = {"webhook_type": "ITEM", "webhook_code": "LOGIN_REPAIRED", "item_id": "x"}
    body = webhook_body(payload)
    assert body == json.dumps(payload, indent=2).encode()
    token = sign_webhook(body, key, iat=1_700_000_000)
    assert jwt.get_unverified_header(token) == {"alg": "ES256", "kid": key.kid, "typ": "JWT"}
    claims = jwt.decode(
        token, jwt.PyJWK(key.jwk()).key, algorithms=["ES256"], options={"verify_iat": False}
    )
    assert claims == {
        "iat": 1_700_000_000,
        "request_body_sha256": hashlib.sha256(body).hexdigest(),
    }
    assert (
        abs(jwt.decode(key.sign(body), key.public_key, algorithms=["ES256"])["iat"] - time.time())
        < 5
    )
    other = WebhookSigningKey.generate()
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(token, other.public_key, algorithms=["ES256"], options={"verify_iat": False})


# -- /webhook_verification_key/get and rotation -------------------------------------------------


def test_verification_key_get(api, plaid_emulator):
    kid = plaid_emulator.webhook_key_id
    key = fetch_jwk(api, kid)
    assert key == plaid_emulator.webhook_jwk()
    assert key["kid"] == kid
    assert abs(key["created_at"] - time.time()) < 3600
    status, error = plaid_failure(
        lambda: api.webhook_verification_key_get(
            WebhookVerificationKeyGetRequest(key_id="6c5516e1-92dc-479e-a8ff-5a51992e0001")
        )
    )
    assert (status, error.error_type.value, error.error_code) == (
        400,
        "INVALID_INPUT",
        "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
    )
    status, _, body = post(plaid_emulator, "/webhook_verification_key/get", {})
    assert (status, body["error_code"]) == (400, "MISSING_FIELDS")


def test_sign_webhook_verifies_with_published_key(api, plaid_emulator):
    body = b'{"anything": "at all"}'
    token = plaid_emulator.sign_webhook(body)
    kid = jwt.get_unverified_header(token)["kid"]
    assert kid == plaid_emulator.webhook_key_id
    claims = jwt.decode(token, jwt.PyJWK(fetch_jwk(api, kid)).key, algorithms=["ES256"])
    assert claims["request_body_sha256"] == hashlib.sha256(body).hexdigest()
    old = plaid_emulator.sign_webhook(body, iat=1000)
    assert jwt.decode(old, options={"verify_signature": False})["iat"] == 1000
    with pytest.raises(KeyError):
        plaid_emulator.sign_webhook(body, kid="no-such-kid")


def test_rotation(api, plaid_emulator, receiver):
    old_kid = plaid_emulator.webhook_key_id
    before = int(time.time())
    new_kid = plaid_emulator.rotate_webhook_key()
    assert new_kid != old_kid
    assert plaid_emulator.webhook_key_id == new_kid
    old = fetch_jwk(api, old_kid)
    assert before <= old["expired_at"] <= int(time.time())
    assert fetch_jwk(api, new_kid)["expired_at"] is None
    # The old key still signs on request (to test that receivers refuse it).
    token = plaid_emulator.sign_webhook(b"{}", kid=old_kid)
    assert jwt.get_unverified_header(token)["kid"] == old_kid
    jwt.decode(token, jwt.PyJWK(old).key, algorithms=["ES256"])
    # Deliveries use the new key.
    plaid_emulator.send_webhook(receiver.url(), {"webhook_type": "X", "webhook_code": "Y"})
    plaid_emulator.wait_for_webhooks()
    header = jwt.get_unverified_header(receiver.received[0].headers["plaid-verification"])
    assert header["kid"] == new_kid
    verify(api, receiver.received[0])
    assert fetch_jwk(api, old_kid)["expired_at"] == old["expired_at"]


def test_reset_renews_the_keys(api, plaid_emulator):
    first = plaid_emulator.webhook_key_id
    plaid_emulator.rotate_webhook_key()
    plaid_emulator.reset()
    fresh = plaid_emulator.webhook_key_id
    assert fresh != first
    assert fetch_jwk(api, fresh)["expired_at"] is None
    assert plaid_emulator.state.webhook_keys.kids == [fresh]
    status, _ = plaid_failure(
        lambda: api.webhook_verification_key_get(WebhookVerificationKeyGetRequest(key_id=first))
    )
    assert status == 400


def test_rotation_endpoint(api, plaid_emulator):
    old_kid = plaid_emulator.webhook_key_id
    status, _, body = post(plaid_emulator, "/emulator/webhook_key/rotate", credentials=False)
    assert status == 200
    assert body["key"]["kid"] == plaid_emulator.webhook_key_id != old_kid
    assert body["key"]["expired_at"] is None
    assert body["expired_key"]["kid"] == old_kid
    assert isinstance(body["expired_key"]["expired_at"], int)
    assert fetch_jwk(api, old_kid) == body["expired_key"]


# -- delivery ----------------------------------------------------------------------------------


def test_send_webhook_delivers_signed_pretty_json(api, plaid_emulator, receiver):
    payload = {"webhook_type": "ITEM", "webhook_code": "LOGIN_REPAIRED", "item_id": "abc"}
    delivery = plaid_emulator.send_webhook(receiver.url("/hooks/plaid?x=1"), payload)
    assert isinstance(delivery, Delivery)
    deliveries = plaid_emulator.wait_for_webhooks()
    assert deliveries == [delivery]
    assert plaid_emulator.deliveries == [delivery]
    assert delivery.delivered
    assert not delivery.gave_up
    assert delivery.attempts == 1
    assert delivery.status_codes == [200]
    assert delivery.payload == payload
    assert delivery.body == json.dumps(payload, indent=2).encode()
    assert (delivery.webhook_type, delivery.webhook_code) == ("ITEM", "LOGIN_REPAIRED")
    [received] = receiver.received
    assert received.path == "/hooks/plaid?x=1"
    assert received.body == delivery.body
    assert received.headers["content-type"] == "application/json"
    assert received.headers["plaid-verification"] == delivery.signatures[0]
    verify(api, received)
    assert "delivered" in repr(delivery)


def test_retry_after_500_then_success(api, plaid_emulator, receivers):
    receiver = receivers(statuses=[500])
    started = time.monotonic()
    delivery = plaid_emulator.send_webhook(
        receiver.url(), {"webhook_type": "A", "webhook_code": "B"}
    )
    plaid_emulator.wait_for_webhooks()
    # The first retry waits the first configured delay (0.2 s), not Plaid's 30 s.
    assert 0.2 <= time.monotonic() - started < 5
    assert delivery.delivered
    assert delivery.attempts == 2
    assert delivery.status_codes == [500, 200]
    assert len(receiver.received) == 2
    assert [r.body for r in receiver.received] == [delivery.body] * 2
    # Each attempt carries its own (re-made) signature; both verify.
    assert delivery.signatures[0] != delivery.signatures[1]
    for received in receiver.received:
        verify(api, received)


def test_gives_up_after_the_retry_delays(fast_emulator, receivers):
    receiver = receivers(default=503)
    delivery = fast_emulator.send_webhook(
        receiver.url(), {"webhook_type": "A", "webhook_code": "B"}
    )
    assert fast_emulator.wait_for_webhooks(timeout=5) == [delivery]
    assert delivery.gave_up
    assert not delivery.delivered
    assert delivery.attempts == 4  # the first attempt plus one per delay
    assert delivery.status_codes == [503] * 4
    assert len(receiver.received) == 4
    assert "gave up" in repr(delivery)


def test_connection_errors_are_retried(fast_emulator):
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    delivery = fast_emulator.send_webhook(f"http://127.0.0.1:{port}/hook", {"webhook_code": "X"})
    fast_emulator.wait_for_webhooks(timeout=5)
    assert delivery.gave_up
    assert delivery.status_codes == [None] * 4
    assert len(delivery.errors) == 4
    assert "Connection" in delivery.errors[0] or "refused" in delivery.errors[0]


def test_deliveries_to_one_receiver_keep_their_order(plaid_emulator, receiver):
    for n in range(10):
        plaid_emulator.send_webhook(receiver.url(), {"webhook_code": "N", "n": n})
    plaid_emulator.wait_for_webhooks()
    assert [json.loads(r.body)["n"] for r in receiver.received] == list(range(10))


def test_hold_webhooks_and_wait_timeout(plaid_emulator, receiver):
    with plaid_emulator.hold_webhooks():
        delivery = plaid_emulator.send_webhook(receiver.url(), {"webhook_code": "X"})
        with pytest.raises(TimeoutError, match="1 webhook deliveries still pending"):
            plaid_emulator.wait_for_webhooks(timeout=0.1)
        assert not receiver.received
        assert delivery.pending
    plaid_emulator.wait_for_webhooks()
    assert delivery.delivered
    assert len(receiver.received) == 1


def test_send_webhooks_off_records_only(plaid_emulator, receiver):
    plaid_emulator.send_webhooks = False
    delivery = plaid_emulator.send_webhook(receiver.url(), {"webhook_code": "X"})
    assert plaid_emulator.wait_for_webhooks(timeout=1) == [delivery]
    assert delivery.suppressed
    assert delivery.attempts == 0
    assert not delivery.pending
    assert "suppressed" in repr(delivery)
    time.sleep(0.05)
    assert not receiver.received
    plaid_emulator.reset()
    assert plaid_emulator.send_webhooks is True


def test_constructor_switch_and_state_reuse(receiver):
    with Emulator(send_webhooks=False) as emulator:
        emulator.send_webhook(receiver.url(), {"webhook_code": "X"})
        assert emulator.deliveries[0].suppressed
        emulator.reset()
        assert emulator.send_webhooks is False
        emulator.send_webhooks = True
        emulator.send_webhook(receiver.url(), {"webhook_code": "Y"})
        assert emulator.wait_for_webhooks()[0].delivered


def test_reset_clears_and_cancels(plaid_emulator, receiver):
    with plaid_emulator.hold_webhooks():
        pending = plaid_emulator.send_webhook(receiver.url(), {"webhook_code": "X"})
        assert post(plaid_emulator, "/emulator/reset", {}, credentials=False)[0] == 200
    assert plaid_emulator.deliveries == []
    assert pending.gave_up
    assert plaid_emulator.wait_for_webhooks(timeout=0.1) == []
    time.sleep(0.05)
    assert not receiver.received


def test_stop_pauses_delivery_until_start(receiver):
    emulator = Emulator().start()
    try:
        emulator.stop()
        delivery = emulator.send_webhook(receiver.url(), {"webhook_code": "X"})
        time.sleep(0.05)
        assert delivery.pending
        emulator.start()
        emulator.wait_for_webhooks()
        assert delivery.delivered
    finally:
        emulator.stop()


def test_webhook_delay(receiver):
    with Emulator(webhook_delay=0.2) as emulator:
        started = time.monotonic()
        emulator.send_webhook(receiver.url(), {"webhook_code": "X"})
        emulator.wait_for_webhooks()
        assert time.monotonic() - started >= 0.2


# -- what Items get --------------------------------------------------------------------------


def test_exchange_sends_initial_and_historical_update(api, plaid_emulator, receiver):
    access_token, item_id = new_item(api, webhook=receiver.url())
    deliveries = plaid_emulator.wait_for_webhooks()
    assert [(d.webhook_type, d.webhook_code) for d in deliveries] == [
        ("TRANSACTIONS", "INITIAL_UPDATE"),
        ("TRANSACTIONS", "HISTORICAL_UPDATE"),
    ]
    # The counts are the Item's: the last 30 days, then the whole history.
    truth = plaid_emulator.transactions_truth(item_id)
    since = (plaid_emulator.state.now().date() - timedelta(days=29)).isoformat()
    counts = [sum(1 for t in truth.values() if t["date"] >= since), len(truth)]
    assert 0 < counts[0] < counts[1]
    for delivery, count in zip(deliveries, counts, strict=True):
        assert delivery.delivered
        assert delivery.url == receiver.url()
        assert delivery.payload == {
            "webhook_type": "TRANSACTIONS",
            "webhook_code": delivery.webhook_code,
            "item_id": item_id,
            "new_transactions": count,
            "error": None,
            "environment": "sandbox",
        }
    assert [json.loads(r.body)["webhook_code"] for r in receiver.received] == [
        "INITIAL_UPDATE",
        "HISTORICAL_UPDATE",
    ]
    for received in receiver.received:
        verify(api, received)
    status = api.item_get(ItemGetRequest(access_token=access_token)).status
    assert status.last_webhook.code_sent == "HISTORICAL_UPDATE"
    assert status.last_webhook.sent_at.tzinfo is not None


def test_exchange_without_transactions_or_url_sends_nothing(api, plaid_emulator, receiver):
    new_item(api, products=("auth",), webhook=receiver.url())
    access_token, _ = new_item(api)
    assert plaid_emulator.wait_for_webhooks() == []
    assert api.item_get(ItemGetRequest(access_token=access_token)).status.last_webhook is None


def test_command_line_switch():
    from django_plaid.emulator.__main__ import _parser

    assert _parser().parse_args(["--no-webhooks"]).no_webhooks is True
    assert _parser().parse_args([]).no_webhooks is False


def test_link_token_webhook_is_used(api, plaid_emulator, receiver):
    from .test_link import link_token_request

    token = api.link_token_create(link_token_request(webhook=receiver.url())).link_token
    status, _, answer = post(
        plaid_emulator, "/emulator/link/complete", {"link_token": token}, credentials=False
    )
    assert status == 200
    api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=answer["public_token"])
    )
    assert len(plaid_emulator.wait_for_webhooks()) == 2
    assert all(r.path == "/plaid/webhook" for r in receiver.received)


def test_update_mode_repair_sends_no_login_repaired(api, plaid_emulator, receiver):
    from .test_link import link_token_request

    access_token, _ = new_item(api, webhook=receiver.url())
    api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    plaid_emulator.wait_for_webhooks()
    request = link_token_request(products=None, access_token=access_token)
    token = api.link_token_create(request).link_token
    status, _, _ = post(
        plaid_emulator, "/emulator/link/complete", {"link_token": token}, credentials=False
    )
    assert status == 200
    assert api.item_get(ItemGetRequest(access_token=access_token)).item.error is None
    codes = [d.webhook_code for d in plaid_emulator.wait_for_webhooks()]
    assert codes == ["INITIAL_UPDATE", "HISTORICAL_UPDATE", "ERROR"]


# -- /sandbox/item/reset_login --------------------------------------------------------------------


def test_reset_login(api, plaid_emulator, receiver):
    access_token, item_id = new_item(api, webhook=receiver.url())
    plaid_emulator.wait_for_webhooks()
    response = api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    assert response.reset_login is True
    delivery = plaid_emulator.wait_for_webhooks()[-1]
    assert delivery.payload == {
        "webhook_type": "ITEM",
        "webhook_code": "ERROR",
        "item_id": item_id,
        "error": LOGIN_REQUIRED_ERROR,
        "environment": "sandbox",
    }
    verify(api, receiver.received[-1])
    status, error = plaid_failure(
        lambda: api.accounts_get(AccountsGetRequest(access_token=access_token))
    )
    assert (status, error.error_type.value, error.error_code) == (
        400,
        "ITEM_ERROR",
        "ITEM_LOGIN_REQUIRED",
    )
    got = api.item_get(ItemGetRequest(access_token=access_token))
    assert got.item.error.error_code == "ITEM_LOGIN_REQUIRED"
    assert got.item.error.status == 400
    assert got.status.last_webhook.code_sent == "ERROR"
    assert got.status.transactions.last_failed_update is not None


def test_reset_login_without_webhook(api, plaid_emulator):
    access_token, _ = new_item(api)
    api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    assert plaid_emulator.deliveries == []
    status, error = plaid_failure(
        lambda: api.accounts_get(AccountsGetRequest(access_token=access_token))
    )
    assert error.error_code == "ITEM_LOGIN_REQUIRED"
    status, _, body = post(plaid_emulator, "/sandbox/item/reset_login", {"access_token": "x"})
    assert (status, body["error_code"]) == (400, "INVALID_ACCESS_TOKEN")


# -- /item/webhook/update ------------------------------------------------------------------------


def test_webhook_update_acknowledges_to_the_new_url(api, plaid_emulator, receivers):
    old, new = receivers(), receivers()
    access_token, item_id = new_item(api, products=("auth",), webhook=old.url())
    response = api.item_webhook_update(
        ItemWebhookUpdateRequest(access_token=access_token, webhook=new.url("/new"))
    )
    assert response.item.webhook == new.url("/new")
    [delivery] = plaid_emulator.wait_for_webhooks()
    assert delivery.url == new.url("/new")
    assert delivery.payload == {
        "webhook_type": "ITEM",
        "webhook_code": "WEBHOOK_UPDATE_ACKNOWLEDGED",
        "item_id": item_id,
        "new_webhook_url": new.url("/new"),
        "error": None,
        "environment": "sandbox",
    }
    assert not old.received
    assert len(new.received) == 1
    verify(api, new.received[0])
    # Later webhooks go to the new URL too.
    fire(api, access_token, "LOGIN_REPAIRED")
    plaid_emulator.wait_for_webhooks()
    assert [json.loads(r.body)["webhook_code"] for r in new.received] == [
        "WEBHOOK_UPDATE_ACKNOWLEDGED",
        "LOGIN_REPAIRED",
    ]
    assert api.item_get(ItemGetRequest(access_token=access_token)).item.webhook == new.url("/new")


def test_webhook_update_removal_and_validation(api, plaid_emulator, receiver):
    access_token, _ = new_item(api, products=("auth",), webhook=receiver.url())
    response = api.item_webhook_update(ItemWebhookUpdateRequest(access_token=access_token))
    assert response.item.webhook is None
    assert plaid_emulator.deliveries == []
    status, _, body = post(
        plaid_emulator, "/item/webhook/update", {"access_token": access_token, "webhook": "nope"}
    )
    assert (status, body["error_code"]) == (400, "INVALID_FIELD")
    status, _, body = post(plaid_emulator, "/item/webhook/update", {"webhook": "https://x.y/"})
    assert (status, body["error_code"]) == (400, "MISSING_FIELDS")
    status, error = plaid_failure(lambda: fire(api, access_token, "LOGIN_REPAIRED"))
    assert (status, error.error_type.value, error.error_code) == (
        400,
        "SANDBOX_ERROR",
        "SANDBOX_WEBHOOK_INVALID",
    )


# -- /sandbox/item/fire_webhook -----------------------------------------------------------------

ALL_PRODUCTS = ("transactions", "auth", "identity", "investments", "liabilities", "assets")


@pytest.fixture
def full_item(api, plaid_emulator, receiver):
    """An Item with every webhook-bearing product and a receiver; link webhooks drained."""
    access_token, item_id = new_item(api, products=ALL_PRODUCTS, webhook=receiver.url())
    plaid_emulator.wait_for_webhooks()
    return access_token, item_id, plaid_emulator.state.items[item_id]


def last_payload(plaid_emulator):
    return plaid_emulator.wait_for_webhooks()[-1].payload


@pytest.mark.parametrize(
    ("code", "webhook_type", "expected_type", "keys"),
    [
        ("DEFAULT_UPDATE", None, "TRANSACTIONS", {"new_transactions", "error"}),
        ("DEFAULT_UPDATE", "TRANSACTIONS", "TRANSACTIONS", {"new_transactions", "error"}),
        (
            "DEFAULT_UPDATE",
            "AUTH",
            "AUTH",
            {"account_ids_with_new_auth", "account_ids_with_updated_auth", "error"},
        ),
        ("DEFAULT_UPDATE", "HOLDINGS", "HOLDINGS", {"new_holdings", "updated_holdings", "error"}),
        (
            "DEFAULT_UPDATE",
            "INVESTMENTS_TRANSACTIONS",
            "INVESTMENTS_TRANSACTIONS",
            {"new_investments_transactions", "cancelled_investments_transactions", "error"},
        ),
        (
            "DEFAULT_UPDATE",
            "LIABILITIES",
            "LIABILITIES",
            {"account_ids_with_new_liabilities", "account_ids_with_updated_liabilities", "error"},
        ),
        ("DEFAULT_UPDATE", "IDENTITY", "IDENTITY", {"account_ids_with_updated_identity", "error"}),
        ("NEW_ACCOUNTS_AVAILABLE", None, "ITEM", {"error"}),
        ("SMS_MICRODEPOSITS_VERIFICATION", None, "AUTH", {"account_id", "status"}),
        ("USER_PERMISSION_REVOKED", None, "ITEM", {"error"}),
        ("USER_ACCOUNT_REVOKED", "ITEM", "ITEM", {"account_id"}),
        ("PENDING_DISCONNECT", None, "ITEM", {"reason", "disconnect_time"}),
        ("LOGIN_REPAIRED", "ITEM", "ITEM", set()),
        (
            "SYNC_UPDATES_AVAILABLE",
            None,
            "TRANSACTIONS",
            {"initial_update_complete", "historical_update_complete"},
        ),
        ("RECURRING_TRANSACTIONS_UPDATE", None, "TRANSACTIONS", {"account_ids"}),
    ],
)
def test_fire_webhook_codes(
    api, plaid_emulator, full_item, receiver, code, webhook_type, expected_type, keys
):
    access_token, item_id, _ = full_item
    response = fire(api, access_token, code, webhook_type)
    assert response.webhook_fired is True
    delivery = plaid_emulator.wait_for_webhooks()[-1]
    assert delivery.delivered
    payload = delivery.payload
    assert set(payload) == {"webhook_type", "webhook_code", "item_id", "environment"} | keys
    assert (payload["webhook_type"], payload["webhook_code"]) == (expected_type, code)
    assert payload["item_id"] == item_id
    assert payload["environment"] == "sandbox"
    verify(api, receiver.received[-1])


@pytest.mark.parametrize("code", ["PRODUCT_READY", "ERROR"])
def test_fire_assets_webhooks(api, plaid_emulator, full_item, code):
    access_token, _, _ = full_item
    fire(api, access_token, code)
    payload = last_payload(plaid_emulator)
    assert (payload["webhook_type"], payload["webhook_code"]) == ("ASSETS", code)
    assert "item_id" not in payload
    assert len(payload["asset_report_id"]) == 36
    if code == "ERROR":
        assert payload["error"]["error_type"] == "ASSET_REPORT_ERROR"
    else:
        assert payload["report_type"] == "FULL"


def test_fire_default_update_counts_and_accounts(api, plaid_emulator, full_item):
    access_token, _, item = full_item
    fire(api, access_token, "DEFAULT_UPDATE", new_transactions=7)
    assert last_payload(plaid_emulator)["new_transactions"] == 7
    fire(api, access_token, "DEFAULT_UPDATE", "AUTH")
    auth = last_payload(plaid_emulator)
    [(account_id, changes)] = auth["account_ids_with_updated_auth"].items()
    by_id = {a.account_id: a for a in item.accounts}
    assert by_id[account_id].subtype == "checking"
    assert changes == ["account_number"]
    fire(api, access_token, "DEFAULT_UPDATE", "LIABILITIES")
    liabilities = last_payload(plaid_emulator)["account_ids_with_updated_liabilities"]
    assert all(by_id[a].type in ("credit", "loan") for a in liabilities)
    fire(api, access_token, "USER_ACCOUNT_REVOKED")
    assert last_payload(plaid_emulator)["account_id"] == item.accounts[0].account_id
    fire(api, access_token, "SMS_MICRODEPOSITS_VERIFICATION")
    sms = last_payload(plaid_emulator)
    assert by_id[sms["account_id"]].subtype == "checking"
    assert sms["status"] == "MANUALLY_VERIFIED"


def test_user_permission_revoked_then_login_repaired(api, plaid_emulator, full_item):
    access_token, _, _ = full_item
    fire(api, access_token, "USER_PERMISSION_REVOKED")
    error = last_payload(plaid_emulator)["error"]
    assert error["error_code"] == "USER_PERMISSION_REVOKED"
    assert error["error_type"] == "ITEM_ERROR"
    assert error["status"] == 400
    assert "request_id" not in error
    _, api_err = plaid_failure(
        lambda: api.accounts_get(AccountsGetRequest(access_token=access_token))
    )
    assert api_err.error_code == "USER_PERMISSION_REVOKED"
    assert (
        api.item_get(ItemGetRequest(access_token=access_token)).item.error.error_code
        == "USER_PERMISSION_REVOKED"
    )
    # LOGIN_REPAIRED brings the Item back, in the webhook and in the API alike.
    api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    fire(api, access_token, "LOGIN_REPAIRED")
    assert last_payload(plaid_emulator)["webhook_code"] == "LOGIN_REPAIRED"
    assert api.item_get(ItemGetRequest(access_token=access_token)).item.error is None
    api.accounts_get(AccountsGetRequest(access_token=access_token))


def test_pending_disconnect_and_expiration_times(api, plaid_emulator, full_item):
    access_token, _, _ = full_item
    plaid_emulator.state.advance_time(timedelta(days=3))
    expected = datetime.now(timezone.utc) + timedelta(days=10)
    fire(api, access_token, "PENDING_DISCONNECT")
    payload = last_payload(plaid_emulator)
    assert payload["reason"] == "INSTITUTION_TOKEN_EXPIRATION"
    disconnect = datetime.fromisoformat(payload["disconnect_time"].replace("Z", "+00:00"))
    assert abs(disconnect - expected) < timedelta(minutes=1)
    # PENDING_EXPIRATION is not in the SDK's enum for this request, so it goes raw.
    status, _, body = post(
        plaid_emulator,
        "/sandbox/item/fire_webhook",
        {"access_token": access_token, "webhook_code": "PENDING_EXPIRATION"},
    )
    assert (status, body["webhook_fired"]) == (200, True)
    payload = last_payload(plaid_emulator)
    assert (payload["webhook_type"], payload["webhook_code"]) == ("ITEM", "PENDING_EXPIRATION")
    expires = datetime.fromisoformat(payload["consent_expiration_time"].replace("Z", "+00:00"))
    assert abs(expires - expected) < timedelta(minutes=1)
    item = api.item_get(ItemGetRequest(access_token=access_token)).item
    assert item.consent_expiration_time == expires


def test_fire_webhook_needs_the_product(api, plaid_emulator, receiver):
    access_token, _ = new_item(api, webhook=receiver.url())
    cases = [
        ("DEFAULT_UPDATE", "AUTH"),
        ("DEFAULT_UPDATE", "IDENTITY"),
        ("DEFAULT_UPDATE", "HOLDINGS"),
        ("DEFAULT_UPDATE", "INVESTMENTS_TRANSACTIONS"),
        ("DEFAULT_UPDATE", "LIABILITIES"),
        ("SMS_MICRODEPOSITS_VERIFICATION", None),
        ("PRODUCT_READY", None),
        ("ERROR", None),
    ]
    for code, webhook_type in cases:
        status, error = plaid_failure(lambda c=code, t=webhook_type: fire(api, access_token, c, t))
        assert (status, error.error_type.value, error.error_code) == (
            400,
            "SANDBOX_ERROR",
            "SANDBOX_PRODUCT_NOT_ENABLED",
        ), (code, webhook_type)
    auth_token, _ = new_item(api, products=("auth",), webhook=receiver.url())
    for code in ("DEFAULT_UPDATE", "SYNC_UPDATES_AVAILABLE", "RECURRING_TRANSACTIONS_UPDATE"):
        _, error = plaid_failure(lambda c=code: fire(api, auth_token, c))
        assert error.error_code == "SANDBOX_PRODUCT_NOT_ENABLED"
    # ITEM webhooks need no product.
    fire(api, auth_token, "NEW_ACCOUNTS_AVAILABLE")


def test_fire_webhook_needs_a_url(api, plaid_emulator):
    access_token, _ = new_item(api)
    status, error = plaid_failure(lambda: fire(api, access_token, "DEFAULT_UPDATE"))
    assert (status, error.error_type.value, error.error_code) == (
        400,
        "SANDBOX_ERROR",
        "SANDBOX_WEBHOOK_INVALID",
    )
    assert plaid_emulator.deliveries == []


@pytest.mark.parametrize(
    ("body", "code", "text"),
    [
        ({"webhook_code": "DEFAULT_UPDATE"}, "MISSING_FIELDS", "access_token"),
        ({"access_token": "TOKEN"}, "MISSING_FIELDS", "webhook_code"),
        ({"access_token": "TOKEN", "webhook_code": "NOPE"}, "INVALID_FIELD", "webhook_code"),
        (
            {"access_token": "TOKEN", "webhook_code": "AUTHORIZATION_GRANTED"},
            "INVALID_FIELD",
            "webhook_code",
        ),
        (
            {"access_token": "TOKEN", "webhook_code": "DEFAULT_UPDATE", "webhook_type": "NOPE"},
            "INVALID_FIELD",
            "webhook_type",
        ),
        (
            {"access_token": "TOKEN", "webhook_code": "DEFAULT_UPDATE", "webhook_type": "ITEM"},
            "INVALID_FIELD",
            "webhook_type",
        ),
        (
            {"access_token": "TOKEN", "webhook_code": "ERROR", "webhook_type": "ITEM"},
            "INVALID_FIELD",
            "reset_login",
        ),
        (
            {"access_token": "TOKEN", "webhook_code": "LOGIN_REPAIRED", "webhook_type": "AUTH"},
            "INVALID_FIELD",
            "webhook_type",
        ),
        (
            {
                "access_token": "TOKEN",
                "webhook_code": "DEFAULT_UPDATE",
                "options": {"new_transactions": -1},
            },
            "INVALID_FIELD",
            "new_transactions",
        ),
        (
            {
                "access_token": "access-sandbox-00000000-0000-4000-8000-000000000000",
                "webhook_code": "DEFAULT_UPDATE",
            },
            "INVALID_ACCESS_TOKEN",
            "",
        ),
    ],
)
def test_fire_webhook_validation(api, plaid_emulator, full_item, body, code, text):
    access_token, _, _ = full_item
    if body.get("access_token") == "TOKEN":
        body = {**body, "access_token": access_token}
    before = len(plaid_emulator.deliveries)
    status, _, answer = post(plaid_emulator, "/sandbox/item/fire_webhook", body)
    assert (status, answer["error_code"]) == (400, code)
    assert text in answer["error_message"]
    assert len(plaid_emulator.deliveries) == before


def test_nothing_logged_contains_the_access_token(api, fast_emulator, receivers, caplog):
    api = make_api(fast_emulator)
    failing = receivers(default=500)
    caplog.set_level(logging.DEBUG, logger="django_plaid")
    access_token, _ = new_item(api, webhook=failing.url())
    api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    fast_emulator.wait_for_webhooks(timeout=5)
    assert "attempt failed" in caplog.text
    assert access_token not in caplog.text
    assert all(access_token.encode() not in r.body for r in failing.received)


def test_public_key_shortcuts(plaid_emulator):
    assert plaid_emulator.webhook_kid == plaid_emulator.webhook_key_id
    token = plaid_emulator.sign_webhook(b"{}")
    jwt.decode(token, plaid_emulator.webhook_public_key, algorithms=["ES256"])
    impostor = WebhookSigningKey.generate()
    impostor.kid = plaid_emulator.webhook_kid
    forged = sign_webhook(b"{}", impostor)
    assert jwt.get_unverified_header(forged)["kid"] == plaid_emulator.webhook_kid
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(forged, plaid_emulator.webhook_public_key, algorithms=["ES256"])
