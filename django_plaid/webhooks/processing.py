"""Storing verified deliveries and processing them (the Celery task's body)."""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from django.db import connections, router, transaction
from django.db.models import Q
from django.utils import timezone

from .. import signals
from ..conf import plaid_settings
from ..exceptions import PlaidWebhookVerificationError
from ..models import Item, WebhookDrain, WebhookEvent, WebhookEventStatus
from .handlers import get_webhook_handler

logger = logging.getLogger("django_plaid.webhooks")


def parse_payload(body: bytes) -> dict[str, Any]:
    """Parse a delivery's JSON; it must be an object with ``webhook_type``/``webhook_code``."""
    try:
        payload = json.loads(body.decode("utf-8"))
    except ValueError:  # UnicodeDecodeError included: Plaid sends UTF-8 JSON
        raise PlaidWebhookVerificationError("not_json", "The body is not JSON.") from None
    if not isinstance(payload, dict) or not all(
        isinstance(payload.get(key), str) and payload[key]
        for key in ("webhook_type", "webhook_code")
    ):
        raise PlaidWebhookVerificationError(
            "not_a_webhook", "The body has no webhook_type and webhook_code."
        )
    environment = payload.get("environment")
    if environment is not None and environment != plaid_settings.ENVIRONMENT:
        raise PlaidWebhookVerificationError(
            "wrong_environment", "The webhook is for another Plaid environment."
        )
    return payload


def store_delivery(
    body: bytes, payload: dict[str, Any], *, verified: bool, remote_addr: str | None
) -> WebhookEvent:
    """Store a delivery and make sure a drain task will process it (after the row commits)."""
    event = WebhookEvent(
        webhook_type=payload["webhook_type"][:64],
        webhook_code=payload["webhook_code"][:64],
        item_id=str(payload.get("item_id") or "")[:100],
        environment=str(payload.get("environment") or "")[:20],
        body=body.decode("utf-8"),
        body_sha256=hashlib.sha256(body).hexdigest(),
        payload=payload,
        verified=verified,
        remote_addr=remote_addr,
    )
    connection = connections[router.db_for_write(WebhookEvent)]
    if connection.vendor == "postgresql" and not connection.in_atomic_block:
        # The hot path: the row and the drain flag in one statement, one round trip
        # and one commit (see benchmarks/webhook_intake.py for what it buys).
        if _insert_and_flip_postgres(connection, event):
            _queue_drain()
        return event
    # One INSERT commits on its own (under ATOMIC_REQUESTS, with the request); the
    # drain is scheduled once that commit happened.
    event.save(force_insert=True)
    transaction.on_commit(schedule_drain)
    return event


def _insert_and_flip_postgres(connection: Any, event: WebhookEvent) -> bool:
    now = timezone.now()
    quote = connection.ops.quote_name
    fields = [f for f in WebhookEvent._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
    drain_table = quote(WebhookDrain._meta.db_table)
    # Identifiers come from the models' metadata; every value is a parameter.
    sql = (
        f"WITH event AS (INSERT INTO {quote(WebhookEvent._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id), "
        f"flip AS (INSERT INTO {drain_table} (id, queued_at) VALUES (1, %s) "
        f"ON CONFLICT (id) DO UPDATE SET queued_at = EXCLUDED.queued_at "
        f"WHERE {drain_table}.queued_at IS NULL OR {drain_table}.queued_at < %s RETURNING 1) "
        f"SELECT (SELECT id FROM event), (SELECT count(*) FROM flip)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [*values, now, now - DRAIN_STALE_AFTER])
        event.pk, flipped = cursor.fetchone()
    event._state.adding = False
    event._state.db = connection.alias
    return bool(flipped)


#: A queued drain that has not started within this time is presumed lost.
DRAIN_STALE_AFTER = timedelta(seconds=60)


def schedule_drain() -> bool:
    """Queue the drain task unless one is already queued; True when this call queued it."""
    if _flip_drain_flag(timezone.now()):
        _queue_drain()
        return True
    return False


def _queue_drain() -> None:
    from .. import jobs

    try:
        queued = jobs.send_drain_webhooks()
    except Exception:
        # Only with eager tasks: the drain ran here and failed; the events record it.
        logger.exception("The webhook drain failed")
        queued = True
    if not queued:
        # The delivery is stored either way: answer 200 (a 500 would make Plaid send it
        # again) and give the flag back, so the next delivery tries to queue again;
        # the periodic task drains what waits meanwhile.
        WebhookDrain.objects.filter(pk=1).update(queued_at=None)


def _flip_drain_flag(now: datetime) -> bool:
    """Set ``WebhookDrain.queued_at`` to now if it is empty or stale, in one statement."""
    connection = connections[router.db_for_write(WebhookDrain)]
    if connection.vendor not in ("postgresql", "sqlite"):
        flipped = (
            WebhookDrain.objects.filter(pk=1)
            .filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - DRAIN_STALE_AFTER))
            .update(queued_at=now)
        )
        if not flipped:
            _, created = WebhookDrain.objects.get_or_create(pk=1, defaults={"queued_at": now})
            flipped = int(created)
        return bool(flipped)
    # An upsert, so the row is created if missing (a flushed test database), and the
    # conditional update makes exactly one of many concurrent deliveries win.
    table = connection.ops.quote_name(WebhookDrain._meta.db_table)
    value = connection.ops.adapt_datetimefield_value(now)
    stale = connection.ops.adapt_datetimefield_value(now - DRAIN_STALE_AFTER)
    with connection.cursor() as cursor:
        # The table name is the model's; values are parameters.
        cursor.execute(
            f"INSERT INTO {table} (id, queued_at) VALUES (1, %s) "  # noqa: S608
            f"ON CONFLICT (id) DO UPDATE SET queued_at = EXCLUDED.queued_at "
            f"WHERE {table}.queued_at IS NULL OR {table}.queued_at < %s",
            [value, stale],
        )
        return cursor.rowcount == 1


