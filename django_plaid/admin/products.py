"""The other products' screens: masked, clear only to staff who may unmask."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..exceptions import PlaidAPIError
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
from ..plaid_users import remove_plaid_user
from ..products.masking import mask
from .base import PlaidAdmin, breakable_column, model_fields, pretty, replaced
from .filters import relation_filters
from .money import format_quantity, money_column, quantity_column
from .transactions import account_label

UNMASK_PERMISSION = "django_plaid.view_unmasked_numbers"


class AccountColumn:
    """The row's account, named with its institution ("First Platypus Bank · Plaid
    Checking ••0000"): account names repeat across Items."""

    @admin.display(description=_("account"), ordering="account__name")
    def where(self, obj: Any) -> str:
        return account_label(obj.account)


class SensitiveAdmin(PlaidAdmin):
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
class AuthNumbersAdmin(AccountColumn, SensitiveAdmin):
    """Account and routing numbers (masked)."""

    sensitive_field = "numbers"
    product = "auth"
    base_fields = ("account", "account_mask", "routing_mask", "verification_status", "updated_at")
    list_display = ("where", "account_mask", "routing_mask", "verification", "updated_at")
    list_filter = ("verification_status", *relation_filters("account__item", "account"))
    list_select_related = ("account", "account__item")

    verification = breakable_column("verification_status", _("verification status"))

    search_fields = ("=account__account_id", "=account__item__item_id")


@admin.register(AccountOwner)
class AccountOwnerAdmin(AccountColumn, SensitiveAdmin):
    """Account owners from Identity (masked)."""

    product = "identity"

    base_fields = ("account", "position", "updated_at")
    # "owner 1 of account <account_id>" is long and says the id twice: the columns say it.
    list_display = ("label", "where", "updated_at")

    @admin.display(description=_("account owner"), ordering="position")
    def label(self, obj: AccountOwner) -> str:
        return str(_("owner %(n)d") % {"n": obj.position + 1})

    list_filter = relation_filters("account__item", "account")
    list_select_related = ("account", "account__item")
    search_fields = ("=account__account_id", "=account__item__item_id")


@admin.register(Liability)
class LiabilityAdmin(AccountColumn, SensitiveAdmin):
    """Credit cards, mortgages and student loans."""

    product = "liabilities"

    # The amounts are in the account's currency (the promoted columns carry none).
    money_last_payment = money_column(
        "last_payment_amount", _("last payment"), currency_from="account"
    )
    money_last_statement = money_column(
        "last_statement_balance", _("last statement balance"), currency_from="account"
    )
    money_minimum_payment = money_column(
        "minimum_payment_amount", _("minimum payment"), currency_from="account"
    )
    base_fields = (
        "account",
        "kind",
        "is_overdue",
        "money_last_payment",
        "last_payment_date",
        "money_last_statement",
        "money_minimum_payment",
        "next_payment_due_date",
        "interest_rate_percentage",
        "updated_at",
    )
    list_display = (
        "where",
        "kind",
        "next_payment_due_date",
        "money_minimum_payment",
        "is_overdue",
        "rate",
    )
    list_filter = ("kind", "is_overdue", *relation_filters("account__item", "account"))
    list_select_related = ("account", "account__item")

    @admin.display(description=_("interest rate"), ordering="interest_rate_percentage")
    def rate(self, liability: Liability) -> str | None:
        rate = format_quantity(liability.interest_rate_percentage)
        return f"{rate}%" if rate is not None else None

    search_fields = ("=account__account_id", "account__name", "=account__item__item_id")


