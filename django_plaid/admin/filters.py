"""The changelists' sidebar filters: labels that say which Item, choices that stay bounded.

Django's related-field filters list every related row (or ``SELECT DISTINCT`` the column
over the whole table), and label accounts by their name alone: "Plaid Checking ••0000"
repeated once per Item. These filters:

* load at most ``CHOICES_LIMIT`` choices in one query; with more, only the chosen one is
  listed (search by ``item_id`` or ``account_id`` instead);
* label an Item "First Platypus Bank · alice", an account "First Platypus Bank · Plaid
  Checking ••0000", adding the owner, then the id's end, while two labels are the same;
* narrow the accounts to the chosen Item's when an Item is chosen;
* list Plaid's fixed values (categories, payment channels) without reading the table.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import Account, Item

#: The most choices a relation filter lists.
CHOICES_LIMIT = 50

#: Plaid's ``personal_finance_category.primary`` values (its taxonomy, v1).
CATEGORIES = (
    "INCOME",
    "TRANSFER_IN",
    "TRANSFER_OUT",
    "LOAN_PAYMENTS",
    "BANK_FEES",
    "ENTERTAINMENT",
    "FOOD_AND_DRINK",
    "GENERAL_MERCHANDISE",
    "HOME_IMPROVEMENT",
    "MEDICAL",
    "PERSONAL_CARE",
    "GENERAL_SERVICES",
    "GOVERNMENT_AND_NON_PROFIT",
    "TRANSPORTATION",
    "TRAVEL",
    "RENT_AND_UTILITIES",
)
#: Plaid's ``payment_channel`` values.
PAYMENT_CHANNELS = ("online", "in store", "other")


def _distinct(labels: list[list[str]]) -> list[str]:
    """Join each label's parts, using as many parts as it takes for the labels to differ."""
    width = 1
    joined = [" · ".join(parts[:width]) for parts in labels]
    longest = max((len(parts) for parts in labels), default=1)
    while width < longest:
        repeated = {text for text, n in Counter(joined).items() if n > 1}
        if not repeated:
            break
        width += 1
        joined = [
            " · ".join(parts[:width]) if text in repeated else text
            for parts, text in zip(labels, joined, strict=True)
        ]
    return joined


def _owner_name_path() -> str:
    return f"owner__{get_user_model().USERNAME_FIELD}"


def _selected_pk(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class _RelationFilter(admin.SimpleListFilter):
    """A bounded filter on a relation (``path``) whose choices are rows of another model."""

    path = ""

    def rows(self, request: HttpRequest) -> QuerySet[Any]:
        raise NotImplementedError

    def labels(self, rows: Sequence[Any]) -> list[str]:
        raise NotImplementedError

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[Any, str]]:
        rows = list(self.rows(request)[: CHOICES_LIMIT + 1])
        selected = _selected_pk(self.value())
        if len(rows) > CHOICES_LIMIT:
            # Too many to list: only the chosen one (a link from elsewhere), if any.
            rows = [row for row in self.rows(request).filter(pk=selected)] if selected else []
        return list(zip((row.pk for row in rows), self.labels(rows), strict=True))

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        selected = _selected_pk(self.value())
        if self.value() is None:
            return queryset
        return queryset.filter(**{self.path: selected}) if selected else queryset.none()


class ItemFilter(_RelationFilter):
    """By Item: "institution · owner"; ``path`` is the row's way to its Item's pk."""

    title = _("item")
    parameter_name = "item"
    path = "item"

    def rows(self, request: HttpRequest) -> QuerySet[Any]:
        return (
            Item.objects.select_related("owner")
            .only("pk", "item_id", "institution_name", "institution_id", _owner_name_path())
            .order_by("institution_name", "pk")
        )

    def labels(self, rows: Sequence[Any]) -> list[str]:
        return _distinct(
            [
                [
                    item.institution_name or item.institution_id or item.item_id,
                    str(item.owner.get_username()),
                    f"…{item.item_id[-6:]}",
                ]
                for item in rows
            ]
        )


class AccountFilter(_RelationFilter):
    """By account: "institution · name ••mask", only the chosen Item's when one is chosen."""

    title = _("account")
    parameter_name = "account"
    path = "account"

    def rows(self, request: HttpRequest) -> QuerySet[Any]:
        rows = (
            Account.objects.select_related("item", "item__owner")
            .only(
                "pk",
                "account_id",
                "name",
                "mask",
                "item__institution_name",
                "item__institution_id",
                f"item__{_owner_name_path()}",
            )
            .order_by("item__institution_name", "item_id", "name", "pk")
        )
        item = _selected_pk(request.GET.get(ItemFilter.parameter_name))
        return rows.filter(item_id=item) if item else rows

    def labels(self, rows: Sequence[Any]) -> list[str]:
        return _distinct(
            [
                [
                    account.item.institution_name or account.item.institution_id,
                    str(account),
                    str(account.item.owner.get_username()),
                    f"…{account.account_id[-6:]}",
                ]
                for account in rows
            ]
        )


def relation_filters(item_path: str, account_path: str | None = None) -> tuple[type, ...]:
    """The Item filter (and account filter) of a model whose rows reach them by these paths."""
    item = type("ItemFilter", (ItemFilter,), {"path": item_path})
    if account_path is None:
        return (item,)
    account = type("AccountFilter", (AccountFilter,), {"path": account_path})
    return (item, account)


class InstitutionFilter(admin.SimpleListFilter):
    """By institution name, the choices read from the Items (bounded), not from this table."""

    title = _("institution")
    parameter_name = "institution"
    path = "institution_name"

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[Any, str]]:
        names = list(
            Item.objects.exclude(institution_name="")
            .order_by("institution_name")
            .values_list("institution_name", flat=True)
            .distinct()[: CHOICES_LIMIT + 1]
        )
        if len(names) > CHOICES_LIMIT:
            names = [self.value()] if self.value() else []
        return [(name, name) for name in names]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        return queryset.filter(**{self.path: self.value()})


def institution_filter(path: str) -> type:
    """The institution filter of a model whose rows reach the Item's name by ``path``."""
    return type("InstitutionFilter", (InstitutionFilter,), {"path": path})


class _FixedFilter(admin.SimpleListFilter):
    """A filter on a column whose values Plaid fixes: no query to list them."""

    values: tuple[str, ...] = ()

    def lookups(self, request: HttpRequest, model_admin: Any) -> Iterable[tuple[Any, str]]:
        return [(value, value.replace("_", " ").capitalize()) for value in self.values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        if self.value() is None:
            return queryset
        return queryset.filter(**{str(self.parameter_name): self.value()})


class CategoryFilter(_FixedFilter):
    """By ``personal_finance_category.primary``."""

    title = _("category")
    parameter_name = "category_primary"
    values = CATEGORIES


class PaymentChannelFilter(_FixedFilter):
    """By payment channel."""

    title = _("payment channel")
    parameter_name = "payment_channel"
    values = PAYMENT_CHANNELS
