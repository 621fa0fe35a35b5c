"""Every handler treats a field of the wrong type as malformed, never as a crash.

Each known type and code gets, for each field Plaid documents for it, each wrong value
below. The payload is parsed as the endpoint parses it (so only storable payloads reach
the handlers), stored, and processed: the event must end ``processed``.
"""

import json

import pytest

from django_plaid.models import Item, ItemStatus, WebhookEvent
from django_plaid.products.models import PlaidUser
from django_plaid.webhooks.handlers import WebhookHandler
from django_plaid.webhooks.processing import parse_payload, process_event, store_delivery
from tests.helpers import item_webhook

pytestmark = pytest.mark.django_db

WRONG_VALUES = [
    "a string",
    "",
    42,
    -1.5,
    True,
    None,
    [],
    ["x", 1, None],
    {},
    {"nested": {"deep": [1, {"x": None}]}},
    "x" * 5000,
    "2026-13-45T99:99:99Z",
]

#: The fields Plaid documents for each type and code (docs/webhooks.md, Plaid's table).
FIELDS = {
    ("ITEM", "ERROR"): ["error"],
    ("ITEM", "LOGIN_REPAIRED"): ["user_id"],
    ("ITEM", "PENDING_EXPIRATION"): ["consent_expiration_time"],
    ("ITEM", "PENDING_DISCONNECT"): ["reason", "disconnect_time"],
    ("ITEM", "USER_PERMISSION_REVOKED"): ["error"],
    ("ITEM", "USER_ACCOUNT_REVOKED"): ["account_id"],
    ("ITEM", "NEW_ACCOUNTS_AVAILABLE"): ["error"],
    ("ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED"): ["new_webhook_url", "error"],
    ("TRANSACTIONS", "SYNC_UPDATES_AVAILABLE"): [
        "initial_update_complete",
        "historical_update_complete",
    ],
    ("TRANSACTIONS", "INITIAL_UPDATE"): ["new_transactions", "error"],
    ("TRANSACTIONS", "HISTORICAL_UPDATE"): ["new_transactions", "error"],
    ("TRANSACTIONS", "DEFAULT_UPDATE"): ["new_transactions", "error"],
    ("TRANSACTIONS", "TRANSACTIONS_REMOVED"): ["removed_transactions", "error"],
    ("AUTH", "DEFAULT_UPDATE"): [
        "account_ids_with_new_auth",
        "account_ids_with_updated_auth",
        "error",
    ],
    ("AUTH", "AUTOMATICALLY_VERIFIED"): ["account_id", "error"],
    ("AUTH", "VERIFICATION_EXPIRED"): ["account_id", "error"],
    ("IDENTITY", "DEFAULT_UPDATE"): ["account_ids_with_updated_identity", "error"],
    ("HOLDINGS", "DEFAULT_UPDATE"): ["new_holdings", "updated_holdings", "error"],
    ("INVESTMENTS_TRANSACTIONS", "DEFAULT_UPDATE"): [
        "new_investments_transactions",
        "cancelled_investments_transactions",
    ],
    ("INVESTMENTS_TRANSACTIONS", "HISTORICAL_UPDATE"): [
        "new_investments_transactions",
        "cancelled_investments_transactions",
    ],
    ("LIABILITIES", "DEFAULT_UPDATE"): [
        "account_ids_with_new_liabilities",
        "account_ids_with_updated_liabilities",
        "error",
    ],
    ("INCOME", "INCOME_VERIFICATION"): ["user_id", "verification_status"],
    ("INCOME", "USER_INCOME_VERIFICATION"): ["user_id", "verification_status"],
}


def test_every_handler_is_covered():
    handled = {
        name.removeprefix("handle_")
        for name in dir(WebhookHandler)
        if name.startswith("handle_") and name not in ("handle_unknown",)
    }
    covered = {f"{t}_{c}".lower() for t, c in FIELDS}
    assert handled == covered


