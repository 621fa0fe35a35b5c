"""Shared fixtures: users, authenticated API clients, Items linked through the emulator,
and signed webhook deliveries.

The emulator fixtures (``plaid_emulator``, ``plaid_emulator_settings``) come from dj-plaid's
own pytest plugin, the one host projects use too. Plain helpers (payloads, raw columns,
public tokens) are in tests/helpers.py; tests import them from there, not from a conftest.
"""

from __future__ import annotations

import time
from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from django_plaid.models import Item
from tests.celery import app as celery_app  # noqa: F401  (the suite's Celery app)
from tests.helpers import URL, client_for, pretty, sandbox_public_token


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    """Each test starts with an empty cache (webhook keys are cached there)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("alice", "alice@example.com", "pw")


@pytest.fixture
def other_user(django_user_model: Any) -> Any:
    return django_user_model.objects.create_user("bob", "bob@example.com", "pw")


@pytest.fixture
def api(user: Any) -> APIClient:
    """An API client authenticated as ``user``."""
    return client_for(user)


@pytest.fixture
def other_api(other_user: Any) -> APIClient:
    """An API client authenticated as ``other_user``."""
    return client_for(other_user)


@pytest.fixture
def emulator(plaid_emulator_settings: Any, db: Any) -> Any:
    """A fresh emulator, with the PLAID setting pointed at it."""
    return plaid_emulator_settings


@pytest.fixture
def plaid_calls(emulator: Any) -> Any:
    """The paths of every request the emulator receives, in order."""
    calls: list[str] = []

    def record(context: Any) -> None:
        calls.append(context.path)

    emulator.app.hooks.insert(0, record)
    yield calls
    emulator.app.hooks.remove(record)


@pytest.fixture
def link(emulator: Any) -> Any:
    """Link an Item for an API client through the real endpoints; returns the JSON."""

    def link_item(client: APIClient, institution_id: str = "ins_109508", **kw: Any) -> Any:
        token = sandbox_public_token(institution_id, **kw)
        response = client.post("/plaid/exchange/", {"public_token": token}, format="json")
        assert response.status_code == 201, response.content
        return response.json()

    return link_item


@pytest.fixture
def item(api: APIClient, link: Any) -> Item:
    """An Item of ``user`` linked through the API, with its Accounts."""
    return Item.objects.get(item_id=link(api)["item_id"])


@pytest.fixture
def link_product(api: APIClient, emulator: Any, django_capture_on_commit_callbacks: Any) -> Any:
    """Link an Item with the given products through the API; its fetches run on commit."""

    def link(
        products: list[str], institution_id: str = "ins_109508", client: APIClient | None = None
    ) -> Item:
        token = sandbox_public_token(institution_id, products=products)
        with django_capture_on_commit_callbacks(execute=True):
            response = (client or api).post(
                "/plaid/exchange/", {"public_token": token}, format="json"
            )
        assert response.status_code == 201, response.content
        return Item.objects.get(item_id=response.json()["item_id"])

    return link


# -- Webhooks: signed deliveries to the real endpoint ----------------------------------------


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
