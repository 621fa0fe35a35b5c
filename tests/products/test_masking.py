"""Masking by an explicit allow-list per product, checked field by field on the emulator's data.

For each product, every field of every row the emulator serves is compared between a
client that sees clear values and one that does not, in the API and in the admin: a field
in the product's ``CLEAR_FIELDS`` must be identical, every other one masked.
"""

from __future__ import annotations

import html
import json
import re
from typing import Any

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from django_plaid.models import AccountOwner, AuthNumbers, Liability, PayrollIncome
from django_plaid.products.masking import CLEAR_FIELDS, mask, mask_value
from tests.helpers import complete_link

pytestmark = pytest.mark.django_db

# product: (API url, the masked field of an API row, model, the model's masked column)
PRODUCTS = {
    "auth": ("/plaid/auth/", "numbers", AuthNumbers, "numbers"),
    "identity": ("/plaid/identity/", "owner", AccountOwner, "data"),
    "liabilities": ("/plaid/liabilities/", "details", Liability, "data"),
    "income": ("/plaid/income/", "payroll", PayrollIncome, "data"),
}


def leaves(value: Any, path: str = "") -> list[tuple[str, Any]]:
    """Every leaf of a JSON value, with its path as ``CLEAR_FIELDS`` spells it."""
    if isinstance(value, dict):
        return [
            leaf
            for key, entry in value.items()
            for leaf in leaves(entry, f"{path}.{key}" if path else key)
        ]
    if isinstance(value, list):
        return [leaf for entry in value for leaf in leaves(entry, f"{path}[]")]
    return [(path, value)]


def check_masked(product: str, clear: Any, masked: Any) -> set[str]:
    """Assert ``masked`` is ``clear`` masked field by field; returns the paths seen."""
    clear_leaves, masked_leaves = leaves(clear), leaves(masked)
    assert [p for p, _ in clear_leaves] == [p for p, _ in masked_leaves]
    for (path, value), (_, shown) in zip(clear_leaves, masked_leaves, strict=True):
        if path in CLEAR_FIELDS[product] or value is None:
            assert shown == value, path
        else:
            assert shown == mask_value(value), path
            assert shown != value, path
            assert str(value) not in str(shown), path
    return {p for p, _ in clear_leaves}


@pytest.fixture
def served(link_product, api, emulator, settings, django_capture_on_commit_callbacks):
    """Link, through the API, Items with each masked product (US, Canadian and UK banks)."""

    def link(product: str) -> None:
        if product == "auth":
            for institution_id in ("ins_109508", "ins_43", "ins_116834"):
                link_product(["auth"], institution_id=institution_id)
        elif product == "income":
            settings.PLAID = {
                **settings.PLAID,
                "ALLOWED_PRODUCTS": ["transactions", "income_verification"],
            }
            token = api.post(
                "/plaid/link-token/", {"products": ["income_verification"]}, format="json"
            )
            complete_link(emulator, token.json()["link_token"])
            with django_capture_on_commit_callbacks(execute=True):
                assert api.post("/plaid/income/refresh/").status_code == 202
        else:
            link_product([product])

    return link


@pytest.mark.parametrize("product", list(PRODUCTS))
def test_the_api_masks_every_field_but_the_allowed_ones(product, served, api, trust):
    served(product)
    url, field, _, _ = PRODUCTS[product]
    masked_rows = api.get(url).json()
    clear_rows = trust().get(url).json()
    assert masked_rows
    assert len(masked_rows) == len(clear_rows)
    seen: set[str] = set()
    for masked, clear in zip(masked_rows, clear_rows, strict=True):
        assert {k: v for k, v in masked.items() if k != field} == {
            k: v for k, v in clear.items() if k != field
        }
        seen |= check_masked(product, clear[field], masked[field])
    # Every field in the allow-list is one the emulator serves (no dead or misspelt entry).
    assert CLEAR_FIELDS[product] <= seen, CLEAR_FIELDS[product] - seen


def test_payroll_hides_where_the_person_lives_and_what_they_earn(served, api):
    served("income")
    (row,) = api.get("/plaid/income/").json()
    stub = row["payroll"]["payroll_income"][0]["pay_stubs"][0]
    w2 = row["payroll"]["payroll_income"][0]["w2s"][0]
    for document in (stub, w2):
        assert document["employee"]["address"]["city"] == "M•••"
        assert document["employee"]["address"]["region"] == "N•••"
        assert document["employee"]["marital_status"] == "S•••"
        assert document["employer"]["address"]["city"] == "S••• F•••"
    assert row["payroll"]["accounts"][0]["rate_of_pay"]["pay_amount"] == "••••"
    assert stub["pay_period_details"]["gross_earnings"] == "••••"
    assert stub["net_pay"]["current_amount"] == "••••"
    assert w2["wages_tips_other_comp"] == "••••"
    assert "95000" not in json.dumps(row)
    assert "Malakoff" not in json.dumps(row)


def test_addresses_are_masked_alike_in_every_product(served, api):
    served("identity")
    served("liabilities")
    owner = api.get("/plaid/identity/").json()[0]["owner"]
    assert owner["addresses"][0]["data"]["city"] == "M•••"
    mortgage = next(r for r in api.get("/plaid/liabilities/").json() if r["kind"] == "mortgage")
    assert mortgage["details"]["property_address"]["city"] == "M•••"
    assert mortgage["details"]["property_address"]["region"] == "N•••"


def _masked_json(page: str) -> Any:
    (block,) = re.findall(r"<pre style='white-space:pre-wrap'>(.*?)</pre>", page, re.S)
    return json.loads(html.unescape(block))


@pytest.mark.parametrize("product", list(PRODUCTS))
def test_the_admin_masks_every_field_but_the_allowed_ones(product, served, django_user_model):
    served(product)
    _, _, model, column = PRODUCTS[product]
    name = model._meta.model_name
    staff = django_user_model.objects.create_user("support", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename=f"view_{name}"))
    client = Client()
    client.force_login(staff)
    rows = list(model.objects.all())
    assert rows
    for row in rows:
        page = client.get(f"/admin/django_plaid/{name}/{row.pk}/change/")
        assert page.status_code == 200
        shown = _masked_json(page.content.decode())
        check_masked(product, getattr(row, column), shown)
        assert shown == mask(getattr(row, column), product)
