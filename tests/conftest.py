"""Shared fixtures: users, authenticated API clients, and Items linked through the emulator.

The emulator fixtures (``plaid_emulator``, ``plaid_emulator_settings``) come from dj-plaid's
own pytest plugin, the one host projects use too.
"""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from django_plaid.client import get_client
from django_plaid.models import Item
from tests.celery import app as celery_app  # noqa: F401  (the suite's Celery app)


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


def _client_for(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(user: Any) -> APIClient:
    """An API client authenticated as ``user``."""
    return _client_for(user)


@pytest.fixture
def other_api(other_user: Any) -> APIClient:
    """An API client authenticated as ``other_user``."""
    return _client_for(other_user)


@pytest.fixture
def emulator(plaid_emulator_settings: Any, db: Any) -> Any:
    """A fresh emulator, with the PLAID setting pointed at it."""
    return plaid_emulator_settings


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
