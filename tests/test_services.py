"""Flows in services.py that the API tests do not reach."""

import pytest

from django_plaid import services
from django_plaid.exceptions import PlaidItemError
from django_plaid.models import Item

pytestmark = pytest.mark.django_db


def test_refresh_records_a_broken_login_as_status(item, emulator):
    emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    services.refresh_item(item)
    item = Item.objects.get(pk=item.pk)
    assert item.status == "login_required"
    assert item.error_code == "ITEM_LOGIN_REQUIRED"


def test_a_sync_that_meets_a_broken_login_records_it(item, emulator):
    emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    with pytest.raises(PlaidItemError):
        services.refresh_accounts(item)
    assert Item.objects.get(pk=item.pk).status == "login_required"


def test_refresh_of_a_repaired_item_is_healthy(item, emulator):
    services.set_item_status(
        item,
        "login_required",
        error={"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"},
    )
    services.refresh_item(item)
    item = Item.objects.get(pk=item.pk)
    assert item.status == "healthy"
    assert item.error is None
