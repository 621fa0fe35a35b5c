"""Each Item's transactions: generated history, an ordered change log, and sync pages.

A ``TransactionLedger`` holds an Item's current transactions and the log of every change
(add / modify / remove) in order; a change's sequence number is its position in the log.
``/transactions/sync`` pages walk the log from a cursor position: ``added`` and
``modified`` carry the transaction *as it is now*, ``removed`` only ids. Applying pages in
order (added, then modified, then removed) therefore always ends at the current truth,
whatever changed between the pages.

Speed and size: a transaction is a small slotted object; the counterparty part of its JSON
(name, categories, location, counterparties, ...) is one string shared by every
transaction of that merchant (``Merchant.fragment``), and the rest is formatted when a
page is served. A page body is built by joining strings, never by ``json.dumps`` of dicts.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import hashlib
import json
import random
import string
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, TypeGuard

from .errors import PlaidErrorResponse
from .merchants import MERCHANTS, RATES, RECURRING, SPENDING, Merchant, account_kind

__all__ = [
    "ADD",
    "MAX_DAYS",
    "MODIFY",
    "REMOVE",
    "Cursor",
    "LedgerAccount",
    "LedgerOrigin",
    "SyncPage",
    "Transaction",
    "TransactionLedger",
    "decode_cursor",
    "encode_cursor",
    "ledger_accounts",
    "random_transaction_id",
]

ADD, MODIFY, REMOVE = 0, 1, 2
#: Plaid keeps up to 24 months of history (``days_requested`` ≤ 730).
MAX_DAYS = 730
#: Card transactions this many days old or newer are still pending when history is made.
PENDING_DAYS = 3
#: Share of the older card transactions that went through a pending version first.
HAD_PENDING_SHARE = 0.6

_ALPHANUMERIC = string.ascii_letters + string.digits


class Transaction:
    """One transaction's mutable state (everything that is not the merchant's)."""

    __slots__ = (
        "account_id",
        "amount",
        "authorized_date",
        "clock",
        "date",
        "merchant",
        "pending",
        "pending_transaction_id",
        "removed",
        "transaction_id",
    )

    def __init__(
        self,
        transaction_id: str,
        account_id: str,
        amount: float,
        date: str,
        authorized_date: str | None,
        merchant: Merchant,
        *,
        pending: bool = False,
        pending_transaction_id: str | None = None,
        clock: int | None = None,
    ) -> None:
        self.transaction_id = transaction_id
        self.account_id = account_id
        self.amount = amount
        #: ISO dates (``YYYY-MM-DD``): they compare correctly as strings.
        self.date = date
        self.authorized_date = authorized_date
        self.merchant = merchant
        self.pending = pending
        self.pending_transaction_id = pending_transaction_id
        #: Seconds after midnight UTC for ``datetime``/``authorized_datetime``, or None.
        self.clock = clock
        self.removed = False

    def __repr__(self) -> str:
        state = "pending" if self.pending else "posted"
        return (
            f"<Transaction {self.transaction_id} {self.date} {self.amount} "
            f"{self.merchant.name!r} {state}>"
        )

    def to_json(self, *, original_description: bool = False) -> str:
        """Render Plaid's ``Transaction`` object as JSON text (every required key)."""
        merchant = self.merchant
        fragment = merchant.fragment_original if original_description else merchant.fragment
        authorized = self.authorized_date
        if self.clock is None:
            stamp = authorized_stamp = "null"
        else:
            hours, rest = divmod(self.clock, 3600)
            clock = f"T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z"
            stamp = f'"{self.date}{clock}"'
            authorized_stamp = f'"{authorized}{clock}"' if authorized else "null"
        authorized_json = f'"{authorized}"' if authorized else "null"
        pending_id = self.pending_transaction_id
        pending_id_json = f'"{pending_id}"' if pending_id else "null"
        return (
            f'{{"account_id":"{self.account_id}","amount":{self.amount!r},'
            f'"authorized_date":{authorized_json},"authorized_datetime":{authorized_stamp},'
            f'"date":"{self.date}","datetime":{stamp},'
            f'"pending":{"true" if self.pending else "false"},'
            f'"pending_transaction_id":{pending_id_json},'
            f'"transaction_id":"{self.transaction_id}",{fragment}}}'
        )

    def to_dict(self, *, original_description: bool = False) -> dict[str, Any]:
        """The transaction as a dict, exactly as it is served."""
        result: dict[str, Any] = json.loads(self.to_json(original_description=original_description))
        return result

    def removed_json(self) -> str:
        """Render Plaid's ``RemovedTransaction``."""
        return f'{{"account_id":"{self.account_id}","transaction_id":"{self.transaction_id}"}}'


