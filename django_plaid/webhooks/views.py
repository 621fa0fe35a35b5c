"""The webhook endpoint: verify, store, queue, answer 200."""

from __future__ import annotations

import ipaddress
import logging
from typing import Any

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError, router, transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..conf import plaid_settings
from ..exceptions import PlaidWebhookVerificationError
from ..models import WebhookEvent
from .processing import parse_payload, store_delivery
from .verification import delivery_fingerprint, verify_webhook

# Django's own channel for security events (SuspiciousOperation goes there too).
security_logger = logging.getLogger("django.security.django_plaid.webhook")
logger = logging.getLogger("django_plaid.webhooks")

#: Seconds a sender is asked to wait (``Retry-After``) when the delivery cannot be stored.
RETRY_AFTER = 5


@method_decorator(csrf_exempt, name="dispatch")
class PlaidWebhookView(View):
    """``POST webhook/``: Plaid's deliveries. No user authentication; the JWT is the proof."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        remote_addr = _remote_addr(request)
        fingerprint = None
        try:
            body = self._read_body(request)
            verified = plaid_settings.WEBHOOK_VERIFY
            if verified:
                header = request.headers.get("Plaid-Verification")
                verify_webhook(body, header)
                fingerprint = delivery_fingerprint(str(header))
            payload = parse_payload(body)
        except PlaidWebhookVerificationError as e:
            security_logger.warning("Rejected Plaid webhook from %s: %s", remote_addr, e.reason)
            return JsonResponse({"error": "verification_failed", "reason": e.reason}, status=400)
        try:
            stored = store_delivery(
                body, payload, verified=verified, remote_addr=remote_addr, jwt_sha256=fingerprint
            )
        except (OperationalError, InterfaceError) as e:
            # Not stored (a locked SQLite file, a lost connection): a 5xx, so Plaid sends
            # the delivery again, as JSON without a traceback. Under ATOMIC_REQUESTS the
            # request's transaction is rolled back, not committed.
            using = router.db_for_write(WebhookEvent)
            if transaction.get_connection(using).in_atomic_block:
                transaction.set_rollback(True, using=using)
            first_line = (str(e).strip().splitlines() or [""])[0][:200]
            logger.error(
                "Could not store a Plaid webhook (%s %s): %s: %s",
                payload.get("webhook_type"),
                payload.get("webhook_code"),
                type(e).__name__,
                first_line,
            )
            response = JsonResponse(
                {
                    "error": "database_unavailable",
                    "detail": "The delivery could not be stored; send it again later.",
                },
                status=503,
            )
            response["Retry-After"] = str(RETRY_AFTER)
            return response
        if stored.replay:
            # Plaid signs each attempt anew, so this is someone re-sending a delivery we
            # hold. It gets the first answer again (200: a proxy repeating a request is
            # told it landed), and nothing is stored or processed again.
            security_logger.warning(
                "Replayed Plaid webhook from %s: replay of event %s", remote_addr, stored.id
            )
            return JsonResponse({"received": True, "id": stored.id, "replay": True})
        return JsonResponse({"received": True, "id": stored.id})

    def _read_body(self, request: HttpRequest) -> bytes:
        limit = plaid_settings.WEBHOOK_MAX_BODY_BYTES
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        # Refuse before reading, so an oversized body is never loaded into memory.
        if declared > limit:
            raise PlaidWebhookVerificationError("too_large", "The body is too large.")
        try:
            body = request.body
        except RequestDataTooBig:
            # Django's own limit (DATA_UPLOAD_MAX_MEMORY_SIZE) is lower: the same answer,
            # JSON, not Django's HTML 400 page.
            raise PlaidWebhookVerificationError("too_large", "The body is too large.") from None
        if len(body) > limit:
            raise PlaidWebhookVerificationError("too_large", "The body is too large.")
        return body


def _remote_addr(request: HttpRequest) -> str | None:
    """``REMOTE_ADDR`` if it is an IP address the database can store, else None."""
    value = request.META.get("REMOTE_ADDR")
    # A unix-socket server may pass "" or a path, and IPv6 may carry a zone ("%eth0");
    # neither fits an inet column, and the delivery must not fail for it.
    if not isinstance(value, str) or "%" in value:
        return None
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        return None
