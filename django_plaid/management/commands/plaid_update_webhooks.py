"""``manage.py plaid_update_webhooks``: point every Item's webhook at ``PLAID["WEBHOOK_URL"]``."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ...conf import plaid_settings
from ...exceptions import PlaidAPIError
from ...lifecycle import update_item_webhook
from ...models import Item


class Command(BaseCommand):
    help = "Point every Item's webhook at PLAID['WEBHOOK_URL'] (Plaid's /item/webhook/update)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--all", action="store_true", help="update even Items already set")
        parser.add_argument("--dry-run", action="store_true", help="only list what would change")

    def handle(self, *args: Any, all: bool, dry_run: bool, **options: Any) -> None:
        url = plaid_settings.WEBHOOK_URL
        if not url:
            raise CommandError('PLAID["WEBHOOK_URL"] is not set.')
        items = Item.objects.exclude(access_token="")
        if not all:
            items = items.exclude(webhook=url)
        updated = failed = 0
        for item in items.iterator():
            if dry_run:
                self.stdout.write(f"would update {item.item_id}: {item.webhook or '-'} -> {url}")
                continue
            try:
                update_item_webhook(item, url)
            except PlaidAPIError as e:
                failed += 1
                self.stderr.write(f"{item.item_id}: {e.error_code} {e.error_message}")
            else:
                updated += 1
        if not dry_run:
            self.stdout.write(f"Updated {updated} Item(s); {failed} failed.")
        if failed:
            raise CommandError(f"{failed} Item(s) could not be updated.")
