"""Which Items a management command acts on: the ``item_id``s named, or ``--all``."""

from __future__ import annotations

from django.core.management.base import CommandError, CommandParser
from django.db.models import QuerySet

from ..models import Item


def add_item_arguments(parser: CommandParser) -> None:
    """The ``item_ids`` and ``--all`` arguments."""
    parser.add_argument("item_ids", nargs="*", help="Plaid item_ids (or --all)")
    parser.add_argument("--all", action="store_true", help="every Item that can be read")


def selected_items(item_ids: list[str], all_items: bool) -> QuerySet[Item]:
    """The Items named (every one must exist), or all that still have an access token."""
    if not item_ids and not all_items:
        raise CommandError("Name item_ids, or use --all.")
    items = Item.objects.exclude(access_token="")
    if item_ids:
        items = items.filter(item_id__in=item_ids)
        missing = set(item_ids) - set(items.values_list("item_id", flat=True))
        if missing:
            raise CommandError(f"Unknown item_ids: {', '.join(sorted(missing))}")
    return items
