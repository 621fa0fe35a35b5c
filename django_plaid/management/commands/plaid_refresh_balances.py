"""``manage.py plaid_refresh_balances``: fetch live balances for Items (throttled per Item)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ... import services
from ...exceptions import PlaidAPIError
from ...models import Item


class Command(BaseCommand):
    help = "Fetch live balances (/accounts/balance/get) for Items and cache them."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("item_ids", nargs="*", help="Plaid item_ids (default: with --all)")
        parser.add_argument("--all", action="store_true", help="every Item that can be read")

    def handle(self, *args: Any, item_ids: list[str], all: bool, **options: Any) -> None:
        if not item_ids and not all:
            raise CommandError("Name item_ids, or use --all.")
        items = Item.objects.exclude(access_token="")
        if item_ids:
            items = items.filter(item_id__in=item_ids)
            missing = set(item_ids) - set(items.values_list("item_id", flat=True))
            if missing:
                raise CommandError(f"Unknown item_ids: {', '.join(sorted(missing))}")
        failed = 0
        for item in items.iterator():
            try:
                refreshed = services.refresh_balances(item)
            except PlaidAPIError as e:
                failed += 1
                self.stderr.write(f"{item.item_id}: {e.error_code} {e.error_message}")
                continue
            self.stdout.write(f"{item.item_id}: {'refreshed' if refreshed else 'throttled'}")
        if failed:
            raise CommandError(f"{failed} Item(s) failed.")
