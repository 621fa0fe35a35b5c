"""Celery tasks: thin wrappers over the flows, sent only by :mod:`django_plaid.jobs`.

Tasks take primary keys, never model instances, and are idempotent. Errors that may
pass (rate limits, Plaid or bank outages, data not ready yet) are retried with
exponential backoff and jitter; errors that need a person (login required, bad input)
are not, since the Item's status records them.
"""

from __future__ import annotations

import logging
import random
from typing import Any

from celery import Task, shared_task
from django.db import InterfaceError, OperationalError, close_old_connections

from . import jobs
from .exceptions import PlaidAPIError

# A host's celery.py imports this module before Django is set up (for
# install_beat_schedule, below), when no model can be imported yet: each task imports
# its flow, and with it the models, when it runs. The imports point down the layers,
# as the contracts in pyproject.toml require.

logger = logging.getLogger("django_plaid.tasks")

#: Retry delays grow as BASE * 2**retries seconds, capped, each drawn from its upper half.
RETRY_BACKOFF_BASE = 5
RETRY_BACKOFF_MAX = 15 * 60
MAX_RETRIES = 8


def retry_delay(retries: int) -> float:
    """Seconds to wait before retry number ``retries + 1`` (exponential, "equal" jitter)."""
    ceiling = min(RETRY_BACKOFF_MAX, RETRY_BACKOFF_BASE * 2**retries)
    return random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not security


#: What a task catches to decide on a retry: Plaid's errors, and the database errors that
#: may pass (a deadlock, a serialization failure, a lost connection, a locked SQLite file).
TRANSIENT_CANDIDATES = (PlaidAPIError, OperationalError, InterfaceError)


def is_transient(error: BaseException) -> bool:
    """Whether ``error`` may pass on its own: Plaid's retryable errors, and the database's
    (a deadlock, a serialization failure, a lost connection, a locked SQLite file)."""
    if isinstance(error, PlaidAPIError):
        return error.retryable
    return isinstance(error, (OperationalError, InterfaceError))


def retry_if_transient(task: Task, error: BaseException) -> None:
    """Re-raise as a Celery retry when ``error`` may pass; else let it propagate."""
    if is_transient(error) and task.request.retries < MAX_RETRIES:
        if not isinstance(error, PlaidAPIError):
            # A connection the error broke is not reused by the retry.
            close_old_connections()
            logger.warning("%s: database error %s; retrying", task.name, type(error).__name__)
        raise task.retry(exc=error, countdown=retry_delay(task.request.retries))
    raise error


def run_for(task: Task, model: Any, pk: int, flow: Any, *args: Any) -> None:
    """Load ``model`` ``pk`` and run ``flow(obj, *args)``, retrying transient errors.

    A row deleted meanwhile (an Item removed) leaves nothing to do.
    """
    try:
        obj = model.objects.filter(pk=pk).first()
        if obj is None:
            return
        flow(obj, *args)
    except TRANSIENT_CANDIDATES as e:
        retry_if_transient(task, e)


@shared_task(bind=True, name="django_plaid.refresh_accounts", ignore_result=True)
def refresh_accounts(self: Task, item_pk: int) -> None:
    """Fetch an Item's accounts (``/accounts/get``) and store them."""
    from . import lifecycle
    from .models import Item

    run_for(self, Item, item_pk, lifecycle.refresh_accounts)


@shared_task(name="django_plaid.drain_webhooks", ignore_result=True, acks_late=True)
def drain_webhooks() -> None:
    """Process the stored webhook deliveries that wait, oldest first.

    Queued by the webhook endpoint (once per burst, not once per delivery). A delivery
    whose processing fails for a passing reason gets its own retry task with backoff.
    """
    from .webhooks import processing

    for pk, failure in processing.drain():
        if is_transient(failure):
            jobs.send_process_webhook(pk, countdown=retry_delay(0))


@shared_task(bind=True, name="django_plaid.process_webhook", ignore_result=True, acks_late=True)
def process_webhook(self: Task, event_pk: int) -> None:
    """Process one stored webhook delivery; transient failures are retried with backoff."""
    from .webhooks import processing

    _, failure = processing.process_event(event_pk)
    if failure is None:
        return
    if is_transient(failure) and self.request.retries < MAX_RETRIES:
        raise self.retry(countdown=retry_delay(self.request.retries + 1))
    # Kept as `failed` on the event: the admin action or `plaid_reprocess_webhooks` retries it.


@shared_task(bind=True, name="django_plaid.sync_item", ignore_result=True, acks_late=True)
def sync_item(self: Task, item_pk: int) -> None:
    """Sync one Item (merged with any sync already running for it)."""
    from . import syncing

    try:
        syncing.run_sync(item_pk, syncing.sync_pass)
    except TRANSIENT_CANDIDATES as e:
        retry_if_transient(self, e)


@shared_task(bind=True, name="django_plaid.refresh_item", ignore_result=True)
def refresh_item(self: Task, item_pk: int) -> None:
    """Confirm an Item's state with Plaid (``/item/get`` and ``/accounts/get``)."""
    from . import lifecycle
    from .models import Item

    run_for(self, Item, item_pk, lifecycle.refresh_item)


@shared_task(bind=True, name="django_plaid.refresh_balances", ignore_result=True)
def refresh_balances(self: Task, item_pk: int) -> None:
    """Fetch live balances for one Item (throttled per Item; see balances.refresh_balances)."""
    from . import balances
    from .models import Item

    run_for(self, Item, item_pk, balances.refresh_balances)


@shared_task(name="django_plaid.maintenance", ignore_result=True)
def maintenance() -> dict[str, int]:
    """The periodic task: heal what lost webhooks and lost tasks left behind.

    Syncs stale Items and Items owed a sync, refreshes old balances, re-checks broken
    Items with Plaid, and drains webhook deliveries still waiting.
    """
    from . import healing

    return healing.heal()


@shared_task(bind=True, name="django_plaid.refresh_product", ignore_result=True)
def refresh_product(self: Task, item_pk: int, product: str) -> None:
    """Fetch and store one product's data (auth, identity, investments...) for an Item."""
    from .models import Item
    from .products import services as products

    run_for(self, Item, item_pk, products.refresh_product, product)


@shared_task(bind=True, name="django_plaid.refresh_payroll_income", ignore_result=True)
def refresh_payroll_income(self: Task, plaid_user_pk: int) -> None:
    """Fetch and store a Plaid user's payroll income."""
    from .models import PlaidUser
    from .products import services as products

    run_for(self, PlaidUser, plaid_user_pk, products.fetch_payroll_income)


#: The beat schedule of dj-plaid's periodic task (every 5 minutes).
BEAT_SCHEDULE: dict[str, dict[str, Any]] = {
    "django-plaid-maintenance": {"task": "django_plaid.maintenance", "schedule": 300.0},
}


def install_beat_schedule(app: Any, every: float = 300.0) -> None:
    """Add dj-plaid's periodic task to a Celery app's beat schedule."""
    schedule = {name: {**entry, "schedule": every} for name, entry in BEAT_SCHEDULE.items()}
    app.conf.beat_schedule = {**(app.conf.beat_schedule or {}), **schedule}
