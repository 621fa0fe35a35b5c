"""Signed deliveries the database could not store, or that would crash a walk over them,
are refused with 400 and a reason, never a 500 (which Plaid would retry for a day).

Run on SQLite and on PostgreSQL (DATABASE_URL): PostgreSQL refuses NUL in text and
``\\u0000`` in jsonb, and enforces the columns' lengths.
"""

import base64
import json

import pytest

from django_plaid.models import WebhookEvent
from django_plaid.webhooks.processing import MAX_PAYLOAD_DEPTH

pytestmark = pytest.mark.django_db

HEAD = '{\n  "webhook_type": "ITEM",\n  "webhook_code": "WEBHOOK_UPDATE_ACKNOWLEDGED",\n'


def raw(fields: str) -> bytes:
    """A body with raw JSON ``fields`` after type and code (escapes exactly as written)."""
    return (HEAD + fields + "\n}").encode()


def assert_refused(response, reason):
    assert response.status_code == 400, response.content
    assert response.json() == {"error": "verification_failed", "reason": reason}
    assert WebhookEvent.objects.count() == 0


@pytest.mark.parametrize("depth", [MAX_PAYLOAD_DEPTH + 1, 900, 5000])
@pytest.mark.parametrize("bracket", ["[]", '{"a": }'])
def test_deeply_nested_json_is_refused(deliver, depth, bracket):
    opening, closing = ("[", "]") if bracket == "[]" else ('{"a": ', "}")
    nested = opening * depth + "1" + closing * depth
    assert_refused(deliver(raw(f'  "x": {nested}')), "too_deep")


def test_plaid_depth_is_fine(deliver, item):
    nested = "[" * (MAX_PAYLOAD_DEPTH - 2) + "1" + "]" * (MAX_PAYLOAD_DEPTH - 2)
    body = raw(f'  "item_id": "{item.item_id}",\n  "x": {nested}')
    assert deliver(body).status_code == 200


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1e999"])
def test_numbers_json_databases_refuse_are_refused(deliver, number):
    assert_refused(deliver(raw(f'  "new_transactions": {number}')), "bad_number")


@pytest.mark.parametrize(
    "fields",
    [
        '  "item_id": "item\\u0000"',
        '  "x": {"nested": ["a\\u0000b"]}',
        '  "x": {"k\\u0000ey": 1}',
        '  "item_id": "\\ud800"',
        '  "x": "lone low \\udc00 surrogate"',
        '  "x": {"\\udbff": true}',
    ],
    ids=["nul-item-id", "nul-nested", "nul-key", "high-surrogate", "low-surrogate", "key"],
)
def test_text_a_database_cannot_store_is_refused(deliver, fields):
    assert_refused(deliver(raw(fields)), "bad_string")


@pytest.mark.parametrize(
    "body",
    [
        b'{\n  "webhook_type": "IT\\u0000EM",\n  "webhook_code": "ERROR"\n}',
        b'{\n  "webhook_type": "ITEM",\n  "webhook_code": "\\ud83d"\n}',
    ],
    ids=["nul-type", "surrogate-code"],
)
def test_type_and_code_are_checked_the_same_way(deliver, body):
    assert_refused(deliver(body), "bad_string")


def test_a_surrogate_pair_is_an_ordinary_character(deliver, item):
    body = raw(f'  "item_id": "{item.item_id}",\n  "note": "\\ud83d\\ude00"')
    assert deliver(body).status_code == 200
    assert WebhookEvent.objects.get().payload["note"] == "\U0001f600"


@pytest.mark.parametrize(
    "fields",
    [
        {"webhook_type": "T" * 65},
        {"webhook_code": "C" * 65},
        {"item_id": "i" * 101},
        {"item_id": 12345},
        {"item_id": {"id": "x"}},
        {"item_id": ["x"]},
        {"item_id": True},
    ],
    ids=["long-type", "long-code", "long-item-id", "int", "object", "list", "bool"],
)
def test_columns_get_what_fits_or_nothing(deliver, fields):
    payload = {
        "webhook_type": "ITEM",
        "webhook_code": "ERROR",
        "environment": "sandbox",
        **fields,
    }
    assert_refused(deliver(payload), "bad_field")


def test_columns_at_their_limits_are_stored(deliver):
    payload = {"webhook_type": "T" * 64, "webhook_code": "C" * 64, "item_id": "i" * 100}
    assert deliver(payload).status_code == 200
    event = WebhookEvent.objects.get()
    assert (len(event.webhook_type), len(event.webhook_code), len(event.item_id)) == (64, 64, 100)


def test_a_null_item_id_is_no_item(deliver):
    assert deliver({"webhook_type": "X", "webhook_code": "Y", "item_id": None}).status_code == 200
    assert WebhookEvent.objects.get().item_id == ""


@pytest.mark.parametrize("remote_addr", ["", "unix:/run/gunicorn.sock", "fe80::1%eth0", "x" * 300])
def test_a_remote_address_the_column_cannot_take_is_dropped(
    emulator, csrf_client, item, remote_addr, django_capture_on_commit_callbacks
):
    body = json.dumps({"webhook_type": "X", "webhook_code": "Y"}, indent=2).encode()
    with django_capture_on_commit_callbacks(execute=True):
        response = csrf_client.post(
            "/plaid/webhook/",
            body,
            content_type="application/json",
            HTTP_PLAID_VERIFICATION=emulator.sign_webhook(body),
            REMOTE_ADDR=remote_addr,
        )
    assert response.status_code == 200
    assert WebhookEvent.objects.get().remote_addr is None


def test_a_deeply_nested_jwt_header_is_malformed(deliver):
    header = base64.urlsafe_b64encode(b"[" * 5000 + b"]" * 5000).rstrip(b"=").decode()
    response = deliver(raw('  "x": 1'), token=f"{header}.e30.c2ln")
    assert_refused(response, "malformed_jwt")
