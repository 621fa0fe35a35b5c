"""The transactions screen: fast at a million rows, money as money."""

from __future__ import annotations

import re
from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import Account, Item, Transaction
from .base import PlaidAdmin, model_fields
from .filters import CategoryFilter, PaymentChannelFilter, relation_filters
from .money import money_column

#: A search term that may be a Plaid id (transaction, account or Item): one long word.
PLAID_ID = re.compile(r"^[A-Za-z0-9_-]{16,100}$")


def account_label(account: Account) -> str:
    """ "First Platypus Bank · Plaid Checking ••0000": the account and where it is."""
    institution = account.item.institution_name or account.item.institution_id
    return f"{institution} · {account}" if institution else str(account)


@admin.register(Transaction)
class TransactionAdmin(PlaidAdmin):
    """Transactions, as Plaid last described them."""

    # The merchant, the currency codes, the channel and the ids are on the page.
    list_display = ("date", "name", "money_amount", "pending", "category", "where")
    # A date filter, not a date hierarchy: the hierarchy's year links come from a
    # SELECT DISTINCT over every row of the table.
    list_filter = (
        ("date", admin.DateFieldListFilter),
        *relation_filters("item", "account"),
        "pending",
        CategoryFilter,
        PaymentChannelFilter,
    )
    # Every column's row in one query: the account, and its Item for the institution.
    list_select_related = ("account", "account__item")
    search_fields = ("name", "merchant_name")
    money_amount = money_column("amount", _("amount"))
    # owner and item repeat the account's; the rest mirrors Plaid's object.
    readonly_fields = (
        "transaction_id",
        *(
            "money_amount" if name == "amount" else name
            for name in model_fields(Transaction, exclude=("owner", "item", "transaction_id"))
        ),
    )
    fields = readonly_fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Transaction]:
        return super().get_queryset(request).defer("account__item__access_token")

    @admin.display(description=_("account"), ordering="account__name")
    def where(self, transaction: Transaction) -> str:
        return account_label(transaction.account)

    @admin.display(description=_("category"), ordering="category_primary")
    def category(self, transaction: Transaction) -> str:
        return transaction.category_primary.replace("_", " ").capitalize()

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Transaction], search_term: str
    ) -> tuple[QuerySet[Transaction], bool]:
        # A pasted id is looked up by its unique index, never by scanning names: an
        # account's or Item's id lists their transactions, a transaction's id finds it.
        term = search_term.strip()
        if PLAID_ID.match(term):
            account = Account.objects.filter(account_id=term).values_list("pk", flat=True)
            if account_pk := account.first():
                return queryset.filter(account_id=account_pk), False
            item = Item.objects.filter(item_id=term).values_list("pk", flat=True)
            if item_pk := item.first():
                return queryset.filter(item_id=item_pk), False
            if Transaction.objects.filter(transaction_id=term).exists():
                return queryset.filter(transaction_id=term), False
        return super().get_search_results(request, queryset, search_term)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
