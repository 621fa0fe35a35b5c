"""The products' admin pages: they render, view-only staff cannot delete their rows; and
their API lists cost a fixed number of queries."""

import pytest

from django_plaid.models import (
    AccountOwner,
    AuthNumbers,
    Holding,
    InvestmentTransaction,
    Liability,
    Security,
)

pytestmark = pytest.mark.django_db

MODELS = [AuthNumbers, AccountOwner, Security, Holding, InvestmentTransaction, Liability]


@pytest.fixture
def everything(link_product):
    return link_product(["auth", "identity", "investments", "liabilities"])


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_admin_pages(admin_client, everything, model):
    name = model._meta.model_name
    assert admin_client.get(f"/admin/django_plaid/{name}/").status_code == 200
    row = model.objects.first()
    page = admin_client.get(f"/admin/django_plaid/{name}/{row.pk}/change/")
    assert page.status_code == 200
    assert everything.access_token not in page.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/plaid/auth/",
        "/plaid/identity/",
        "/plaid/investments/holdings/",
        "/plaid/investments/transactions/?page_size=200",
        "/plaid/liabilities/",
    ],
)
def test_lists_cost_a_fixed_number_of_queries(api, everything, url, django_assert_max_num_queries):
    # The rows, plus at most the permission lookup for unmasking: never one per row.
    with django_assert_max_num_queries(3):
        response = api.get(url)
    assert response.status_code == 200


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_view_only_staff_cannot_delete_product_rows(everything, model, django_user_model):
    from django.contrib.auth.models import Permission
    from django.test import Client

    name = model._meta.model_name
    staff = django_user_model.objects.create_user("support", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename=f"view_{name}"))
    client = Client()
    client.force_login(staff)
    url = f"/admin/django_plaid/{name}/"
    assert 'value="delete_selected"' not in client.get(url).content.decode()
    row = model.objects.first()
    # A forged POST of Django's delete action, confirmation included, deletes nothing.
    client.post(url, {"action": "delete_selected", "_selected_action": [row.pk], "post": "yes"})
    assert model.objects.filter(pk=row.pk).exists()
