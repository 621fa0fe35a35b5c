"""Webhook deliveries (``WebhookEvent``, ``WebhookEventStatus``) and the ``WebhookDrain`` flag."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class WebhookEventStatus(models.TextChoices):
    """Where a stored webhook delivery is in its processing."""

    PENDING = "pending", _("Pending")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class WebhookEvent(models.Model):
    """One verified webhook delivery from Plaid, stored before it is processed.

    Plaid sends no event id and may send byte-identical bodies for distinct events,
    so every delivery gets its own row; handlers are idempotent instead. Plaid signs
    each delivery attempt anew, so a JWT seen twice is a replay: ``jwt_sha256`` is
    unique and the second one is never stored.
    """

    webhook_type = models.CharField(_("webhook type"), max_length=64, db_index=True)
    webhook_code = models.CharField(_("webhook code"), max_length=64, db_index=True)
    item_id = models.CharField(_("item id"), max_length=100, blank=True, db_index=True)
    environment = models.CharField(_("environment"), max_length=20, blank=True)
    body = models.TextField(_("raw body"), help_text=_("The body exactly as received."))
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64, db_index=True)
    jwt_sha256 = models.CharField(
        _("JWT SHA-256"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_(
            "Identifies the signed delivery (its JWT, signature normalised); unique, so a "
            "replayed delivery is refused. Empty while WEBHOOK_VERIFY is off."
        ),
    )
    payload = models.JSONField(_("payload"), default=dict)
    verified = models.BooleanField(
        _("verified"), default=True, help_text=_("False only when WEBHOOK_VERIFY is off.")
    )
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WebhookEventStatus.choices,
        default=WebhookEventStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)

    class Meta:
        verbose_name = _("Plaid webhook event")
        verbose_name_plural = _("Plaid webhook events")
        ordering = ("-received_at", "-id")
        permissions = [("reprocess_webhookevent", _("Can reprocess Plaid webhook events"))]

    def __str__(self) -> str:
        return f"{self.webhook_type}/{self.webhook_code} {self.item_id}".rstrip()

    def __repr__(self) -> str:
        return f"<WebhookEvent {self.pk} {self} {self.status}>"


class WebhookDrain(models.Model):
    """A single row: whether a drain task is queued for the pending webhook events.

    Each delivery flips ``queued_at`` from empty to now with one conditional UPDATE and
    queues a drain task only when it did the flip, so a burst of deliveries queues one
    task instead of one each. A drain empties ``queued_at`` before it reads the pending
    events, so an event stored after that read queues the next drain. A flag older than
    a minute is treated as lost (its task never ran) and taken over.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    queued_at = models.DateTimeField(_("drain queued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Plaid webhook drain")
        verbose_name_plural = _("Plaid webhook drain")

    def __str__(self) -> str:
        return f"queued at {self.queued_at}" if self.queued_at else "idle"
