"""What each verified webhook does to the Item, and the extension points around it."""

from unittest import mock

import pytest
from django.core.management import call_command

from django_plaid import signals
from django_plaid.models import Account, Item, WebhookEvent
from django_plaid.webhooks.handlers import WebhookHandler
from tests.helpers import item_webhook

pytestmark = pytest.mark.django_db

LOGIN_REQUIRED = {
    "error_type": "ITEM_ERROR",
    "error_code": "ITEM_LOGIN_REQUIRED",
    "error_message": "the login details of this item have changed",
    "display_message": "Please log in again.",
    "status": 400,
}


def reload(item):
    return Item.objects.get(pk=item.pk)


@pytest.fixture
def receiver():
    """Connect a mock receiver to a signal for the test's duration."""
    connected = []

    def connect(signal):
        handler = mock.Mock()
        signal.connect(handler, weak=False)
        connected.append((signal, handler))
        return handler

    yield connect
    for signal, handler in connected:
        signal.disconnect(handler)


def test_item_error_login_required(deliver, item, receiver):
    changed = receiver(signals.item_status_changed)
    errored = receiver(signals.item_error)
    deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    item = reload(item)
    assert item.status == "login_required"
    assert item.error_code == "ITEM_LOGIN_REQUIRED"
    assert item.error["display_message"] == "Please log in again."
    assert changed.call_args.kwargs["old_status"] == "healthy"
    assert changed.call_args.kwargs["new_status"] == "login_required"
    assert errored.call_args.kwargs["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"


def test_other_item_errors_mean_error(deliver, item):
    error = {**LOGIN_REQUIRED, "error_code": "ITEM_LOCKED"}
    deliver(item_webhook(item, "ERROR", error=error))
    assert reload(item).status == "error"


def test_login_repaired_clears_the_error(deliver, item):
    deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    deliver(item_webhook(item, "LOGIN_REPAIRED"))
    item = reload(item)
    assert item.status == "healthy"
    assert item.error is None
    assert item.error_code == ""


def test_pending_expiration(deliver, item):
    deliver(
        item_webhook(item, "PENDING_EXPIRATION", consent_expiration_time="2026-12-04T10:00:00Z")
    )
    item = reload(item)
    assert item.status == "pending_expiration"
    assert item.consent_expiration_time.isoformat() == "2026-12-04T10:00:00+00:00"


def test_a_warning_does_not_hide_a_broken_item(deliver, item):
    deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    deliver(
        item_webhook(item, "PENDING_EXPIRATION", consent_expiration_time="2026-12-04T10:00:00Z")
    )
    deliver(item_webhook(item, "PENDING_DISCONNECT", reason="INSTITUTION_TOKEN_EXPIRATION"))
    item = reload(item)
    assert item.status == "login_required"
    assert item.error_code == "ITEM_LOGIN_REQUIRED"


def test_pending_disconnect(deliver, item):
    deliver(
        item_webhook(
            item,
            "PENDING_DISCONNECT",
            reason="INSTITUTION_TOKEN_EXPIRATION",
            disconnect_time="2026-12-04T10:00:00Z",
        )
    )
    assert reload(item).status == "pending_disconnect"


def test_user_permission_revoked_removes_the_item_and_its_data(deliver, item, emulator):
    error = {**LOGIN_REQUIRED, "error_code": "USER_PERMISSION_REVOKED"}
    deliver(item_webhook(item, "USER_PERMISSION_REVOKED", error=error))
    item = reload(item)
    assert item.status == "revoked"
    assert item.access_token == ""
    assert not item.accounts.exists()
    assert item.item_id not in emulator.state.items


def test_user_account_revoked_deletes_that_account(deliver, item):
    account = item.accounts.first()
    deliver(item_webhook(item, "USER_ACCOUNT_REVOKED", account_id=account.account_id))
    assert not Account.objects.filter(pk=account.pk).exists()
    assert item.accounts.count() > 0


def test_new_accounts_available_turns_on_account_selection(deliver, item, api, emulator):
    deliver(item_webhook(item, "NEW_ACCOUNTS_AVAILABLE"))
    assert reload(item).new_accounts_available
    token = api.post("/plaid/link-token/", {"item_id": item.item_id}, format="json").json()
    request = emulator.state.link_tokens[token["link_token"]].request
    assert request["update"] == {"account_selection_enabled": True}


def test_webhook_update_acknowledged(deliver, item):
    deliver(
        item_webhook(item, "WEBHOOK_UPDATE_ACKNOWLEDGED", new_webhook_url="https://new.example/h")
    )
    assert reload(item).webhook == "https://new.example/h"


def test_sync_updates_available_syncs_the_item(deliver, item):
    deliver(
        {
            "webhook_type": "TRANSACTIONS",
            "webhook_code": "SYNC_UPDATES_AVAILABLE",
            "item_id": item.item_id,
            "initial_update_complete": True,
            "historical_update_complete": True,
            "environment": "sandbox",
        }
    )
    item = reload(item)
    assert item.sync_requested == 1
    assert item.sync_completed == 1
    assert item.last_synced_at is not None


def test_unknown_type_and_code_are_stored_and_signalled(deliver, item, receiver):
    received = receiver(signals.webhook_received)
    per_code = receiver(signals.webhook_signal("FUTURE_PRODUCT", "SOMETHING_NEW"))
    payload = {
        "webhook_type": "FUTURE_PRODUCT",
        "webhook_code": "SOMETHING_NEW",
        "environment": "sandbox",
    }
    assert deliver(payload).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "processed"
    assert received.call_args.kwargs["event"] == event
    assert per_code.call_args.kwargs["payload"] == payload


def test_webhook_for_an_item_unknown_here_is_fine(deliver, emulator):
    payload = {
        "webhook_type": "ITEM",
        "webhook_code": "ERROR",
        "item_id": "gone",
        "error": LOGIN_REQUIRED,
        "environment": "sandbox",
    }
    assert deliver(payload).status_code == 200
    assert WebhookEvent.objects.get().status == "processed"


def test_a_repeated_delivery_does_no_harm(deliver, item):
    payload = item_webhook(item, "ERROR", error=LOGIN_REQUIRED)
    deliver(payload)
    deliver(payload)
    assert WebhookEvent.objects.filter(status="processed").count() == 2
    item = reload(item)
    assert item.status == "login_required"
    assert item.error_code == "ITEM_LOGIN_REQUIRED"


class ExplodingHandler(WebhookHandler):
    def handle_item_error(self, payload, item):
        item.status = "error"
        item.save()  # rolled back: a failed handler leaves nothing partial
        raise RuntimeError("handler bug")


class CustomHandler(WebhookHandler):
    seen = []

    def handle_item_something_new(self, payload, item):
        self.seen.append(item.item_id)


def test_a_custom_handler_adds_a_code(deliver, item, settings):
    settings.PLAID = {**settings.PLAID, "WEBHOOK_HANDLER_CLASS": f"{__name__}.CustomHandler"}
    deliver(item_webhook(item, "SOMETHING_NEW"))
    assert CustomHandler.seen == [item.item_id]


def test_a_failed_delivery_is_kept_and_reprocessed_without_loss(deliver, item, settings):
    plaid = settings.PLAID
    settings.PLAID = {**plaid, "WEBHOOK_HANDLER_CLASS": f"{__name__}.ExplodingHandler"}
    assert deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED)).status_code == 200
    event = WebhookEvent.objects.get()
    assert event.status == "failed"
    assert "handler bug" in event.error
    assert "RuntimeError" in event.traceback
    assert reload(item).status == "healthy"

    settings.PLAID = plaid  # the bug is fixed
    call_command("plaid_reprocess_webhooks", stdout=mock.Mock())
    event.refresh_from_db()
    assert event.status == "processed"
    assert event.attempts == 2
    assert event.error == ""
    assert reload(item).status == "login_required"


