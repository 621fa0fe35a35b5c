"""Fixtures of the admin tests: realistic data, and staff who may only look."""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from .data import Bank, make_bank


@pytest.fixture
def bank(db: Any) -> Bank:
    """Two Items of twelve accounts each, and a row of every product."""
    return make_bank()


@pytest.fixture
def viewer(django_user_model: Any) -> Client:
    """Staff with the view permission on every dj-plaid model, and nothing else."""
    user = django_user_model.objects.create_user(
        "viewer", "viewer@example.com", "pw", is_staff=True
    )
    user.user_permissions.add(
        *Permission.objects.filter(
            content_type__app_label="django_plaid", codename__startswith="view_"
        ).exclude(codename="view_unmasked_numbers")
    )
    client = Client()
    client.force_login(user)
    return client