def drain() -> list[tuple[int, BaseException]]:
    """Process every pending event, oldest first; returns the (pk, error) of failures.

    Called by the drain task. Processing in arrival order keeps status changes in the
    order Plaid sent them.
    """
    WebhookDrain.objects.update_or_create(pk=1, defaults={"queued_at": None})
    failures = []
    pending = (
        WebhookEvent.objects.filter(status=WebhookEventStatus.PENDING)
        .order_by("received_at", "pk")
        .values_list("pk", flat=True)
    )
    for pk in pending.iterator():
        _, failure = process_event(pk)
        if failure is not None:
            failures.append((pk, failure))
    return failures


def process_event(event_pk: int) -> tuple[WebhookEvent | None, BaseException | None]:
    """Process one stored delivery, once: returns the event and the error, if it failed.

    A processed event is left alone (a repeated task does no harm). A failure is kept on
    the event (status ``failed``, error, traceback) and returned, so the caller decides
    about retrying; whatever the handler changed before failing is rolled back.
    """
    with transaction.atomic():
        event = WebhookEvent.objects.select_for_update().filter(pk=event_pk).first()
        if event is None or event.status == WebhookEventStatus.PROCESSED:
            return event, None
        event.attempts += 1
        item = Item.objects.filter(item_id=event.item_id).first() if event.item_id else None
        failure: BaseException | None = None
        try:
            with transaction.atomic():
                _dispatch(event, item)
        except Exception as e:
            failure = e
            event.status = WebhookEventStatus.FAILED
            event.error = f"{type(e).__name__}: {e}"[:2000]
            event.traceback = traceback.format_exc()[-20000:]
            logger.warning("Webhook %s (event %s) failed: %s", event, event.pk, event.error)
        else:
            event.status = WebhookEventStatus.PROCESSED
            event.processed_at = timezone.now()
            event.error = ""
            event.traceback = ""
        event.save()
    return event, failure


def _dispatch(event: WebhookEvent, item: Item | None) -> None:
    payload = event.payload
    kwargs = {"event": event, "payload": payload, "item": item}
    signals.webhook_received.send(sender=WebhookEvent, **kwargs)
    signals.webhook_signal(event.webhook_type, event.webhook_code).send(
        sender=WebhookEvent, **kwargs
    )
    get_webhook_handler().handle(event, payload, item)


def reprocess(events: Iterable[WebhookEvent]) -> list[str]:
    """Process the given events again now (failed ones, or any chosen by staff).

    A processed event is marked pending first so its handlers run again; handlers are
    idempotent. Returns each event's resulting status.
    """
    results = []
    # Oldest first, whatever order they were chosen in: status changes keep Plaid's order.
    for event in sorted(events, key=lambda e: (e.received_at, e.pk)):
        WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEventStatus.PENDING)
        processed, _ = process_event(event.pk)
        results.append(processed.status if processed else WebhookEventStatus.FAILED)
    return results
