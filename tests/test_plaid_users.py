"""A Plaid user's end: removed at Plaid (``/user/remove``) before its row goes, never orphaned."""

from __future__ import annotations

import pytest

from django_plaid.exceptions import PlaidAPIError
from django_plaid.models import PayrollIncome, PlaidUser
from django_plaid.plaid_users import remove_plaid_user
from tests.helpers import complete_link

pytestmark = pytest.mark.django_db


@pytest.fixture
def income_allowed(settings):
    settings.PLAID = {**settings.PLAID, "ALLOWED_PRODUCTS": ["transactions", "income_verification"]}


@pytest.fixture
def plaid_user(api, user, emulator, income_allowed):
    """``user``'s Plaid user, created at the emulator by an income Link, with a payroll Item."""
    response = api.post("/plaid/link-token/", {"products": ["income_verification"]}, format="json")
    assert response.status_code == 200, response.content
    complete_link(emulator, response.json()["link_token"])
    found = PlaidUser.objects.get(owner=user)
    PayrollIncome.objects.create(plaid_user=found, item_id="payroll-item", data={})
    assert emulator.state.users[found.user_id].item_ids
    return found


def test_removal_removes_the_user_and_its_payroll_items_at_plaid(plaid_user, emulator):
    payroll_items = list(emulator.state.users[plaid_user.user_id].item_ids)
    remove_plaid_user(plaid_user)
    assert plaid_user.user_id not in emulator.state.users
    assert not any(item_id in emulator.state.items for item_id in payroll_items)
    assert not PlaidUser.objects.filter(pk=plaid_user.pk).exists()
    assert not PayrollIncome.objects.exists()


def test_a_user_already_gone_at_plaid_is_deleted_here(plaid_user, emulator):
    emulator.state.remove_user(plaid_user.user_id)
    remove_plaid_user(plaid_user)
    assert not PlaidUser.objects.filter(pk=plaid_user.pk).exists()


def test_plaid_refusing_keeps_the_row(plaid_user, settings):
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    with pytest.raises(PlaidAPIError):
        remove_plaid_user(plaid_user)
    assert PlaidUser.objects.filter(pk=plaid_user.pk).exists()


def test_deleting_the_django_user_removes_its_plaid_user_at_plaid(plaid_user, user, emulator):
    user.delete()
    assert plaid_user.user_id not in emulator.state.users
    assert not PlaidUser.objects.exists()


def test_a_delete_never_fails_because_plaid_is_unreachable(plaid_user, user, settings, caplog):
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    user.delete()
    assert not PlaidUser.objects.exists()
    assert f"Plaid user {plaid_user.user_id} deleted here but not removed at Plaid" in caplog.text


def test_the_next_income_link_creates_a_new_plaid_user(plaid_user, api, user, emulator):
    remove_plaid_user(plaid_user)
    response = api.post("/plaid/link-token/", {"products": ["income_verification"]}, format="json")
    assert response.status_code == 200, response.content
    again = PlaidUser.objects.get(owner=user)
    assert again.user_id != plaid_user.user_id
    assert again.user_id in emulator.state.users
