"""The Plaid users screen: removal at Plaid as an action, confirmed, with its own permission."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from django_plaid.models import PayrollIncome, PlaidUser
from tests.helpers import complete_link

pytestmark = pytest.mark.django_db

USERS = "/admin/django_plaid/plaiduser/"


@pytest.fixture
def plaid_user(api, user, emulator, settings):
    settings.PLAID = {**settings.PLAID, "ALLOWED_PRODUCTS": ["transactions", "income_verification"]}
    response = api.post("/plaid/link-token/", {"products": ["income_verification"]}, format="json")
    complete_link(emulator, response.json()["link_token"])
    found = PlaidUser.objects.get(owner=user)
    PayrollIncome.objects.create(plaid_user=found, item_id="payroll-item", data={})
    return found


def _staff(django_user_model, *codenames):
    staff = django_user_model.objects.create_user("support", "s@example.com", "pw", is_staff=True)
    staff.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(staff)
    return client


def _remove(client, plaid_user, **extra):
    return client.post(
        USERS,
        {"action": "remove_at_plaid", "_selected_action": [plaid_user.pk], **extra},
        follow=True,
    )


def test_the_action_first_asks_for_confirmation(admin_client, plaid_user, plaid_calls):
    response = admin_client.post(
        USERS, {"action": "remove_at_plaid", "_selected_action": [plaid_user.pk]}
    )
    html = response.content.decode()
    assert "Are you sure you want to remove this Plaid user at Plaid?" in html
    assert plaid_user.user_id in html
    assert "alice" in html
    assert "1 payroll Item" in html
    assert plaid_user.user_token not in html
    assert 'name="post" value="yes"' in html
    assert PlaidUser.objects.filter(pk=plaid_user.pk).exists()
    assert plaid_calls == []


def test_confirmed_it_removes_at_plaid_then_here(admin_client, plaid_user, emulator):
    response = _remove(admin_client, plaid_user, post="yes")
    assert "Removed 1 Plaid user at Plaid" in response.content.decode()
    assert plaid_user.user_id not in emulator.state.users
    assert not PlaidUser.objects.exists()
    assert not PayrollIncome.objects.exists()


def test_plaid_errors_are_reported_and_the_user_kept(admin_client, plaid_user, settings):
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    response = _remove(admin_client, plaid_user, post="yes")
    assert "Could not remove" in response.content.decode()
    assert "PLAID_UNREACHABLE" in response.content.decode()
    assert PlaidUser.objects.filter(pk=plaid_user.pk).exists()


def test_plain_delete_is_not_offered(admin_client, plaid_user):
    html = admin_client.get(USERS).content.decode()
    assert "delete_selected" not in html
    assert "remove_at_plaid" in html


@pytest.mark.parametrize("codenames", [("view_plaiduser",), ("view_plaiduser", "delete_plaiduser")])
def test_view_or_delete_permission_does_not_remove(
    django_user_model, plaid_user, emulator, codenames
):
    client = _staff(django_user_model, *codenames)
    assert "remove_at_plaid" not in client.get(USERS).content.decode()
    _remove(client, plaid_user, post="yes")
    assert PlaidUser.objects.filter(pk=plaid_user.pk).exists()
    assert plaid_user.user_id in emulator.state.users


def test_the_remove_permission_removes(django_user_model, plaid_user, emulator):
    client = _staff(django_user_model, "view_plaiduser", "remove_plaiduser_at_plaid")
    response = _remove(client, plaid_user, post="yes")
    assert "Removed 1 Plaid user at Plaid" in response.content.decode()
    assert plaid_user.user_id not in emulator.state.users
