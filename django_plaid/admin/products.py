"""The other products' screens: masked, clear only to staff who may unmask."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from ..models import (
    AccountOwner,
    AuthNumbers,
    Holding,
    InvestmentTransaction,
    Liability,
    PayrollIncome,
    PlaidUser,
    Security,
)
from ..products.masking import mask
from .base import ReadOnlyMixin, model_fields, pretty

UNMASK_PERMISSION = "django_plaid.view_unmasked_numbers"


class SensitiveAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Shows ``sensitive_field`` masked; clear only to staff with the unmask permission."""

    sensitive_field = "data"
    #: The product whose ``CLEAR_FIELDS`` say what the masked view shows in clear.
    product = ""
    base_fields: tuple[str, ...] = ()

    @admin.display(description=_("data (masked)"))
    def masked(self, obj: Any) -> str:
        return pretty(mask(getattr(obj, self.sensitive_field), self.product))

    @admin.display(description=_("data (clear)"))
    def clear(self, obj: Any) -> str:
        return pretty(getattr(obj, self.sensitive_field))

    def get_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        extra = ("clear",) if request.user.has_perm(UNMASK_PERMISSION) else ()
        return (*self.base_fields, "masked", *extra)

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return self.get_fields(request, obj)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("account__item__access_token")


@admin.register(AuthNumbers)
class AuthNumbersAdmin(SensitiveAdmin):
    """Account and routing numbers (masked)."""

    sensitive_field = "numbers"
    product = "auth"
    base_fields = ("account", "account_mask", "routing_mask", "verification_status", "updated_at")
    list_display = ("account", "account_mask", "routing_mask", "verification_status", "updated_at")
    list_filter = ("verification_status",)
    list_select_related = ("account",)
    search_fields = ("=account__account_id", "=account__item__item_id")


@admin.register(AccountOwner)
class AccountOwnerAdmin(SensitiveAdmin):
    """Account owners from Identity (masked)."""

    product = "identity"

    base_fields = ("account", "position", "updated_at")
    list_display = ("__str__", "account", "position", "updated_at")
    list_select_related = ("account",)
    search_fields = ("=account__account_id", "=account__item__item_id")


@admin.register(Liability)
class LiabilityAdmin(SensitiveAdmin):
    """Credit cards, mortgages and student loans."""

    product = "liabilities"

    base_fields = (
        "account",
        "kind",
        "is_overdue",
        "last_payment_amount",
        "last_payment_date",
        "last_statement_balance",
        "minimum_payment_amount",
        "next_payment_due_date",
        "interest_rate_percentage",
        "updated_at",
    )
    list_display = (
        "account",
        "kind",
        "next_payment_due_date",
        "minimum_payment_amount",
        "is_overdue",
        "interest_rate_percentage",
    )
    list_filter = ("kind", "is_overdue")
    list_select_related = ("account",)
    search_fields = ("=account__account_id", "account__name", "=account__item__item_id")


@admin.register(PayrollIncome)
class PayrollIncomeAdmin(SensitiveAdmin):
    """Payroll income per payroll Item (masked)."""

    product = "income"

    base_fields = (
        "plaid_user",
        "item_id",
        "institution_id",
        "institution_name",
        "processing_status",
        "plaid_updated_at",
        "updated_at",
    )
    list_display = ("plaid_user", "institution_name", "processing_status", "plaid_updated_at")
    list_filter = ("processing_status", "institution_name")
    search_fields = ("=item_id", "=plaid_user__user_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return admin.ModelAdmin.get_queryset(self, request).select_related("plaid_user")


@admin.register(PlaidUser)
class PlaidUserAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Plaid users (for Income); the user token is never shown."""

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Plaid refuses a second /user/create for the same user: keep the row.
        return False

    list_display = ("user_id", "owner", "environment", "created_at")
    list_filter = ("environment",)
    search_fields = ("=user_id",)
    fields = readonly_fields = ("user_id", "owner", "environment", "created_at")


@admin.register(Security)
class SecurityAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Securities held or traded."""

    list_display = ("__str__", "name", "type", "close_price", "close_price_as_of")
    list_filter = ("type",)
    search_fields = ("name", "ticker_symbol", "=security_id")
    fields = readonly_fields = model_fields(Security, exclude=("updated_at",))


@admin.register(Holding)
class HoldingAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Investment positions."""

    list_display = ("account", "security", "quantity", "institution_value", "cost_basis")
    list_filter = ("security__type",)
    list_select_related = ("account", "security")
    search_fields = ("security__name", "security__ticker_symbol", "=account__account_id")
    fields = readonly_fields = model_fields(Holding, exclude=("updated_at",))


@admin.register(InvestmentTransaction)
class InvestmentTransactionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Investment transactions."""

    list_display = ("date", "name", "type", "subtype", "amount", "account")
    list_filter = ("type", "subtype")
    list_select_related = ("account",)
    search_fields = ("name", "security__ticker_symbol", "=investment_transaction_id")
    date_hierarchy = "date"
    show_full_result_count = False
    fields = readonly_fields = model_fields(InvestmentTransaction, exclude=("updated_at",))