def test_admin_reprocess_action(deliver, item, settings, admin_client):
    plaid = settings.PLAID
    settings.PLAID = {**plaid, "WEBHOOK_HANDLER_CLASS": f"{__name__}.ExplodingHandler"}
    deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    settings.PLAID = plaid
    event = WebhookEvent.objects.get()
    response = admin_client.post(
        "/admin/django_plaid/webhookevent/",
        {"action": "reprocess", "_selected_action": [event.pk]},
        follow=True,
    )
    assert "Reprocessed 1 event(s); 0 failed again." in response.content.decode()
    event.refresh_from_db()
    assert event.status == "processed"


def test_webhook_event_admin_pages(deliver, item, admin_client):
    deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    event = WebhookEvent.objects.get()
    assert (
        admin_client.get(
            "/admin/django_plaid/webhookevent/?status=processed&webhook_type=ITEM"
        ).status_code
        == 200
    )
    page = admin_client.get(f"/admin/django_plaid/webhookevent/{event.pk}/change/").content.decode()
    assert "ITEM_LOGIN_REQUIRED" in page


def test_the_client_cannot_mark_an_item_healthy(
    api, item, deliver, emulator, django_capture_on_commit_callbacks
):
    deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    # Claiming success is not enough: the server asks Plaid, which says still broken.
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/plaid/items/{item.item_id}/update-complete/")
    assert response.status_code == 202
    assert reload(item).status == "login_required"
    assert (
        api.patch(f"/plaid/items/{item.item_id}/", {"status": "healthy"}, format="json").status_code
        == 405
    )
    assert reload(item).status == "login_required"


