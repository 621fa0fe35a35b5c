"""Items: a login at one institution (``Item``), its status (``ItemStatus``) and queryset."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import connections, models, router, transaction
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedTextField, SensitiveSaveMixin
from .base import OwnedQuerySet


class ItemStatus(models.TextChoices):
    """The documented lifecycle states of an Item, a stable contract for API clients."""

    HEALTHY = "healthy", _("Healthy")
    LOGIN_REQUIRED = "login_required", _("Login required")
    PENDING_EXPIRATION = "pending_expiration", _("Consent expiring soon")
    PENDING_DISCONNECT = "pending_disconnect", _("Disconnecting soon")
    REVOKED = "revoked", _("Access revoked")
    ERROR = "error", _("Error")


#: Namespace of dj-plaid's PostgreSQL advisory locks (the top half of the 64-bit key).
ADVISORY_LOCK_NAMESPACE = 0x504C4944  # "PLID"


def lock_item_accounts(item_pk: int, using: str | None = None) -> None:
    """Serialize, until the transaction ends, the writes to one Item's Accounts and the
    rows hanging off them (products, transactions' placeholder accounts).

    Call it first in every transaction that writes them, before any row lock: flows
    that upsert and prune the same accounts at once would otherwise deadlock on
    PostgreSQL. It takes an advisory lock, so Item rows stay free for webhooks and API
    requests meanwhile. On other databases it does nothing (SQLite serializes writers).
    Deleting an Item takes it too (``Item.delete``, ``ItemQuerySet.delete``).
    """
    connection = connections[using or router.db_for_write(Item)]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    key = (ADVISORY_LOCK_NAMESPACE << 32) + (int(item_pk) % 2**32)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


class ItemQuerySet(OwnedQuerySet):
    """Queries on Items."""

    def delete(self) -> tuple[int, dict[str, int]]:
        """Delete the Items and everything hanging off them, each under its accounts lock.

        Django collects the related rows first and deletes them after: a flow adding an
        Account in between would make the Item's own delete fail on its foreign key.
        """
        using = self.db
        with transaction.atomic(using=using):
            for pk in sorted(self.values_list("pk", flat=True)):
                lock_item_accounts(pk, using)
            return super().delete()


class Item(SensitiveSaveMixin, models.Model):
    """A login at one institution (Plaid's Item), owned by one user."""

    #: Not a column: set once this instance's Item is removed at Plaid (or its removal
    #: failed and was logged), so deleting the row does not call ``/item/remove`` again.
    removed_at_plaid: bool = False

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plaid_items",
        verbose_name=_("owner"),
    )
    item_id = models.CharField(_("item id"), max_length=100, unique=True)
    access_token = EncryptedTextField(
        _("access token"),
        editable=False,
        help_text=_("Encrypted at rest with FIELD_ENCRYPTION_KEY; never shown."),
    )
    environment = models.CharField(_("environment"), max_length=20)
    institution_id = models.CharField(_("institution id"), max_length=100, blank=True)
    institution_name = models.CharField(_("institution name"), max_length=255, blank=True)
    products = models.JSONField(
        _("products"), default=list, blank=True, help_text=_("Plaid's billed_products.")
    )
    available_products = models.JSONField(_("available products"), default=list, blank=True)
    status = models.CharField(
        _("status"),
        max_length=32,
        choices=ItemStatus.choices,
        default=ItemStatus.HEALTHY,
        db_index=True,
    )
    error_type = models.CharField(_("error type"), max_length=64, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True, db_index=True)
    error = models.JSONField(
        _("error"), null=True, blank=True, help_text=_("Plaid's error object, or null.")
    )
    consent_expiration_time = models.DateTimeField(
        _("consent expiration time"), null=True, blank=True
    )
    new_accounts_available = models.BooleanField(
        _("new accounts available"),
        default=False,
        help_text=_("Plaid found new accounts; the next update-mode Link offers them."),
    )
    webhook = models.CharField(_("webhook URL"), max_length=2048, blank=True)
    link_session_id = models.CharField(_("link session id"), max_length=100, blank=True)
    raw = models.JSONField(_("raw item"), default=dict, blank=True)
    # Sync bookkeeping: every trigger bumps sync_requested; a sync run records the
    # value it started from in sync_completed. sync_lock_until is a lease (it
    # expires if the worker holding it dies), so one sync runs per Item at a time.
    sync_requested = models.PositiveBigIntegerField(_("sync requests"), default=0)
    sync_completed = models.PositiveBigIntegerField(_("sync requests handled"), default=0)
    sync_lock_until = models.DateTimeField(_("sync lease until"), null=True, blank=True)
    sync_lock_owner = models.CharField(_("sync lease owner"), max_length=64, blank=True)
    last_synced_at = models.DateTimeField(_("last synced"), null=True, blank=True)
    transactions_cursor = models.CharField(
        _("transactions cursor"),
        max_length=512,
        blank=True,
        help_text=_("Plaid's /transactions/sync cursor, saved with the data it covers."),
    )
    transactions_update_status = models.CharField(
        _("transactions update status"), max_length=64, blank=True
    )
    product_fetched_at = models.JSONField(
        _("products fetched"),
        default=dict,
        blank=True,
        help_text=_("When each product's data (auth, identity...) was last fetched."),
    )
    product_attempted_at = models.JSONField(
        _("products attempted"),
        default=dict,
        blank=True,
        help_text=_("When each product's fetch was last tried, successful or not."),
    )
    balances_requested_at = models.DateTimeField(
        _("live balances requested"),
        null=True,
        blank=True,
        help_text=_("Last /accounts/balance/get call (throttles them per Item)."),
    )
    refresh_requested_at = models.DateTimeField(
        _("re-check requested"),
        null=True,
        blank=True,
        help_text=_(
            "A re-check with Plaid (update-complete, the admin) is owed since then; the "
            "periodic task runs it if its task was lost."
        ),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid item")
        verbose_name_plural = _("Plaid items")
        ordering = ("-created_at", "-id")
        # Actions that call Plaid (some billed per call) or change an Item's state; view
        # or change permission alone does not grant them.
        permissions = [
            ("sync_item", _("Can sync Plaid items now")),
            ("refresh_balances_item", _("Can refresh live balances (billed per call)")),
            ("refresh_item", _("Can re-check Plaid items with Plaid")),
            ("remove_item_at_plaid", _("Can remove Plaid items at Plaid")),
            ("rotate_access_token_item", _("Can rotate Plaid items' access tokens")),
        ]

    def __str__(self) -> str:
        return f"{self.institution_name or self.institution_id or 'Item'} ({self.item_id})"

    def __repr__(self) -> str:
        return f"<Item {self.item_id} status={self.status}>"

    def delete(
        self, using: str | None = None, keep_parents: bool = False
    ) -> tuple[int, dict[str, int]]:
        """Delete the Item and its data under its accounts lock (see ``ItemQuerySet.delete``)."""
        using = using or router.db_for_write(Item, instance=self)
        with transaction.atomic(using=using):
            if self.pk is not None:
                lock_item_accounts(self.pk, using)
            return super().delete(using=using, keep_parents=keep_parents)

    def set_error(self, error: dict[str, Any] | None) -> None:
        """Record Plaid's error object (or clear it) in the promoted columns and ``error``."""
        self.error = error or None
        self.error_type = str((error or {}).get("error_type") or "")
        self.error_code = str((error or {}).get("error_code") or "")
