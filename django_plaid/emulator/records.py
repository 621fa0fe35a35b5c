"""The emulator's records: Items, their accounts, users, link and public tokens (plain data).

Dataclasses with their JSON renderings and nothing that mutates the world: the state
modules (``tokens``, ``items``, ``users``, ``products``, ``readiness``,
``transaction_changes``, composed by ``state.EmulatorState``) create and change them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from . import ids
from .data import AccountTemplate, Institution
from .errors import PlaidErrorResponse, error_for_code
from .investments import InvestmentBook
from .ledger import TransactionLedger
from .mfa import MfaChallenge

__all__ = [
    "DYNAMIC_USERNAME",
    "READINESS_PRODUCTS",
    "Account",
    "Item",
    "LinkSession",
    "LinkToken",
    "PublicToken",
    "User",
]

#: The sandbox user whose transactions change on every ``/transactions/refresh``.
DYNAMIC_USERNAME = "user_transactions_dynamic"
#: Products whose data can be "still being prepared" (PRODUCT_NOT_READY, or NOT_READY for
#: ``/transactions/sync``): ``EmulatorState.set_product_ready`` switches them.
READINESS_PRODUCTS = (
    "auth",
    "identity",
    "income_verification",
    "investments",
    "liabilities",
    "transactions",
)


@dataclass
class Account:
    """One account of an Item (balances are mutable so later phases can move money)."""

    account_id: str
    name: str
    mask: str | None
    type: str
    subtype: str | None
    official_name: str | None
    available: float | None
    current: float | None
    limit: float | None
    iso_currency_code: str | None = "USD"
    unofficial_currency_code: str | None = None
    #: Auth verification (``pending_automatic_verification``, ``automatically_verified``,
    #: ``verification_expired``, ...); None for instantly verified accounts.
    verification_status: str | None = None

    @classmethod
    def from_template(cls, template: AccountTemplate) -> Account:
        """Create an account with a fresh random id from a persona's template."""
        return cls(
            account_id=ids.account_id(),
            name=template.name,
            mask=template.mask,
            type=template.type,
            subtype=template.subtype,
            official_name=template.official_name,
            available=template.available,
            current=template.current,
            limit=template.limit,
            iso_currency_code=template.iso_currency_code,
        )

    def to_dict(self, *, balances_updated_at: datetime | None = None) -> dict[str, Any]:
        """Render Plaid's ``AccountBase``; a timestamp adds ``last_updated_datetime``."""
        balances: dict[str, Any] = {
            "available": self.available,
            "current": self.current,
            "limit": self.limit,
            "iso_currency_code": self.iso_currency_code,
            "unofficial_currency_code": self.unofficial_currency_code,
        }
        if balances_updated_at is not None:
            balances["last_updated_datetime"] = ids.format_datetime(balances_updated_at)
        # persistent_account_id is left out: it is not nullable, and Plaid only sends it
        # for a few (tokenized-number) institutions.
        body: dict[str, Any] = {
            "account_id": self.account_id,
            "balances": balances,
            "mask": self.mask,
            "name": self.name,
            "official_name": self.official_name,
            "type": self.type,
            "subtype": self.subtype,
        }
        if self.verification_status is not None:
            # Optional and not nullable in the SDK: present only for micro-deposit flows.
            body["verification_status"] = self.verification_status
        return body

    def to_link_metadata(self) -> dict[str, Any]:
        """Render the account as Link's onSuccess metadata lists it (``id``, not account_id)."""
        return {
            "id": self.account_id,
            "name": self.name,
            "mask": self.mask,
            "type": self.type,
            "subtype": self.subtype,
            "verification_status": self.verification_status,
            "class_type": None,
        }


