"""The transactions screen."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from ..models import Transaction
from .base import ReadOnlyMixin, model_fields


@admin.register(Transaction)
class TransactionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Transactions, as Plaid last described them."""

    list_display = (
        "date",
        "name",
        "merchant_name",
        "amount",
        "iso_currency_code",
        "pending",
        "category_primary",
        "account",
    )
    list_filter = (
        ("account", admin.RelatedOnlyFieldListFilter),
        "pending",
        "category_primary",
        "payment_channel",
        "account__item__institution_name",
    )
    list_select_related = ("account",)
    search_fields = ("name", "merchant_name", "=transaction_id")
    date_hierarchy = "date"
    raw_id_fields = ("account",)
    # owner and item repeat the account's; the rest mirrors Plaid's object.
    readonly_fields = (
        "transaction_id",
        *model_fields(Transaction, exclude=("owner", "item", "transaction_id")),
    )
    fields = readonly_fields
    show_full_result_count = False  # a COUNT(*) over millions of rows per page view

    def get_queryset(self, request: HttpRequest) -> QuerySet[Transaction]:
        return super().get_queryset(request).defer("account__item__access_token")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
