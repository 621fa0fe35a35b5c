"""Admin screens for support and operations staff.

Mirrored Plaid data is read-only here (Plaid is its source of truth); the access token
is never listed, shown or editable.
"""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_user_model
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import services
from .exceptions import PlaidAPIError
from .models import Account, Item, Transaction, WebhookEvent, WebhookEventStatus

ACCOUNT_FIELDS = (
    "account_id",
    "name",
    "official_name",
    "mask",
    "type",
    "subtype",
    "balance_available",
    "balance_current",
    "balance_limit",
    "iso_currency_code",
    "unofficial_currency_code",
    "balances_updated_at",
)


def model_fields(model: Any, *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A mirror model's fields in declaration order, for read-only admin pages."""
    return tuple(
        f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude
    )


class ReadOnlyMixin:
    """Plaid's data is changed through Plaid, not typed in here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class AccountInline(ReadOnlyMixin, admin.TabularInline):
    """The Item's Accounts with their cached balances."""

    model = Account
    fields = ACCOUNT_FIELDS
    readonly_fields = ACCOUNT_FIELDS
    extra = 0
    can_delete = False
    show_change_link = True


def _owner_search_fields() -> tuple[str, ...]:
    user_model = get_user_model()
    fields = [f"owner__{user_model.USERNAME_FIELD}"]
    email_field = getattr(user_model, "EMAIL_FIELD", None)
    if email_field and email_field != user_model.USERNAME_FIELD:
        fields.append(f"owner__{email_field}")
    return ("=item_id", *fields)


@admin.register(Item)
class ItemAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Items: who owns them, where, and whether they work."""

    list_display = (
        "__str__",
        "owner",
        "institution_name",
        "status",
        "error_code",
        "account_count",
        "environment",
        "created_at",
    )
    list_filter = ("status", "institution_name", "environment", "error_code")
    list_select_related = ("owner",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "item_id",
        "owner",
        "environment",
        "institution_id",
        "institution_name",
        "products",
        "available_products",
        "status",
        "error_type",
        "error_code",
        "error",
        "consent_expiration_time",
        "new_accounts_available",
        "webhook",
        "link_session_id",
        "last_synced_at",
        "created_at",
        "updated_at",
        "raw",
    )
    fields = readonly_fields
    inlines = (AccountInline,)
    actions = (
        "sync_now",
        "refresh_balances",
        "refresh_from_plaid",
        "remove_at_plaid",
        "rotate_access_token",
    )

    def _queue(self, request: HttpRequest, queryset: QuerySet[Item], task: Any, what: str) -> None:
        pks = list(queryset.values_list("pk", flat=True))
        for pk in pks:
            task(pk)  # each records its work and queues it after commit
        self.message_user(request, f"{what}: {len(pks)} Item(s) queued.", messages.SUCCESS)

    def _has_item_permission(self, request: HttpRequest, codename: str) -> bool:
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    # Each action that calls Plaid or changes state has its own permission: the view
    # permission lets staff look, never act (Django filters actions by these methods both
    # when listing them and when a POST names one).
    def has_sync_permission(self, request: HttpRequest) -> bool:
        return self._has_item_permission(request, "sync_item")

    def has_refresh_balances_permission(self, request: HttpRequest) -> bool:
        return self._has_item_permission(request, "refresh_balances_item")

    def has_refresh_permission(self, request: HttpRequest) -> bool:
        return self._has_item_permission(request, "refresh_item")

    def has_remove_permission(self, request: HttpRequest) -> bool:
        return self._has_item_permission(request, "remove_item_at_plaid")

    @admin.action(
        description=_("Sync now (transactions and balances, in the background)"),
        permissions=["sync"],
    )
    def sync_now(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        from .sync import request_sync

        self._queue(request, queryset, request_sync, "Sync")

    @admin.action(
        description=_("Refresh live balances (in the background)"),
        permissions=["refresh_balances"],
    )
    def refresh_balances(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        from . import jobs

        self._queue(request, queryset, jobs.enqueue_refresh_balances, "Balance refresh")

    @admin.action(
        description=_("Refresh status and accounts from Plaid (in the background)"),
        permissions=["refresh"],
    )
    def refresh_from_plaid(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        from .services import request_refresh

        self._queue(request, queryset, request_refresh, "Refresh")

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return _owner_search_fields()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        # The token is deferred: listing Items never decrypts it.
        return (
            super()
            .get_queryset(request)
            .defer("access_token")
            .annotate(_account_count=Count("accounts"))
        )

    @admin.display(description=_("accounts"), ordering="_account_count")
    def account_count(self, item: Item) -> int:
        return getattr(item, "_account_count", 0)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Deleting here would leave the Item billing at Plaid: use the action instead.
        return False

    @admin.action(
        description=_("Remove selected Items at Plaid (and delete their data)"),
        permissions=["remove"],
    )
    def remove_at_plaid(
        self, request: HttpRequest, queryset: QuerySet[Item]
    ) -> TemplateResponse | None:
        # Removal cannot be undone (Plaid invalidates the access token): like Django's
        # delete action, the first POST only shows what would go, and the confirmation
        # page's POST (post=yes) removes.
        if not request.POST.get("post"):
            return self._confirm_removal(request, queryset)
        removed = 0
        for item in queryset:
            try:
                services.remove_item(item)
            except PlaidAPIError as e:
                self.message_user(
                    request,
                    _("Could not remove %(item)s: %(code)s") % {"item": item, "code": e.error_code},
                    messages.ERROR,
                )
            else:
                removed += 1
        if removed:
            self.message_user(
                request,
                ngettext("Removed %d Item at Plaid.", "Removed %d Items at Plaid.", removed)
                % removed,
                messages.SUCCESS,
            )
        return None

    def _confirm_removal(self, request: HttpRequest, queryset: QuerySet[Item]) -> TemplateResponse:
        # (Item, account count): the changelist's queryset already counts the accounts.
        items = [
            (item, getattr(item, "_account_count", 0)) for item in queryset.select_related("owner")
        ]
        context = {
            **self.admin_site.each_context(request),
            "title": _("Remove Items at Plaid"),
            "subtitle": None,
            "items": items,
            "opts": self.opts,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "action_name": "remove_at_plaid",
            "media": self.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, "admin/django_plaid/item/remove_at_plaid_confirmation.html", context
        )

    # -- Access-token rotation ------------------------------------------------------------

    @admin.action(
        description=_("Rotate access token at Plaid"),
        permissions=["rotate_access_token"],
    )
    def rotate_access_token(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        """Give each selected Item a new access token at Plaid (the old one stops working)."""
        rotated = 0
        for item in queryset.exclude(access_token=""):
            try:
                services.rotate_access_token(item)
            except PlaidAPIError as e:
                self.message_user(
                    request,
                    _("Could not rotate the access token of %(item)s: %(code)s")
                    % {"item": item, "code": e.error_code},
                    messages.ERROR,
                )
            else:
                rotated += 1
        if rotated:
            self.message_user(
                request,
                ngettext(
                    "Rotated the access token of %d Item at Plaid.",
                    "Rotated the access tokens of %d Items at Plaid.",
                    rotated,
                )
                % rotated,
                messages.SUCCESS,
            )

    def has_rotate_access_token_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.rotate_access_token_{opts.model_name}")


@admin.register(Account)
class AccountAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Accounts and their cached balances."""

    list_display = ("__str__", "item", "type", "subtype", "balance_current", "balances_updated_at")
    list_filter = ("type", "subtype", "item__institution_name")
    list_select_related = ("item",)
    search_fields = ("=account_id", "name", "official_name", "=item__item_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return super().get_queryset(request).defer("item__access_token")

    readonly_fields = ("item", *ACCOUNT_FIELDS, "raw", "created_at", "updated_at")
    fields = readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Every verified delivery, its raw body, and how its processing went."""

    list_display = (
        "__str__",
        "webhook_type",
        "webhook_code",
        "item_id",
        "status",
        "attempts",
        "received_at",
        "processed_at",
    )
    list_filter = ("status", "webhook_type", "webhook_code", "environment", "verified")
    search_fields = ("=item_id", "=body_sha256")
    date_hierarchy = "received_at"
    readonly_fields = (
        "webhook_type",
        "webhook_code",
        "item_id",
        "environment",
        "verified",
        "remote_addr",
        "received_at",
        "status",
        "attempts",
        "processed_at",
        "error",
        "traceback",
        "body_sha256",
        "jwt_sha256",
        "pretty_body",
    )
    fields = readonly_fields
    actions = ("reprocess",)

    @admin.display(description=_("raw body"))
    def pretty_body(self, event: WebhookEvent) -> str:
        return format_html("<pre style='white-space:pre-wrap'>{}</pre>", event.body)

    def has_reprocess_permission(self, request: HttpRequest) -> bool:
        # Reprocessing replays status changes (an old ITEM ERROR sets a healthy Item to
        # login_required), so viewing events is not enough.
        return request.user.has_perm(f"{self.opts.app_label}.reprocess_webhookevent")

    @admin.action(description=_("Reprocess selected webhook events"), permissions=["reprocess"])
    def reprocess(self, request: HttpRequest, queryset: QuerySet[WebhookEvent]) -> None:
        from .webhooks.processing import reprocess

        results = reprocess(queryset)
        failed = sum(1 for status in results if status == WebhookEventStatus.FAILED)
        done = len(results) - failed
        self.message_user(
            request,
            _("Reprocessed %(done)d event(s); %(failed)d failed again.")
            % {"done": done, "failed": failed},
            messages.WARNING if failed else messages.SUCCESS,
        )


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
    readonly_fields = model_fields(Transaction, exclude=("owner", "item"))
    readonly_fields = (
        "transaction_id",
        "account",
        "amount",
        "iso_currency_code",
        "unofficial_currency_code",
        "date",
        "authorized_date",
        "datetime",
        "authorized_datetime",
        "name",
        "merchant_name",
        "payment_channel",
        "pending",
        "pending_transaction_id",
        "category_primary",
        "category_detailed",
        "location",
        "counterparties",
        "raw",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields
    show_full_result_count = False  # a COUNT(*) over millions of rows per page view

    def get_queryset(self, request: HttpRequest) -> QuerySet[Transaction]:
        return super().get_queryset(request).defer("account__item__access_token")

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


# -- Other products ----------------------------------------------------------------------------

from .products.masking import mask  # noqa: E402
from .products.models import (  # noqa: E402
    AccountOwner,
    AuthNumbers,
    Holding,
    InvestmentTransaction,
    Liability,
    PayrollIncome,
    PlaidUser,
    Security,
)

UNMASK_PERMISSION = "django_plaid.view_unmasked_numbers"


def _pretty(data: Any) -> str:
    import json

    return format_html(
        "<pre style='white-space:pre-wrap'>{}</pre>",
        json.dumps(data, indent=2, default=str, ensure_ascii=False),
    )


class SensitiveAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Shows ``sensitive_field`` masked; clear only to staff with the unmask permission."""

    sensitive_field = "data"
    #: The product whose ``CLEAR_FIELDS`` say what the masked view shows in clear.
    product = ""
    base_fields: tuple[str, ...] = ()

    @admin.display(description=_("data (masked)"))
    def masked(self, obj: Any) -> str:
        return _pretty(mask(getattr(obj, self.sensitive_field), self.product))

    @admin.display(description=_("data (clear)"))
    def clear(self, obj: Any) -> str:
        return _pretty(getattr(obj, self.sensitive_field))

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
