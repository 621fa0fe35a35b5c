"""Fixtures for the products' tests: Items linked with a product, users who may unmask."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from rest_framework.test import APIClient

from django_plaid.models import Item
from tests.conftest import sandbox_public_token


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


@pytest.fixture
def trust(user: Any) -> Any:
    """Call to grant ``user`` django_plaid.view_unmasked_numbers; returns their new client."""

    def grant() -> APIClient:
        user.user_permissions.add(Permission.objects.get(codename="view_unmasked_numbers"))
        client = APIClient()
        client.force_authenticate(type(user).objects.get(pk=user.pk))  # fresh permission cache
        return client

    return grant


def raw_column(table: str, column: str) -> list[str]:
    """A column's values as stored, bypassing the model fields (to see ciphertext)."""
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table}")
        return [row[0] for row in cursor.fetchall()]


from tests.webhooks.conftest import csrf_client, deliver  # noqa: E402, F401  (fixtures)
