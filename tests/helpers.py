"""Plain helpers shared by the suite's tests (the shared fixtures are in tests/conftest.py).

Tests import these from here, never from a conftest: a conftest only defines fixtures.
(The emulator's own tests keep theirs in ``tests/emulator/__init__.py``.)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from io import StringIO
from typing import Any

import urllib3
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from rest_framework.test import APIClient

from django_plaid.client import get_client
from tests.celery import app as celery_app

#: The webhook endpoint of tests/urls.py.
URL = "/plaid/webhook/"

#: Plaid's error object of an Item whose login broke, as ITEM ERROR webhooks carry it.
LOGIN_REQUIRED = {
    "error_type": "ITEM_ERROR",
    "error_code": "ITEM_LOGIN_REQUIRED",
    "error_message": "the login details of this item have changed",
    "display_message": None,
    "status": 400,
}


# -- Clients and Plaid's side ---------------------------------------------------------------


def client_for(user: Any) -> APIClient:
    """An API client authenticated as ``user``."""
    client = APIClient()
    client.force_authenticate(user)
    return client


def sandbox_public_token(
    institution_id: str = "ins_109508", products: list[str] | None = None, **options: Any
) -> str:
    """A public token minted at the emulator the way Plaid's sandbox does."""
    body: dict[str, Any] = {
        "institution_id": institution_id,
        "initial_products": products or ["transactions"],
    }
    if options:
        body["options"] = options
    return str(get_client().call("sandbox_public_token_create", **body)["public_token"])


def emulator_post(emulator: Any, path: str, body: Any) -> Any:
    """POST JSON to one of the emulator's own endpoints (``/emulator/*``); the JSON answer."""
    response = urllib3.request(
        "POST",
        emulator.url + path,
        body=json.dumps(body),
        headers={"Content-Type": "application/json"},
    )
    assert response.status == 200, response.data
    return json.loads(response.data)


def complete_link(emulator: Any, link_token: str) -> Any:
    """Finish a Link session at the emulator, as the user would in Plaid Link."""
    return emulator_post(emulator, "/emulator/link/complete", {"link_token": link_token})


# -- Webhook payloads -----------------------------------------------------------------------


def pretty(payload: dict[str, Any]) -> bytes:
    """The body as Plaid sends it: JSON with a 2-space indent."""
    return json.dumps(payload, indent=2).encode()


def webhook_payload(item: Any, webhook_type: str, code: str, /, **fields: Any) -> dict[str, Any]:
    """A webhook payload of ``webhook_type`` and ``code`` for ``item``; ``fields`` added last."""
    return {
        "webhook_type": webhook_type,
        "webhook_code": code,
        "item_id": item.item_id,
        "environment": "sandbox",
        **fields,
    }


def item_webhook(item: Any, code: str, **fields: Any) -> dict[str, Any]:
    """An ITEM webhook payload for ``item`` (``webhook_type=`` in ``fields`` overrides ITEM)."""
    return {**webhook_payload(item, "ITEM", code), **fields}


# -- The database as stored -----------------------------------------------------------------


def raw_column(table: str, column: str) -> list[str]:
    """A column's values as stored, bypassing the model fields (to see ciphertext)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")
        return [row[0] for row in cursor.fetchall()]


def raw_token(item: Any) -> Any:
    """An Item's access token as stored (ciphertext)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT access_token FROM django_plaid_item WHERE id = %s", [item.pk])
        return cursor.fetchone()[0]


def encryption_key() -> str:
    """The key dj-plaid encrypts with: FIELD_ENCRYPTION_KEY's first if it is a list."""
    key = settings.FIELD_ENCRYPTION_KEY
    return str(key[0] if isinstance(key, (list, tuple)) else key)


def max_length(model: Any, field: str) -> int:
    """The ``max_length`` of a model's field."""
    return int(model._meta.get_field(field).max_length)


# -- Running things -------------------------------------------------------------------------


def command_output(*args: Any) -> str:
    """Run a management command; what it wrote to stdout."""
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def forget_broker_connections() -> None:
    """Make the suite's Celery app forget its broker connections and producers.

    Celery keeps them in pools: forget them, so the next send connects to the broker the
    configuration now names. (kombu keeps the pools per broker URL: closing one would leave
    a closed pool for that URL.)
    """
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def wait_for(condition: Callable[[], Any], timeout: float = 10.0, interval: float = 0.05) -> bool:
    """Poll ``condition`` every ``interval`` seconds; whether it became true within ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(interval)
    return False