@dataclass(frozen=True)
class LedgerAccount:
    """What the ledger needs to know of an account."""

    account_id: str
    type: str
    subtype: str | None
    name: str = ""

    @property
    def kind(self) -> str | None:
        """The account's kind for generation (None: no transactions, e.g. investment)."""
        return account_kind(self.type, self.subtype, self.name)


@dataclass(frozen=True)
class LedgerOrigin:
    """How a ledger's first ``length`` log entries were generated: ``populate``'s arguments.

    ``populate`` is deterministic, so these rebuild that history exactly (the emulator's
    state file stores them instead of every row); ``digest`` (see ``history_digest``)
    tells whether a rebuild by this code matches what was generated then.
    """

    today: date
    days: int
    count: int | None
    extra_pending: int
    length: int
    digest: str


@dataclass(frozen=True)
class Cursor:
    """A decoded ``/transactions/sync`` cursor (see ``encode_cursor``)."""

    item_id: str
    epoch: int
    position: int
    account_id: str | None = None
    #: Log length when the page that issued this cursor was served; set only when that
    #: page had ``has_more`` (the cursor is mid-pagination).
    head: int | None = None

    @property
    def mid_pagination(self) -> bool:
        """Whether the cursor came from a page that said ``has_more``."""
        return self.head is not None


def encode_cursor(cursor: Cursor) -> str:
    """Make the opaque cursor string: unpadded base64url of a small JSON object.

    Keys: ``i`` item_id, ``e`` history epoch, ``p`` log position, optionally ``a`` the
    ``options.account_id`` stream and ``h`` the log length when a ``has_more`` page was
    served. At most ~170 characters (Plaid allows 256).
    """
    payload: dict[str, Any] = {"i": cursor.item_id, "e": cursor.epoch, "p": cursor.position}
    if cursor.account_id is not None:
        payload["a"] = cursor.account_id
    if cursor.head is not None:
        payload["h"] = cursor.head
    raw = json.dumps(payload, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _is_count(value: object) -> TypeGuard[int]:
    """Whether ``value`` is a non-negative int (not a bool), as a cursor's numbers are."""
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def decode_cursor(text: str) -> Cursor | None:
    """Parse a cursor string; None when it is not one of ours."""
    if not text or len(text) > 256:
        return None
    try:
        raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError):
        return None
    if not isinstance(payload, dict):
        return None
    item_id, epoch, position = payload.get("i"), payload.get("e"), payload.get("p")
    account_id, head = payload.get("a"), payload.get("h")
    if not isinstance(item_id, str) or not _is_count(epoch) or not _is_count(position):
        return None
    if head is not None and not _is_count(head):
        return None
    if account_id is not None and not isinstance(account_id, str):
        return None
    return Cursor(item_id, epoch, position, account_id, head)


@dataclass
class SyncPage:
    """One ``/transactions/sync`` page: the log entries after a cursor, split by kind."""

    added: list[Transaction]
    modified: list[Transaction]
    removed: list[Transaction]
    #: Log position after this page (where the next cursor points).
    position: int
    has_more: bool

    @property
    def account_ids(self) -> set[str]:
        """Accounts with a transaction in this page."""
        return {t.account_id for t in (*self.added, *self.modified, *self.removed)}


def random_transaction_id(rng: random.Random) -> str:
    """A 37-character alphanumeric id drawn from ``rng`` (reproducible, unlike ids.py)."""
    return "".join(rng.choices(_ALPHANUMERIC, k=37))


