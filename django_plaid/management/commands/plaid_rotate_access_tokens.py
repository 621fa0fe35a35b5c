"""``manage.py plaid_rotate_access_tokens``: new access tokens at Plaid for Items."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...exceptions import PlaidAPIError
from ...lifecycle import rotate_access_token
from ..selection import add_item_arguments, selected_items


class Command(BaseCommand):
    help = (
        "Rotate Items' access tokens at Plaid (/item/access_token/invalidate): each gets a "
        "new one, stored encrypted, and the old one stops working at once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        add_item_arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="only list the Items that would rotate"
        )

    def handle(
        self, *args: Any, item_ids: list[str], all: bool, dry_run: bool, **options: Any
    ) -> None:
        rotated = failed = 0
        # The tokens are read (fresh) by the service, one Item at a time.
        for item in selected_items(item_ids, all).defer("access_token").iterator():
            if dry_run:
                self.stdout.write(f"would rotate {item.item_id}")
                continue
            try:
                rotate_access_token(item)
            except PlaidAPIError as e:
                failed += 1
                self.stderr.write(f"{item.item_id}: {e.error_code} {e.error_message}")
                continue
            rotated += 1
            self.stdout.write(f"{item.item_id}: rotated")
        if not dry_run:
            self.stdout.write(f"Rotated {rotated} Item(s); {failed} failed.")
        if failed:
            raise CommandError(f"{failed} Item(s) could not be rotated.")
