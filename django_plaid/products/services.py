"""Fetch-and-store flows of Auth, Identity, Investments, Liabilities and Income.

Each ``fetch_<product>(item)`` asks Plaid once (or pages through, for investment
transactions), then stores the answer in one database transaction, replacing what the
previous fetch stored: running it twice does no harm. Errors about the Item's state are
recorded as its status, as for transactions. The big answers (investments) take the
client's raw-bytes path.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_variables

from .. import jobs, signals
from ..client import get_client
from ..exceptions import PlaidAPIError
from ..items import record_item_error, upsert_accounts
from ..linking import ensure_plaid_user as ensure_plaid_user
from ..linking import income_link_token_request as income_link_token_request
from ..models import (
    Account,
    AccountOwner,
    AuthNumbers,
    Holding,
    InvestmentTransaction,
    Item,
    Liability,
    PayrollIncome,
    PlaidUser,
    Security,
)
from ..parsing import money, optional_date, required_date
from ..registry import COVERED_BY
from ..registry import products_to_fetch as products_to_fetch
from ..upserts import bulk_upsert
from .masking import last4

logger = logging.getLogger("django_plaid.products")

#: How far back investment transactions are fetched (Plaid keeps up to 24 months).
INVESTMENT_HISTORY_DAYS = 730


def _accounts_by_id(item: Item) -> dict[str, Account]:
    return {a.account_id: a for a in Account.objects.filter(item=item)}


def _call(item: Item, operation: str, *, raw: bool = False, **fields: Any) -> dict[str, Any]:
    client = get_client()
    try:
        if raw:
            return client.call_raw(operation, access_token=item.access_token, **fields)
        return client.call(operation, access_token=item.access_token, **fields)
    except PlaidAPIError as e:
        record_item_error(item, e)
        raise


def _stamp(item: Item, field: str, product: str, value: str | None) -> None:
    """Set (or, with None, clear) one product's time in the Item's JSON column ``field``.

    Read and written under the Item's row lock, so that concurrent fetches of other
    products keep their times (a read-modify-write without it loses one of them).
    """
    with transaction.atomic():
        current = (
            Item.objects.select_for_update()
            .filter(pk=item.pk)
            .values_list(field, flat=True)
            .first()
        )
        stamps = dict(current or {})
        if value is None:
            stamps.pop(product, None)
        else:
            stamps[product] = value
        Item.objects.filter(pk=item.pk).update(**{field: stamps})
    setattr(item, field, stamps)


def _mark_fetched(item: Item, product: str) -> None:
    _stamp(item, "product_fetched_at", product, timezone.now().isoformat())


# -- Auth ------------------------------------------------------------------------------------


@sensitive_variables()
def fetch_auth(item: Item) -> int:
    """``/auth/get``: store each account's numbers (encrypted); returns how many accounts."""
    data = _call(item, "auth_get")
    by_account: dict[str, dict[str, list[dict[str, Any]]]] = {}
    for kind, entries in (data.get("numbers") or {}).items():
        for entry in entries or []:
            by_account.setdefault(entry["account_id"], {}).setdefault(kind, []).append(entry)
    with transaction.atomic():
        upsert_accounts(item, data["accounts"], prune=False)
        accounts = _accounts_by_id(item)
        statuses = {a["account_id"]: a.get("verification_status") for a in data["accounts"]}
        AuthNumbers.objects.filter(account__item=item).exclude(
            account__account_id__in=list(by_account)
        ).delete()
        for account_id, numbers in by_account.items():
            account = accounts.get(account_id)
            if account is None:
                continue
            first = next(iter(numbers.values()))[0]
            AuthNumbers.objects.update_or_create(
                account=account,
                defaults={
                    "numbers": numbers,
                    "account_mask": last4(first.get("account") or first.get("iban")),
                    "routing_mask": last4(
                        first.get("routing") or first.get("sort_code") or first.get("bic")
                    ),
                    "verification_status": statuses.get(account_id),
                },
            )
        _mark_fetched(item, "auth")
    return len(by_account)


# -- Identity ----------------------------------------------------------------------------------


@sensitive_variables()
def fetch_identity(item: Item) -> int:
    """``/identity/get``: store each account's owners (encrypted); returns how many owners."""
    data = _call(item, "identity_get")
    count = 0
    with transaction.atomic():
        # The owners go only into the encrypted AccountOwner rows, never Account.raw.
        upsert_accounts(
            item,
            [{k: v for k, v in a.items() if k != "owners"} for a in data["accounts"]],
            prune=False,
        )
        accounts = _accounts_by_id(item)
        AccountOwner.objects.filter(account__item=item).delete()
        rows = []
        for entry in data["accounts"]:
            account = accounts.get(entry["account_id"])
            for position, owner in enumerate(entry.get("owners") or []):
                if account is not None:
                    rows.append(AccountOwner(account=account, position=position, data=owner))
        AccountOwner.objects.bulk_create(rows)
        count = len(rows)
        _mark_fetched(item, "identity")
    return count


