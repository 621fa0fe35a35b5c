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
from .errors import PlaidAPIError, error_for_code
from .webhooks import WebhookDispatcher, WebhookKeyStore

__all__ = [
    "LINK_TOKEN_TTL",
    "PUBLIC_TOKEN_TTL",
    "UPDATE_LINK_TOKEN_TTL",
    "Account",
    "EmulatorState",
    "Item",
    "LinkToken",
    "PublicToken",
]

LINK_TOKEN_TTL = timedelta(hours=4)
UPDATE_LINK_TOKEN_TTL = timedelta(minutes=30)
PUBLIC_TOKEN_TTL = timedelta(minutes=30)


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
        return {
            "account_id": self.account_id,
            "balances": balances,
            "mask": self.mask,
            "name": self.name,
            "official_name": self.official_name,
            "type": self.type,
            "subtype": self.subtype,
        }

    def to_link_metadata(self) -> dict[str, Any]:
        """Render the account as Link's onSuccess metadata lists it (``id``, not account_id)."""
        return {
            "id": self.account_id,
            "name": self.name,
            "mask": self.mask,
            "type": self.type,
            "subtype": self.subtype,
            "verification_status": None,
            "class_type": None,
        }


@dataclass
class Item:
    """A linked bank login, with its access token and accounts."""

    item_id: str
    access_token: str
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
    #: Free-form storage for later phases (transaction cursors, webhook history, faults).
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def error(self) -> PlaidAPIError | None:
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
            "auth_method": "INSTANT_AUTH" if "auth" in self.products else None,
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
        return {
            "transactions": {
                "last_successful_update": fmt(self.last_successful_update),
                "last_failed_update": fmt(self.last_failed_update),
            },
            "last_webhook": last_webhook,
        }


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
    user_id: str | None = None
    webhook: str | None = None
    #: Set in update mode: the Item being repaired.
    item_id: str | None = None
    account_selection_enabled: bool = False
    account_filters: dict[str, Any] | None = None
    days_requested: int = 90
    redirect_uri: str | None = None
    #: The request body minus credentials, for later phases and for debugging.
    request: dict[str, Any] = field(default_factory=dict)

    @property
    def update_mode(self) -> bool:
        """Whether the token repairs an existing Item instead of creating one."""
        return self.item_id is not None


@dataclass
class PublicToken:
    """A single-use public token and the Item it stands for."""

    public_token: str
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
    """

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = threading.RLock()
        self.clock: Callable[[], datetime] = clock or _utcnow
        self._offset = timedelta()
        self.link_tokens: dict[str, LinkToken] = {}
        self.public_tokens: dict[str, PublicToken] = {}
        self.items: dict[str, Item] = {}
        self._access_tokens: dict[str, str] = {}
        self.webhook_keys = WebhookKeyStore()
        self.webhooks = WebhookDispatcher(self.webhook_keys)

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
            self.webhooks.reset()
            self.webhook_keys.reset()

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

    def get_link_token(self, link_token: str) -> LinkToken:
        """Return a live link token or raise INVALID_LINK_TOKEN (unknown or expired)."""
        with self.lock:
            token = self.link_tokens.get(link_token)
            if token is None:
                raise PlaidAPIError("INVALID_LINK_TOKEN")
            if self.now() >= token.expires_at:
                raise PlaidAPIError(
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
    ) -> Item:
        """Create an Item directly (no Link, no credentials); tests may use it as a shortcut.

        Raises INVALID_INSTITUTION for an unknown institution and NO_ACCOUNTS when the
        products and filters leave no account.
        """
        institution = get_institution(institution_id)
        if institution is None:
            raise PlaidAPIError("INVALID_INSTITUTION")
        products = sorted(set(products))
        templates = accounts_for(products, account_filters)
        if not templates:
            raise PlaidAPIError("NO_ACCOUNTS")
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
            )
            self.items[item.item_id] = item
            self._access_tokens[item.access_token] = item.item_id
            return item

    def get_item(self, item_id: str) -> Item:
        """Return an Item by id or raise ITEM_NOT_FOUND."""
        with self.lock:
            item = self.items.get(item_id)
            if item is None:
                raise PlaidAPIError("ITEM_NOT_FOUND")
            return item

    def item_for_access_token(self, access_token: str) -> Item:
        """Return the Item behind an access token or raise INVALID_ACCESS_TOKEN."""
        with self.lock:
            if not ids.is_access_token(access_token):
                raise PlaidAPIError(
                    "INVALID_ACCESS_TOKEN",
                    "provided access token is in an invalid format. expected format: "
                    f"access-<environment>-<identifier> (environment: {ids.ENVIRONMENT})",
                )
            item_id = self._access_tokens.get(access_token)
            if item_id is None or item_id not in self.items:
                raise PlaidAPIError("INVALID_ACCESS_TOKEN")
            return self.items[item_id]

    def remove_item(self, item_id: str) -> None:
        """Delete an Item: its access token and unexchanged public tokens stop working."""
        with self.lock:
            item = self.items.pop(item_id, None)
            if item is None:
                raise PlaidAPIError("ITEM_NOT_FOUND")
            self._access_tokens.pop(item.access_token, None)
            for token, public in list(self.public_tokens.items()):
                if public.item_id == item_id:
                    del self.public_tokens[token]

    def set_item_error(self, item_id: str, error_code: str | None) -> Item:
        """Put an Item into an error state (e.g. ITEM_LOGIN_REQUIRED); None clears it."""
        with self.lock:
            item = self.get_item(item_id)
            item.error_code = error_code
            return item

    def clear_item_error(self, item_id: str) -> Item:
        """Make an Item healthy again (what a successful update-mode Link does)."""
        return self.set_item_error(item_id, None)

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
                raise PlaidAPIError("INVALID_PUBLIC_TOKEN")
            if token.exchanged_at is not None:
                raise PlaidAPIError(
                    "INVALID_PUBLIC_TOKEN",
                    "provided public token has already been exchanged; public tokens are "
                    "single-use",
                )
            if self.now() >= token.expires_at:
                raise PlaidAPIError(
                    "INVALID_PUBLIC_TOKEN",
                    "provided public token is expired. Public tokens expire 30 minutes after "
                    "creation at which point they can no longer be exchanged",
                )
            if token.update_mode:
                # Plaid's update mode keeps the access token; exchanging is an app bug.
                raise PlaidAPIError(
                    "INVALID_PUBLIC_TOKEN",
                    "this public token comes from Link update mode and cannot be exchanged; "
                    "the Item's access token is unchanged",
                )
            token.exchanged_at = self.now()
            return self.items[token.item_id]
