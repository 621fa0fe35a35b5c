"""Storing verified deliveries and processing them (the Celery task's body)."""

from __future__ import annotations

import hashlib
import json
import logging
import math
import re
import traceback
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any, NamedTuple

from django.db import (
    IntegrityError,
    InterfaceError,
    OperationalError,
    connections,
    router,
    transaction,
)
from django.db.models import Q
from django.utils import timezone

from .. import jobs, signals
from ..conf import plaid_settings
from ..exceptions import PlaidWebhookVerificationError
from ..models import Item, WebhookDrain, WebhookEvent, WebhookEventStatus
from .handlers import get_webhook_handler

logger = logging.getLogger("django_plaid.webhooks")


#: How deep a payload's JSON may nest. Plaid's nest 3 or 4 levels; a deeper body is an
#: attack on every recursive walk after it (json, the database's jsonb, the admin).
MAX_PAYLOAD_DEPTH = 32

# Text PostgreSQL cannot store (NUL in text and jsonb) and UTF-8 cannot encode
# (an unpaired surrogate, which JSON's \ud800 escapes can produce).
_UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")


class _NotFinite(ValueError):
    """NaN, Infinity, or a number too large for a float: not JSON that a database takes."""


def _refuse_constant(name: str) -> Any:
    raise _NotFinite(name)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _NotFinite(text)
    return value


def parse_payload(body: bytes) -> dict[str, Any]:
    """Parse a delivery's JSON; it must be a webhook object that the database can store.

    Refused (with a reason): not JSON; NaN or Infinity; nested deeper than
    ``MAX_PAYLOAD_DEPTH``; NUL or an unpaired surrogate in any key or string; no string
    ``webhook_type``/``webhook_code``; those, ``item_id`` or ``environment`` of the wrong
    type or longer than their columns; another environment's.
    """
    try:
        payload = json.loads(
            body.decode("utf-8"), parse_constant=_refuse_constant, parse_float=_finite_float
        )
    except _NotFinite:
        raise PlaidWebhookVerificationError(
            "bad_number", "The JSON has NaN, Infinity or a number too large."
        ) from None
    except RecursionError:
        raise PlaidWebhookVerificationError("too_deep", "The JSON is nested too deeply.") from None
    except ValueError:  # UnicodeDecodeError included: Plaid sends UTF-8 JSON
        raise PlaidWebhookVerificationError("not_json", "The body is not JSON.") from None
    _check_storable(payload)
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
    for key in ("webhook_type", "webhook_code", "item_id"):
        value = payload.get(key)
        limit = getattr(WebhookEvent._meta.get_field(key), "max_length", None) or 0
        # Refused, not cut: a shortened item_id could name another Item.
        if value is not None and (not isinstance(value, str) or len(value) > limit):
            raise PlaidWebhookVerificationError(
                "bad_field", f"{key} must be a string of at most {limit} characters."
            )
    return payload


