"""The webhook endpoint: verify, store, queue, answer 200."""

from __future__ import annotations

import logging
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views import View
from django.views.decorators.csrf import csrf_exempt

from ..conf import plaid_settings
from ..exceptions import PlaidWebhookVerificationError
from .processing import parse_payload, store_delivery
from .verification import verify_webhook

# Django's own channel for security events (SuspiciousOperation goes there too).
security_logger = logging.getLogger("django.security.django_plaid.webhook")


@method_decorator(csrf_exempt, name="dispatch")
class PlaidWebhookView(View):
    """``POST webhook/``: Plaid's deliveries. No user authentication; the JWT is the proof."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        try:
            body = self._read_body(request)
            verified = bool(plaid_settings.WEBHOOK_VERIFY)
            if verified:
                verify_webhook(body, request.headers.get("Plaid-Verification"))
            payload = parse_payload(body)
        except PlaidWebhookVerificationError as e:
            security_logger.warning(
                "Rejected Plaid webhook from %s: %s",
                request.META.get("REMOTE_ADDR"),
                e.reason,
            )
            return JsonResponse({"error": "verification_failed", "reason": e.reason}, status=400)
        event = store_delivery(
            body, payload, verified=verified, remote_addr=request.META.get("REMOTE_ADDR")
        )
        return JsonResponse({"received": True, "id": event.pk})

    def _read_body(self, request: HttpRequest) -> bytes:
        limit = int(plaid_settings.WEBHOOK_MAX_BODY_BYTES)
        try:
            declared = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            declared = 0
        # Refuse before reading, so an oversized body is never loaded into memory.
        if declared > limit:
            raise PlaidWebhookVerificationError("too_large", "The body is too large.")
        body = request.body
        if len(body) > limit:
            raise PlaidWebhookVerificationError("too_large", "The body is too large.")
        return body
