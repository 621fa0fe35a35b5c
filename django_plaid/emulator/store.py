"""The emulator's tables and clock: the base the state modules share (``Store``).

``Store`` holds the lock, the clock, every table (link tokens, Link sessions, public
tokens, Items and their access tokens, users), the webhook keys and outbox, and the
lookups every part needs:
``get_item``, ``item_for_access_token``, ``resolve_item``, ``ledger`` and ``investments``
(an Item's investments book, made on first use).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from . import ids
from .errors import PlaidErrorResponse
from .investments import InvestmentBook
from .ledger import TransactionLedger
from .records import Item, LinkSession, LinkToken, PublicToken, User
from .webhooks import WebhookDispatcher, WebhookKeyStore

__all__ = ["StateLock", "Store"]


def _utcnow() -> datetime:
    return datetime.now(timezone.utc)


class StateLock:
    """The state's re-entrant lock, counting its releases.

    Every read and write of the state happens under it, so an unchanged ``releases``
    means an unchanged state: the state file's writer snapshots only when it moved.
    """

    __slots__ = ("_lock", "releases")

    def __init__(self) -> None:
        self._lock = threading.RLock()
        #: Incremented (while still held) at each release.
        self.releases = 0

    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        """Take the lock (re-entrant), as ``threading.RLock.acquire``."""
        return self._lock.acquire(blocking, timeout)

    def release(self) -> None:
        """Release the lock once."""
        self.releases += 1
        self._lock.release()

    def __enter__(self) -> StateLock:
        self._lock.acquire()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.releases += 1
        self._lock.release()


class Store:
    """The tables, lock and clock of ``EmulatorState`` (see there), and its lookups."""

    def __init__(self, clock: Callable[[], datetime] | None = None) -> None:
        self.lock = StateLock()
        self.clock: Callable[[], datetime] = clock or _utcnow
        self._offset = timedelta()
        self.link_tokens: dict[str, LinkToken] = {}
        self.link_sessions: dict[str, LinkSession] = {}
        self.public_tokens: dict[str, PublicToken] = {}
        self.items: dict[str, Item] = {}
        self._access_tokens: dict[str, str] = {}
        self.users: dict[str, User] = {}
        self._user_tokens: dict[str, str] = {}
        self._client_user_ids: dict[str, str] = {}
        self.webhook_keys = WebhookKeyStore()
        self.webhooks = WebhookDispatcher(self.webhook_keys)
        self.detect_pagination_mutations = False
        #: Called (under the lock) after ``reset()``: the state file rewrites itself.
        self.reset_listeners: list[Callable[[], None]] = []

    # -- time -------------------------------------------------------------------------------

    def now(self) -> datetime:
        """Return the emulator's current time (aware, UTC)."""
        return self.clock() + self._offset

    def advance_time(self, delta: timedelta) -> None:
        """Move the emulator's clock forward (or back) by ``delta``."""
        with self.lock:
            self._offset += delta

    # -- lookups ----------------------------------------------------------------------------

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

    def investments(self, item: str | Item) -> InvestmentBook:
        """The Item's holdings and investment transactions (generated on first use)."""
        with self.lock:
            found = self.resolve_item(item)
            if found.investments is None:
                found.investments = InvestmentBook(
                    found.item_id, found.accounts, found.created_at.date()
                )
            return found.investments
