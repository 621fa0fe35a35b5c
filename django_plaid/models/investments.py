"""Investments: ``Security``, ``Holding`` and ``InvestmentTransaction``."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from .accounts import Account
from .base import MoneyField, OwnedByAccountQuerySet


class Security(models.Model):
    """A security (stock, fund, bond, option, cash...) held or traded in an investment account."""

    security_id = models.CharField(_("security id"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=255, null=True, blank=True)
    ticker_symbol = models.CharField(_("ticker"), max_length=32, null=True, blank=True)
    type = models.CharField(_("type"), max_length=32, null=True, blank=True)
    close_price = MoneyField(_("close price"), null=True, blank=True)
    close_price_as_of = models.DateField(_("close price as of"), null=True, blank=True)
    iso_currency_code = models.CharField(_("ISO currency"), max_length=8, null=True, blank=True)
    raw = models.JSONField(_("raw security"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("Plaid security")
        verbose_name_plural = _("Plaid securities")
        ordering = ("name", "id")

    def __str__(self) -> str:
        return self.ticker_symbol or self.name or self.security_id


class Holding(models.Model):
    """A position: a quantity of a security in an investment account."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="holdings", verbose_name=_("account")
    )
    security = models.ForeignKey(
        Security, on_delete=models.PROTECT, related_name="holdings", verbose_name=_("security")
    )
    quantity = MoneyField(_("quantity"))
    institution_price = MoneyField(_("price"), null=True, blank=True)
    institution_price_as_of = models.DateField(_("price as of"), null=True, blank=True)
    institution_value = MoneyField(_("value"), null=True, blank=True)
    cost_basis = MoneyField(_("cost basis"), null=True, blank=True)
    iso_currency_code = models.CharField(_("ISO currency"), max_length=8, null=True, blank=True)
    raw = models.JSONField(_("raw holding"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OwnedByAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid holding")
        verbose_name_plural = _("Plaid holdings")
        ordering = ("account_id", "-institution_value", "id")
        constraints = [
            models.UniqueConstraint(fields=["account", "security"], name="plaid_holding_position")
        ]

    def __str__(self) -> str:
        return f"{self.quantity} x {self.security_id}"


class InvestmentTransaction(models.Model):
    """A buy, sell, dividend, fee or transfer in an investment account."""

    investment_transaction_id = models.CharField(
        _("investment transaction id"), max_length=100, unique=True
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="investment_transactions",
        verbose_name=_("account"),
        db_index=False,
    )
    security = models.ForeignKey(
        Security,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="investment_transactions",
        verbose_name=_("security"),
    )
    date = models.DateField(_("date"))
    name = models.CharField(_("name"), max_length=512, blank=True)
    type = models.CharField(_("type"), max_length=32)
    subtype = models.CharField(_("subtype"), max_length=64, blank=True)
    quantity = MoneyField(_("quantity"))
    amount = MoneyField(_("amount"))
    price = MoneyField(_("price"))
    fees = MoneyField(_("fees"), null=True, blank=True)
    iso_currency_code = models.CharField(_("ISO currency"), max_length=8, null=True, blank=True)
    raw = models.JSONField(_("raw investment transaction"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OwnedByAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid investment transaction")
        verbose_name_plural = _("Plaid investment transactions")
        ordering = ("-date", "-id")
        indexes = [
            models.Index(fields=["account", "-date", "-id"], name="plaid_invtxn_account_date"),
            # The admin's list: newest first over every account.
            models.Index(fields=["-date", "-id"], name="plaid_invtxn_date"),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.type}/{self.subtype} {self.amount}"