@admin.register(PayrollIncome)
class PayrollIncomeAdmin(SensitiveAdmin):
    # Plaid's pay stubs and W-2s carry the amounts: they are in the data (masked) field,
    # as Plaid sent them. No amount is promoted to a column.
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
    list_display = ("plaid_user", "institution_name", "status", "plaid_updated_at")
    status = breakable_column("processing_status", _("processing status"))
    list_filter = ("processing_status", "institution_name")
    search_fields = ("=item_id", "=plaid_user__user_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return admin.ModelAdmin.get_queryset(self, request).select_related("plaid_user")


@admin.register(PlaidUser)
class PlaidUserAdmin(PlaidAdmin):
    """Plaid users (for Income); the user token is never shown. Removed with the action."""

    actions = ("remove_at_plaid",)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting the row alone would leave the user (and its payroll Items) at Plaid,
        # billed, with no token left to remove them: the action removes it there first.
        return False

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.remove_plaiduser_at_plaid")

    @admin.action(
        description=_("Remove selected Plaid users at Plaid (and delete their income data)"),
        permissions=["remove"],
    )
    def remove_at_plaid(
        self, request: HttpRequest, queryset: QuerySet[PlaidUser]
    ) -> TemplateResponse | None:
        # As for Items: the first POST only shows what would go; the confirmation's
        # POST (post=yes) removes.
        if not request.POST.get("post"):
            return self._confirm_removal(request, queryset)
        removed = 0
        for plaid_user in queryset.select_related("owner"):
            try:
                remove_plaid_user(plaid_user)
            except PlaidAPIError as e:
                self.message_user(
                    request,
                    _("Could not remove %(user)s: %(code)s")
                    % {"user": plaid_user, "code": e.error_code},
                    messages.ERROR,
                )
            else:
                removed += 1
        if removed:
            self.message_user(
                request,
                ngettext(
                    "Removed %d Plaid user at Plaid.", "Removed %d Plaid users at Plaid.", removed
                )
                % removed,
                messages.SUCCESS,
            )
        return None

    def _confirm_removal(
        self, request: HttpRequest, queryset: QuerySet[PlaidUser]
    ) -> TemplateResponse:
        users = [
            (plaid_user, plaid_user.payroll_count)
            for plaid_user in queryset.select_related("owner").annotate(
                payroll_count=Count("payroll")
            )
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Remove Plaid users at Plaid"),
            "subtitle": None,
            "plaid_users": users,
            "opts": self.opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "remove_at_plaid",
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/django_plaid/plaiduser/remove_at_plaid_confirmation.html", context
        )

    list_display = ("user_id", "owner_name", "environment", "created_at")
    list_select_related = ("owner",)
    owner_name = breakable_column("owner", _("owner"))
    list_filter = ("environment",)
    search_fields = ("=user_id",)
    fields = readonly_fields = ("user_id", "owner", "environment", "created_at")


@admin.register(Security)
class SecurityAdmin(PlaidAdmin):
    """Securities held or traded."""

    money_close_price = money_column("close_price", _("close price"), unit_price=True)
    list_display = ("__str__", "name", "type", "money_close_price", "close_price_as_of")
    list_filter = ("type",)
    search_fields = ("name", "ticker_symbol", "=security_id")
    fields = readonly_fields = replaced(
        model_fields(Security, exclude=("updated_at",)), {"close_price": "money_close_price"}
    )


@admin.register(Holding)
class HoldingAdmin(AccountColumn, PlaidAdmin):
    """Investment positions."""

    qty_quantity = quantity_column("quantity", _("quantity"))
    money_price = money_column("institution_price", _("price"), unit_price=True)
    money_value = money_column("institution_value", _("value"))
    money_cost_basis = money_column("cost_basis", _("cost basis"))
    list_display = ("where", "security", "qty_quantity", "money_value", "money_cost_basis")
    list_filter = ("security__type", *relation_filters("account__item", "account"))
    list_select_related = ("account", "account__item", "security")
    search_fields = ("security__name", "security__ticker_symbol", "=account__account_id")
    fields = readonly_fields = replaced(
        model_fields(Holding, exclude=("updated_at",)),
        {
            "quantity": "qty_quantity",
            "institution_price": "money_price",
            "institution_value": "money_value",
            "cost_basis": "money_cost_basis",
        },
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("account__item__access_token")


@admin.register(InvestmentTransaction)
class InvestmentTransactionAdmin(AccountColumn, PlaidAdmin):
    """Investment transactions."""

    qty_quantity = quantity_column("quantity", _("quantity"))
    money_amount = money_column("amount", _("amount"))
    money_price = money_column("price", _("price"), unit_price=True)
    money_fees = money_column("fees", _("fees"))
    list_display = ("date", "name", "type", "subtype", "money_amount", "where")
    # No date hierarchy: its year links are a SELECT DISTINCT over the whole table.
    list_filter = (
        ("date", admin.DateFieldListFilter),
        "type",
        "subtype",
        *relation_filters("account__item", "account"),
    )
    list_select_related = ("account", "account__item")
    search_fields = ("name", "security__ticker_symbol", "=investment_transaction_id")
    fields = readonly_fields = replaced(
        model_fields(InvestmentTransaction, exclude=("updated_at",)),
        {
            "quantity": "qty_quantity",
            "amount": "money_amount",
            "price": "money_price",
            "fees": "money_fees",
        },
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        return super().get_queryset(request).defer("account__item__access_token")