# -- Investments -------------------------------------------------------------------------------


def _upsert_securities(securities: list[dict[str, Any]]) -> dict[str, int]:
    rows = [
        Security(
            security_id=s["security_id"],
            name=s.get("name"),
            ticker_symbol=s.get("ticker_symbol"),
            type=s.get("type"),
            close_price=money(s.get("close_price")),
            close_price_as_of=optional_date(s.get("close_price_as_of")),
            iso_currency_code=s.get("iso_currency_code"),
            raw=s,
        )
        for s in securities
    ]
    bulk_upsert(Security, rows, unique="security_id")
    ids = [s["security_id"] for s in securities]
    return dict(Security.objects.filter(security_id__in=ids).values_list("security_id", "pk"))


def fetch_holdings(item: Item) -> int:
    """``/investments/holdings/get``: replace the Item's holdings; returns how many."""
    data = _call(item, "investments_holdings_get", raw=True)
    with transaction.atomic():
        upsert_accounts(item, data["accounts"], prune=False)
        accounts = _accounts_by_id(item)
        securities = _upsert_securities(data.get("securities") or [])
        Holding.objects.filter(account__item=item).delete()
        rows = [
            Holding(
                account=accounts[h["account_id"]],
                security_id=securities[h["security_id"]],
                quantity=money(h["quantity"]) or Decimal(0),
                institution_price=money(h.get("institution_price")),
                institution_price_as_of=optional_date(h.get("institution_price_as_of")),
                institution_value=money(h.get("institution_value")),
                cost_basis=money(h.get("cost_basis")),
                iso_currency_code=h.get("iso_currency_code"),
                raw=h,
            )
            for h in data.get("holdings") or []
            if h["account_id"] in accounts and h["security_id"] in securities
        ]
        Holding.objects.bulk_create(rows)
        _mark_fetched(item, "holdings")
    return len(rows)


def fetch_investment_transactions(item: Item, *, days: int = INVESTMENT_HISTORY_DAYS) -> int:
    """``/investments/transactions/get`` over ``days``, every offset page; returns how many.

    The window's rows are replaced in one database transaction, so a transaction Plaid
    no longer reports (cancelled) disappears, and a repeat fetch changes nothing.
    """
    end = timezone.now().date()
    start = end - timedelta(days=days)
    page_size = 500
    offset = 0
    pages: list[dict[str, Any]] = []
    while True:
        data = _call(
            item,
            "investments_transactions_get",
            raw=True,
            start_date=start,
            end_date=end,
            options={"count": page_size, "offset": offset},
        )
        pages.append(data)
        received = len(data.get("investment_transactions") or [])
        offset += received
        if received == 0 or offset >= int(data.get("total_investment_transactions") or 0):
            break
    with transaction.atomic():
        upsert_accounts(item, pages[0]["accounts"], prune=False)
        accounts = _accounts_by_id(item)
        securities = _upsert_securities([s for page in pages for s in page.get("securities") or []])
        InvestmentTransaction.objects.filter(
            account__item=item, date__gte=start, date__lte=end
        ).delete()
        # One row per id: a transaction that moved between offset pages while they were
        # fetched would otherwise appear twice in one upsert (PostgreSQL refuses that).
        latest = {
            t["investment_transaction_id"]: t
            for page in pages
            for t in page.get("investment_transactions") or []
            if t["account_id"] in accounts
        }
        rows = [
            InvestmentTransaction(
                investment_transaction_id=t["investment_transaction_id"],
                account=accounts[t["account_id"]],
                security_id=securities.get(t.get("security_id") or ""),
                date=required_date(t["date"]),
                name=(t.get("name") or "")[:512],
                type=t.get("type") or "",
                subtype=t.get("subtype") or "",
                quantity=money(t.get("quantity")) or Decimal(0),
                amount=money(t.get("amount")) or Decimal(0),
                price=money(t.get("price")) or Decimal(0),
                fees=money(t.get("fees")),
                iso_currency_code=t.get("iso_currency_code"),
                raw=t,
            )
            for t in latest.values()
        ]
        bulk_upsert(InvestmentTransaction, rows, unique="investment_transaction_id")
        _mark_fetched(item, "investments_transactions")
    return len(rows)


def fetch_investments(item: Item) -> int:
    """Holdings and investment transactions; returns how many rows were stored."""
    return fetch_holdings(item) + fetch_investment_transactions(item)


# -- Liabilities -------------------------------------------------------------------------------


