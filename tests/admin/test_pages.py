"""Every dj-plaid admin page: it answers, shows money as money, and never a secret."""

from __future__ import annotations

import pytest
from django.urls import reverse

from django_plaid.models import Account, Holding, InvestmentTransaction, Liability, Security

from .data import registered_models

pytestmark = pytest.mark.django_db

MODELS = [model._meta.model_name for model in registered_models()]


def _urls(model_name):
    from django.apps import apps

    model = apps.get_model("django_plaid", model_name)
    obj = model.objects.order_by("pk").first()
    return (
        reverse(f"admin:django_plaid_{model_name}_changelist"),
        reverse(f"admin:django_plaid_{model_name}_change", args=[obj.pk]),
    )


@pytest.mark.parametrize("model_name", MODELS)
def test_every_page_answers_without_secrets(admin_client, viewer, bank, model_name):
    for url in _urls(model_name):
        for client, who in ((admin_client, "superuser"), (viewer, "viewer")):
            response = client.get(url)
            assert response.status_code == 200, (url, who)
            html = response.content.decode()
            # Access and user tokens never; account numbers only to who may unmask.
            hidden = [s for s in bank.secrets if s.startswith(("access-", "user-"))]
            if who == "viewer":
                hidden = bank.secrets
            for secret in hidden:
                assert secret not in html, (url, who, secret)


def test_account_money_in_the_list_and_on_the_page(admin_client, bank):
    html = admin_client.get(reverse("admin:django_plaid_account_changelist")).content.decode()
    assert "23,631.98 USD" in html
    assert "23,632 JPY" in html
    assert "0.00012345 BTC" in html
    assert "-2,289.84 USD" in html
    assert "23631.9805" not in html
    account = Account.objects.get(balance_limit__isnull=False, pk=bank.accounts[2].pk)
    page = admin_client.get(
        reverse("admin:django_plaid_account_change", args=[account.pk])
    ).content.decode()
    assert "23,631.98 USD" in page
    assert "15,000.00 USD" in page
    assert "\u2014" in page  # no available balance: the admin's empty value


def test_item_page_lists_accounts_with_money(admin_client, bank):
    item = bank.items[0]
    html = admin_client.get(
        reverse("admin:django_plaid_item_change", args=[item.pk])
    ).content.decode()
    assert html.count("23,631.98 USD") == 10  # 12 accounts: one in JPY, one in BTC
    assert "0E-10" not in html
    assert "23631.9805" not in html


def test_transaction_amount_in_the_list_and_on_the_page(admin_client, bank):
    url = reverse("admin:django_plaid_transaction_changelist")
    html = admin_client.get(url).content.decode()
    assert "1,234,567.89 USD" in html
    assert "-12.50 USD" in html
    assert "1234567.8910000000" not in html
    # Sorting by the amount column still works (the column sorts by the field).
    column = admin_client.get(url).context["cl"].list_display.index("money_amount")
    ordered = admin_client.get(url, {"o": str(column)}).context["cl"].result_list
    amounts = [t.amount for t in ordered]
    assert amounts == sorted(amounts)
    txn = next(t for t in ordered if t.iso_currency_code == "USD")
    page = admin_client.get(
        reverse("admin:django_plaid_transaction_change", args=[txn.pk])
    ).content.decode()
    assert "-12.50 USD" in page


def test_investments_money_and_quantities(admin_client, bank):
    holding = Holding.objects.first()
    html = admin_client.get(reverse("admin:django_plaid_holding_changelist")).content.decode()
    assert "1,234.567" in html
    assert "1,234.5670000000" not in html
    assert "152,415.68 USD" in html
    assert "100,000.00 USD" in html
    page = admin_client.get(
        reverse("admin:django_plaid_holding_change", args=[holding.pk])
    ).content.decode()
    assert "123.4567 USD" in page  # a unit price keeps its digits
    security = Security.objects.first()
    page = admin_client.get(
        reverse("admin:django_plaid_security_change", args=[security.pk])
    ).content.decode()
    assert "123.4567 USD" in page
    txn = InvestmentTransaction.objects.first()
    page = admin_client.get(
        reverse("admin:django_plaid_investmenttransaction_change", args=[txn.pk])
    ).content.decode()
    assert "1,296.30 USD" in page
    assert "10.5" in page
    assert "0.00 USD" in page


def test_liability_money_in_the_accounts_currency(admin_client, bank):
    html = admin_client.get(reverse("admin:django_plaid_liability_changelist")).content.decode()
    assert "20.00 USD" in html
    liability = Liability.objects.first()
    page = admin_client.get(
        reverse("admin:django_plaid_liability_change", args=[liability.pk])
    ).content.decode()
    assert "168.25 USD" in page
    assert "1,708.77 USD" in page


def test_money_columns_are_right_aligned(admin_client, bank):
    html = admin_client.get(reverse("admin:django_plaid_transaction_changelist")).content.decode()
    assert 'class="field-money_amount"' in html
    assert "django_plaid/admin.css" in html


def test_error_codes_are_listed(admin_client, bank):
    item = bank.items[0]
    item.error_code = "ITEM_LOGIN_REQUIRED"
    item.error = {"error_code": "ITEM_LOGIN_REQUIRED"}
    item.save()
    html = admin_client.get(reverse("admin:django_plaid_item_changelist")).content.decode()
    assert "ITEM_<wbr>LOGIN_<wbr>REQUIRED" in html  # wraps after its underscores
    html = admin_client.get(reverse("admin:django_plaid_linkevent_changelist")).content.decode()
    assert "ITEM_<wbr>LOGIN_<wbr>REQUIRED" in html