def test_update_complete_confirms_with_plaid(
    api, item, deliver, emulator, django_capture_on_commit_callbacks
):
    deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    emulator.state.set_item_error(item.item_id, None)  # the user repaired it in Link
    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/plaid/items/{item.item_id}/update-complete/")
    assert response.status_code == 202
    item = reload(item)
    assert item.status == "healthy"
    assert item.error is None


def test_update_complete_for_another_users_item_is_404(other_api, item):
    assert other_api.post(f"/plaid/items/{item.item_id}/update-complete/").status_code == 404


def test_a_revoked_item_stays_revoked(deliver, item, emulator):
    deliver(item_webhook(item, "USER_PERMISSION_REVOKED"))
    deliver(item_webhook(item, "LOGIN_REPAIRED"))
    deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    assert reload(item).status == "revoked"


def test_item_error_is_signalled_once_per_new_error(deliver, item, receiver):
    errored = receiver(signals.item_error)
    payload = item_webhook(item, "ERROR", error=LOGIN_REQUIRED)
    deliver(payload)
    deliver(payload)
    assert errored.call_count == 1
    deliver(item_webhook(item, "ERROR", error={**LOGIN_REQUIRED, "error_code": "ITEM_LOCKED"}))
    assert errored.call_count == 2


def test_new_accounts_available_is_in_the_api(deliver, item, api):
    assert api.get(f"/plaid/items/{item.item_id}/").json()["new_accounts_available"] is False
    deliver(item_webhook(item, "NEW_ACCOUNTS_AVAILABLE"))
    assert api.get(f"/plaid/items/{item.item_id}/").json()["new_accounts_available"] is True


def test_a_broker_that_is_down_does_not_lose_the_delivery(deliver, item, monkeypatch):
    from django_plaid import tasks
    from django_plaid.models import WebhookDrain

    def broker_down(*args, **kwargs):
        raise ConnectionError("broker down")

    monkeypatch.setattr(tasks.drain_webhooks, "delay", broker_down)
    response = deliver(item_webhook(item, "ERROR", error=LOGIN_REQUIRED))
    assert response.status_code == 200
    assert WebhookEvent.objects.get().status == "pending"
    assert WebhookDrain.objects.get().queued_at is None  # the next delivery tries again
