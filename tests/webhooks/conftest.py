"""Fixtures for webhook tests: signed deliveries to the real endpoint."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from django.test import Client

URL = "/plaid/webhook/"


#: Plaid's error object of an Item whose login broke, as ITEM ERROR webhooks carry it.
LOGIN_REQUIRED = {
    "error_type": "ITEM_ERROR",
    "error_code": "ITEM_LOGIN_REQUIRED",
    "error_message": "the login details of this item have changed",
    "display_message": None,
    "status": 400,
}


def pretty(payload: dict[str, Any]) -> bytes:
    """The body as Plaid sends it: JSON with a 2-space indent."""
    return json.dumps(payload, indent=2).encode()


@pytest.fixture
def csrf_client() -> Client:
    """A client that enforces CSRF, as a browser-less sender meets the real stack."""
    return Client(enforce_csrf_checks=True)


@pytest.fixture
def deliver(emulator: Any, csrf_client: Client, django_capture_on_commit_callbacks: Any) -> Any:
    """POST a body to the webhook endpoint, signed by the emulator's key unless told otherwise.

    Celery tasks queued on commit run (eagerly) before this returns.
    """

    def send(
        payload: dict[str, Any] | bytes,
        *,
        token: str | None = None,
        sign: bool = True,
        iat: int | None = None,
        kid: str | None = None,
    ) -> Any:
        body = payload if isinstance(payload, bytes) else pretty(payload)
        headers = {}
        if token is None and sign:
            token = emulator.sign_webhook(body, iat=iat or int(time.time()), kid=kid)
        if token is not None:
            headers["HTTP_PLAID_VERIFICATION"] = token
        with django_capture_on_commit_callbacks(execute=True):
            return csrf_client.post(URL, body, content_type="application/json", **headers)

    return send


def item_webhook(item: Any, code: str, **fields: Any) -> dict[str, Any]:
    """An ITEM webhook payload for ``item``."""
    return {
        "webhook_type": "ITEM",
        "webhook_code": code,
        "item_id": item.item_id,
        "environment": "sandbox",
        **fields,
    }
