"""Accounts: an account inside an Item (``Account``), with its balances, and its queryset."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import MoneyField, OwnedQuerySet
from .items import Item


class AccountQuerySet(OwnedQuerySet):
    """Queries on Accounts."""

    owner_path = "item__owner"


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
    balance_available = MoneyField(_("available balance"), null=True, blank=True)
    balance_current = MoneyField(_("current balance"), null=True, blank=True)
    balance_limit = MoneyField(_("limit"), null=True, blank=True)
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
