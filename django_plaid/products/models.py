"""Models of Auth, Identity, Investments, Liabilities and Income, in Plaid's names."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..fields import EncryptedJSONField, EncryptedTextField, SensitiveSaveMixin
from ..models import Account, OwnedQuerySet


class OwnedByAccountQuerySet(OwnedQuerySet):
    """Rows that hang off an Account, filtered by the Account's Item's owner."""

    owner_path = "account__item__owner"


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


class Security(models.Model):
    """A security (stock, fund, bond, option, cash...) held or traded in an investment account."""

    security_id = models.CharField(_("security id"), max_length=100, unique=True)
    name = models.CharField(_("name"), max_length=255, null=True, blank=True)
    ticker_symbol = models.CharField(_("ticker"), max_length=32, null=True, blank=True)
    type = models.CharField(_("type"), max_length=32, null=True, blank=True)
    close_price = models.DecimalField(
        _("close price"), max_digits=28, decimal_places=10, null=True, blank=True
    )
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
    quantity = models.DecimalField(_("quantity"), max_digits=28, decimal_places=10)
    institution_price = models.DecimalField(
        _("price"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    institution_price_as_of = models.DateField(_("price as of"), null=True, blank=True)
    institution_value = models.DecimalField(
        _("value"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    cost_basis = models.DecimalField(
        _("cost basis"), max_digits=28, decimal_places=10, null=True, blank=True
    )
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
    quantity = models.DecimalField(_("quantity"), max_digits=28, decimal_places=10)
    amount = models.DecimalField(_("amount"), max_digits=28, decimal_places=10)
    price = models.DecimalField(_("price"), max_digits=28, decimal_places=10)
    fees = models.DecimalField(_("fees"), max_digits=28, decimal_places=10, null=True, blank=True)
    iso_currency_code = models.CharField(_("ISO currency"), max_length=8, null=True, blank=True)
    raw = models.JSONField(_("raw investment transaction"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = OwnedByAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid investment transaction")
        verbose_name_plural = _("Plaid investment transactions")
        ordering = ("-date", "-id")
        indexes = [
            models.Index(fields=["account", "-date", "-id"], name="plaid_invtxn_account_date")
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.type}/{self.subtype} {self.amount}"


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
    last_payment_amount = models.DecimalField(
        _("last payment"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    last_payment_date = models.DateField(_("last payment date"), null=True, blank=True)
    last_statement_balance = models.DecimalField(
        _("last statement balance"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    minimum_payment_amount = models.DecimalField(
        _("minimum payment"), max_digits=28, decimal_places=10, null=True, blank=True
    )
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


class PlaidUser(SensitiveSaveMixin, models.Model):
    """The Plaid user (``/user/create``) of a host user, for user-scoped products (Income)."""

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


__all__ = [
    "AccountOwner",
    "AuthNumbers",
    "Holding",
    "InvestmentTransaction",
    "Liability",
    "LiabilityKind",
    "PayrollIncome",
    "PlaidUser",
    "Security",
]
