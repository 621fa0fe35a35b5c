"""Webhook intake: verified deliveries per second through the real endpoint vs a bare view.

    .venv/bin/python -m benchmarks.webhook_intake [--requests 2000] [--concurrency 8]

Both endpoints are served by the same gunicorn (4 workers, 1 thread each, by default)
and hit with the same load in alternating rounds, so the ratio holds on a shared, noisy
machine. The real endpoint verifies each ES256 JWT (key fetched once from the emulator,
then cached), stores a WebhookEvent in PostgreSQL and makes sure a Celery drain task is
queued to Redis (one per burst; no worker runs, so processing is not measured). Every
delivery must be stored.
"""

from __future__ import annotations

import argparse
import json
import os
import time

from benchmarks._support import (
    POSTGRES_URL,
    free_port,
    fresh_postgres_database,
    hammer,
    median,
    start_gunicorn,
)

GOAL = 0.5


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=2000, help="deliveries per round")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes")
    parser.add_argument("--threads", type=int, default=1, help="threads per worker")
    args = parser.parse_args()

    fresh_postgres_database()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")
    os.environ["DATABASE_URL"] = POSTGRES_URL  # this process too: never the caller's database
    import django

    django.setup()
    from django.core.management import call_command

    from django_plaid.emulator import Emulator
    from django_plaid.models import WebhookEvent

    call_command("migrate", verbosity=0)
    WebhookEvent.objects.all().delete()

    import redis

    broker = redis.Redis.from_url(os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15"))
    broker.flushdb()

    emulator = Emulator(send_webhooks=False).start()
    port = free_port()
    server = start_gunicorn(
        port,
        {"PLAID_HOST": emulator.url, "DATABASE_URL": POSTGRES_URL},
        workers=args.workers,
        threads=args.threads,
    )
    try:
        payload = {
            "webhook_type": "TRANSACTIONS",
            "webhook_code": "SYNC_UPDATES_AVAILABLE",
            "item_id": "eVBnVMp7zdTJLkRNr33Rs6zr7KNJqBFL9DrE6",
            "initial_update_complete": True,
            "historical_update_complete": True,
            "environment": "sandbox",
        }
        body = json.dumps(payload, indent=2).encode()

        def signed(_: int) -> tuple[bytes, dict[str, str]]:
            # Signed per request (fresh iat) in the client; both runs pay the same client cost.
            return body, {
                "Content-Type": "application/json",
                "Plaid-Verification": emulator.sign_webhook(body),
            }

        base = f"http://127.0.0.1:{port}"
        # Warm up both paths (imports, connections, the key cache of each worker).
        hammer(f"{base}/bare/", 200, args.concurrency, signed)
        hammer(f"{base}/plaid/webhook/", 200, args.concurrency, signed)
        sent = 200

        bare_rates, webhook_rates = [], []
        for _ in range(args.rounds):
            seconds, statuses = hammer(f"{base}/bare/", args.requests, args.concurrency, signed)
            assert set(statuses) == {200}, set(statuses)
            bare_rates.append(args.requests / seconds)
            seconds, statuses = hammer(
                f"{base}/plaid/webhook/", args.requests, args.concurrency, signed
            )
            assert set(statuses) == {200}, set(statuses)
            webhook_rates.append(args.requests / seconds)
            sent += args.requests
        time.sleep(0.5)
        stored = WebhookEvent.objects.count()
        queued = broker.llen("celery")
    finally:
        server.terminate()
        server.wait(10)
        emulator.stop()

    bare, webhook = median(bare_rates), median(webhook_rates)
    print(f"bare Django view:        {bare:8.0f} requests/s    (rounds: {_rounds(bare_rates)})")
    print(
        f"verified webhook intake: {webhook:8.0f} deliveries/s  (rounds: {_rounds(webhook_rates)})"
    )
    print(f"ratio:                   {webhook / bare:8.2f}  (goal >= {GOAL})")
    print(f"stored: {stored} of {sent} deliveries; tasks queued: {queued}")
    if stored != sent:
        raise SystemExit("deliveries were lost")


def _rounds(rates: list[float]) -> str:
    return ", ".join(f"{rate:.0f}" for rate in rates)


if __name__ == "__main__":
    main()