@dataclass
class Item:
    """A linked bank login, with its access token and accounts."""

    item_id: str
    access_token: str = field(repr=False)
    institution: Institution
    products: list[str]
    accounts: list[Account]
    created_at: datetime
    webhook: str | None = None
    username: str = "user_good"
    client_user_id: str | None = None
    #: ``transactions.days_requested`` from Link (history depth for the transactions phase).
    days_requested: int = 90
    #: Code of the catalogue error the Item is in (e.g. ITEM_LOGIN_REQUIRED), or None.
    error_code: str | None = None
    last_successful_update: datetime | None = None
    last_failed_update: datetime | None = None
    #: Set by a PENDING_EXPIRATION webhook (UK/EU consent running out).
    consent_expiration_time: datetime | None = None
    #: Code and time of the last webhook sent for the Item (``/item/get``'s last_webhook).
    last_webhook_code: str | None = None
    last_webhook_sent_at: datetime | None = None
    #: The Item's transactions and change log (None without the transactions product).
    ledger: TransactionLedger | None = field(default=None, repr=False)
    #: Set by the first ``/transactions/sync``: SYNC_UPDATES_AVAILABLE is sent from then on.
    sync_activated: bool = False
    #: False while Plaid is still pulling the history (sync answers NOT_READY).
    transactions_ready: bool = True
    #: INITIAL_UPDATE/HISTORICAL_UPDATE held back until the history is ready.
    link_webhooks_deferred: bool = False
    #: The ``/user/create`` user a payroll (income) Item belongs to.
    user_id: str | None = None
    #: ``Item.auth_method`` when not the default (INSTANT_AUTH for Items with auth).
    auth_method: str | None = None
    #: Products whose data is still being prepared (PRODUCT_NOT_READY until
    #: ``EmulatorState.set_product_ready``); transactions use ``transactions_ready``.
    not_ready: set[str] = field(default_factory=set)
    #: Products whose "data is ready" webhook waits for ``set_product_ready``
    #: (``investments``: HISTORICAL_UPDATE, ``income_verification``: INCOME_VERIFICATION).
    deferred_webhooks: set[str] = field(default_factory=set)
    #: Holdings and investment transactions (made on first use; see ``investments.py``).
    investments: InvestmentBook | None = field(default=None, repr=False)
    last_investments_update: datetime | None = None
    #: Free-form storage for later phases.
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def dynamic(self) -> bool:
        """Whether this is a ``user_transactions_dynamic`` Item (refresh changes data)."""
        return self.username == DYNAMIC_USERNAME

    @property
    def error(self) -> PlaidErrorResponse | None:
        """The Item's current error as an exception, or None when healthy."""
        if self.error_code is None:
            return None
        return error_for_code(self.error_code)

    def available_products(self) -> list[str]:
        """Products the institution offers that the Item has not been billed for."""
        return sorted(set(self.institution.products) - set(self.products))

    def to_dict(self, *, consent_fields: bool = False) -> dict[str, Any]:
        """Render Plaid's ``Item`` (``ItemWithConsentFields`` with ``consent_fields``)."""
        error = self.error
        products = sorted(self.products)
        body: dict[str, Any] = {
            "item_id": self.item_id,
            "institution_id": self.institution.institution_id,
            "institution_name": self.institution.name,
            "webhook": self.webhook,
            "error": error.to_dict(status=True) if error else None,
            "available_products": self.available_products(),
            "billed_products": products,
            "products": products,
            "consented_products": products,
            "consent_expiration_time": (
                ids.format_datetime(self.consent_expiration_time)
                if self.consent_expiration_time
                else None
            ),
            "update_type": "background",
            "auth_method": self.auth_method
            or ("INSTANT_AUTH" if "auth" in self.products else None),
        }
        if consent_fields:
            body["created_at"] = ids.format_datetime(self.created_at)
        return body

    def status_dict(self) -> dict[str, Any]:
        """Render ``/item/get``'s ``status`` object."""

        def fmt(value: datetime | None) -> str | None:
            return ids.format_datetime(value) if value else None

        last_webhook = None
        if self.last_webhook_code is not None:
            last_webhook = {
                "sent_at": fmt(self.last_webhook_sent_at),
                "code_sent": self.last_webhook_code,
            }
        status: dict[str, Any] = {
            "transactions": {
                "last_successful_update": fmt(self.last_successful_update),
                "last_failed_update": fmt(self.last_failed_update),
            },
            "last_webhook": last_webhook,
        }
        if "investments" in self.products:
            status["investments"] = {
                "last_successful_update": fmt(self.last_investments_update),
                "last_failed_update": None,
            }
        return status


@dataclass
class User:
    """A ``/user/create`` user: the owner of income (payroll) Items."""

    user_id: str
    user_token: str = field(repr=False)
    client_user_id: str
    created_at: datetime
    #: The user's payroll Items, oldest first.
    item_ids: list[str] = field(default_factory=list)


@dataclass
class LinkToken:
    """A link token and the ``/link/token/create`` request it remembers."""

    link_token: str
    created_at: datetime
    expires_at: datetime
    client_name: str
    language: str
    country_codes: list[str]
    products: list[str]
    #: Billed too, but only where the institution supports them.
    required_if_supported_products: list[str] = field(default_factory=list)
    optional_products: list[str] = field(default_factory=list)
    additional_consented_products: list[str] = field(default_factory=list)
    client_user_id: str | None = None
    #: The ``/user/create`` user (from ``user_id`` or ``user_token``), if any.
    user_id: str | None = None
    #: ``income_verification.income_source_types`` (``payroll``/``bank``), if given.
    income_source_types: list[str] | None = None
    webhook: str | None = None
    #: Set in update mode: the Item being repaired.
    item_id: str | None = None
    account_selection_enabled: bool = False
    account_filters: dict[str, Any] | None = None
    days_requested: int = 90
    redirect_uri: str | None = None
    #: The request body minus credentials, for later phases and for debugging.
    request: dict[str, Any] = field(default_factory=dict)
    #: The Link sessions completed with this token, as ``/link/token/get`` reports them.
    sessions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def update_mode(self) -> bool:
        """Whether the token repairs an existing Item instead of creating one."""
        return self.item_id is not None


@dataclass
class PublicToken:
    """A single-use public token and the Item it stands for."""

    public_token: str = field(repr=False)
    item_id: str
    created_at: datetime
    expires_at: datetime
    #: Update-mode public tokens must not be exchanged (the access token never changes).
    update_mode: bool = False
    exchanged_at: datetime | None = None


@dataclass
class LinkSession:
    """One opening of the Link simulator: where the user is and what happened so far.

    ``view`` is Link's current pane (CONSENT, SELECT_INSTITUTION, CREDENTIAL, MFA,
    SELECT_ACCOUNT, CONNECTED, ERROR); ``events`` are the onEvent events sent so far, as
    ``/link/token/get`` lists them. The session never holds an access token.
    """

    link_session_id: str
    link_token: str
    started_at: datetime
    view: str = "CONSENT"
    institution_id: str | None = None
    username: str | None = None
    password: str | None = None
    mfa: MfaChallenge | None = None
    mfa_round: int = 0
    #: The Item made or repaired by a successful login (kept until the user continues).
    item_id: str | None = None
    #: The accounts the user may pick (update mode with account selection).
    account_ids: list[str] = field(default_factory=list)
    error: PlaidErrorResponse | None = None
    #: Exit ``status`` while on the current pane (``requires_credentials``, ...).
    status: str | None = None
    events: list[dict[str, Any]] = field(default_factory=list)
    #: What onSuccess receives once the session is connected.
    success: dict[str, Any] | None = None
    finished: bool = False
