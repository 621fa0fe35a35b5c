"""``manage.py plaid_refresh_balances``: fetch live balances for Items (throttled per Item)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...balances import refresh_balances
from ...exceptions import PlaidAPIError
from ..selection import add_item_arguments, selected_items


class Command(BaseCommand):
    help = "Fetch live balances (/accounts/balance/get) for Items and cache them."

    def add_arguments(self, parser: CommandParser) -> None:
        add_item_arguments(parser)

    def handle(self, *args: Any, item_ids: list[str], all: bool, **options: Any) -> None:
        failed = 0
        for item in selected_items(item_ids, all).iterator():
            try:
                refreshed = refresh_balances(item)
            except PlaidAPIError as e:
                failed += 1
                self.stderr.write(f"{item.item_id}: {e.error_code} {e.error_message}")
                continue
            self.stdout.write(f"{item.item_id}: {'refreshed' if refreshed else 'throttled'}")
        if failed:
            raise CommandError(f"{failed} Item(s) failed.")
