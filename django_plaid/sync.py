"""Syncing an Item: one run per Item at a time, with concurrent triggers merged into it.

Every trigger (a webhook, the API, the periodic task, a command) bumps the Item's
``sync_requested`` counter in the database and queues a task. The task takes the Item's
lease (a conditional UPDATE, so it works the same on SQLite and PostgreSQL and across
processes and machines); a task that finds the lease taken leaves, because the running
sync re-reads the counter when it finishes and goes round once more for any trigger that
arrived meanwhile. The lease expires on its own if the worker holding it dies.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db.models import F, Q
from django.utils import timezone

from . import jobs
from .conf import plaid_settings
from .models import Item

logger = logging.getLogger("django_plaid.sync")


def _lease() -> timedelta:
    # How long a sync run holds an Item before another worker may take over (renewed
    # after every page, so only a dead worker's lease runs out).
    return timedelta(seconds=int(plaid_settings.SYNC_LEASE_SECONDS))


def request_sync(item_pk: int) -> None:
    """Record a sync trigger for the Item and queue the sync task (after commit)."""
    # Counted first: if the task is lost (the broker is down), the periodic task finds
    # the trigger unhandled and syncs.
    Item.objects.filter(pk=item_pk).update(sync_requested=F("sync_requested") + 1)
    jobs.enqueue_sync(item_pk)


def acquire_lease(item_pk: int, owner: str) -> bool:
    """Take the Item's sync lease unless another live run holds it."""
    now = timezone.now()
    taken = (
        Item.objects.filter(pk=item_pk)
        .filter(Q(sync_lock_until__isnull=True) | Q(sync_lock_until__lt=now))
        .update(sync_lock_until=now + _lease(), sync_lock_owner=owner)
    )
    return taken == 1


def renew_lease(item_pk: int, owner: str) -> bool:
    """Extend a held lease (long syncs call this between pages)."""
    renewed = Item.objects.filter(pk=item_pk, sync_lock_owner=owner).update(
        sync_lock_until=timezone.now() + _lease()
    )
    return renewed == 1


def release_lease(item_pk: int, owner: str) -> None:
    """Give the lease back (only if this run still holds it)."""
    Item.objects.filter(pk=item_pk, sync_lock_owner=owner).update(
        sync_lock_until=None, sync_lock_owner=""
    )


def _requested(item_pk: int) -> int | None:
    return Item.objects.filter(pk=item_pk).values_list("sync_requested", flat=True).first()


def run_sync(item_pk: int, body: Callable[[Item, str], object]) -> bool:
    """Run ``body(item, lease_owner)`` until no trigger is left unhandled.

    Returns False when another run holds the Item (it will handle the triggers) or the
    Item is gone; True when this run synced. Exceptions from ``body`` propagate after the
    lease is released; the triggers stay unhandled for a retry or the periodic task.
    """
    owner = uuid.uuid4().hex
    handled: int | None = None
    while True:
        if not acquire_lease(item_pk, owner):
            return handled is not None
        try:
            while True:
                requested = _requested(item_pk)
                item = Item.objects.filter(pk=item_pk).first()
                if requested is None or item is None:
                    return handled is not None
                body(item, owner)
                Item.objects.filter(pk=item_pk).update(
                    sync_completed=requested, last_synced_at=timezone.now()
                )
                handled = requested
                if _requested(item_pk) == handled:
                    break
        finally:
            release_lease(item_pk, owner)
        # A trigger that arrived between the last check and the release found the
        # lease taken and left: pick it up here instead of losing it.
        if _requested(item_pk) in (handled, None):
            return True
        logger.debug("Item %s: trigger arrived while releasing; syncing again", item_pk)
