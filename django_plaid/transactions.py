"""``/transactions/sync`` into the database: exact, atomic, flat in memory, and fast.

One sync of an Item, in two phases:

1. **Fetch.** Page through ``/transactions/sync`` from the saved cursor with the
   client's raw-bytes path (plaid-python's typed models cost ~2.6 ms per transaction),
   500 per page, spilling each page to a temporary file so memory stays flat however
   long the history. The lease is renewed after every page (and by the caller's
   heartbeat meanwhile); a lost lease stops the sync at once. If Plaid answers
   ``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION``, everything fetched is thrown away
   and the loop restarts from the saved cursor, as Plaid prescribes.
2. **Apply.** In one database transaction: every page in order (bulk upsert of
   ``added`` and ``modified``, one DELETE for ``removed``) and the new cursor, so the
   cursor is never saved without the data it covers, and nothing partial is kept. The
   lease is renewed once more inside that transaction, just before the cursor: a run
   that lost it rolls everything back instead of saving a cursor over the new holder's
   work.

An invalid cursor (Plaid: "cursor not associated with access_token") leads to a full
resync from the start that replaces the Item's transactions, without duplicates.
"""

from __future__ import annotations

import logging
import pickle
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from django.db import connections, router, transaction
from django.utils.dateparse import parse_date, parse_datetime

from .client import PlaidClient, get_client
from .conf import plaid_settings
from .exceptions import PlaidAPIError, PlaidTransactionsError, SyncLeaseLost
from .items import lock_item_accounts
from .models import Account, Item, Transaction
from .parsing import required_date, required_money
from .upserts import bulk_upsert, upsert_columns

logger = logging.getLogger("django_plaid.sync")

#: How many times a sync loop restarts after mutation during pagination.
MAX_RESTARTS = 5

#: Columns an upsert rewrites when Plaid sends a transaction again (added or modified).
UPDATE_FIELDS = upsert_columns(Transaction, unique="transaction_id")


@dataclass
class SyncResult:
    """What one sync changed."""

    added: int = 0
    modified: int = 0
    removed: int = 0
    pages: int = 0
    restarts: int = 0
    full_resync: bool = False


#: The lease callback: returns False when the lease is lost (anything else: still held).
Renew = Callable[[], object]


def _keep_lease(item: Item, renew: Renew | None) -> None:
    if renew is not None and renew() is False:
        raise SyncLeaseLost(f"Item {item.item_id}: sync lease lost to another run")


class _Restart(Exception):
    """Plaid's data changed during pagination: start over from the saved cursor."""


def sync_transactions(
    item: Item, *, renew: Renew | None = None, client: PlaidClient | None = None
) -> SyncResult:
    """Bring the Item's transactions up to date with Plaid (see the module docstring).

    ``renew`` is called after every page and inside the final transaction just before
    the cursor is saved (the caller renews its lease there). When it returns False, the
    lease is lost: nothing is saved and :class:`~django_plaid.exceptions.SyncLeaseLost`
    is raised.
    """
    client = client or get_client()
    result = SyncResult()
    start_cursor = item.transactions_cursor
    full_resync = False
    for attempt in range(MAX_RESTARTS + 1):
        with tempfile.TemporaryFile() as spill:
            try:
                cursor, status, pages = _fetch(client, item, start_cursor, spill, renew)
            except _Restart:
                result.restarts = attempt + 1
                logger.info("Item %s: data changed during pagination; restarting", item.item_id)
                continue
            except PlaidAPIError as e:
                if not _is_cursor_error(e) or full_resync:
                    raise
                logger.warning("Item %s: cursor rejected; full resync", item.item_id)
                full_resync, start_cursor = True, ""
                result.full_resync = True
                continue
            result.pages = pages
            spill.seek(0)
            _apply(item, spill, cursor, status, result, replace=full_resync, renew=renew)
            return result
    raise PlaidTransactionsError(
        "TRANSACTIONS_ERROR",
        "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
        f"Data kept changing during pagination ({MAX_RESTARTS} restarts)",
    )


def _is_cursor_error(error: PlaidAPIError) -> bool:
    return error.error_code == "INVALID_FIELD" and "cursor" in (error.error_message or "").lower()


def _fetch(
    client: PlaidClient, item: Item, cursor: str, spill: IO[bytes], renew: Renew | None
) -> tuple[str, str, int]:
    """Page through /transactions/sync from ``cursor`` into ``spill``; returns the new cursor."""
    page_size = plaid_settings.TRANSACTIONS_PAGE_SIZE
    pages = 0
    while True:
        try:
            page = client.call_raw(
                "transactions_sync",
                access_token=item.access_token,
                cursor=cursor,
                count=page_size,
            )
        except PlaidAPIError as e:
            if e.error_code == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION":
                raise _Restart from None
            raise
        pages += 1
        pickle.dump(
            (page.get("added") or [], page.get("modified") or [], page.get("removed") or []),
            spill,
            protocol=pickle.HIGHEST_PROTOCOL,
        )
        _keep_lease(item, renew)
        cursor = page.get("next_cursor") or cursor
        if not page.get("has_more"):
            return cursor, str(page.get("transactions_update_status") or ""), pages


def _pages(spill: IO[bytes]) -> Iterator[tuple[list[Any], list[Any], list[Any]]]:
    while True:
        try:
            # Our own temporary file, written just above: trusted data.
            yield pickle.load(spill)  # noqa: S301
        except EOFError:
            return


