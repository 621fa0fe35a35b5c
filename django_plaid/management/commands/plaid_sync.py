"""``manage.py plaid_sync``: sync one Item, several, or all (transactions and balances)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db.models import F

from ...exceptions import PlaidAPIError
from ...models import Item
from ...syncing import request_sync, run_sync, sync_pass
from ..selection import add_item_arguments, selected_items


class Command(BaseCommand):
    help = "Sync Plaid Items now: accounts, cached balances and transactions."

    def add_arguments(self, parser: CommandParser) -> None:
        add_item_arguments(parser)
        parser.add_argument(
            "--queue", action="store_true", help="queue Celery tasks instead of syncing here"
        )

    def handle(
        self, *args: Any, item_ids: list[str], all: bool, queue: bool, **options: Any
    ) -> None:
        failed = 0
        for item in selected_items(item_ids, all).iterator():
            if queue:
                request_sync(item.pk)
                self.stdout.write(f"{item.item_id}: queued")
                continue
            Item.objects.filter(pk=item.pk).update(sync_requested=F("sync_requested") + 1)
            try:
                ran = run_sync(item.pk, sync_pass)
            except PlaidAPIError as e:
                failed += 1
                self.stderr.write(f"{item.item_id}: {e.error_code} {e.error_message}")
                continue
            self.stdout.write(f"{item.item_id}: {'synced' if ran else 'already syncing (merged)'}")
        if failed:
            raise CommandError(f"{failed} Item(s) failed.")
