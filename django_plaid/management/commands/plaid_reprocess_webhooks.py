"""``manage.py plaid_reprocess_webhooks``: process failed (or chosen) webhook events again."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from ...models import WebhookEvent, WebhookEventStatus
from ...webhooks.processing import reprocess


class Command(BaseCommand):
    help = "Process failed Plaid webhook events again (or the events given by id)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("ids", nargs="*", type=int, help="event ids (default: all failed)")
        parser.add_argument(
            "--include-pending",
            action="store_true",
            help="also events still pending (e.g. lost from the task queue)",
        )

    def handle(self, *args: Any, ids: list[int], include_pending: bool, **options: Any) -> None:
        if ids:
            events = WebhookEvent.objects.filter(pk__in=ids)
        else:
            statuses = [WebhookEventStatus.FAILED]
            if include_pending:
                statuses.append(WebhookEventStatus.PENDING)
            events = WebhookEvent.objects.filter(status__in=statuses)
        results = reprocess(events.order_by("received_at", "pk").iterator())
        failed = results.count(WebhookEventStatus.FAILED)
        self.stdout.write(
            f"Reprocessed {len(results)} event(s): {len(results) - failed} ok, {failed} failed."
        )