def _money(value: float) -> float:
    # Two decimals, and never -0.0 (which JSON would show as "-0.0").
    return round(value, 2) + 0.0


class TransactionLedger:
    """An Item's transactions and change log. Not thread-safe: callers hold the state lock.

    Everything random comes from an RNG seeded with the item_id (and, for regenerated
    histories, the size asked for), so the same Item, accounts and dates give the same
    transactions: a test can rebuild a ledger and compare.
    """

    def __init__(self, item_id: str, accounts: Iterable[LedgerAccount], *, epoch: int = 0) -> None:
        self.item_id = item_id
        self.accounts = [a for a in accounts if a.kind is not None]
        #: Bumped when the history is replaced: cursors of an older epoch are refused.
        self.epoch = epoch
        #: Current (not removed) transactions by id.
        self.current: dict[str, Transaction] = {}
        # The log: kinds[i] is ADD/MODIFY/REMOVE of refs[i]; a bytearray and a list of
        # references cost ~9 bytes an entry.
        self._kinds = bytearray()
        self._refs: list[Transaction] = []
        #: Mid-pagination cursors issued before this log position are stale (Plaid's
        #: TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION).
        self.pagination_floor = 0
        #: Changes counter (invalidates the date-sorted view).
        self.version = 0
        self._sorted: tuple[int, list[Transaction]] | None = None
        # Seeded from the item_id so a test can reproduce the data (not a secret).
        self.rng = random.Random(f"changes:{item_id}:{epoch}")  # noqa: S311
        #: Set by ``populate`` on an empty ledger: how its generated history was made.
        self.origin: LedgerOrigin | None = None

    # -- the log --------------------------------------------------------------------------------

    def __len__(self) -> int:
        """Number of log entries (the position of the newest cursor)."""
        return len(self._refs)

    def entries(self, start: int = 0) -> list[tuple[int, Transaction]]:
        """Log entries from ``start`` as (kind, transaction) pairs (for tests/debugging)."""
        return list(zip(self._kinds[start:], self._refs[start:], strict=True))

    def log(self) -> tuple[bytes, list[Transaction]]:
        """The raw log: each entry's kind (ADD/MODIFY/REMOVE) and transaction (a copy)."""
        return bytes(self._kinds), list(self._refs)

    def restore_log(self, kinds: bytes, refs: list[Transaction], version: int) -> None:
        """Replace the log with ``kinds``/``refs`` (as ``log()`` gave them) and replay it.

        The current transactions come out in the order the log added them, as they were,
        so what depends on that order (random picks, ``pending()``) continues the same.
        """
        if len(kinds) != len(refs):
            raise ValueError("kinds and refs differ in length")
        current: dict[str, Transaction] = {}
        for kind, txn in zip(kinds, refs, strict=True):
            if kind == ADD:
                current[txn.transaction_id] = txn
            elif kind == REMOVE:
                current.pop(txn.transaction_id, None)
            elif kind != MODIFY:
                raise ValueError(f"unknown log entry kind {kind}")
        self._kinds = bytearray(kinds)
        self._refs = refs
        self.current = current
        self.version = version
        self._sorted = None

    def history_digest(self, length: int) -> str:
        """A SHA-256 over the first ``length`` log entries' transactions, as they are now.

        ``populate`` records it in ``origin``: a rebuild whose digest differs was generated
        by different code.
        """
        digest = hashlib.sha256()
        for txn in self._refs[:length]:
            digest.update(
                f"{txn.transaction_id}{txn.account_id}{txn.amount!r}{txn.date}"
                f"{txn.authorized_date}{txn.merchant.key}{txn.pending:d}"
                f"{txn.pending_transaction_id}{txn.clock}\n".encode()
            )
        return digest.hexdigest()

    def _append(self, kind: int, txn: Transaction) -> None:
        self._kinds.append(kind)
        self._refs.append(txn)
        self.version += 1

    def add(self, txn: Transaction) -> Transaction:
        """Log a new transaction."""
        if txn.transaction_id in self.current:
            raise ValueError(f"duplicate transaction_id {txn.transaction_id}")
        self.current[txn.transaction_id] = txn
        self._append(ADD, txn)
        return txn

    def modify(self, txn: Transaction, **changes: Any) -> Transaction:
        """Change a current transaction's fields (``amount``, ``merchant``, ...) and log it."""
        if self.current.get(txn.transaction_id) is not txn:
            raise KeyError(txn.transaction_id)
        for name, value in changes.items():
            setattr(txn, name, value)
        self._append(MODIFY, txn)
        return txn

    def remove(self, txn: Transaction) -> Transaction:
        """Remove a current transaction and log it."""
        if self.current.pop(txn.transaction_id, None) is not txn:
            raise KeyError(txn.transaction_id)
        txn.removed = True
        self._append(REMOVE, txn)
        return txn

    def get(self, transaction_id: str) -> Transaction:
        """A current transaction by id (KeyError when unknown or removed)."""
        return self.current[transaction_id]

    # -- reading -----------------------------------------------------------------------------

    def page(self, position: int, count: int, account_id: str | None = None) -> SyncPage:
        """The next ``count`` log entries after ``position`` (only ``account_id``'s, if given).

        Within a page a transaction is listed once: in ``added`` if the page adds it,
        else in ``modified``; one removed in the same page it was added or modified is
        only in ``removed``.
        """
        kinds, refs = self._kinds, self._refs
        end = len(refs)
        added: dict[str, Transaction] = {}
        modified: dict[str, Transaction] = {}
        removed: dict[str, Transaction] = {}
        index = position
        taken = 0
        while index < end and taken < count:
            txn = refs[index]
            kind = kinds[index]
            index += 1
            if account_id is not None and txn.account_id != account_id:
                continue
            taken += 1
            transaction_id = txn.transaction_id
            if kind == ADD:
                added[transaction_id] = txn
            elif kind == MODIFY:
                if transaction_id not in added:
                    modified[transaction_id] = txn
            else:
                removed[transaction_id] = txn
                added.pop(transaction_id, None)
                modified.pop(transaction_id, None)
        if account_id is not None:
            # Skip the other accounts' entries so has_more is exact for this stream.
            while index < end and refs[index].account_id != account_id:
                index += 1
        return SyncPage(
            added=list(added.values()),
            modified=list(modified.values()),
            removed=list(removed.values()),
            position=index,
            has_more=index < end,
        )

    def by_date(self) -> list[Transaction]:
        """Current transactions, newest date first (ties: newest first); cached."""
        if self._sorted is None or self._sorted[0] != self.version:
            position = {id(t): i for i, t in enumerate(self._refs)}
            ordered = sorted(
                self.current.values(),
                key=lambda t: (t.date, position[id(t)]),
                reverse=True,
            )
            self._sorted = (self.version, ordered)
        return self._sorted[1]

    def between(
        self, start: str, end: str, account_ids: set[str] | None = None
    ) -> list[Transaction]:
        """Current transactions dated ``start``..``end`` (ISO, inclusive), newest first."""
        ordered = self.by_date()
        # The list is sorted by descending date: bisect on the negated order.
        low = bisect.bisect_left(ordered, _Descending(end), key=lambda t: _Descending(t.date))
        high = bisect.bisect_right(ordered, _Descending(start), key=lambda t: _Descending(t.date))
        chosen = ordered[low:high]
        if account_ids is not None:
            chosen = [t for t in chosen if t.account_id in account_ids]
        return chosen

    def truth(self) -> dict[str, dict[str, Any]]:
        """Every current transaction as served, by id."""
        return {tid: txn.to_dict() for tid, txn in self.current.items()}

    def counts(self, today: date) -> tuple[int, int]:
        """(transactions in the last 30 days, all transactions) among the current ones."""
        since = (today - timedelta(days=29)).isoformat()
        recent = sum(1 for t in self.current.values() if t.date >= since)
        return recent, len(self.current)

    def pending(self) -> list[Transaction]:
        """Current pending transactions, oldest first."""
        return [t for t in self.current.values() if t.pending]

    # -- making transactions ------------------------------------------------------------------

    def _pick_account(self, rng: random.Random, *, pendable: bool = False) -> LedgerAccount:
        choices = [a for a in self.accounts if RATES.get(a.kind or "", 0) > 0]
        if pendable:
            choices = [
                a for a in choices if any(MERCHANTS[k].pendable for k, _ in SPENDING[a.kind or ""])
            ] or choices
        if not choices:
            choices = self.accounts
        weights = [RATES.get(a.kind or "", 0) or 0.01 for a in choices]
        return rng.choices(choices, weights)[0]

    @staticmethod
    def _pick_merchant(rng: random.Random, kind: str, *, pendable: bool = False) -> Merchant:
        options = SPENDING.get(kind) or SPENDING["checking"]
        if pendable:
            options = tuple(o for o in options if MERCHANTS[o[0]].pendable) or options
        keys = [k for k, _ in options]
        weights = [w for _, w in options]
        return MERCHANTS[rng.choices(keys, weights)[0]]

    @staticmethod
    def _amount(rng: random.Random, merchant: Merchant) -> float:
        size = (
            merchant.low
            if merchant.low == merchant.high
            else rng.uniform(merchant.low, merchant.high)
        )
        return _money(merchant.sign * size)

    def make(
        self,
        today: date,
        *,
        pending: bool = False,
        account: LedgerAccount | None = None,
        merchant: Merchant | None = None,
        rng: random.Random | None = None,
    ) -> Transaction:
        """A new transaction dated today or yesterday (not logged: pass it to ``add``).

        NO_ACCOUNTS when the Item has no depository or credit account to put it on.
        """
        rng = rng or self.rng
        if not self.accounts:
            raise PlaidErrorResponse(
                "NO_ACCOUNTS", "the Item has no depository or credit accounts for transactions"
            )
        if account is None:
            account = self._pick_account(rng, pendable=pending)
        if merchant is None:
            merchant = self._pick_merchant(rng, account.kind or "checking", pendable=pending)
        day = today - timedelta(days=rng.randrange(2))
        authorized = day if pending or not merchant.pendable else day - timedelta(rng.randrange(3))
        return Transaction(
            random_transaction_id(rng),
            account.account_id,
            self._amount(rng, merchant),
            day.isoformat(),
            authorized.isoformat(),
            merchant,
            pending=pending and merchant.pendable,
            clock=rng.randrange(86400) if merchant.timed else None,
        )

    def posted_version(self, pending: Transaction, today: date) -> Transaction:
        """The posted transaction a pending one becomes (a new id, same authorization)."""
        rng = self.rng
        amount = pending.amount
        if pending.merchant.tip and amount > 0:
            # Restaurants post with the tip the authorization did not include.
            amount = _money(amount * rng.choice((1.15, 1.18, 1.2)))
        posted_on = max(today, date.fromisoformat(pending.date))
        return Transaction(
            random_transaction_id(rng),
            pending.account_id,
            amount,
            posted_on.isoformat(),
            pending.authorized_date or pending.date,
            pending.merchant,
            pending=False,
            pending_transaction_id=pending.transaction_id,
            clock=pending.clock,
        )

    def populate(
        self,
        today: date,
        days: int,
        *,
        count: int | None = None,
        extra_pending: int = 0,
    ) -> int:
        """Generate the Item's history over ``days`` days up to ``today``; log it as adds.

        Without ``count``, each account gets its scheduled transactions (payroll, rent,
        subscriptions, interest, card payments) plus random spending at its kind's daily
        rate. With ``count``, exactly that many transactions (scheduled ones capped at 30%).
        ``extra_pending`` adds that many pending card transactions from the last two days.
        Returns the number of transactions logged. On an empty ledger it records how in
        ``origin`` (so the history can be rebuilt from those arguments).
        """
        fresh = not self._refs
        requested = days
        days = max(1, min(days, MAX_DAYS))
        rng = random.Random(f"history:{self.item_id}:{days}:{count}")  # noqa: S311
        first = today - timedelta(days=days - 1)
        day_text = [(first + timedelta(days=i)).isoformat() for i in range(-3, days)]
        # day_text[i + 3] is day i of the window; the 3 earlier days hold authorization dates.

        events: list[tuple[int, int, Merchant]] = []  # (day index, account index, merchant)
        for index, account in enumerate(self.accounts):
            for key, rule, value in RECURRING.get(account.kind or "", ()):
                for day in _schedule(first, days, rule, value):
                    events.append((day, index, MERCHANTS[key]))

        rates = [RATES.get(a.kind or "", 0.0) for a in self.accounts]
        if count is None:
            spending = []
            for index, rate in enumerate(rates):
                n = round(rate * days * rng.uniform(0.85, 1.15))
                spending.extend([index] * n)
        else:
            budget = min(len(events), int(count * 0.3))
            events = rng.sample(events, budget) if budget < len(events) else events
            spending = (
                rng.choices(range(len(self.accounts)), rates, k=count - len(events))
                if any(rates) and count > len(events)
                else []
            )
        tables: dict[int, tuple[list[Merchant], list[int]]] = {}
        for index in set(spending):
            options = SPENDING.get(self.accounts[index].kind or "") or SPENDING["checking"]
            tables[index] = ([MERCHANTS[k] for k, _ in options], [w for _, w in options])
        randrange = rng.randrange
        for index in spending:
            merchants, weights = tables[index]
            events.append((randrange(days), index, rng.choices(merchants, weights)[0]))
        events.sort(key=lambda e: e[0])

        pending_from = days - PENDING_DAYS
        uniform, random_ = rng.uniform, rng.random
        choices = rng.choices
        alphabet = _ALPHANUMERIC
        logged = 0
        for day, index, merchant in events:
            account_id = self.accounts[index].account_id
            size = (
                merchant.low
                if merchant.low == merchant.high
                else uniform(merchant.low, merchant.high)
            )
            amount = round(merchant.sign * size, 2) + 0.0
            transaction_id = "".join(choices(alphabet, k=37))
            pending = merchant.pendable and day >= pending_from
            pending_id = None
            authorized = day
            if merchant.pendable and not pending:
                authorized = day - randrange(3)
                if random_() < HAD_PENDING_SHARE:
                    pending_id = "".join(choices(alphabet, k=37))
            txn = Transaction(
                transaction_id,
                account_id,
                amount,
                day_text[day + 3],
                day_text[authorized + 3],
                merchant,
                pending=pending,
                pending_transaction_id=pending_id,
                clock=randrange(86400) if merchant.timed else None,
            )
            self.current[transaction_id] = txn
            self._kinds.append(ADD)
            self._refs.append(txn)
            logged += 1
        for _ in range(extra_pending):
            txn = self.make(today, pending=True, rng=rng)
            if txn.pending:
                self.add(txn)
                logged += 1
        self.version += 1
        if fresh:
            self.origin = LedgerOrigin(
                today, requested, count, extra_pending, len(self), self.history_digest(len(self))
            )
        return logged


class _Descending:
    """Inverts string ordering, for bisecting a list sorted newest-first."""

    __slots__ = ("value",)

    def __init__(self, value: str) -> None:
        self.value = value

    def __lt__(self, other: _Descending) -> bool:
        return self.value > other.value


def _schedule(first: date, days: int, rule: str, value: int) -> list[int]:
    """Day indexes (0 = ``first``) on which a scheduled transaction happens."""
    if rule == "initial":
        return [0]
    if rule == "biweekly":
        return list(range(value % 14, days, 14))
    assert rule == "monthly", rule
    result = []
    for offset in range(days):
        if (first + timedelta(days=offset)).day == value:
            result.append(offset)
    return result


def ledger_accounts(accounts: Sequence[Any]) -> list[LedgerAccount]:
    """Turn an Item's accounts (anything with account_id/type/subtype/name) into ledger ones."""
    return [LedgerAccount(a.account_id, a.type, a.subtype, a.name) for a in accounts]