def _interest_rate(kind: str, entry: dict[str, Any]) -> Decimal | None:
    if kind == "mortgage":
        return money((entry.get("interest_rate") or {}).get("percentage"))
    if kind == "student":
        return money(entry.get("interest_rate_percentage"))
    purchase = [a for a in entry.get("aprs") or [] if a.get("apr_type") == "purchase_apr"]
    return money(purchase[0].get("apr_percentage")) if purchase else None


@sensitive_variables()
def fetch_liabilities(item: Item) -> int:
    """``/liabilities/get``: replace the Item's liabilities; returns how many."""
    data = _call(item, "liabilities_get")
    liabilities = data.get("liabilities") or {}
    with transaction.atomic():
        upsert_accounts(item, data["accounts"], prune=False)
        accounts = _accounts_by_id(item)
        Liability.objects.filter(account__item=item).delete()
        rows = []
        for kind in ("credit", "mortgage", "student"):
            for entry in liabilities.get(kind) or []:
                account = accounts.get(entry.get("account_id") or "")
                if account is None:
                    continue
                rows.append(
                    Liability(
                        account=account,
                        kind=kind,
                        is_overdue=entry.get("is_overdue"),
                        last_payment_amount=money(entry.get("last_payment_amount")),
                        last_payment_date=optional_date(entry.get("last_payment_date")),
                        last_statement_balance=money(entry.get("last_statement_balance")),
                        minimum_payment_amount=money(
                            entry.get("minimum_payment_amount") or entry.get("next_monthly_payment")
                        ),
                        next_payment_due_date=optional_date(entry.get("next_payment_due_date")),
                        interest_rate_percentage=_interest_rate(kind, entry),
                        data=entry,
                    )
                )
        Liability.objects.bulk_create(rows)
        _mark_fetched(item, "liabilities")
    return len(rows)


#: Item products and the fetch that stores their data (``registry.FETCHED_PRODUCTS``).
FETCHERS: dict[str, Callable[[Item], int]] = {
    "auth": fetch_auth,
    "identity": fetch_identity,
    "investments": fetch_investments,
    "liabilities": fetch_liabilities,
}

#: Finer-grained refreshes that webhooks ask for.
REFRESHERS: dict[str, Callable[[Item], int]] = {
    **FETCHERS,
    "holdings": fetch_holdings,
    "investments_transactions": fetch_investment_transactions,
}


def refresh_product(item: Item, product: str) -> int:
    """Fetch and store one product's data for ``item`` (see ``REFRESHERS``).

    The attempt is recorded first, so a product that keeps failing (micro-deposits not
    verified yet, no eligible accounts) is tried again after ``PRODUCT_REFRESH_AFTER``,
    not at every run of the periodic task.
    """
    if not item.access_token:
        return 0
    _stamp(item, "product_attempted_at", product, timezone.now().isoformat())
    count = REFRESHERS[product](item)
    transaction.on_commit(
        lambda: signals.product_refreshed.send(sender=Item, item=item, product=product, count=count)
    )
    return count


def request_product_refresh(item: Item, product: str) -> None:
    """Queue a fetch of ``product`` (see ``REFRESHERS``) for the Item, after commit.

    The product's last attempt is forgotten first, so that if this task is lost (the
    broker is down) the periodic task finds the product due and fetches it.
    """
    _stamp(item, "product_attempted_at", COVERED_BY.get(product, product), None)
    jobs.enqueue_refresh_product(item.pk, product)


# -- Income (user-scoped) ------------------------------------------------------------------------

# A payroll income Link token needs the user's Plaid user: both are made by linking
# (``ensure_plaid_user``, ``income_link_token_request``), re-exported here.


@sensitive_variables()
def fetch_payroll_income(plaid_user: PlaidUser) -> int:
    """``/credit/payroll_income/get``: store each payroll Item (encrypted); returns how many."""
    fields = (
        {"user_token": plaid_user.user_token}
        if plaid_user.user_token
        else {"user_id": plaid_user.user_id}
    )
    data = get_client().call_raw("credit_payroll_income_get", **fields)
    items = data.get("items") or []
    with transaction.atomic():
        # What Plaid no longer returns (the user removed that payroll connection) goes.
        PayrollIncome.objects.filter(plaid_user=plaid_user).exclude(
            item_id__in=[entry["item_id"] for entry in items]
        ).delete()
        for entry in items:
            updated = entry.get("updated_at")
            PayrollIncome.objects.update_or_create(
                item_id=entry["item_id"],
                defaults={
                    "plaid_user": plaid_user,
                    "institution_id": entry.get("institution_id") or "",
                    "institution_name": entry.get("institution_name") or "",
                    "processing_status": (entry.get("status") or {}).get("processing_status") or "",
                    "plaid_updated_at": parse_datetime(updated) if updated else None,
                    "data": entry,
                },
            )
        transaction.on_commit(
            lambda: signals.payroll_income_refreshed.send(
                sender=PlaidUser, plaid_user=plaid_user, count=len(items)
            )
        )
    return len(items)
