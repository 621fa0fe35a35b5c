"""Plaid's objects as Django models: Items and their Accounts.

Plaid's identifiers keep Plaid's names (``item_id``, ``account_id``) and are unique;
columns people query are promoted from the payload, and the last payload Plaid sent is
kept whole in ``raw``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField

#: Decimal shape of money: Plaid sends floats, sometimes with up to 7 decimal places.
MONEY = {"max_digits": 28, "decimal_places": 10, "null": True, "blank": True}


class ItemStatus(models.TextChoices):
    """The documented lifecycle states of an Item, a stable contract for API clients."""

    HEALTHY = "healthy", _("Healthy")
    LOGIN_REQUIRED = "login_required", _("Login required")
    PENDING_EXPIRATION = "pending_expiration", _("Consent expiring soon")
    PENDING_DISCONNECT = "pending_disconnect", _("Disconnecting soon")
    REVOKED = "revoked", _("Access revoked")
    ERROR = "error", _("Error")


class ItemQuerySet(models.QuerySet["Item"]):
    """Queries on Items."""

    def for_owner(self, user: Any) -> ItemQuerySet:
        """The Items that belong to ``user`` (none for an anonymous user)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(owner=user)


class Item(models.Model):
    """A login at one institution (Plaid's Item), owned by one user."""

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
    webhook = models.CharField(_("webhook URL"), max_length=2048, blank=True)
    link_session_id = models.CharField(_("link session id"), max_length=100, blank=True)
    raw = models.JSONField(_("raw item"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = ItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid item")
        verbose_name_plural = _("Plaid items")
        ordering = ("-created_at", "-id")

    def __str__(self) -> str:
        return f"{self.institution_name or self.institution_id or 'Item'} ({self.item_id})"

    def __repr__(self) -> str:
        return f"<Item {self.item_id} status={self.status}>"

    def set_error(self, error: dict[str, Any] | None) -> None:
        """Record Plaid's error object (or clear it) in the promoted columns and ``error``."""
        self.error = error or None
        self.error_type = str((error or {}).get("error_type") or "")
        self.error_code = str((error or {}).get("error_code") or "")


class AccountQuerySet(models.QuerySet["Account"]):
    """Queries on Accounts."""

    def for_owner(self, user: Any) -> AccountQuerySet:
        """The Accounts of ``user``'s Items (none for an anonymous user)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(item__owner=user)


class Account(models.Model):
    """An account inside an Item, with its last known balances."""

    item = models.ForeignKey(
        Item, on_delete=models.CASCADE, related_name="accounts", verbose_name=_("item")
    )
    account_id = models.CharField(_("account id"), max_length=100, unique=True)
    persistent_account_id = models.CharField(_("persistent account id"), max_length=100, blank=True)
    name = models.CharField(_("name"), max_length=255)
    official_name = models.CharField(_("official name"), max_length=255, null=True, blank=True)
    mask = models.CharField(_("mask"), max_length=16, null=True, blank=True)
    type = models.CharField(_("type"), max_length=32)
    subtype = models.CharField(_("subtype"), max_length=64, null=True, blank=True)
    balance_available = models.DecimalField(_("available balance"), **MONEY)
    balance_current = models.DecimalField(_("current balance"), **MONEY)
    balance_limit = models.DecimalField(_("limit"), **MONEY)
    iso_currency_code = models.CharField(_("ISO currency"), max_length=8, null=True, blank=True)
    unofficial_currency_code = models.CharField(
        _("unofficial currency"), max_length=16, null=True, blank=True
    )
    balances_updated_at = models.DateTimeField(
        _("balances updated"),
        null=True,
        blank=True,
        help_text=_("When these balances were fetched from Plaid."),
    )
    raw = models.JSONField(_("raw account"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = AccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid account")
        verbose_name_plural = _("Plaid accounts")
        ordering = ("item_id", "name", "id")

    def __str__(self) -> str:
        return f"{self.name} ••{self.mask}" if self.mask else self.name

    def __repr__(self) -> str:
        return f"<Account {self.account_id} {self.type}/{self.subtype}>"
