"""Queueing background work: the one module that sends dj-plaid's Celery tasks.

Every ``enqueue_*`` function sends its task once the current transaction commits (at
once outside one), so a worker never looks for rows that are not there yet. Queueing
never fails a request whose work is committed: when the broker cannot be reached, the
failure is logged and the work waits in the database for the periodic task
(:func:`django_plaid.tasks.maintenance`), which finds every kind of it there (sync
triggers, Item re-checks, product fetches, webhook deliveries). The few callers that
have nothing durable to fall back on use :func:`send_now` and say so to their user.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from kombu.exceptions import OperationalError as QueueOperationalError

logger = logging.getLogger("django_plaid.jobs")


#: What a broker that cannot be reached raises: Celery wraps connection errors in
#: kombu's OperationalError; a socket error (ConnectionError is one) can still surface
#: raw from some transports.
QUEUE_ERRORS: tuple[type[BaseException], ...] = (QueueOperationalError, OSError)


def get_task(name: str) -> Any:
    """dj-plaid's task ``name`` (its function's name in :mod:`django_plaid.tasks`)."""
    # The one import of the tasks module, made when work is sent: the tasks call the
    # flows, and the flows queue their work here (the contracts in pyproject.toml allow
    # this edge alone).
    from . import tasks

    return getattr(tasks, name)


def send_now(name: str, *args: Any, countdown: float | None = None) -> bool:
    """Send the task ``name`` (of :mod:`django_plaid.tasks`) with ``args`` now; False
    (logged) when the broker cannot be reached.

    With ``task_always_eager`` the task runs inline and its own errors propagate, as
    Celery's eager mode promises.
    """
    task = get_task(name)
    try:
        if countdown is None:
            task.delay(*args)
        else:
            task.apply_async(args, countdown=countdown)
    except QUEUE_ERRORS as e:
        logger.error(
            "Could not queue %s%r (%s: %s); the periodic task picks the work up if the "
            "database records it",
            task.name,
            args,
            type(e).__name__,
            e,
        )
        return False
    return True


def _after_commit(name: str, *args: Any) -> None:
    transaction.on_commit(lambda: send_now(name, *args))


def enqueue_sync(item_pk: int) -> None:
    """Queue a sync run for the Item (the trigger itself is counted by ``syncing.request_sync``)."""
    _after_commit("sync_item", item_pk)


def enqueue_refresh_accounts(item_pk: int) -> None:
    """Queue an ``/accounts/get`` for the Item (a sync does it too, so a lost one heals)."""
    _after_commit("refresh_accounts", item_pk)


def enqueue_refresh_item(item_pk: int) -> None:
    """Queue a re-check of the Item with Plaid (``/item/get``, then ``/accounts/get``).

    Callers record the request first (``Item.refresh_requested_at``), so a re-check lost
    with the broker is run by the periodic task.
    """
    _after_commit("refresh_item", item_pk)


def enqueue_refresh_product(item_pk: int, product: str) -> None:
    """Queue a fetch of one product's data for the Item.

    Callers clear the product's attempt time first, so a fetch lost with the broker is
    due at once for the periodic task.
    """
    _after_commit("refresh_product", item_pk, product)


def send_refresh_balances(item_pk: int) -> bool:
    """Send a live balance fetch now; False when the broker cannot be reached.

    Nothing is recorded for a live fetch (the periodic task refreshes old balances on
    its own schedule), so the caller tells its user to try again.
    """
    return send_now("refresh_balances", item_pk)


def enqueue_refresh_balances(item_pk: int) -> None:
    """Queue a live balance fetch after commit (the periodic task's own refreshes)."""
    _after_commit("refresh_balances", item_pk)


def send_refresh_payroll_income(plaid_user_pk: int) -> bool:
    """Send a payroll income fetch now; False when the broker cannot be reached."""
    return send_now("refresh_payroll_income", plaid_user_pk)


def enqueue_refresh_payroll_income(plaid_user_pk: int) -> None:
    """Queue a payroll income fetch after commit."""
    _after_commit("refresh_payroll_income", plaid_user_pk)


def send_drain_webhooks() -> bool:
    """Send the webhook drain task now; False when the broker cannot be reached."""
    return send_now("drain_webhooks")


def send_process_webhook(event_pk: int, *, countdown: float | None = None) -> bool:
    """Send the processing of one stored webhook delivery (a retry of a drained one)."""
    return send_now("process_webhook", event_pk, countdown=countdown)
