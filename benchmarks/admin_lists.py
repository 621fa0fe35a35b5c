"""The admin's transaction list with 1,000,000 rows: dj-plaid's admin against the old one.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/dj_i11_h2 \\
        .venv/bin/python -m benchmarks.admin_lists [--rows 1000000] [--items 40] [--rounds 5]

Loads ``--rows`` transactions into PostgreSQL with ``COPY`` (``--items`` Items of 5
accounts each, long institution names, 16 categories, 2% pending, two years of dates),
then, through Django's test ``Client`` logged in as a superuser, times four changelist
pages side by side on two admin sites over the same tables:

* **dj-plaid**: ``django_plaid.admin.TransactionAdmin`` as shipped (no count past 10,000
  rows or PostgreSQL's estimate, bounded filters, one query for the rows and their
  accounts and Items, a pasted id looked up by its index);
* **old**: the transaction admin as it was before (Django's paginator counting every
  matching row, ``RelatedOnlyFieldListFilter`` on the account and value filters that
  ``SELECT DISTINCT`` over the table, the account joined but not its Item).

Pages: the first page, a page filtered by one account, one filtered by a category, a
search for a rare merchant's name (one transaction in 100,000: the search reads the
whole table), and a deep page (``p=500``, offset 49,900). Both sides run on the same indexes
(migration 0009). Prints the median of ``--rounds`` requests per page in ms, the ratio
old/dj-plaid, the SQL queries per page, and the plan of dj-plaid's first-page query.

The database named by ``DATABASE_URL`` (default: the benchmarks' ``dj_plaid_bench``) is
dropped and created again first (never ``postgres`` or ``test``).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import time
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from benchmarks._support import POSTGRES_URL

DATABASE_URL = os.environ.get("DATABASE_URL") or POSTGRES_URL

INSTITUTIONS = (
    "First Platypus Bank",
    "The Very Long Named Cooperative Credit Union of the Northern Territories",
    "Tartan Bank",
    "Houndstooth Savings and Loan Association of America",
)
ACCOUNTS = (
    ("Plaid Checking", "0000", "depository", "checking"),
    ("Plaid Saving", "1111", "depository", "savings"),
    ("Plaid Business Credit Card With A Rather Long Product Name", "9999", "credit", "credit card"),
    ("Plaid Mortgage", "8888", "loan", "mortgage"),
    ("Plaid IRA", "5555", "investment", "ira"),
)
MERCHANTS = (*(f"Merchant {n} Coffee Roasters" for n in range(400)), "Rare Ferry Tickets")


def urlpatterns_for() -> list[Any]:
    """The benchmark's URLs: dj-plaid's admin and the old one."""
    from django.contrib import admin
    from django.urls import path

    return [path("admin/", admin.site.urls), path("old/", old_site().urls)]


_OLD_SITE: Any = None


def old_site() -> Any:
    """An admin site with the transaction admin as it was before this change."""
    global _OLD_SITE
    if _OLD_SITE is not None:
        return _OLD_SITE
    from django.contrib import admin
    from django.core.paginator import Paginator

    from django_plaid.admin.base import ReadOnlyMixin, model_fields
    from django_plaid.models import Transaction

    class OldTransactionAdmin(ReadOnlyMixin, admin.ModelAdmin):  # type: ignore[type-arg]
        paginator = Paginator
        list_display = (
            "date",
            "name",
            "merchant_name",
            "amount",
            "iso_currency_code",
            "pending",
            "category_primary",
            "account",
        )
        list_filter = (
            ("account", admin.RelatedOnlyFieldListFilter),
            "pending",
            "category_primary",
            "payment_channel",
            "account__item__institution_name",
        )
        list_select_related = ("account",)
        search_fields = ("name", "merchant_name", "=transaction_id")
        date_hierarchy = "date"
        readonly_fields = model_fields(Transaction)
        show_full_result_count = False

    _OLD_SITE = admin.AdminSite(name="old")
    _OLD_SITE.register(Transaction, OldTransactionAdmin)
    return _OLD_SITE


def __getattr__(name: str) -> Any:
    # ROOT_URLCONF is this module: its URLs are built once Django is set up.
    if name == "urlpatterns":
        return urlpatterns_for()
    raise AttributeError(name)


def configure() -> None:
    """Django settings: the benchmarks' settings, with the admin and its middleware."""
    import django
    from django.conf import settings

    from benchmarks import settings as base

    values = {key: getattr(base, key) for key in dir(base) if key.isupper()}
    values.update(
        INSTALLED_APPS=[
            "django.contrib.admin",
            "django.contrib.auth",
            "django.contrib.contenttypes",
            "django.contrib.sessions",
            "django.contrib.messages",
            "rest_framework",
            "django_plaid",
        ],
        MIDDLEWARE=[
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "django.contrib.auth.middleware.AuthenticationMiddleware",
            "django.contrib.messages.middleware.MessageMiddleware",
        ],
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                        "django.contrib.messages.context_processors.messages",
                    ]
                },
            }
        ],
        ROOT_URLCONF="benchmarks.admin_lists",
        STATIC_URL="/static/",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DATABASES={"default": {**base.DATABASES["default"], **_database()}},
    )
    settings.configure(**values)
    django.setup()


