"""Transactions: an Account's transactions (``Transaction``) and their queryset."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .accounts import Account
from .base import MoneyField, OwnedQuerySet
from .items import Item


class TransactionQuerySet(OwnedQuerySet):
    """Queries on Transactions (their owner is copied from the Item, for the index)."""


class Transaction(models.Model):
    """A transaction of an Account, as ``/transactions/sync`` last described it.

    ``amount`` is Plaid's: positive when money leaves the account. A pending
    transaction that posts is removed, and the posted one names it in
    ``pending_transaction_id``.
    """

    # The owner is the Item's, copied here so that a user's newest transactions are
    # one ordered index range (owner, date, id) however many rows the table holds.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plaid_transactions",
        verbose_name=_("owner"),
        db_index=False,
    )
    item = models.ForeignKey(
        Item,
        on_delete=models.CASCADE,
        related_name="transactions",
        verbose_name=_("item"),
        db_index=False,
    )
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="transactions",
        verbose_name=_("account"),
        db_index=False,
    )
    transaction_id = models.CharField(_("transaction id"), max_length=100, unique=True)
    amount = MoneyField(_("amount"))
    iso_currency_code = models.CharField(_("ISO currency"), max_length=8, null=True, blank=True)
    unofficial_currency_code = models.CharField(
        _("unofficial currency"), max_length=16, null=True, blank=True
    )
    date = models.DateField(_("date"))
    authorized_date = models.DateField(_("authorized date"), null=True, blank=True)
    datetime = models.DateTimeField(_("datetime"), null=True, blank=True)
    authorized_datetime = models.DateTimeField(_("authorized datetime"), null=True, blank=True)
    name = models.CharField(_("name"), max_length=512, blank=True)
    merchant_name = models.CharField(_("merchant name"), max_length=255, null=True, blank=True)
    payment_channel = models.CharField(_("payment channel"), max_length=32, blank=True)
    pending = models.BooleanField(_("pending"), default=False)
    pending_transaction_id = models.CharField(
        _("pending transaction id"), max_length=100, null=True, blank=True
    )
    category_primary = models.CharField(
        _("category"), max_length=64, blank=True, help_text=_("personal_finance_category.primary")
    )
    category_detailed = models.CharField(
        _("detailed category"),
        max_length=128,
        blank=True,
        help_text=_("personal_finance_category.detailed"),
    )
    location = models.JSONField(_("location"), null=True, blank=True)
    counterparties = models.JSONField(_("counterparties"), default=list, blank=True)
    raw = models.JSONField(_("raw transaction"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid transaction")
        verbose_name_plural = _("Plaid transactions")
        ordering = ("-date", "-id")
        indexes = [
            models.Index(fields=["owner", "-date", "-id"], name="plaid_txn_owner_date"),
            models.Index(fields=["item", "-date", "-id"], name="plaid_txn_item_date"),
            models.Index(fields=["account", "-date", "-id"], name="plaid_txn_account_date"),
            # The admin's list: newest first over every user, by category, the pending.
            models.Index(fields=["-date", "-id"], name="plaid_txn_date"),
            models.Index(
                fields=["category_primary", "-date", "-id"], name="plaid_txn_category_date"
            ),
            models.Index(
                fields=["-date", "-id"],
                condition=models.Q(pending=True),
                name="plaid_txn_pending_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name} {self.amount}"

    def __repr__(self) -> str:
        return f"<Transaction {self.transaction_id} {self.date} pending={self.pending}>"
