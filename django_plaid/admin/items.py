"""The Item and Account screens, with the actions support staff run on Items."""

from __future__ import annotations

from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.http import HttpRequest
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from ..exceptions import PlaidAPIError
from ..jobs import enqueue_refresh_balances
from ..lifecycle import remove_item, request_refresh, rotate_access_token
from ..models import Account, Item
from ..syncing import request_sync
from .base import EMPTY, PlaidAdmin, ReadOnlyMixin, breakable_column, owner_search_fields
from .filters import institution_filter, relation_filters
from .money import money_column


class AccountMoney:
    """An Account's three balances as money, in its currency."""

    money_current = money_column("balance_current", _("current balance"))
    money_available = money_column("balance_available", _("available balance"))
    money_limit = money_column("balance_limit", _("limit"))


class AccountInline(AccountMoney, ReadOnlyMixin, admin.TabularInline):
    """The Item's Accounts with their cached balances (the rest is on each Account's page)."""

    model = Account
    fields = (
        "name",
        "mask",
        "type",
        "subtype",
        "money_current",
        "money_available",
        "money_limit",
        "balances_updated_at",
    )
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    empty_value_display = EMPTY


@admin.register(Item)
class ItemAdmin(PlaidAdmin):
    """Items: who owns them, where, and whether they work."""

    # What support looks at first; item_id, environment and the rest are on the page
    # (and item_id is what the search takes).
    list_display = (
        "institution",
        "owner_name",
        "status",
        "error_label",
        "account_count",
        "last_synced_at",
        "created_at",
    )
    list_display_links = ("institution",)
    owner_name = breakable_column("owner", _("owner"))
    error_label = breakable_column("error_code", _("error code"))
    list_filter = ("status", institution_filter("institution_name"), "environment", "error_code")
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
        self._queue(request, queryset, request_sync, "Sync")

    @admin.action(
        description=_("Refresh live balances (in the background)"),
        permissions=["refresh_balances"],
    )
    def refresh_balances(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        self._queue(request, queryset, enqueue_refresh_balances, "Balance refresh")

    @admin.action(
        description=_("Refresh status and accounts from Plaid (in the background)"),
        permissions=["refresh"],
    )
    def refresh_from_plaid(self, request: HttpRequest, queryset: QuerySet[Item]) -> None:
        self._queue(request, queryset, request_refresh, "Refresh")

    def get_search_fields(self, request: HttpRequest) -> tuple[str, ...]:
        return owner_search_fields()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Item]:
        # The token is deferred: listing Items never decrypts it. The accounts are
        # counted per listed row (a subquery), not by grouping the whole join.
        accounts = (
            Account.objects.filter(item=OuterRef("pk"))
            .order_by()
            .values("item")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return (
            super()
            .get_queryset(request)
            .defer("access_token")
            .annotate(_account_count=Coalesce(Subquery(accounts, output_field=IntegerField()), 0))
        )

    @admin.display(description=_("institution"), ordering="institution_name")
    def institution(self, item: Item) -> str:
        return item.institution_name or item.institution_id or item.item_id

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
                remove_item(item)
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
                rotate_access_token(item)
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
class AccountAdmin(AccountMoney, PlaidAdmin):
    """Accounts and their cached balances."""

    # The subtype, the official name, the ids and the limit are on the account's page.
    list_display = (
        "__str__",
        "institution",
        "kind",
        "money_current",
        "money_available",
        "balances_updated_at",
    )
    list_filter = (
        "type",
        *relation_filters("item"),
        institution_filter("item__institution_name"),
    )
    list_select_related = ("item",)
    search_fields = ("=account_id", "name", "official_name", "=item__item_id")

    def get_queryset(self, request: HttpRequest) -> QuerySet[Account]:
        return super().get_queryset(request).defer("item__access_token")

    @admin.display(description=_("institution"), ordering="item__institution_name")
    def institution(self, account: Account) -> str:
        return account.item.institution_name or account.item.institution_id

    @admin.display(description=_("type"), ordering="type")
    def kind(self, account: Account) -> str:
        return f"{account.type} · {account.subtype}" if account.subtype else account.type

    readonly_fields = (
        "item",
        "account_id",
        "persistent_account_id",
        "name",
        "official_name",
        "mask",
        "type",
        "subtype",
        "money_current",
        "money_available",
        "money_limit",
        "iso_currency_code",
        "unofficial_currency_code",
        "balances_updated_at",
        "raw",
        "created_at",
        "updated_at",
    )
    fields = readonly_fields

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
