"""Sync ingest: transactions per second from the emulator into PostgreSQL, three ways.

    .venv/bin/python -m benchmarks.sync_ingest [--transactions 100000] [--naive-sample 2000]

In one run, against one emulator (its own process, so its memory is not counted) and
one PostgreSQL database:

* **dj-plaid**: ``services.sync_item`` on an Item with N transactions (raw-bytes pages of
  500 spilled to disk, applied with bulk upserts in one transaction), with the growth of
  this process's peak RSS while it runs;
* **naive**: what most integrations do: plaid-python's typed models (the SDK default) and
  ``update_or_create`` per transaction. Measured on the first ``--naive-sample``
  transactions (the full 100,000 would take many minutes), as a rate;
* **database-only bulk load**: the same rows, already fetched and parsed, loaded into the
  empty table with PostgreSQL's COPY in one transaction: the floor of what the database
  costs (Django's ``bulk_create`` of the same rows is printed too, for reference).

Goals (issue #4): dj-plaid >= 30x naive, >= 0.5x the bulk load; RSS growth <= 64 MB.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

from benchmarks._support import POSTGRES_URL, ROOT, fresh_postgres_database

GOALS = {"naive": 30.0, "bulk": 0.5, "rss_mb": 64.0}


def rss_now_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def rss_peak_mb() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def reset_rss_peak() -> None:
    # Linux: writing 5 to clear_refs resets the peak (VmHWM) to the current RSS.
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def start_emulator() -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen(
        [sys.executable, "-m", "django_plaid.emulator", "--port", "0", "--no-webhooks"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--transactions", type=int, default=100_000)
    parser.add_argument("--naive-sample", type=int, default=2_000)
    args = parser.parse_args()

    fresh_postgres_database()
    emulator, url = start_emulator()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    os.environ["PLAID_HOST"] = url
    os.environ["DATABASE_URL"] = POSTGRES_URL
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection, transaction

    from benchmarks.celery import app as celery_app
    from django_plaid import services
    from django_plaid.client import get_client
    from django_plaid.models import Account, Item, Transaction
    from django_plaid.transactions import to_row

    celery_app.conf.task_always_eager = True
    call_command("migrate", verbosity=0)
    try:
        user = get_user_model().objects.create_user("bench")
        client = get_client()

        def new_item(count: int, owner: object = user) -> Item:
            public = client.call(
                "sandbox_public_token_create",
                institution_id="ins_109508",
                initial_products=["transactions"],
            )["public_token"]
            item = services.exchange_public_token(owner, public)
            _emulator_post(
                url,
                "/emulator/item/generate_transactions",
                {"item_id": item.item_id, "count": count},
            )
            return item

        # -- dj-plaid ---------------------------------------------------------------------
        item = new_item(args.transactions)
        Transaction.objects.all().delete()
        connection.close()
        rss_before = rss_now_mb()
        reset_rss_peak()
        started = time.perf_counter()
        services.sync_item(Item.objects.get(pk=item.pk))
        ours_seconds = time.perf_counter() - started
        rss_growth = rss_peak_mb() - rss_before
        stored = Transaction.objects.filter(item=item).count()
        assert stored == args.transactions, (stored, args.transactions)
        ours = args.transactions / ours_seconds

        # -- database-only bulk load of the same rows -------------------------------------
        pages = []
        cursor = ""
        while True:
            page = client.call_raw(
                "transactions_sync", access_token=item.access_token, cursor=cursor, count=500
            )
            pages.append(page["added"])
            cursor = page["next_cursor"]
            if not page["has_more"]:
                break
        accounts = dict(Account.objects.filter(item=item).values_list("account_id", "pk"))
        fields = [f for f in Transaction._meta.concrete_fields if not f.primary_key]
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        Transaction.objects.all().delete()
        started = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cursor:
            for rows in pages:
                with cursor.cursor.copy(
                    f"COPY {Transaction._meta.db_table} ({columns}) FROM STDIN"
                ) as copy:
                    for data in rows:
                        row = to_row(item, data, accounts)
                        copy.write_row(
                            [f.get_db_prep_save(f.pre_save(row, True), connection) for f in fields]
                        )
        bulk_seconds = time.perf_counter() - started
        bulk = args.transactions / bulk_seconds

        Transaction.objects.all().delete()
        started = time.perf_counter()
        with transaction.atomic():
            for rows in pages:
                Transaction.objects.bulk_create([to_row(item, data, accounts) for data in rows])
        bulk_create = args.transactions / (time.perf_counter() - started)
        del pages

        # -- naive: typed models, update_or_create per row -------------------------------
        naive_item = new_item(args.naive_sample, get_user_model().objects.create_user("naive"))
        naive_seconds, naive_count = _naive_sync(url, naive_item, args.naive_sample)
        naive = naive_count / naive_seconds
    finally:
        emulator.terminate()
        emulator.wait(10)

    print(f"transactions:               {args.transactions:,} (naive sample {args.naive_sample:,})")
    print(f"dj-plaid sync:              {ours:10,.0f} transactions/s ({ours_seconds:.1f} s)")
    print(f"naive (typed + per row):    {naive:10,.0f} transactions/s")
    print(f"database-only bulk load:    {bulk:10,.0f} transactions/s ({bulk_seconds:.1f} s, COPY)")
    print(f"  (Django bulk_create:      {bulk_create:10,.0f} transactions/s)")
    print(f"dj-plaid / naive:           {ours / naive:10.1f}x  (goal >= {GOALS['naive']:g}x)")
    print(f"dj-plaid / bulk load:       {ours / bulk:10.2f}x  (goal >= {GOALS['bulk']:g}x)")
    print(f"peak RSS growth during sync:{rss_growth:10.1f} MB (goal <= {GOALS['rss_mb']:g} MB)")


def _naive_sync(url: str, item: object, expected: int) -> tuple[float, int]:
    """The common integration: typed plaid-python models and one update_or_create per row."""
    import plaid
    from django.utils.dateparse import parse_date
    from plaid.api import plaid_api
    from plaid.model.transactions_sync_request import TransactionsSyncRequest

    from django_plaid.models import Account, Transaction

    api = plaid_api.PlaidApi(
        plaid.ApiClient(
            plaid.Configuration(
                host=url, api_key={"clientId": "test_client_id", "secret": "test_secret"}
            )
        )
    )
    accounts = {a.account_id: a for a in Account.objects.filter(item=item)}
    started = time.perf_counter()
    count = 0
    cursor = ""
    while True:
        response = api.transactions_sync(
            TransactionsSyncRequest(access_token=item.access_token, cursor=cursor, count=500)
        )
        for txn in response.added:
            Transaction.objects.update_or_create(
                transaction_id=txn.transaction_id,
                defaults={
                    "owner_id": item.owner_id,
                    "item": item,
                    "account": accounts[txn.account_id],
                    "amount": txn.amount,
                    "date": parse_date(str(txn.date)),
                    "name": txn.get("name") or "",
                    "merchant_name": txn.get("merchant_name"),
                    "pending": txn.pending,
                    "payment_channel": str(txn.payment_channel),
                    "raw": json.loads(json.dumps(txn.to_dict(), default=str)),
                },
            )
            count += 1
        cursor = response.next_cursor
        if not response.has_more:
            break
    assert count == expected, (count, expected)
    return time.perf_counter() - started, count


def _emulator_post(url: str, path: str, body: dict[str, object]) -> dict[str, object]:
    import urllib3

    response = urllib3.request(
        "POST",
        url + path,
        body=json.dumps(body),
        headers={"Content-Type": "application/json"},
        timeout=120,
    )
    assert response.status == 200, response.data[:300]
    return dict(json.loads(response.data))


if __name__ == "__main__":
    main()
