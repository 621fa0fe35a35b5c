"""Liabilities: the terms of a credit card, mortgage or student loan (``Liability``, its kind)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedJSONField, SensitiveSaveMixin
from .accounts import Account
from .base import MoneyField, OwnedByAccountQuerySet


class LiabilityKind(models.TextChoices):
    """Plaid's liability kinds."""

    CREDIT = "credit", _("Credit card")
    MORTGAGE = "mortgage", _("Mortgage")
    STUDENT = "student", _("Student loan")


class Liability(SensitiveSaveMixin, models.Model):
    """A credit card, mortgage or student loan's terms (``/liabilities/get``).

    Plaid's object is kept encrypted (``data``: mortgages and loans carry account
    numbers); the columns people sort and filter on are promoted in clear.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="liability", verbose_name=_("account")
    )
    kind = models.CharField(_("kind"), max_length=16, choices=LiabilityKind.choices)
    is_overdue = models.BooleanField(_("overdue"), null=True, blank=True)
    last_payment_amount = MoneyField(_("last payment"), null=True, blank=True)
    last_payment_date = models.DateField(_("last payment date"), null=True, blank=True)
    last_statement_balance = MoneyField(_("last statement balance"), null=True, blank=True)
    minimum_payment_amount = MoneyField(_("minimum payment"), null=True, blank=True)
    next_payment_due_date = models.DateField(_("next payment due"), null=True, blank=True)
    interest_rate_percentage = models.DecimalField(
        _("interest rate (%)"),
        max_digits=12,
        decimal_places=6,
        null=True,
        blank=True,
        help_text=_("Mortgage or loan rate; the purchase APR for a credit card."),
    )
    data = EncryptedJSONField(_("liability"), help_text=_("Plaid's object, encrypted."))
    updated_at = models.DateTimeField(_("fetched"), auto_now=True)

    objects = OwnedByAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid liability")
        verbose_name_plural = _("Plaid liabilities")
        ordering = ("next_payment_due_date", "id")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of account {self.account.account_id}"
