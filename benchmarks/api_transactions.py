"""``GET transactions/`` with 1,000,000 rows in the table: queries per page and the plan.

    .venv/bin/python -m benchmarks.api_transactions [--rows 1000000] [--users 10]

Fills PostgreSQL with ``--rows`` transactions spread over ``--users`` users (one Item and
two accounts each), then, through the real DRF view and the host's authentication:

* counts the SQL queries of a page for several page sizes (the goal: the same count
  whatever the size, first page or deep page);
* prints the query plan of a page and checks that it walks an index;
* times first and deep pages (for information: the machine is shared and noisy).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from benchmarks._support import POSTGRES_URL, fresh_postgres_database


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--users", type=int, default=10)
    args = parser.parse_args()

    fresh_postgres_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    os.environ["DATABASE_URL"] = POSTGRES_URL
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from django_plaid.models import Account, Item, Transaction

    call_command("migrate", verbosity=0)
    users = []
    started = time.perf_counter()
    per_user = args.rows // args.users
    for n in range(args.users):
        user = get_user_model().objects.create_user(f"user{n}")
        item = Item.objects.create(
            owner=user, item_id=f"item{n}", access_token="", environment="sandbox"
        )
        accounts = [
            Account.objects.create(
                item=item, account_id=f"acc{n}-{k}", name=f"A{k}", type="depository"
            )
            for k in range(2)
        ]
        _fill(
            connection,
            Transaction._meta.db_table,
            user.pk,
            item.pk,
            [a.pk for a in accounts],
            n,
            per_user,
        )
        users.append(user)
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {Transaction._meta.db_table}")
    total = Transaction.objects.count()
    took = time.perf_counter() - started
    print(f"rows in the table:  {total:,} ({args.users} users, filled in {took:.0f} s)")

    api = APIClient()
    api.force_authenticate(users[0])
    url = "/plaid/transactions/"

    counts = {}
    for size in (10, 100, 500):
        with CaptureQueriesContext(connection) as first:
            body = api.get(url, {"page_size": size}).json()
        assert len(body["results"]) == size
        with CaptureQueriesContext(connection) as deep:
            api.get(body["next"])
        counts[size] = (len(first.captured_queries), len(deep.captured_queries))
    print(
        "SQL queries per page (first, next):",
        ", ".join(f"size {s}: {c}" for s, c in counts.items()),
    )
    same = len(set(counts.values())) == 1
    print(f"fixed number of queries whatever the page size: {'yes' if same else 'NO'}")

    # The plan of the page query, as the view builds it.
    with CaptureQueriesContext(connection) as page:
        body = api.get(url, {"page_size": 100}).json()
    sql = page.captured_queries[-1]["sql"]
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    print("query plan of a page of 100:\n" + "\n".join("    " + line for line in plan.splitlines()))
    uses_index = "plaid_txn_owner_date" in plan and "Seq Scan" not in plan
    print(f"walks the (owner, date, id) index, no sequential scan: {'yes' if uses_index else 'NO'}")

    # Deep pages cost the same as the first (keyset, not offset).
    first_times, deep_times = [], []
    for _ in range(20):
        t = time.perf_counter()
        body = api.get(url, {"page_size": 100}).json()
        first_times.append(time.perf_counter() - t)
    next_url = body["next"]
    for _ in range(200):
        t = time.perf_counter()
        body = api.get(next_url).json()
        deep_times.append(time.perf_counter() - t)
        next_url = body["next"]
    print(
        f"page of 100, first: {statistics.median(first_times) * 1000:.1f} ms median; "
        f"pages 2-201: {statistics.median(deep_times) * 1000:.1f} ms median"
    )
    if not (same and uses_index):
        raise SystemExit("goal missed")


def _fill(
    connection, table: str, owner: int, item: int, accounts: list[int], n: int, rows: int
) -> None:
    """Insert ``rows`` plausible transactions in one statement (generate_series)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {table} (owner_id, item_id, account_id, transaction_id, amount,
                iso_currency_code, date, name, merchant_name, payment_channel, pending,
                category_primary, category_detailed, location, counterparties, raw,
                created_at, updated_at)
            SELECT %s, %s, (ARRAY[%s, %s])[1 + g %% 2], 'txn-' || %s || '-' || g,
                round((random() * 200)::numeric, 2), 'USD',
                DATE '2026-11-27' - (g %% 730),
                'Merchant ' || (g %% 500), 'Merchant ' || (g %% 500),
                'online', g %% 50 = 0, 'GENERAL_MERCHANDISE', 'GENERAL_MERCHANDISE_OTHER',
                '{{}}'::jsonb, '[]'::jsonb, jsonb_build_object('n', g), now(), now()
            FROM generate_series(1, %s) AS g
            """,
            [owner, item, accounts[0], accounts[1], n, rows],
        )


if __name__ == "__main__":
    main()
