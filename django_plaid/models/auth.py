"""Auth: an account's numbers from ``/auth/get``, encrypted (``AuthNumbers``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedJSONField, SensitiveSaveMixin
from .accounts import Account
from .base import OwnedByAccountQuerySet


class AuthNumbers(SensitiveSaveMixin, models.Model):
    """An account's numbers from ``/auth/get`` (ACH, EFT, international, BACS), encrypted.

    ``numbers`` holds Plaid's entries for this account by kind, e.g.
    ``{"ach": {"account": ..., "routing": ..., "wire_routing": ...}}``. The masks (last
    four digits) are kept in clear for display.
    """

    account = models.OneToOneField(
        Account, on_delete=models.CASCADE, related_name="auth_numbers", verbose_name=_("account")
    )
    numbers = EncryptedJSONField(_("numbers"), help_text=_("Encrypted; shown masked."))
    account_mask = models.CharField(_("account number mask"), max_length=8, blank=True)
    routing_mask = models.CharField(_("routing number mask"), max_length=8, blank=True)
    verification_status = models.CharField(
        _("verification status"), max_length=64, null=True, blank=True
    )
    updated_at = models.DateTimeField(_("fetched"), auto_now=True)

    objects = OwnedByAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid auth numbers")
        verbose_name_plural = _("Plaid auth numbers")
        permissions = [
            (
                "view_unmasked_numbers",
                _("Can see account and routing numbers and identity data unmasked"),
            )
        ]

    def __str__(self) -> str:
        return f"numbers of account ••{self.account_mask}"

    def __repr__(self) -> str:
        return f"<AuthNumbers account={self.account_id} ••{self.account_mask}>"
