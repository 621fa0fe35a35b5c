"""End to end over HTTP: the emulator signs and POSTs webhooks to a live Django server."""

import threading
import time

import pytest
from rest_framework.test import APIClient

from django_plaid.client import get_client
from django_plaid.models import Item, WebhookEvent
from django_plaid.webhooks.verification import verify_webhook
from tests.helpers import emulator_post, sandbox_public_token, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def live_emulator(plaid_emulator_settings, live_server, settings):
    """The emulator, with Items' webhooks pointed at the live server's endpoint."""
    settings.PLAID = {**settings.PLAID, "WEBHOOK_URL": f"{live_server.url}/plaid/webhook/"}
    return plaid_emulator_settings


def test_login_required_then_repaired(live_emulator, user, live_server):
    emulator = live_emulator
    api = APIClient()
    api.force_authenticate(user)

    # Link: the token carries the webhook URL; Plaid's post-link webhooks arrive.
    link_token = api.post("/plaid/link-token/", {}, format="json").json()["link_token"]
    with emulator.hold_webhooks():  # the Item is stored before its first webhook lands
        completed = emulator_post(emulator, "/emulator/link/complete", {"link_token": link_token})
        response = api.post(
            "/plaid/exchange/",
            {"public_token": completed["public_token"], "metadata": completed["metadata"]},
            format="json",
        )
        assert response.status_code == 201, response.content
    item = Item.objects.get(item_id=response.json()["item_id"])
    assert all(d.delivered for d in emulator.wait_for_webhooks())
    codes = set(WebhookEvent.objects.values_list("webhook_code", flat=True))
    assert {"INITIAL_UPDATE", "HISTORICAL_UPDATE"} <= codes
    assert not WebhookEvent.objects.exclude(status="processed").exists()

    # The bank wants the user to log in again: ITEM/ERROR, verified and processed.
    get_client().call("sandbox_item_reset_login", access_token=item.access_token)
    emulator.wait_for_webhooks()
    assert wait_for(
        lambda: api.get(f"/plaid/items/{item.item_id}/").json()["status"] == "login_required"
    )
    body = api.get(f"/plaid/items/{item.item_id}/").json()
    assert body["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"

    # The app opens Link in update mode.
    update = api.post("/plaid/link-token/", {"item_id": item.item_id}, format="json")
    assert update.status_code == 200
    assert emulator.state.link_tokens[update.json()["link_token"]].request["access_token"]

    # Repaired (elsewhere): LOGIN_REPAIRED makes the Item healthy again.
    get_client().call(
        "sandbox_item_fire_webhook", access_token=item.access_token, webhook_code="LOGIN_REPAIRED"
    )
    emulator.wait_for_webhooks()
    assert wait_for(lambda: api.get(f"/plaid/items/{item.item_id}/").json()["status"] == "healthy")
    assert api.get(f"/plaid/items/{item.item_id}/").json()["error"] is None


def test_update_mode_link_confirmed_by_the_server(live_emulator, user):
    emulator = live_emulator
    api = APIClient()
    api.force_authenticate(user)
    item_id = link_with_webhook(emulator, api)
    item = Item.objects.get(item_id=item_id)
    get_client().call("sandbox_item_reset_login", access_token=item.access_token)
    emulator.wait_for_webhooks()
    assert wait_for(lambda: Item.objects.get(pk=item.pk).status == "login_required")

    link_token = api.post("/plaid/link-token/", {"item_id": item_id}, format="json").json()[
        "link_token"
    ]
    emulator_post(emulator, "/emulator/link/complete", {"link_token": link_token})
    assert api.post(f"/plaid/items/{item_id}/update-complete/").status_code == 202
    assert wait_for(lambda: Item.objects.get(pk=item.pk).status == "healthy")


def test_a_webhook_is_retried_until_the_receiver_takes_it(live_emulator, user, settings):
    emulator = live_emulator
    api = APIClient()
    api.force_authenticate(user)
    item_id = link_with_webhook(emulator, api)
    emulator.wait_for_webhooks()
    item = Item.objects.get(item_id=item_id)
    # Our endpoint is down for a moment (it rejects everything), then comes back.
    settings.PLAID = {**settings.PLAID, "WEBHOOK_MAX_BODY_BYTES": 1}
    get_client().call("sandbox_item_reset_login", access_token=item.access_token)
    time.sleep(0.1)
    settings.PLAID = {**settings.PLAID, "WEBHOOK_MAX_BODY_BYTES": 262_144}
    (delivery,) = [d for d in emulator.wait_for_webhooks() if d.webhook_code == "ERROR"]
    assert delivery.delivered
    assert delivery.status_codes[0] == 400
    assert delivery.status_codes[-1] == 200
    assert wait_for(lambda: Item.objects.get(pk=item.pk).status == "login_required")


def test_a_burst_of_deliveries_with_a_new_key_fetches_it_once(plaid_emulator_settings):
    emulator = plaid_emulator_settings
    fetches = []
    emulator.app.hooks.append(
        lambda call: fetches.append(1) if call.path == "/webhook_verification_key/get" else None
    )
    body = b'{\n  "webhook_type": "ITEM"\n}'
    token = emulator.sign_webhook(body)
    errors = []

    def verify():
        try:
            verify_webhook(body, token)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=verify) for _ in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(fetches) == 1


def link_with_webhook(emulator, api):
    """Link an Item whose webhooks go to the live server; returns its item_id.

    Its first webhooks are held until the Item is stored.
    """
    with emulator.hold_webhooks():
        token = sandbox_public_token(webhook=live_emulator_url(emulator))
        response = api.post("/plaid/exchange/", {"public_token": token}, format="json")
    return response.json()["item_id"]


def live_emulator_url(emulator):
    from django_plaid.conf import plaid_settings

    return plaid_settings.WEBHOOK_URL


def test_sync_updates_available_brings_new_transactions(live_emulator, user):
    """The emulator's SYNC_UPDATES_AVAILABLE, verified and processed, syncs the new rows."""
    from django_plaid.models import Transaction

    emulator = live_emulator
    api = APIClient()
    api.force_authenticate(user)
    item_id = link_with_webhook(emulator, api)
    emulator.wait_for_webhooks()
    assert api.post(f"/plaid/items/{item_id}/sync/").status_code == 202  # activates webhooks
    item = Item.objects.get(item_id=item_id)
    assert wait_for(lambda: Transaction.objects.filter(item=item).exists())
    emulator.add_transactions(item_id, 7)  # Plaid found new transactions: it tells us
    deliveries = emulator.wait_for_webhooks()
    assert any(d.webhook_code == "SYNC_UPDATES_AVAILABLE" and d.delivered for d in deliveries)
    truth = emulator.transactions_truth(item_id)
    assert wait_for(
        lambda: (
            set(Transaction.objects.filter(item=item).values_list("transaction_id", flat=True))
            == set(truth)
        )
    )
