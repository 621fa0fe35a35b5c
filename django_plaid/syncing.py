"""Syncing an Item: one run per Item at a time, with concurrent triggers merged into it.

Every trigger (a webhook, the API, the periodic task, a command) bumps the Item's
``sync_requested`` counter in the database and queues a task. The task takes the Item's
lease (a conditional UPDATE, so it works the same on SQLite and PostgreSQL and across
processes and machines); a task that finds the lease taken leaves, because the running
sync re-reads the counter when it finishes and goes round once more for any trigger that
arrived meanwhile. While a run lives, a heartbeat thread renews its lease every third of
``SYNC_LEASE_SECONDS``, so the lease can be short: a dead worker's Item is free again
within one lease. A run that finds its lease lost (another run took the Item over) stops
without recording anything. What one run does is :func:`sync_pass`: the Item's Accounts,
then its transactions (:mod:`django_plaid.transactions`).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable
from datetime import timedelta

from django.db import DatabaseError, connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone

from . import jobs, signals
from .conf import plaid_settings
from .exceptions import PlaidAPIError, SyncLeaseLost
from .items import record_item_error
from .lifecycle import refresh_accounts
from .models import Item
from .transactions import sync_transactions

logger = logging.getLogger("django_plaid.sync")


def _lease() -> timedelta:
    # How long a sync run holds an Item before another worker may take over (renewed by
    # the heartbeat and after every page, so only a dead worker's lease runs out).
    return plaid_settings.seconds("SYNC_LEASE_SECONDS")


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
    """Extend a held lease; False when the lease is lost (another run took the Item)."""
    renewed = Item.objects.filter(pk=item_pk, sync_lock_owner=owner).update(
        sync_lock_until=timezone.now() + _lease()
    )
    return renewed == 1


def release_lease(item_pk: int, owner: str) -> None:
    """Give the lease back (only if this run still holds it)."""
    Item.objects.filter(pk=item_pk, sync_lock_owner=owner).update(
        sync_lock_until=None, sync_lock_owner=""
    )


class Heartbeat:
    """Renews a held lease every third of ``SYNC_LEASE_SECONDS``, in a thread of its own.

    The thread uses its own database connection (closed when it ends) and ends when
    :meth:`stop` is called or when a renewal finds the lease lost (:attr:`lost`).
    """

    def __init__(self, item_pk: int, owner: str) -> None:
        self.item_pk = item_pk
        self.owner = owner
        self.interval = _lease().total_seconds() / 3
        self.lost = False
        self._stopped = threading.Event()
        self._thread = threading.Thread(
            target=self._run, name=f"django-plaid-lease-{item_pk}", daemon=True
        )

    def start(self) -> Heartbeat:
        """Start renewing."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop renewing and wait for the thread to end."""
        self._stopped.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stopped.wait(self.interval):
                try:
                    if not renew_lease(self.item_pk, self.owner):
                        self.lost = True
                        logger.warning("Item %s: sync lease lost to another run", self.item_pk)
                        return
                except DatabaseError:
                    # Passing (a locked SQLite file, a dropped connection): the next beat
                    # tries again on a fresh connection; the lease lasts three beats.
                    logger.warning("Item %s: could not renew the sync lease", self.item_pk)
                    connections.close_all()
        finally:
            connections.close_all()


def _heartbeat(item_pk: int, owner: str) -> Heartbeat | None:
    # Inside the caller's transaction the lease is invisible to other connections until
    # it commits (and nobody can take the row over meanwhile): nothing to renew, and a
    # second connection would only wait for the caller's locks.
    if connections[router.db_for_write(Item)].in_atomic_block:
        return None
    return Heartbeat(item_pk, owner).start()


def _requested(item_pk: int) -> int | None:
    return Item.objects.filter(pk=item_pk).values_list("sync_requested", flat=True).first()


def run_sync(item_pk: int, body: Callable[[Item, str], object]) -> bool:
    """Run ``body(item, lease_owner)`` until no trigger is left unhandled.

    Returns False when another run holds the Item (it will handle the triggers) or the
    Item is gone; True when this run synced. Exceptions from ``body`` propagate after the
    lease is released; the triggers stay unhandled for a retry or the periodic task.
    A :class:`Heartbeat` renews the lease while the run lives. A run that lost its lease
    (``body`` raised :class:`~django_plaid.exceptions.SyncLeaseLost`, or the lease was
    gone when the pass ended) records nothing and leaves the triggers to the new holder.
    """
    owner = uuid.uuid4().hex
    handled: int | None = None
    while True:
        if not acquire_lease(item_pk, owner):
            return handled is not None
        heartbeat = _heartbeat(item_pk, owner)
        try:
            while True:
                requested = _requested(item_pk)
                item = Item.objects.filter(pk=item_pk).first()
                if requested is None or item is None:
                    return handled is not None
                try:
                    body(item, owner)
                except SyncLeaseLost:
                    logger.warning("Item %s: sync stopped, its lease was lost", item_pk)
                    return handled is not None
                # Only while the lease is still ours: the run that took it over counts.
                if not Item.objects.filter(pk=item_pk, sync_lock_owner=owner).update(
                    sync_completed=requested, last_synced_at=timezone.now()
                ):
                    logger.warning("Item %s: sync lease lost before the pass ended", item_pk)
                    return handled is not None
                handled = requested
                if _requested(item_pk) == handled:
                    break
        finally:
            if heartbeat is not None:
                heartbeat.stop()
            release_lease(item_pk, owner)
        # A trigger that arrived between the last check and the release found the
        # lease taken and left: pick it up here instead of losing it.
        if _requested(item_pk) in (handled, None):
            return True
        logger.debug("Item %s: trigger arrived while releasing; syncing again", item_pk)


def sync_pass(item: Item, lease_owner: str = "") -> None:
    """One sync pass for an Item (run under its sync lease by :func:`run_sync`).

    Refreshes the Item and its Accounts with their cached balances (``/accounts/get``),
    then its transactions (``/transactions/sync``) when the Item has that product. A
    revoked Item has nothing left to sync. Sends ``transactions_synced`` after commit.
    """
    if not item.access_token:
        return
    refresh_accounts(item)
    if "transactions" not in (item.products or []):
        return
    try:
        result = sync_transactions(
            item, renew=(lambda: renew_lease(item.pk, lease_owner)) if lease_owner else None
        )
    except PlaidAPIError as e:
        record_item_error(item, e)
        raise
    logger.info(
        "Item %s synced: %d added, %d modified, %d removed (%d pages, %d restarts)",
        item.item_id,
        result.added,
        result.modified,
        result.removed,
        result.pages,
        result.restarts,
    )
    transaction.on_commit(
        lambda: signals.transactions_synced.send(
            sender=Item,
            item=item,
            added=result.added,
            modified=result.modified,
            removed=result.removed,
        )
    )