def _apply(
    item: Item,
    spill: IO[bytes],
    cursor: str,
    status: str,
    result: SyncResult,
    *,
    replace: bool,
    renew: Renew | None = None,
) -> None:
    accounts = dict(Account.objects.filter(item=item).values_list("account_id", "pk"))
    connection = connections[router.db_for_write(Transaction)]
    with transaction.atomic(using=connection.alias):
        # First, before any row lock: this transaction may add placeholder accounts.
        lock_item_accounts(item.pk)
        # COPY needs psycopg 3; psycopg2 and SQLite take the portable bulk upsert.
        driver = getattr(getattr(connection, "Database", None), "__name__", "")
        copy = connection.vendor == "postgresql" and driver == "psycopg"
        upsert = _CopyUpsert(connection) if copy else _bulk_upsert
        if replace:
            Transaction.objects.filter(item=item).delete()
        for added, modified, removed in _pages(spill):
            rows = [
                row
                for data in (*added, *modified)
                if (row := to_row(item, data, accounts)) is not None
            ]
            if rows:
                upsert(rows)
            if removed:
                Transaction.objects.filter(
                    item=item, transaction_id__in=[r["transaction_id"] for r in removed]
                ).delete()
            result.added += len(added)
            result.modified += len(modified)
            result.removed += len(removed)
        # The fence: the renewal locks the Item row until commit, so no other run can
        # take the lease between this check and the cursor; a lost lease rolls back.
        # Last, not first: the Item row stays free for other flows during the upserts.
        _keep_lease(item, renew)
        # Saved with the data it covers: never a cursor without its rows.
        Item.objects.filter(pk=item.pk).update(
            transactions_cursor=cursor, transactions_update_status=status
        )
    item.transactions_cursor = cursor
    item.transactions_update_status = status


def _bulk_upsert(rows: list[Transaction]) -> None:
    bulk_upsert(Transaction, rows, unique="transaction_id")


class _CopyUpsert:
    """PostgreSQL: COPY each page into a temporary table, then one INSERT ... ON CONFLICT.

    Three times the rate of ``bulk_create`` here: COPY skips SQL parsing of thousands of
    literals, and psycopg writes rows in C (benchmarks/sync_ingest.py measures it).
    Must be used inside a transaction (the temporary table lives until it commits).
    """

    def __init__(self, connection: Any) -> None:
        self.connection = connection
        quote = connection.ops.quote_name
        self.fields = [f for f in Transaction._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(quote(f.column) for f in self.fields)
        table = quote(Transaction._meta.db_table)
        column_of = {f.name: f.column for f in self.fields}
        updates = ", ".join(
            f"{column} = EXCLUDED.{column}"
            for column in (quote(column_of[name]) for name in UPDATE_FIELDS)
        )
        unique = quote(column_of["transaction_id"])
        # Identifiers come from the model's metadata; no value is ever interpolated.
        self.create = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS django_plaid_transaction_stage "  # noqa: S608
            f"ON COMMIT DROP AS SELECT {columns} FROM {table} WITH NO DATA"
        )
        self.copy = f"COPY django_plaid_transaction_stage ({columns}) FROM STDIN"
        self.merge = (
            f"INSERT INTO {table} ({columns}) "  # noqa: S608
            f"SELECT {columns} FROM django_plaid_transaction_stage "
            f"ON CONFLICT ({unique}) DO UPDATE SET {updates}"
        )
        with connection.cursor() as cursor:
            cursor.execute(self.create)
            cursor.execute("TRUNCATE django_plaid_transaction_stage")

    def __call__(self, rows: list[Transaction]) -> None:
        connection = self.connection
        with connection.cursor() as cursor:
            with cursor.cursor.copy(self.copy) as copy:
                for row in rows:
                    copy.write_row(
                        [f.get_db_prep_save(f.pre_save(row, True), connection) for f in self.fields]
                    )
            cursor.execute(self.merge)
            cursor.execute("TRUNCATE django_plaid_transaction_stage")


def to_row(item: Item, data: dict[str, Any], accounts: dict[str, int]) -> Transaction | None:
    """A Transaction (unsaved) from Plaid's JSON.

    An account this database does not know yet (opened since the accounts were last
    fetched) gets a placeholder row that the next ``/accounts/get`` fills in, so the
    transaction is kept rather than lost behind the new cursor.
    """
    account_id = data.get("account_id") or ""
    account_pk = accounts.get(account_id)
    if account_pk is None:
        if not account_id:
            return None
        account, _ = Account.objects.get_or_create(
            account_id=account_id, defaults={"item": item, "name": "", "type": ""}
        )
        account_pk = accounts[account_id] = account.pk
        logger.info("Item %s: new account %s seen in transactions", item.item_id, account_id)
    category = data.get("personal_finance_category") or {}
    authorized_datetime = data.get("authorized_datetime")
    when = data.get("datetime")
    return Transaction(
        owner_id=item.owner_id,
        item_id=item.pk,
        account_id=account_pk,
        transaction_id=data["transaction_id"],
        amount=required_money(data["amount"]),
        iso_currency_code=data.get("iso_currency_code"),
        unofficial_currency_code=data.get("unofficial_currency_code"),
        date=required_date(data["date"]),
        authorized_date=parse_date(data["authorized_date"])
        if data.get("authorized_date")
        else None,
        datetime=parse_datetime(when) if when else None,
        authorized_datetime=parse_datetime(authorized_datetime) if authorized_datetime else None,
        name=(data.get("name") or "")[:512],
        merchant_name=data.get("merchant_name"),
        payment_channel=data.get("payment_channel") or "",
        pending=bool(data.get("pending")),
        pending_transaction_id=data.get("pending_transaction_id"),
        category_primary=category.get("primary") or "",
        category_detailed=category.get("detailed") or "",
        location=data.get("location"),
        counterparties=data.get("counterparties") or [],
        raw=data,
    )
