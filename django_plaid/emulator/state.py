"""The emulator's in-memory world: link tokens, public tokens, Items and their accounts."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from . import ids
from .data import (
    DEFAULT_INSTITUTION_ID,
    AccountTemplate,
    Institution,
    accounts_for,
    get_institution,
)
from .errors import PlaidErrorResponse, error_for_code
from .faults import FaultRegistry
from .income import DEFAULT_PAYROLL_INSTITUTION_ID, PAYROLL_INSTITUTIONS
from .investments import InvestmentBook
from .ledger import (
    MAX_DAYS,
    Transaction,
    TransactionLedger,
    ledger_accounts,
    random_transaction_id,
)
from .merchants import custom_merchant
from .webhooks import WebhookDispatcher, WebhookKeyStore

__all__ = [
    "DYNAMIC_USERNAME",
    "LINK_TOKEN_TTL",
    "MICRODEPOSITS_INSTITUTION_ID",
    "MICRODEPOSITS_PASSWORD",
    "PUBLIC_TOKEN_TTL",
    "READINESS_PRODUCTS",
    "UPDATE_LINK_TOKEN_TTL",
    "Account",
    "EmulatorState",
    "Item",
    "LinkToken",
    "PublicToken",
    "User",
]

LINK_TOKEN_TTL = timedelta(hours=4)
UPDATE_LINK_TOKEN_TTL = timedelta(minutes=30)
PUBLIC_TOKEN_TTL = timedelta(minutes=30)

#: The sandbox user whose transactions change on every ``/transactions/refresh``.
DYNAMIC_USERNAME = "user_transactions_dynamic"
#: How many transactions a ``user_transactions_dynamic`` Item starts with (Plaid: ~50),
#: and how many of those are pending.
DYNAMIC_HISTORY = 50
DYNAMIC_PENDING = 4
#: ``generate_transactions`` refuses more than this (about 300 MB).
MAX_GENERATED = 1_000_000
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
#: The automated micro-deposits flow: this password at Houndstooth Bank, with ``auth``.
MICRODEPOSITS_PASSWORD = "microdeposits_good"
MICRODEPOSITS_INSTITUTION_ID = "ins_109512"


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


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


class EmulatorState:
    """Thread-safe store of everything the emulator knows; ``reset()`` empties it.

    Every public method takes ``lock`` (re-entrant); the dispatcher also holds it around each
    handler, so a handler's reads and writes are atomic as a whole. ``clock`` is injectable
    and ``advance_time()`` shifts it, so tests can expire tokens without sleeping.

    ``webhook_keys`` signs webhooks and ``webhooks`` delivers them (its own lock, never
    held while waiting on a receiver); ``reset()`` empties the outbox and renews the keys.

    Transactions: every Item with the ``transactions`` product has a ``TransactionLedger``
    (generated history plus change log). ``transactions_truth()`` shows what a client that
    synced everything must hold; ``add_transactions()``, ``modify_transaction()``,
    ``remove_transaction()``, ``post_pending()``, ``refresh_transactions()`` and
    ``generate_transactions()`` change it, and announce it with ``SYNC_UPDATES_AVAILABLE``
    once the Item has called ``/transactions/sync``. Methods taking ``item`` accept an
    item_id or an access token.

    Other products: ``add_product()`` bills an Item for a product on first use (as Plaid
    does when ``/auth/get``, ``/identity/get``, ``/investments/*`` or ``/liabilities/get``
    is called for a product the Item was not linked with), ``set_product_ready()`` starts
    or ends a product's PRODUCT_NOT_READY phase, ``set_verification_status()`` moves an
    account through Auth's micro-deposit verification, ``investments()`` is the Item's
    holdings and investment transactions. Users (``create_user()``, ``get_user()``) own
    payroll Items (``create_payroll_item()``) for Income.

    ``faults`` holds injected failures (see ``faults.py``). With
    ``detect_pagination_mutations`` on, *any* change makes the mid-pagination cursors
    issued before it fail with TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION, as Plaid's
    do; off (the default), only the ``mutation_during_pagination`` fault does that.
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], datetime] = clock or _utcnow
        self._offset = timedelta()
        self.link_tokens: dict[str, LinkToken] = {}
        self.public_tokens: dict[str, PublicToken] = {}
        self.items: dict[str, Item] = {}
        self._access_tokens: dict[str, str] = {}
        self.users: dict[str, User] = {}
        self._user_tokens: dict[str, str] = {}
        self._client_user_ids: dict[str, str] = {}
        self.webhook_keys = WebhookKeyStore()
        self.webhooks = WebhookDispatcher(self.webhook_keys)
        self.faults = FaultRegistry(self)
        self.detect_pagination_mutations = False

    # -- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the emulator's current time (aware, UTC)."""
        return self.clock() + self._offset

    def advance_time(self, delta: timedelta) -> None:
        """Move the emulator's clock forward (or back) by ``delta``."""
        with self.lock:
            self._offset += delta

    def reset(self) -> None:
        """Forget every token, Item, webhook delivery and signing key; undo ``advance_time``.

        A fresh signing key (new kid) replaces all old ones, so each test starts with a kid
        no receiver has cached: a key cached (or rotated) in an earlier test cannot leak
        into this one. A receiver simply fetches the new kid, as after a Plaid rotation.
        """
        with self.lock:
            self._offset = timedelta()
            self.link_tokens.clear()
            self.public_tokens.clear()
            self.items.clear()
            self._access_tokens.clear()
            self.users.clear()
            self._user_tokens.clear()
            self._client_user_ids.clear()
            self.webhooks.reset()
            self.webhook_keys.reset()
            self.faults.reset()
            self.detect_pagination_mutations = False

    # -- link tokens ------------------------------------------------------------------------

    def create_link_token(self, **fields: Any) -> LinkToken:
        """Mint a link token; pass ``item_id`` for update mode (30-minute lifetime)."""
        with self.lock:
            now = self.now()
            ttl = UPDATE_LINK_TOKEN_TTL if fields.get("item_id") else LINK_TOKEN_TTL
            token = LinkToken(
                link_token=ids.link_token(), created_at=now, expires_at=now + ttl, **fields
            )
            self.link_tokens[token.link_token] = token
            return token

    def find_link_token(self, link_token: str) -> LinkToken:
        """Return a link token, expired or not (``/link/token/get`` reports both), or raise
        INVALID_LINK_TOKEN for an unknown one."""
        with self.lock:
            token = self.link_tokens.get(link_token)
            if token is None:
                raise PlaidErrorResponse("INVALID_LINK_TOKEN")
            return token

    def get_link_token(self, link_token: str) -> LinkToken:
        """Return a live link token or raise INVALID_LINK_TOKEN (unknown or expired)."""
        with self.lock:
            token = self.link_tokens.get(link_token)
            if token is None:
                raise PlaidErrorResponse("INVALID_LINK_TOKEN")
            if self.now() >= token.expires_at:
                raise PlaidErrorResponse(
                    "INVALID_LINK_TOKEN",
                    "link token has expired",
                    display_message="Your session has expired. Please try again.",
                )
            return token

    # -- items ------------------------------------------------------------------------------

    def create_item(
        self,
        institution_id: str = DEFAULT_INSTITUTION_ID,
        products: Iterable[str] = ("transactions",),
        *,
        webhook: str | None = None,
        username: str = "user_good",
        client_user_id: str | None = None,
        account_filters: Mapping[str, Any] | None = None,
        days_requested: int = 90,
        transactions_ready: bool = True,
        not_ready: Iterable[str] = (),
        automated_microdeposits: bool = False,
    ) -> Item:
        """Create an Item directly (no Link, no credentials); tests may use it as a shortcut.

        With ``transactions``, the Item gets its history over ``days_requested`` days
        (``user_transactions_dynamic``: about 50 transactions, a few pending).
        ``transactions_ready=False`` makes ``/transactions/sync`` answer NOT_READY until
        ``set_transactions_ready()``; ``not_ready`` names other products whose data is
        still being prepared (see ``set_product_ready``). ``automated_microdeposits`` makes
        the automated micro-deposits Item Plaid's sandbox creates for ``microdeposits_good``:
        only Plaid Checking, ``pending_automatic_verification``, auth_method
        AUTOMATED_MICRODEPOSITS. Raises INVALID_INSTITUTION for an unknown institution and
        NO_ACCOUNTS when the products and filters leave no account.
        """
        institution = get_institution(institution_id)
        if institution is None:
            raise PlaidErrorResponse("INVALID_INSTITUTION")
        products = sorted(set(products))
        not_ready = set(not_ready)
        unknown = not_ready - set(READINESS_PRODUCTS)
        if unknown:
            raise ValueError(f"not_ready: no readiness for {sorted(unknown)}")
        if "transactions" in not_ready:
            transactions_ready = False
            not_ready.discard("transactions")
        templates = accounts_for(products, account_filters)
        if automated_microdeposits:
            # The user verifies one account by micro-deposits instead of logging in.
            templates = [t for t in templates if t.subtype == "checking"][:1]
        if not templates:
            raise PlaidErrorResponse("NO_ACCOUNTS")
        with self.lock:
            now = self.now()
            item = Item(
                item_id=ids.item_id(),
                access_token=ids.access_token(),
                institution=institution,
                products=products,
                accounts=[Account.from_template(t) for t in templates],
                created_at=now,
                webhook=webhook,
                username=username,
                client_user_id=client_user_id,
                days_requested=days_requested,
                last_successful_update=now if "transactions" in products else None,
                transactions_ready=transactions_ready,
                not_ready=not_ready,
                last_investments_update=now if "investments" in products else None,
            )
            if automated_microdeposits:
                item.auth_method = "AUTOMATED_MICRODEPOSITS"
                for account in item.accounts:
                    account.verification_status = "pending_automatic_verification"
            if "transactions" in products:
                item.ledger = self._history(item, days_requested)
            self.items[item.item_id] = item
            self._access_tokens[item.access_token] = item.item_id
            return item

    def get_item(self, item_id: str) -> Item:
        """Return an Item by id or raise ITEM_NOT_FOUND."""
        with self.lock:
            item = self.items.get(item_id)
            if item is None:
                raise PlaidErrorResponse("ITEM_NOT_FOUND")
            return item

    def item_for_access_token(self, access_token: str) -> Item:
        """Return the Item behind an access token or raise INVALID_ACCESS_TOKEN."""
        with self.lock:
            if not ids.is_access_token(access_token):
                raise PlaidErrorResponse(
                    "INVALID_ACCESS_TOKEN",
                    "provided access token is in an invalid format. expected format: "
                    f"access-<environment>-<identifier> (environment: {ids.ENVIRONMENT})",
                )
            item_id = self._access_tokens.get(access_token)
            if item_id is None or item_id not in self.items:
                raise PlaidErrorResponse("INVALID_ACCESS_TOKEN")
            return self.items[item_id]

    def remove_item(self, item_id: str) -> None:
        """Delete an Item: its access token and unexchanged public tokens stop working."""
        with self.lock:
            item = self.items.pop(item_id, None)
            if item is None:
                raise PlaidErrorResponse("ITEM_NOT_FOUND")
            self._access_tokens.pop(item.access_token, None)
            user = self.users.get(item.user_id or "")
            if user is not None and item_id in user.item_ids:
                user.item_ids.remove(item_id)
            for token, public in list(self.public_tokens.items()):
                if public.item_id == item_id:
                    del self.public_tokens[token]

    def rotate_access_token(self, access_token: str) -> Item:
        """Give the Item behind ``access_token`` a new one; the old one is invalid at once."""
        with self.lock:
            item = self.item_for_access_token(access_token)
            del self._access_tokens[item.access_token]
            item.access_token = ids.access_token()
            self._access_tokens[item.access_token] = item.item_id
            return item

    def set_item_error(self, item_id: str, error_code: str | None) -> Item:
        """Put an Item into an error state (e.g. ITEM_LOGIN_REQUIRED); None clears it."""
        with self.lock:
            item = self.get_item(item_id)
            item.error_code = error_code
            return item

    def clear_item_error(self, item_id: str) -> Item:
        """Make an Item healthy again (what a successful update-mode Link does)."""
        return self.set_item_error(item_id, None)

    # -- products ---------------------------------------------------------------------------

    def add_product(self, item: str | Item, product: str) -> bool:
        """Bill the Item for ``product`` unless it has it; return whether it was added.

        What Plaid does when ``/auth/get``, ``/identity/get``, ``/investments/*`` or
        ``/liabilities/get`` is called for a product the Item was not linked with.
        PRODUCTS_NOT_SUPPORTED when the Item's institution does not offer the product.
        """
        with self.lock:
            found = self.resolve_item(item)
            if product in found.products:
                return False
            if product not in found.institution.products:
                raise PlaidErrorResponse(
                    "PRODUCTS_NOT_SUPPORTED",
                    f"the following products are not supported by this institution: {product}",
                )
            found.products = sorted({*found.products, product})
            if product == "investments":
                found.last_investments_update = self.now()
            return True

    def product_ready(self, item: str | Item, product: str) -> bool:
        """Whether the Item's data for ``product`` is ready (no PRODUCT_NOT_READY)."""
        with self.lock:
            found = self.resolve_item(item)
            if product == "transactions":
                return found.transactions_ready
            return product not in found.not_ready

    def set_product_ready(self, item: str | Item, product: str, ready: bool = True) -> Item:
        """End (``ready``, the default) or start a product's "data being prepared" phase.

        While not ready the product's endpoints answer PRODUCT_NOT_READY (``/auth/get``,
        ``/identity/get``, ``/investments/*``, ``/liabilities/get``,
        ``/credit/payroll_income/get``; ``/transactions/sync`` answers NOT_READY). Becoming
        ready sends what was held back meanwhile: INVESTMENTS_TRANSACTIONS/HISTORICAL_UPDATE,
        INCOME/INCOME_VERIFICATION, or the transactions webhooks (``set_transactions_ready``).
        ValueError for a product without such a phase (see ``READINESS_PRODUCTS``).
        """
        if product not in READINESS_PRODUCTS:
            raise ValueError(
                f"product must be one of {', '.join(READINESS_PRODUCTS)}, not {product!r}"
            )
        if product == "transactions":
            return self.set_transactions_ready(item, ready)
        from .notifications import notify_product_ready

        with self.lock:
            found = self.resolve_item(item)
            was_ready = product not in found.not_ready
            if ready:
                found.not_ready.discard(product)
            else:
                found.not_ready.add(product)
            if ready and not was_ready:
                if product == "investments":
                    found.last_investments_update = self.now()
                if product in found.deferred_webhooks:
                    found.deferred_webhooks.discard(product)
                    notify_product_ready(self, found, product)
            return found

    def investments(self, item: str | Item) -> InvestmentBook:
        """The Item's holdings and investment transactions (generated on first use)."""
        with self.lock:
            found = self.resolve_item(item)
            if found.investments is None:
                found.investments = InvestmentBook(
                    found.item_id, found.accounts, found.created_at.date()
                )
            return found.investments

    def set_verification_status(
        self, item: str | Item, account_id: str, verification_status: str
    ) -> Account:
        """Set an auth account's verification status and send the matching AUTH webhook.

        ``automatically_verified`` sends AUTOMATICALLY_VERIFIED and the account's numbers
        are served from then on; ``verification_expired`` sends VERIFICATION_EXPIRED and
        they never will be. INVALID_ACCOUNT_ID unless the account is a checking, savings or
        cash management account of the Item; ValueError for another status.
        """
        from .account_numbers import SETTABLE_VERIFICATION_STATUSES, is_auth_account
        from .notifications import notify_verification_status

        if verification_status not in SETTABLE_VERIFICATION_STATUSES:
            raise ValueError(
                "verification_status must be one of " + ", ".join(SETTABLE_VERIFICATION_STATUSES)
            )
        with self.lock:
            found = self.resolve_item(item)
            account = next((a for a in found.accounts if a.account_id == account_id), None)
            if account is None or not is_auth_account(account):
                raise PlaidErrorResponse(
                    "INVALID_ACCOUNT_ID",
                    f"account_id {account_id} is not a checking, savings or cash management "
                    "account of this Item",
                )
            account.verification_status = verification_status
            notify_verification_status(self, found, account)
            return account

    # -- users and payroll Items ------------------------------------------------------------

    def create_user(self, client_user_id: str) -> User:
        """Create a ``/user/create`` user; INVALID_FIELD if ``client_user_id`` has one."""
        with self.lock:
            if client_user_id in self._client_user_ids:
                raise PlaidErrorResponse(
                    "INVALID_FIELD",
                    "a user has already been created for the given client_user_id; store "
                    "and reuse the user_id (and user_token) from the first /user/create call",
                )
            user = User(
                user_id=ids.user_id(),
                user_token=ids.user_token(),
                client_user_id=client_user_id,
                created_at=self.now(),
            )
            self.users[user.user_id] = user
            self._user_tokens[user.user_token] = user.user_id
            self._client_user_ids[client_user_id] = user.user_id
            return user

    def get_user(self, *, user_id: str | None = None, user_token: str | None = None) -> User:
        """The user named by ``user_token`` or ``user_id``.

        INVALID_USER_TOKEN / INVALID_USER_ID when unknown (a removed user or another
        environment's); ValueError when neither is given.
        """
        with self.lock:
            if user_token is not None:
                found_id = self._user_tokens.get(user_token)
                if found_id is None or found_id not in self.users:
                    raise PlaidErrorResponse("INVALID_USER_TOKEN")
                if user_id is not None and user_id != found_id:
                    raise PlaidErrorResponse(
                        "INVALID_USER_ID", "user_id and user_token name different users"
                    )
                return self.users[found_id]
            if user_id is None:
                raise ValueError("pass user_id or user_token")
            user = self.users.get(user_id)
            if user is None:
                raise PlaidErrorResponse("INVALID_USER_ID")
            return user

    def resolve_user(self, user: str | User) -> User:
        """A user from itself, its user_id or its user token."""
        if isinstance(user, User):
            return user
        if ids.is_user_token(user):
            return self.get_user(user_token=user)
        return self.get_user(user_id=user)

    def create_payroll_item(
        self,
        user: str | User,
        *,
        institution_id: str | None = None,
        products: Iterable[str] = ("income_verification",),
        webhook: str | None = None,
        username: str = "user_good",
        income_ready: bool = True,
    ) -> Item:
        """Create the user's payroll Item, as a completed payroll-income Link does.

        The Item is at a payroll provider (``income.PAYROLL_INSTITUTIONS``; unknown or bank
        institution ids mean the default, ADP) with one ``other``/``payroll`` account.
        ``income_ready=False`` keeps its payroll data PRODUCT_NOT_READY until
        ``set_product_ready(item, "income_verification")``. No webhook is sent here:
        ``notifications.notify_income_verification`` does that.
        """
        with self.lock:
            owner = self.resolve_user(user)
            institution = PAYROLL_INSTITUTIONS.get(
                institution_id or "", PAYROLL_INSTITUTIONS[DEFAULT_PAYROLL_INSTITUTION_ID]
            )
            account = Account(
                account_id=ids.account_id(),
                name="Plaid Inc. Payroll",
                mask=None,
                type="other",
                subtype="payroll",
                official_name=None,
                available=None,
                current=None,
                limit=None,
            )
            item = Item(
                item_id=ids.item_id(),
                access_token=ids.access_token(),
                institution=institution,
                products=sorted(set(products) | {"income_verification"}),
                accounts=[account],
                created_at=self.now(),
                webhook=webhook,
                username=username,
                client_user_id=owner.client_user_id,
                user_id=owner.user_id,
                not_ready=set() if income_ready else {"income_verification"},
            )
            self.items[item.item_id] = item
            self._access_tokens[item.access_token] = item.item_id
            owner.item_ids.append(item.item_id)
            return item

    # -- public tokens ----------------------------------------------------------------------

    def create_public_token(self, item_id: str, *, update_mode: bool = False) -> PublicToken:
        """Mint a 30-minute, single-use public token for an Item."""
        with self.lock:
            self.get_item(item_id)
            now = self.now()
            token = PublicToken(
                public_token=ids.public_token(),
                item_id=item_id,
                created_at=now,
                expires_at=now + PUBLIC_TOKEN_TTL,
                update_mode=update_mode,
            )
            self.public_tokens[token.public_token] = token
            return token

    def exchange_public_token(self, public_token: str) -> Item:
        """Spend a public token and return its Item; reuse, expiry or unknown raise."""
        with self.lock:
            token = self.public_tokens.get(public_token)
            if token is None or token.item_id not in self.items:
                raise PlaidErrorResponse("INVALID_PUBLIC_TOKEN")
            if token.exchanged_at is not None:
                raise PlaidErrorResponse(
                    "INVALID_PUBLIC_TOKEN",
                    "provided public token has already been exchanged; public tokens are "
                    "single-use",
                )
            if self.now() >= token.expires_at:
                raise PlaidErrorResponse(
                    "INVALID_PUBLIC_TOKEN",
                    "provided public token is expired. Public tokens expire 30 minutes after "
                    "creation at which point they can no longer be exchanged",
                )
            if token.update_mode:
                # Plaid's update mode keeps the access token; exchanging is an app bug.
                raise PlaidErrorResponse(
                    "INVALID_PUBLIC_TOKEN",
                    "this public token comes from Link update mode and cannot be exchanged; "
                    "the Item's access token is unchanged",
                )
            token.exchanged_at = self.now()
            return self.items[token.item_id]

    # -- transactions -----------------------------------------------------------------------

    def resolve_item(self, item: str | Item) -> Item:
        """An Item from itself, its item_id or its access token."""
        if isinstance(item, Item):
            return item
        if ids.is_access_token(item):
            return self.item_for_access_token(item)
        return self.get_item(item)

    def ledger(self, item: str | Item) -> TransactionLedger:
        """The Item's transaction ledger; PRODUCT_NOT_ENABLED without ``transactions``."""
        with self.lock:
            found = self.resolve_item(item)
            if found.ledger is None:
                raise PlaidErrorResponse(
                    "PRODUCT_NOT_ENABLED",
                    "the requested product is not enabled for this item: transactions",
                )
            return found.ledger

    def _history(self, item: Item, days: int, *, count: int | None = None) -> TransactionLedger:
        """A fresh ledger for the Item (the next epoch), with its generated history."""
        epoch = item.ledger.epoch + 1 if item.ledger is not None else 0
        ledger = TransactionLedger(item.item_id, ledger_accounts(item.accounts), epoch=epoch)
        today = self.now().date()
        if count is None and item.dynamic:
            ledger.populate(
                today,
                days,
                count=DYNAMIC_HISTORY - DYNAMIC_PENDING,
                extra_pending=DYNAMIC_PENDING,
            )
        else:
            ledger.populate(today, days, count=count)
        return ledger

    def initialize_transactions(self, item: str | Item, days_requested: int = 90) -> Item:
        """Add ``transactions`` to an Item that lacks it (what a first sync/get does at Plaid).

        PRODUCTS_NOT_SUPPORTED when the institution has no transactions.
        """
        with self.lock:
            found = self.resolve_item(item)
            if found.ledger is not None:
                return found
            if "transactions" not in found.institution.products:
                raise PlaidErrorResponse(
                    "PRODUCTS_NOT_SUPPORTED",
                    "the following products are not supported by this institution: transactions",
                )
            found.products = sorted({*found.products, "transactions"})
            found.days_requested = days_requested
            found.ledger = self._history(found, days_requested)
            found.last_successful_update = self.now()
            return found

    def transactions_truth(self, item: str | Item) -> dict[str, dict[str, Any]]:
        """The Item's current transactions by id, exactly as ``/transactions/sync`` serves them.

        Applying every sync page from an empty cursor, in order, must give exactly this.
        """
        with self.lock:
            return self.ledger(item).truth()

    def set_transactions_ready(self, item: str | Item, ready: bool = True) -> Item:
        """Switch the Item's NOT_READY phase off (``ready``) or on.

        Becoming ready sends what was held back: INITIAL_UPDATE/HISTORICAL_UPDATE if the
        Item was exchanged meanwhile, SYNC_UPDATES_AVAILABLE if it has synced before.
        """
        from .notifications import notify_item_linked, notify_sync_updates_available

        with self.lock:
            found = self.resolve_item(item)
            self.ledger(found)
            was_ready, found.transactions_ready = found.transactions_ready, ready
            if ready and not was_ready:
                found.last_successful_update = self.now()
                if found.link_webhooks_deferred:
                    found.link_webhooks_deferred = False
                    notify_item_linked(self, found)
                if found.sync_activated:
                    notify_sync_updates_available(self, found)
            return found

    def _changed(
        self,
        item: Item,
        *,
        added: int = 0,
        removed: list[str] | None = None,
        notify: bool = True,
        legacy: bool = False,
    ) -> None:
        """Bookkeeping after the ledger changed: pagination staleness, then webhooks."""
        from .notifications import notify_transactions_changed

        ledger = item.ledger
        assert ledger is not None
        if self.detect_pagination_mutations:
            ledger.pagination_floor = len(ledger)
        item.last_successful_update = self.now()
        if notify:
            notify_transactions_changed(
                self, item, new_transactions=added, removed_ids=removed or [], legacy=legacy
            )

    def add_transactions(
        self, item: str | Item, n: int = 1, *, pending: bool = False, notify: bool = True
    ) -> list[str]:
        """Add ``n`` new transactions dated today or yesterday; return their ids.

        Posted by default (``pending=True``: pending card transactions). ``notify=False``
        skips the SYNC_UPDATES_AVAILABLE webhook.
        """
        if n < 0:
            raise ValueError("n must not be negative")
        with self.lock:
            found = self.resolve_item(item)
            ledger = self.ledger(found)
            today = self.now().date()
            new_ids = [
                ledger.add(ledger.make(today, pending=pending)).transaction_id for _ in range(n)
            ]
            if new_ids:
                self._changed(found, added=len(new_ids), notify=notify)
            return new_ids

    def _pick(
        self, ledger: TransactionLedger, transaction_id: str | None, posted: bool
    ) -> Transaction:
        if transaction_id is not None:
            try:
                return ledger.get(transaction_id)
            except KeyError:
                raise PlaidErrorResponse(
                    "INVALID_FIELD", f"transaction_id {transaction_id} is not a current transaction"
                ) from None
        candidates = [t for t in ledger.current.values() if not (posted and t.pending)]
        if not candidates:
            candidates = list(ledger.current.values())
        if not candidates:
            raise PlaidErrorResponse("INVALID_FIELD", "the Item has no transactions")
        return ledger.rng.choice(candidates)

    def modify_transaction(
        self,
        item: str | Item,
        transaction_id: str | None = None,
        *,
        amount: float | None = None,
        name: str | None = None,
        notify: bool = True,
    ) -> str:
        """Change one transaction (a random posted one by default); return its id.

        Without ``amount`` or ``name`` the amount goes up by $1.00 (what Plaid's dynamic
        sandbox user does on refresh).
        """
        with self.lock:
            found = self.resolve_item(item)
            ledger = self.ledger(found)
            txn = self._pick(ledger, transaction_id, posted=True)
            changes: dict[str, Any] = {}
            if amount is not None:
                changes["amount"] = float(amount)
            if name is not None:
                changes["merchant"] = txn.merchant.renamed(name)
            if not changes:
                changes["amount"] = round(txn.amount + 1.0, 2) + 0.0
            ledger.modify(txn, **changes)
            self._changed(found, notify=notify)
            return txn.transaction_id

    def remove_transaction(
        self, item: str | Item, transaction_id: str | None = None, *, notify: bool = True
    ) -> str:
        """Remove one transaction (a random one by default); return its id."""
        with self.lock:
            found = self.resolve_item(item)
            ledger = self.ledger(found)
            txn = self._pick(ledger, transaction_id, posted=False)
            ledger.remove(txn)
            self._changed(found, removed=[txn.transaction_id], notify=notify)
            return txn.transaction_id

    def _post_pending(self, found: Item) -> dict[str, str]:
        ledger = found.ledger
        assert ledger is not None
        today = self.now().date()
        posted: dict[str, str] = {}
        for pending in ledger.pending():
            # Plaid never turns the pending record into the posted one: the pending id is
            # removed and a new posted transaction points back at it.
            ledger.remove(pending)
            new = ledger.add(ledger.posted_version(pending, today))
            posted[pending.transaction_id] = new.transaction_id
        return posted

    def post_pending(self, item: str | Item, *, notify: bool = True) -> dict[str, str]:
        """Post every pending transaction (remove + posted add); return {pending: posted} ids."""
        with self.lock:
            found = self.resolve_item(item)
            self.ledger(found)
            posted = self._post_pending(found)
            if posted:
                self._changed(found, added=len(posted), removed=list(posted), notify=notify)
            return posted

    def refresh_transactions(self, item: str | Item) -> dict[str, Any]:
        """What ``/transactions/refresh`` does; return the changes made.

        ``user_transactions_dynamic``: post every pending transaction, add 2 to 4 new pending
        ones, add $1.00 to one older posted transaction, then send SYNC_UPDATES_AVAILABLE
        (once synced), DEFAULT_UPDATE and TRANSACTIONS_REMOVED. Other Items: nothing changes.
        """
        with self.lock:
            found = self.resolve_item(item)
            ledger = self.ledger(found)
            found.last_successful_update = self.now()
            if not found.dynamic:
                return {"added": [], "modified": [], "removed": []}
            older = [t for t in ledger.current.values() if not t.pending]
            posted = self._post_pending(found)
            today = self.now().date()
            fresh = [
                ledger.add(ledger.make(today, pending=True)).transaction_id
                for _ in range(ledger.rng.randint(2, 4))
            ]
            modified = []
            if older:
                bumped = ledger.rng.choice(older)
                ledger.modify(bumped, amount=round(bumped.amount + 1.0, 2) + 0.0)
                modified.append(bumped.transaction_id)
            added = list(posted.values()) + fresh
            self._changed(found, added=len(added), removed=list(posted), legacy=True)
            return {"added": added, "modified": modified, "removed": list(posted)}

    def create_transactions(
        self, item: str | Item, transactions: list[dict[str, Any]], *, notify: bool = True
    ) -> list[str]:
        """Add posted transactions described like ``/sandbox/transactions/create``'s.

        Each dict: ``date_transacted`` and ``date_posted`` (ISO dates), ``amount``,
        ``description``, optional ``iso_currency_code`` and ``account_id`` (default: the
        first depository account). No validation here: the endpoint validates.
        """
        with self.lock:
            found = self.resolve_item(item)
            ledger = self.ledger(found)
            default_account = next(
                (a for a in ledger.accounts if a.type == "depository"),
                ledger.accounts[0] if ledger.accounts else None,
            )
            if default_account is None:
                raise PlaidErrorResponse(
                    "NO_ACCOUNTS", "the Item has no depository or credit accounts for transactions"
                )
            new_ids = []
            for spec in transactions:
                account_id = spec.get("account_id") or default_account.account_id
                amount = float(spec["amount"])
                merchant = custom_merchant(
                    spec["description"], amount, spec.get("iso_currency_code") or "USD"
                )
                txn = Transaction(
                    random_transaction_id(ledger.rng),
                    account_id,
                    amount,
                    str(spec["date_posted"]),
                    str(spec["date_transacted"]),
                    merchant,
                )
                new_ids.append(ledger.add(txn).transaction_id)
            if new_ids:
                self._changed(found, added=len(new_ids), notify=notify, legacy=True)
            return new_ids

    def generate_transactions(
        self, item: str | Item, count: int, *, days: int = MAX_DAYS, notify: bool = True
    ) -> TransactionLedger:
        """Replace the Item's history with exactly ``count`` transactions over ``days`` days.

        For benchmarks: 100,000 take about a second. The log starts over in a new epoch,
        so every cursor issued before is refused (INVALID_FIELD): sync again from "".
        """
        if not 0 <= count <= MAX_GENERATED:
            raise ValueError(f"count must be between 0 and {MAX_GENERATED}")
        if not 1 <= days <= MAX_DAYS:
            raise ValueError(f"days must be between 1 and {MAX_DAYS}")
        with self.lock:
            found = self.resolve_item(item)
            self.ledger(found)
            found.ledger = self._history(found, days, count=count)
            found.last_successful_update = self.now()
            if notify and found.sync_activated:
                from .notifications import notify_sync_updates_available

                notify_sync_updates_available(self, found)
            return found.ledger

    def mutate_during_pagination(self, item: str | Item) -> str:
        """Add a transaction and make every mid-pagination cursor issued so far stale.

        What the ``mutation_during_pagination`` fault does; returns the new id.
        """
        with self.lock:
            found = self.resolve_item(item)
            ledger = self.ledger(found)
            txn = ledger.add(ledger.make(self.now().date()))
            ledger.pagination_floor = len(ledger)
            self._changed(found, added=1)
            return txn.transaction_id