def process(payload):
    body = json.dumps(payload, indent=2).encode()
    stored = store_delivery(body, parse_payload(body), verified=True, remote_addr=None)
    event, failure = process_event(stored.id)
    return event, failure


@pytest.mark.parametrize(
    ("webhook_type", "webhook_code"), list(FIELDS), ids=[f"{t}/{c}" for t, c in FIELDS]
)
def test_wrong_types_are_malformed_not_crashes(emulator, item, webhook_type, webhook_code):
    plaid_user = PlaidUser.objects.create(owner=item.owner, user_id="user-1", environment="sandbox")
    failures = []
    for field in FIELDS[(webhook_type, webhook_code)]:
        for value in WRONG_VALUES:
            # A fresh, healthy Item each time, so no earlier value hides this one's effect.
            Item.objects.filter(pk=item.pk).update(status=ItemStatus.HEALTHY)
            payload = {
                **item_webhook(item, webhook_code),
                "webhook_type": webhook_type,
                "user_id": plaid_user.user_id,
                field: value,
            }
            event, failure = process(payload)
            if failure is not None or event.status != "processed":
                failures.append((field, value, repr(failure)))
    assert failures == []
    assert not WebhookEvent.objects.exclude(status="processed").exists()


@pytest.mark.parametrize(
    "error",
    ["broken", 7, ["ITEM_LOGIN_REQUIRED"], {}, {"error_code": 5}, {"error_code": "X" * 65}],
    ids=["string", "int", "list", "empty", "code-int", "code-too-long"],
)
def test_an_item_error_without_a_usable_error_object(emulator, item, error):
    _, failure = process(item_webhook(item, "ERROR", error=error))
    assert failure is None
    item = Item.objects.get(pk=item.pk)
    assert item.status == "error"  # broken, say Plaid; how, it did not say legibly
    assert (item.error_type, item.error_code) == ("ITEM_ERROR", "UNKNOWN")


def test_an_item_error_keeps_what_is_usable(emulator, item, api):
    error = {
        "error_type": "ITEM_ERROR",
        "error_code": "ITEM_LOGIN_REQUIRED",
        "error_message": {"not": "a string"},
        "display_message": ["nor", "this"],
        "status": 400,
    }
    process(item_webhook(item, "ERROR", error=error))
    body = api.get(f"/plaid/items/{item.item_id}/").json()
    assert body["status"] == "login_required"
    assert body["error"]["error_code"] == "ITEM_LOGIN_REQUIRED"
    assert body["error"]["error_message"] is None
    assert body["error"]["display_message"] is None


def test_a_malformed_consent_time_is_no_time(emulator, item):
    process(item_webhook(item, "PENDING_EXPIRATION", consent_expiration_time="2026-13-45T00:00Z"))
    item = Item.objects.get(pk=item.pk)
    assert item.status == "pending_expiration"
    assert item.consent_expiration_time is None


def test_a_malformed_webhook_url_leaves_the_url(emulator, item):
    before = Item.objects.get(pk=item.pk).webhook
    process(item_webhook(item, "WEBHOOK_UPDATE_ACKNOWLEDGED", new_webhook_url={"url": "x"}))
    process(item_webhook(item, "WEBHOOK_UPDATE_ACKNOWLEDGED", new_webhook_url="h" * 3000))
    assert Item.objects.get(pk=item.pk).webhook == before


def test_codes_nobody_listens_to_create_no_signals(emulator, item):
    """Each new (type, code) used to add a Signal for good: memory that senders choose."""
    from django_plaid.signals import WEBHOOK_SIGNALS

    before = set(WEBHOOK_SIGNALS)
    for n in range(50):
        event, failure = process({"webhook_type": "NEW", "webhook_code": f"CODE_{n}"})
        assert (event.status, failure) == ("processed", None)
    assert set(WEBHOOK_SIGNALS) == before
