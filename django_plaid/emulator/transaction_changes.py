"""Changing an Item's transactions (history, sandbox edits, refresh) and announcing it."""

from __future__ import annotations

from datetime import date
from typing import Any

from .errors import PlaidErrorResponse
from .ledger import (
    MAX_DAYS,
    Transaction,
    TransactionLedger,
    ledger_accounts,
    random_transaction_id,
)
from .merchants import custom_merchant
from .notifications import notify_sync_updates_available, notify_transactions_changed
from .records import Item
from .store import Store

__all__ = ["DYNAMIC_HISTORY", "DYNAMIC_PENDING", "MAX_GENERATED", "TransactionState", "new_history"]

#: How many transactions a ``user_transactions_dynamic`` Item starts with (Plaid: ~50),
#: and how many of those are pending.
DYNAMIC_HISTORY = 50
DYNAMIC_PENDING = 4
#: ``generate_transactions`` refuses more than this (about 300 MB).
MAX_GENERATED = 1_000_000


def new_history(
    item: Item, today: date, days: int, *, count: int | None = None
) -> TransactionLedger:
    """A fresh ledger for the Item (the next epoch), with its generated history."""
    epoch = item.ledger.epoch + 1 if item.ledger is not None else 0
    ledger = TransactionLedger(item.item_id, ledger_accounts(item.accounts), epoch=epoch)
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


class TransactionState(Store):
    """``EmulatorState``'s transaction changes (see ``EmulatorState``)."""

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
            found.ledger = new_history(found, self.now().date(), days_requested)
            found.last_successful_update = self.now()
            return found

    def transactions_truth(self, item: str | Item) -> dict[str, dict[str, Any]]:
        """The Item's current transactions by id, exactly as ``/transactions/sync`` serves them.

        Applying every sync page from an empty cursor, in order, must give exactly this.
        """
        with self.lock:
            return self.ledger(item).truth()

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
            found.ledger = new_history(found, self.now().date(), days, count=count)
            found.last_successful_update = self.now()
            if notify and found.sync_activated:
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
