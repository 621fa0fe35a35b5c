"""Storing verified deliveries and processing them (the Celery task's body)."""

from __future__ import annotations

import hashlib
import json
import logging
import traceback
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone

from .. import signals
from ..conf import plaid_settings
from ..exceptions import PlaidWebhookVerificationError
from ..models import Item, WebhookEvent, WebhookEventStatus
from .handlers import get_webhook_handler

logger = logging.getLogger("django_plaid.webhooks")


def parse_payload(body: bytes) -> dict[str, Any]:
    """Parse a delivery's JSON; it must be an object with ``webhook_type``/``webhook_code``."""
    try:
        payload = json.loads(body)
    except ValueError:
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
    """Store a delivery and queue its processing for after the row commits."""
    from ..tasks import process_webhook

    with transaction.atomic():
        event = WebhookEvent.objects.create(
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
        transaction.on_commit(lambda: process_webhook.delay(event.pk))
    return event


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
    for event in events:
        WebhookEvent.objects.filter(pk=event.pk).update(status=WebhookEventStatus.PENDING)
        processed, _ = process_event(event.pk)
        results.append(processed.status if processed else WebhookEventStatus.FAILED)
    return results