def _check_storable(payload: Any) -> None:
    """Refuse JSON nested too deeply, or holding text the database cannot store."""
    # Iterative, so the walk itself cannot run out of stack.
    stack = [(payload, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            children: Any = value.values()
            for key in value:
                if _UNSTORABLE_TEXT.search(key):
                    raise _bad_string()
        elif isinstance(value, list):
            children = value
        else:
            if isinstance(value, str) and _UNSTORABLE_TEXT.search(value):
                raise _bad_string()
            continue
        if depth > MAX_PAYLOAD_DEPTH:
            raise PlaidWebhookVerificationError("too_deep", "The JSON is nested too deeply.")
        stack.extend((child, depth + 1) for child in children)


def _bad_string() -> PlaidWebhookVerificationError:
    return PlaidWebhookVerificationError(
        "bad_string", "The JSON has a NUL character or an unpaired surrogate."
    )


class StoredDelivery(NamedTuple):
    """What :func:`store_delivery` did: the event's id, and whether it was a replay."""

    #: The stored event's primary key; for a replay, the first delivery's (None if gone).
    id: int | None
    #: True when the same signed delivery was stored before: nothing new was stored.
    replay: bool


def store_delivery(
    body: bytes,
    payload: dict[str, Any],
    *,
    verified: bool,
    remote_addr: str | None,
    jwt_sha256: str | None = None,
) -> StoredDelivery:
    """Store a delivery and make sure a drain task will process it (after the row commits).

    ``jwt_sha256`` (see :func:`~django_plaid.webhooks.verification.delivery_fingerprint`)
    is unique: a delivery already stored under it is a replay, and is neither stored nor
    processed again. Concurrent replays wait for the first one's commit, then lose.
    """
    event = WebhookEvent(
        webhook_type=payload["webhook_type"],
        webhook_code=payload["webhook_code"],
        item_id=payload.get("item_id") or "",
        environment=payload.get("environment") or "",
        body=body.decode("utf-8"),
        body_sha256=hashlib.sha256(body).hexdigest(),
        jwt_sha256=jwt_sha256,
        payload=payload,
        verified=verified,
        remote_addr=remote_addr,
    )
    connection = connections[router.db_for_write(WebhookEvent)]
    if connection.vendor == "postgresql":
        # The hot path: the row (unless it is a replay) and, outside a transaction, the
        # drain flag, in one statement: one round trip and one commit (see
        # benchmarks/webhook_intake.py for what it buys).
        flip = not connection.in_atomic_block
        pk, flipped = _insert_postgres(connection, event, flip=flip)
        if pk is None:
            return StoredDelivery(_replayed(jwt_sha256), replay=True)
        if flipped:
            _once_stored(_queue_drain)
        elif not flip:
            transaction.on_commit(lambda: _once_stored(schedule_drain))
        return StoredDelivery(pk, replay=False)
    # One INSERT commits on its own (under ATOMIC_REQUESTS, with the request); the
    # drain is scheduled once that commit happened. The savepoint keeps a caller's
    # transaction usable when the INSERT loses to the unique JWT hash.
    try:
        with transaction.atomic(using=connection.alias):
            event.save(force_insert=True, using=connection.alias)
    except IntegrityError:
        original = _replayed(jwt_sha256) if jwt_sha256 is not None else None
        if original is None:
            raise
        return StoredDelivery(original, replay=True)
    transaction.on_commit(lambda: _once_stored(schedule_drain), using=connection.alias)
    return StoredDelivery(event.pk, replay=False)


def _once_stored(queue: Any) -> None:
    """Run ``queue`` (the drain's scheduling) for a delivery whose row is committed.

    A database error there (a locked SQLite file) is logged, not raised: the delivery
    is stored and must be answered 200, or Plaid would send it again; the periodic task
    drains the deliveries that wait.
    """
    try:
        queue()
    except (OperationalError, InterfaceError) as e:
        logger.warning(
            "A webhook delivery is stored, but its drain could not be scheduled (%s); "
            "the periodic task drains it",
            type(e).__name__,
        )


def _replayed(jwt_sha256: str | None) -> int | None:
    """The id of the event first stored under ``jwt_sha256``."""
    return WebhookEvent.objects.filter(jwt_sha256=jwt_sha256).values_list("pk", flat=True).first()


def _insert_postgres(connection: Any, event: WebhookEvent, *, flip: bool) -> tuple[Any, bool]:
    """INSERT the event unless its JWT hash is stored; with ``flip``, set the drain flag too.

    Returns the new id (None for a replay) and whether this statement set the flag.
    """
    now = timezone.now()
    quote = connection.ops.quote_name
    fields = [f for f in WebhookEvent._meta.concrete_fields if not f.primary_key]
    values = [f.get_db_prep_save(f.pre_save(event, True), connection) for f in fields]
    drain_table = quote(WebhookDrain._meta.db_table)
    jwt_column = quote(WebhookEvent._meta.get_field("jwt_sha256").column)
    # Identifiers come from the models' metadata; every value is a parameter.
    insert = (
        f"INSERT INTO {quote(WebhookEvent._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(f.column) for f in fields)}) "
        f"VALUES ({', '.join(['%s'] * len(fields))}) "
        # A replay waits for the first delivery's commit, then inserts nothing.
        f"ON CONFLICT ({jwt_column}) DO NOTHING RETURNING id"
    )
    if not flip:
        with connection.cursor() as cursor:
            cursor.execute(insert, values)
            row = cursor.fetchone()
        return (row[0] if row else None), False
    sql = (
        f"WITH event AS ({insert}), "  # noqa: S608
        # No row (a replay): no flip either, so a replay never queues a drain.
        f"flip AS (INSERT INTO {drain_table} (id, queued_at) "
        f"SELECT 1, %s WHERE EXISTS (SELECT 1 FROM event) "
        f"ON CONFLICT (id) DO UPDATE SET queued_at = EXCLUDED.queued_at "
        f"WHERE {drain_table}.queued_at IS NULL OR {drain_table}.queued_at < %s RETURNING 1) "
        f"SELECT (SELECT id FROM event), (SELECT count(*) FROM flip)"
    )
    params = [*values, now, now - DRAIN_STALE_AFTER]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        pk, flipped = cursor.fetchone()
    return pk, bool(flipped)


#: A queued drain that has not started within this time is presumed lost.
DRAIN_STALE_AFTER = timedelta(seconds=60)


def schedule_drain() -> bool:
    """Queue the drain task unless one is already queued; True when this call queued it."""
    if _flip_drain_flag(timezone.now()):
        _queue_drain()
        return True
    return False


def _queue_drain() -> None:
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
    # Looked up, not created: a signal exists once someone connects to it, and a new
    # (type, code) in a payload must not add one for good.
    per_code = signals.WEBHOOK_SIGNALS.get((event.webhook_type.upper(), event.webhook_code.upper()))
    if per_code is not None:
        per_code.send(sender=WebhookEvent, **kwargs)
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
