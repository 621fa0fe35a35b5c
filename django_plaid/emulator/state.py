"""``EmulatorState``: the emulator's whole in-memory world, composed of its parts.

Each part is a module by concept: ``tokens`` (link and public tokens), ``items``,
``users`` (and payroll Items), ``products``, ``readiness`` and ``transaction_changes``, all
on ``store.Store`` (tables, lock, clock, lookups); the records they hold are in
``records``.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from .faults import FaultRegistry
from .items import ItemState
from .products import ProductState
from .readiness import ReadinessState
from .records import (
    DYNAMIC_USERNAME,
    READINESS_PRODUCTS,
    Account,
    Item,
    LinkToken,
    PublicToken,
    User,
)
from .tokens import LINK_TOKEN_TTL, PUBLIC_TOKEN_TTL, UPDATE_LINK_TOKEN_TTL, TokenState
from .transaction_changes import TransactionState
from .users import UserState

# The records and constants are re-exported: they were defined here before.
__all__ = [
    "DYNAMIC_USERNAME",
    "LINK_TOKEN_TTL",
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


class EmulatorState(
    TokenState, ItemState, UserState, ProductState, ReadinessState, TransactionState
):
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
        super().__init__(clock)
        self.faults = FaultRegistry(self)

    def reset(self) -> None:
        """Forget every token, Item, webhook delivery and signing key; undo ``advance_time``.

        A fresh signing key (new kid) replaces all old ones, so each test starts with a kid
        no receiver has cached: a key cached (or rotated) in an earlier test cannot leak
        into this one. A receiver simply fetches the new kid, as after a Plaid rotation.
        """
        with self.lock:
            self._offset = timedelta()
            self.link_tokens.clear()
            self.link_sessions.clear()
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
            for listener in list(self.reset_listeners):
                listener()
