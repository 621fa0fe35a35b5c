"""Identity: the owners of an account from ``/identity/get``, encrypted (``AccountOwner``)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedJSONField, SensitiveSaveMixin
from .accounts import Account
from .base import OwnedByAccountQuerySet


class AccountOwner(SensitiveSaveMixin, models.Model):
    """One owner of an account from ``/identity/get``: names, emails, phones, addresses.

    The whole owner object is encrypted (``data``); nothing of it is in clear.
    """

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="owners", verbose_name=_("account")
    )
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    data = EncryptedJSONField(_("owner"), help_text=_("Plaid's Owner object, encrypted."))
    updated_at = models.DateTimeField(_("fetched"), auto_now=True)

    objects = OwnedByAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid account owner")
        verbose_name_plural = _("Plaid account owners")
        ordering = ("account_id", "position")
        constraints = [
            models.UniqueConstraint(fields=["account", "position"], name="plaid_owner_position")
        ]

    def __str__(self) -> str:
        return f"owner {self.position + 1} of account {self.account.account_id}"

    def __repr__(self) -> str:
        return f"<AccountOwner account={self.account_id} position={self.position}>"
