"""Fixtures for the products' tests: users who may unmask.

(``link_product`` and ``deliver`` are shared with other tests: they are in tests/conftest.py.)
"""

from __future__ import annotations

from typing import Any

import pytest
from django.contrib.auth.models import Permission
from rest_framework.test import APIClient

from tests.helpers import client_for


@pytest.fixture
def trust(user: Any) -> Any:
    """Call to grant ``user`` django_plaid.view_unmasked_numbers; returns their new client."""

    def grant() -> APIClient:
        user.user_permissions.add(Permission.objects.get(codename="view_unmasked_numbers"))
        return client_for(type(user).objects.get(pk=user.pk))  # fresh permission cache

    return grant