def _database() -> dict[str, Any]:
    import dj_database_url

    return dict(dj_database_url.parse(DATABASE_URL, conn_max_age=600))


def fresh_database() -> None:
    """Drop and create the benchmark's database, so every run starts the same."""
    import psycopg

    name = DATABASE_URL.rsplit("/", 1)[1]
    if name in {"postgres", "test"} or name.startswith("template"):
        raise SystemExit(f"refusing to drop {name!r}: name a database of its own")
    with psycopg.connect(DATABASE_URL.rsplit("/", 1)[0] + "/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def fill(rows: int, items: int) -> tuple[Any, list[Any]]:
    """Create the Items, their accounts and ``rows`` transactions (COPY)."""
    from django.contrib.auth import get_user_model
    from django.db import connection

    from django_plaid.models import Account, Item, Transaction

    admin_user = get_user_model().objects.create_superuser("admin", "admin@example.com", "pw")
    accounts = []
    for n in range(items):
        owner = get_user_model().objects.create_user(f"customer{n}")
        item = Item.objects.create(
            owner=owner,
            item_id=f"item-{n:04d}-" + "x" * 27,
            access_token="",
            environment="sandbox",
            institution_name=INSTITUTIONS[n % len(INSTITUTIONS)],
            institution_id=f"ins_{n % len(INSTITUTIONS)}",
        )
        for k, (name, mask, type_, subtype) in enumerate(ACCOUNTS):
            accounts.append(
                Account.objects.create(
                    item=item,
                    account_id=f"acc-{n:04d}-{k}-" + "y" * 25,
                    name=name,
                    mask=mask,
                    type=type_,
                    subtype=subtype,
                    balance_current=Decimal("23631.9805"),
                    iso_currency_code="USD",
                )
            )
    from django_plaid.admin.filters import CATEGORIES

    rng = random.Random(11)
    today = date(2026, 11, 27)
    columns = (
        "owner_id, item_id, account_id, transaction_id, amount, iso_currency_code, date, "
        "name, merchant_name, payment_channel, pending, category_primary, category_detailed, "
        "counterparties, raw, created_at, updated_at"
    )
    started = time.perf_counter()
    raw = connection.connection  # psycopg's connection: COPY
    copy_sql = f"COPY {Transaction._meta.db_table} ({columns}) FROM STDIN"
    with raw.cursor() as cursor, cursor.copy(copy_sql) as copy:
        for g in range(rows):
            account = accounts[rng.randrange(len(accounts))]
            # One transaction in 100,000 has a rare merchant (the search's miss case).
            merchant = MERCHANTS[-1] if g % 100_000 == 7 else MERCHANTS[g % 400]
            category = CATEGORIES[g % len(CATEGORIES)]
            copy.write_row(
                (
                    account.item.owner_id,
                    account.item_id,
                    account.pk,
                    f"txn-{g:09d}-" + "z" * 24,
                    f"{rng.uniform(-3000, 3000):.2f}",
                    "USD",
                    today - timedelta(days=g % 730),
                    merchant,
                    merchant,
                    "online",
                    g % 50 == 0,
                    category,
                    f"{category}_OTHER",
                    "[]",
                    "{}",
                    "2026-11-27T00:00:00Z",
                    "2026-11-27T00:00:00Z",
                )
            )
    with connection.cursor() as cursor:
        # What autovacuum does soon after a load: statistics, and the visibility map
        # that lets index-only scans skip the table.
        cursor.execute(f"VACUUM ANALYZE {Transaction._meta.db_table}")
    print(f"loaded {rows:,} transactions with COPY in {time.perf_counter() - started:.1f} s")
    return admin_user, accounts


def measure(client: Any, url: str, rounds: int) -> tuple[float, int, int]:
    """Median ms of ``rounds`` GETs (after a warm-up), the SQL queries of one, the status."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.get(url)  # warm-up
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    count = len(queries.captured_queries)  # read now: the next request empties the log
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), count, response.status_code


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--items", type=int, default=40)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--reuse", action="store_true", help="time the rows a previous run left (no reload)"
    )
    args = parser.parse_args()

    if not args.reuse:
        fresh_database()
    configure()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    call_command("migrate", verbosity=0)
    if args.reuse:
        from django.contrib.auth import get_user_model

        from django_plaid.models import Account, Transaction

        admin_user = get_user_model().objects.get(username="admin")
        accounts = list(Account.objects.order_by("pk"))
        print(f"reusing {Transaction.objects.count():,} transactions")
    else:
        admin_user, accounts = fill(args.rows, args.items)
    client = Client()
    client.force_login(admin_user)

    account = accounts[2]  # a credit card: its name repeats in every Item
    pages = {
        "first page": "",
        "filtered by account": f"?account={account.pk}",
        "filtered by category": "?category_primary=TRAVEL",
        "search (merchant name)": "?q=Rare+Ferry",
        "deep page (p=500)": "?p=500",
    }
    old_pages = {**pages, "filtered by account": f"?account__id__exact={account.pk}"}
    print(f"{'page':<26} {'dj-plaid ms':>12} {'old ms':>10} {'ratio':>7} {'queries':>12}")
    ratios = []
    for name, query in pages.items():
        new_ms, new_q, new_status = measure(
            client, f"/admin/django_plaid/transaction/{query}", args.rounds
        )
        old_ms, old_q, old_status = measure(
            client, f"/old/django_plaid/transaction/{old_pages[name]}", args.rounds
        )
        assert new_status == old_status == 200, (name, new_status, old_status)
        ratios.append(old_ms / new_ms)
        print(
            f"{name:<26} {new_ms:>12.1f} {old_ms:>10.1f} {old_ms / new_ms:>6.1f}x "
            f"{new_q:>5} vs {old_q:<4}"
        )
    print(f"geometric mean of the ratios: {statistics.geometric_mean(ratios):.1f}x")

    with CaptureQueriesContext(connection) as page:
        client.get("/admin/django_plaid/transaction/")
    rows_sql = next(q["sql"] for q in page.captured_queries if "LIMIT 100" in q["sql"])
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE) " + rows_sql)
        plan = [row[0] for row in cursor.fetchall()]
    print("plan of dj-plaid's first page:\n" + "\n".join("    " + line for line in plan))
    print(
        "first page served by an index, no sort: "
        + ("yes" if "plaid_txn_date" in " ".join(plan) and "Sort" not in " ".join(plan) else "NO")
    )


if __name__ == "__main__":
    main()
