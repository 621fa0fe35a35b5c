"""Plaid's objects as Django models: Items, Accounts, Transactions and webhook deliveries.

The other products' models (Auth, Identity, Investments, Liabilities, Income) are in
``django_plaid.products.models`` and imported at the end of this module.

Plaid's identifiers keep Plaid's names (``item_id``, ``account_id``) and are unique;
columns people query are promoted from the payload, and the last payload Plaid sent is
kept whole in ``raw``.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import EncryptedTextField, SensitiveSaveMixin

# Money is a Decimal of 28 digits, 10 after the point: Plaid sends floats, sometimes
# with up to 7 decimal places.


class ItemStatus(models.TextChoices):
    """The documented lifecycle states of an Item, a stable contract for API clients."""

    HEALTHY = "healthy", _("Healthy")
    LOGIN_REQUIRED = "login_required", _("Login required")
    PENDING_EXPIRATION = "pending_expiration", _("Consent expiring soon")
    PENDING_DISCONNECT = "pending_disconnect", _("Disconnecting soon")
    REVOKED = "revoked", _("Access revoked")
    ERROR = "error", _("Error")


class OwnedQuerySet(models.QuerySet[Any]):
    """Rows that belong to one user through ``owner_path`` (the isolation rule, in one place)."""

    #: The lookup from the row to its owning user.
    owner_path = "owner"

    def for_owner(self, user: Any) -> Any:
        """The rows of ``user``'s Items (none for an anonymous user)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(**{self.owner_path: user})


class ItemQuerySet(OwnedQuerySet):
    """Queries on Items."""


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

    def set_error(self, error: dict[str, Any] | None) -> None:
        """Record Plaid's error object (or clear it) in the promoted columns and ``error``."""
        self.error = error or None
        self.error_type = str((error or {}).get("error_type") or "")
        self.error_code = str((error or {}).get("error_code") or "")


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
    balance_available = models.DecimalField(
        _("available balance"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    balance_current = models.DecimalField(
        _("current balance"), max_digits=28, decimal_places=10, null=True, blank=True
    )
    balance_limit = models.DecimalField(
        _("limit"), max_digits=28, decimal_places=10, null=True, blank=True
    )
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
    amount = models.DecimalField(_("amount"), max_digits=28, decimal_places=10)
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
        ]

    def __str__(self) -> str:
        return f"{self.date} {self.name} {self.amount}"

    def __repr__(self) -> str:
        return f"<Transaction {self.transaction_id} {self.date} pending={self.pending}>"


class LinkToken(models.Model):
    """A Link token dj-plaid created, and for whom.

    Lets the exchange check that a public token came from a Link session opened with a
    token of the same user (``PLAID["VERIFY_LINK_SESSION"]``). Only a SHA-256 of the
    token is kept: the client sends the token itself with the exchange.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plaid_link_tokens",
        verbose_name=_("owner"),
    )
    token_sha256 = models.CharField(_("link token SHA-256"), max_length=64, unique=True)
    item = models.ForeignKey(
        Item,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="link_tokens",
        verbose_name=_("item (update mode)"),
    )
    expiration = models.DateTimeField(_("expiration"), db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Plaid link token")
        verbose_name_plural = _("Plaid link tokens")

    def __str__(self) -> str:
        return f"link token of user {self.owner_id}"

    def __repr__(self) -> str:
        return f"<LinkToken {self.pk} owner={self.owner_id}>"


class WebhookEventStatus(models.TextChoices):
    """Where a stored webhook delivery is in its processing."""

    PENDING = "pending", _("Pending")
    PROCESSED = "processed", _("Processed")
    FAILED = "failed", _("Failed")


class WebhookEvent(models.Model):
    """One verified webhook delivery from Plaid, stored before it is processed.

    Plaid sends no event id and may send byte-identical bodies for distinct events,
    so every delivery gets its own row; handlers are idempotent instead. Plaid signs
    each delivery attempt anew, so a JWT seen twice is a replay: ``jwt_sha256`` is
    unique and the second one is never stored.
    """

    webhook_type = models.CharField(_("webhook type"), max_length=64, db_index=True)
    webhook_code = models.CharField(_("webhook code"), max_length=64, db_index=True)
    item_id = models.CharField(_("item id"), max_length=100, blank=True, db_index=True)
    environment = models.CharField(_("environment"), max_length=20, blank=True)
    body = models.TextField(_("raw body"), help_text=_("The body exactly as received."))
    body_sha256 = models.CharField(_("body SHA-256"), max_length=64, db_index=True)
    jwt_sha256 = models.CharField(
        _("JWT SHA-256"),
        max_length=64,
        null=True,
        blank=True,
        unique=True,
        editable=False,
        help_text=_(
            "Identifies the signed delivery (its JWT, signature normalised); unique, so a "
            "replayed delivery is refused. Empty while WEBHOOK_VERIFY is off."
        ),
    )
    payload = models.JSONField(_("payload"), default=dict)
    verified = models.BooleanField(
        _("verified"), default=True, help_text=_("False only when WEBHOOK_VERIFY is off.")
    )
    remote_addr = models.GenericIPAddressField(_("remote address"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)
    status = models.CharField(
        _("status"),
        max_length=16,
        choices=WebhookEventStatus.choices,
        default=WebhookEventStatus.PENDING,
        db_index=True,
    )
    attempts = models.PositiveIntegerField(_("attempts"), default=0)
    processed_at = models.DateTimeField(_("processed"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)
    traceback = models.TextField(_("traceback"), blank=True)

    class Meta:
        verbose_name = _("Plaid webhook event")
        verbose_name_plural = _("Plaid webhook events")
        ordering = ("-received_at", "-id")
        permissions = [("reprocess_webhookevent", _("Can reprocess Plaid webhook events"))]

    def __str__(self) -> str:
        return f"{self.webhook_type}/{self.webhook_code} {self.item_id}".rstrip()

    def __repr__(self) -> str:
        return f"<WebhookEvent {self.pk} {self} {self.status}>"


class WebhookDrain(models.Model):
    """A single row: whether a drain task is queued for the pending webhook events.

    Each delivery flips ``queued_at`` from empty to now with one conditional UPDATE and
    queues a drain task only when it did the flip, so a burst of deliveries queues one
    task instead of one each. A drain empties ``queued_at`` before it reads the pending
    events, so an event stored after that read queues the next drain. A flag older than
    a minute is treated as lost (its task never ran) and taken over.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    queued_at = models.DateTimeField(_("drain queued at"), null=True, blank=True)

    class Meta:
        verbose_name = _("Plaid webhook drain")
        verbose_name_plural = _("Plaid webhook drain")

    def __str__(self) -> str:
        return f"queued at {self.queued_at}" if self.queued_at else "idle"


# The products' models live beside their flows; importing them here registers them.
from .products.models import (  # noqa: E402
    AccountOwner,
    AuthNumbers,
    Holding,
    InvestmentTransaction,
    Liability,
    LiabilityKind,
    PayrollIncome,
    PlaidUser,
    Security,
)

__all__ = [
    "Account",
    "AccountOwner",
    "AuthNumbers",
    "Holding",
    "InvestmentTransaction",
    "Item",
    "ItemStatus",
    "Liability",
    "LiabilityKind",
    "PayrollIncome",
    "PlaidUser",
    "Security",
    "Transaction",
    "WebhookDrain",
    "WebhookEvent",
    "WebhookEventStatus",
]
