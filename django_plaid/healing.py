"""Self-healing: what the periodic task finds owed in the database, and sends again.

Lost webhooks and lost tasks leave traces in the rows (a stale sync, an unhandled
trigger, a recorded re-check request, a product never fetched, a delivery waiting):
:func:`items_due` finds them and :func:`heal` queues the work.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import jobs
from .conf import plaid_settings
from .items import BROKEN_STATUSES
from .linking import purge_link_events, purge_link_tokens
from .models import Item, WebhookEvent, WebhookEventStatus
from .registry import FETCHED_PRODUCTS
from .syncing import request_sync
from .webhooks.processing import schedule_drain

#: How long a recorded request waits for its own task before the periodic task runs it.
REQUEST_GRACE = timedelta(minutes=2)


def items_due(now: datetime | None = None) -> dict[str, list[Any]]:
    """The Items the periodic task must act on, by what to do with them.

    ``sync``: healthy Items not synced within ``SYNC_STALE_AFTER`` (lost webhooks), and
    Items with a trigger no live run is handling (a lost task). ``balances``: healthy
    Items whose cached balances are older than ``BALANCE_MAX_AGE``. ``refresh``: broken
    Items not looked at within ``SYNC_STALE_AFTER`` (a lost ``LOGIN_REPAIRED``), and
    Items whose requested re-check has waited ``REQUEST_GRACE`` (a lost task).
    ``products``: products never fetched or not tried within ``PRODUCT_REFRESH_AFTER``.
    """
    now = now or timezone.now()
    stale = now - plaid_settings.seconds("SYNC_STALE_AFTER")
    old_balances = now - plaid_settings.seconds("BALANCE_MAX_AGE")
    live = Item.objects.exclude(access_token="")
    healthy = live.exclude(status__in=BROKEN_STATUSES)
    unleased = Q(sync_lock_until__isnull=True) | Q(sync_lock_until__lt=now)
    sync = healthy.filter(
        Q(last_synced_at__isnull=True, created_at__lt=now - timedelta(minutes=5))
        | Q(last_synced_at__lt=stale)
        | (Q(sync_requested__gt=F("sync_completed")) & unleased)
    )
    balances = healthy.filter(
        Q(accounts__balances_updated_at__lt=old_balances)
        | Q(accounts__balances_updated_at__isnull=True)
    ).distinct()
    refresh = live.filter(
        Q(status__in=BROKEN_STATUSES, updated_at__lt=stale)
        | Q(refresh_requested_at__lt=now - REQUEST_GRACE)
    )
    return {
        "sync": list(sync.values_list("pk", flat=True)),
        "balances": list(balances.values_list("pk", flat=True)),
        "refresh": list(refresh.values_list("pk", flat=True)),
        "products": stale_products(healthy, now),
    }


def stale_products(items: Any, now: datetime) -> list[tuple[int, str]]:
    """(Item pk, product) pairs not tried within ``PRODUCT_REFRESH_AFTER``."""
    limit = now - plaid_settings.seconds("PRODUCT_REFRESH_AFTER")
    due = []
    for pk, products, attempted in items.values_list("pk", "products", "product_attempted_at"):
        for product in FETCHED_PRODUCTS:
            if product not in (products or []):
                continue
            # The last attempt counts, successful or not: a failing product waits too.
            attempt = parse_datetime((attempted or {}).get(product) or "")
            if attempt is None or attempt < limit:
                due.append((pk, product))
    return due


def heal() -> dict[str, int]:
    """Queue what :func:`items_due` finds, drain waiting webhook deliveries, and forget
    expired Link tokens and old Link events; returns how many Items of each kind were due."""
    due = items_due()
    for pk in due["sync"]:
        request_sync(pk)
    for pk in due["balances"]:
        jobs.enqueue_refresh_balances(pk)
    for pk in due["refresh"]:
        jobs.enqueue_refresh_item(pk)
    for pk, product in due["products"]:
        jobs.enqueue_refresh_product(pk, product)
    if WebhookEvent.objects.filter(status=WebhookEventStatus.PENDING).exists():
        schedule_drain()
    purge_link_tokens()
    purge_link_events()
    return {what: len(entries) for what, entries in due.items()}
