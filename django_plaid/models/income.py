"""Income: a host user's Plaid user (``PlaidUser``) and its payroll income (``PayrollIncome``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedJSONField, EncryptedTextField, SensitiveSaveMixin


class PlaidUser(SensitiveSaveMixin, models.Model):
    """The Plaid user (``/user/create``) of a host user, for user-scoped products (Income)."""

    #: Not a column: set once this instance's user is removed at Plaid (or its removal
    #: failed and was logged), so deleting the row does not call ``/user/remove`` again.
    removed_at_plaid: bool = False

    owner = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plaid_user",
        verbose_name=_("owner"),
    )
    user_id = models.CharField(_("Plaid user id"), max_length=100, unique=True)
    user_token = EncryptedTextField(
        _("user token"), blank=True, editable=False, help_text=_("Encrypted; never shown.")
    )
    environment = models.CharField(_("environment"), max_length=20)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Plaid user")
        verbose_name_plural = _("Plaid users")
        # Removing a user at Plaid (the admin's action) cannot be undone; viewing or the
        # delete permission alone does not grant it.
        permissions = [("remove_plaiduser_at_plaid", _("Can remove Plaid users at Plaid"))]

    def __str__(self) -> str:
        return self.user_id

    def __repr__(self) -> str:
        return f"<PlaidUser {self.user_id}>"


class PayrollIncome(SensitiveSaveMixin, models.Model):
    """Payroll income of one payroll Item of a Plaid user (``/credit/payroll_income/get``).

    Pay stubs and W-2s are personal data: ``data`` (Plaid's PayrollItem) is encrypted.
    """

    plaid_user = models.ForeignKey(
        PlaidUser, on_delete=models.CASCADE, related_name="payroll", verbose_name=_("Plaid user")
    )
    item_id = models.CharField(_("item id"), max_length=100, unique=True)
    institution_id = models.CharField(_("institution id"), max_length=100, blank=True)
    institution_name = models.CharField(_("institution name"), max_length=255, blank=True)
    processing_status = models.CharField(_("processing status"), max_length=64, blank=True)
    plaid_updated_at = models.DateTimeField(_("updated at Plaid"), null=True, blank=True)
    data = EncryptedJSONField(_("payroll item"), help_text=_("Plaid's object, encrypted."))
    updated_at = models.DateTimeField(_("fetched"), auto_now=True)

    class Meta:
        verbose_name = _("Plaid payroll income")
        verbose_name_plural = _("Plaid payroll income")
        ordering = ("-updated_at", "id")

    def __str__(self) -> str:
        return f"payroll at {self.institution_name or self.institution_id}"
