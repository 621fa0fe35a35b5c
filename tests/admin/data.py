"""Realistic admin data made with the ORM: long names, many accounts, every product's rows.

Shared by the admin tests (query counts, filters, secrets) and the browser layout test.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from django_plaid.models import (
    Account,
    AccountOwner,
    AuthNumbers,
    Holding,
    InvestmentTransaction,
    Item,
    Liability,
    LinkEvent,
    PayrollIncome,
    PlaidUser,
    Security,
    Transaction,
    WebhookEvent,
)

LONG_INSTITUTION = "The Very Long Named Cooperative Credit Union of the Northern Territories"
INSTITUTIONS = ("First Platypus Bank", LONG_INSTITUTION, "Tartan Bank")
#: Account names as banks send them, one long one among them.
ACCOUNT_NAMES = (
    ("Plaid Checking", "0000", "depository", "checking"),
    ("Plaid Saving", "1111", "depository", "savings"),
    ("Plaid Business Credit Card", "9999", "credit", "credit card"),
    (
        "Plaid Premier Platinum Rewards Visa Signature Card for Business Travel",
        "3333",
        "credit",
        "credit card",
    ),
    ("Plaid Mortgage", "8888", "loan", "mortgage"),
    ("Plaid Student Loan", "7777", "loan", "student"),
    ("Plaid IRA", "5555", "investment", "ira"),
    ("Plaid 401k", "6666", "investment", "401k"),
    ("Plaid Money Market", "2222", "depository", "money market"),
    ("Plaid CD", "4444", "depository", "cd"),
    ("Plaid HSA", "1212", "depository", "hsa"),
    ("Plaid Crypto Wallet", "2121", "other", "crypto exchange"),
)
#: What the pages must never show in clear.
ACCESS_TOKEN = "access-sandbox-5e5e5e5e-dead-beef-0000-"
ACCOUNT_NUMBER = "1111222233330000"
USER_TOKEN = "user-sandbox-abcdef01-2345-6789-abcd-ef0123456789"


@dataclass
class Bank:
    """What :func:`make_bank` made."""

    items: list[Item] = field(default_factory=list)
    accounts: list[Account] = field(default_factory=list)
    secrets: list[str] = field(default_factory=list)


def make_bank(*, items: int = 2, accounts: int = 12, transactions: int = 3, start: int = 0) -> Bank:
    """``items`` Items of ``accounts`` accounts each, ``transactions`` per account, and a
    row of every other product, under numbers from ``start`` (call again for more)."""
    bank = Bank()
    users = get_user_model()
    security = Security.objects.create(
        security_id=f"sec-{start}-" + "s" * 30,
        name="Vanguard Total Stock Market Index Fund Admiral Shares",
        ticker_symbol="VTSAX",
        type="mutual fund",
        close_price=Decimal("123.4567"),
        close_price_as_of=date(2026, 11, 27),
        iso_currency_code="USD",
    )
    for n in range(start, start + items):
        owner = users.objects.create_user(
            f"customer.with.a.long.name.{n}@example-enterprises.com", "x@example.com", "pw"
        )
        item = Item.objects.create(
            owner=owner,
            item_id=f"item{n:04d}" + "Q" * 29,
            access_token=f"{ACCESS_TOKEN}{n:012d}",
            environment="sandbox",
            institution_id=f"ins_{n}",
            institution_name=INSTITUTIONS[n % len(INSTITUTIONS)],
            webhook="https://example.com/plaid/webhook/with/a/very/long/path/" + "w" * 60,
            raw={"item_id": f"item{n:04d}", "note": "x" * 300},
        )
        bank.items.append(item)
        bank.secrets.append(item.access_token)
        for k in range(accounts):
            name, mask, type_, subtype = ACCOUNT_NAMES[k % len(ACCOUNT_NAMES)]
            crypto = subtype == "crypto exchange"
            account = Account.objects.create(
                item=item,
                account_id=f"acc{n:04d}{k:03d}" + "A" * 30,
                name=name,
                official_name=f"{name} (official)",
                mask=mask,
                type=type_,
                subtype=subtype,
                balance_current=Decimal("23631.9805") if not crypto else Decimal("0.00012345"),
                balance_available=Decimal("-2289.84") if k % 2 else None,
                balance_limit=Decimal("15000") if type_ == "credit" else None,
                iso_currency_code=None if crypto else ("JPY" if k == 1 else "USD"),
                unofficial_currency_code="BTC" if crypto else None,
            )
            bank.accounts.append(account)
            for t in range(transactions):
                Transaction.objects.create(
                    owner=owner,
                    item=item,
                    account=account,
                    transaction_id=f"txn{n:04d}{k:03d}{t:04d}" + "T" * 26,
                    amount=Decimal("1234567.891") if t == 0 else Decimal("-12.5"),
                    iso_currency_code=account.iso_currency_code,
                    unofficial_currency_code=account.unofficial_currency_code,
                    date=date(2026, 11, 27) - timedelta(days=t),
                    name="AMAZON MKTPLACE PMTS AMZN.COM/BILL WA 1234567890 PURCHASE",
                    merchant_name="Amazon Marketplace",
                    payment_channel="online",
                    pending=t == 1,
                    category_primary="GENERAL_MERCHANDISE",
                    category_detailed="GENERAL_MERCHANDISE_ONLINE_MARKETPLACES",
                )
            _products(bank, account, security, k)
        plaid_user = PlaidUser.objects.create(
            owner=owner,
            user_id=f"usr_{n:04d}" + "U" * 20,
            user_token=f"{USER_TOKEN}{n}",
            environment="sandbox",
        )
        bank.secrets.append(plaid_user.user_token)
        PayrollIncome.objects.create(
            plaid_user=plaid_user,
            item_id=f"payroll{n:04d}" + "P" * 25,
            institution_id="ins_90000",
            institution_name="ADP Workforce Now Payroll Services Incorporated",
            processing_status="PROCESSING_COMPLETE",
            data={"payroll_income": [{"pay_stubs": [{"net_pay": {"current_amount": 1234.5}}]}]},
        )
        LinkEvent.objects.create(
            owner=owner,
            event_name="EXIT",
            link_session_id=f"link-session-{n}-" + "l" * 30,
            request_id=f"req{n}" + "r" * 12,
            institution_name=item.institution_name,
            error_code="ITEM_LOGIN_REQUIRED",
        )
        WebhookEvent.objects.create(
            webhook_type="TRANSACTIONS",
            webhook_code="SYNC_UPDATES_AVAILABLE",
            item_id=item.item_id,
            environment="sandbox",
            body='{"webhook_type": "TRANSACTIONS", "long": "' + "b" * 400 + '"}',
            body_sha256=f"{n:064d}",
            payload={},
        )
    return bank


def _products(bank: Bank, account: Account, security: Security, k: int) -> None:
    number = f"{ACCOUNT_NUMBER[:-3]}{k:03d}"
    if account.type == "depository" and k < 3:
        AuthNumbers.objects.create(
            account=account,
            numbers={"ach": [{"account": number, "routing": "011401533"}]},
            account_mask=number[-4:],
            routing_mask="1533",
            verification_status="automatically_verified",
        )
        AccountOwner.objects.create(
            account=account, position=0, data={"names": ["Alberta Bobbeth Charleson"]}
        )
        bank.secrets.append(number)
    if account.type == "credit" or account.subtype == "mortgage":
        Liability.objects.create(
            account=account,
            kind="credit" if account.type == "credit" else "mortgage",
            is_overdue=False,
            last_payment_amount=Decimal("168.25"),
            last_statement_balance=Decimal("1708.77"),
            minimum_payment_amount=Decimal("20"),
            next_payment_due_date=date(2026, 12, 15),
            interest_rate_percentage=Decimal("15.24"),
            data={"account_number": number, "last_payment_amount": 168.25},
        )
        bank.secrets.append(number)
    if account.type == "investment":
        Holding.objects.create(
            account=account,
            security=security,
            quantity=Decimal("1234.5670000000"),
            institution_price=Decimal("123.4567"),
            institution_value=Decimal("152415.68"),
            cost_basis=Decimal("100000"),
            iso_currency_code="USD",
        )
        InvestmentTransaction.objects.create(
            investment_transaction_id=f"inv-{account.account_id}",
            account=account,
            security=security,
            date=date(2026, 11, 20),
            name="BUY VANGUARD TOTAL STOCK MARKET INDEX FUND ADMIRAL SHARES",
            type="buy",
            subtype="buy",
            quantity=Decimal("10.5"),
            amount=Decimal("1296.29535"),
            price=Decimal("123.4567"),
            fees=Decimal("0"),
            iso_currency_code="USD",
        )


def registered_models() -> list[Any]:
    """Every django_plaid model registered on the default admin site."""
    from django.contrib import admin

    return sorted(
        (model for model in admin.site._registry if model._meta.app_label == "django_plaid"),
        key=lambda model: model._meta.model_name,
    )
