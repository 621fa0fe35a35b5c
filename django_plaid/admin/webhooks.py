"""The webhook deliveries screen, with the reprocess action."""

from __future__ import annotations

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from ..models import WebhookEvent, WebhookEventStatus
from ..webhooks.processing import reprocess
from .base import PlaidAdmin, breakable_column


@admin.register(WebhookEvent)
class WebhookEventAdmin(PlaidAdmin):
    """Every verified delivery, its raw body, and how its processing went."""

    # The event's name repeats its type, code and item_id: the columns say them.
    list_display = (
        "received_at",
        "webhook_type",
        "code",
        "item_id",
        "status",
        "attempts",
    )  # processed is on the page
    list_display_links = ("received_at",)
    code = breakable_column("webhook_code", _("webhook code"))
    # A date filter, not a date hierarchy: deliveries pile up (dj-plaid never deletes
    # them), and the hierarchy's links are a SELECT DISTINCT over every row.
    list_filter = (
        ("received_at", admin.DateFieldListFilter),
        "status",
        "webhook_type",
        "webhook_code",
        "environment",
        "verified",
    )
    search_fields = ("=item_id", "=body_sha256")
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
        results = reprocess(queryset)
        failed = sum(1 for status in results if status == WebhookEventStatus.FAILED)
        done = len(results) - failed
        self.message_user(
            request,
            _("Reprocessed %(done)d event(s); %(failed)d failed again.")
            % {"done": done, "failed": failed},
            messages.WARNING if failed else messages.SUCCESS,
        )
