"""Exchanges at once, each with its first sync writing (tasks run eagerly, as a worker's
would at the same moment): none answers a 500, none leaves an Item orphaned at Plaid, and
every linked Item is complete, or owed a check the periodic task runs.

On SQLite the connections use a stock project's settings (``DEFERRED`` transactions,
Python's 5 s timeout), where a transaction that reads then writes fails at once with
"database is locked" while another writes; on PostgreSQL every exchange succeeds.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter

import pytest
from django.db import OperationalError, connections, transaction
from django.utils import timezone

from django_plaid import lifecycle
from django_plaid.models import Item
from tests.api.database import heal_after_the_grace, on_sqlite
from tests.concurrency import WAIT_SECONDS, in_thread, run_at_once
from tests.helpers import client_for, sandbox_public_token

pytestmark = pytest.mark.django_db(transaction=True)

#: How many exchanges run at once.
EXCHANGES = 8


class Together:
    """An emulator hook: the first ``parties`` requests to ``path`` are answered at once,
    when all have arrived, so their flows go on to write at the same moment."""

    def __init__(self, path, parties):
        self.path = path
        self.barrier = threading.Barrier(parties, timeout=WAIT_SECONDS)
        self.left = parties
        self.lock = threading.Lock()

    def __call__(self, context):
        if context.path != self.path:
            return None
        with self.lock:
            if self.left == 0:
                return None
            self.left -= 1
        with contextlib.suppress(threading.BrokenBarrierError):
            self.barrier.wait()
        return None


def outcome(response):
    body = response.json()
    if response.status_code == 201:
        return "201 accounts pending" if body["refresh_pending"] else "201 complete"
    return f"{response.status_code} {'linked' if 'item_id' in body else 'not linked'}"


@pytest.fixture
def stock_sqlite():
    """New connections (the threads') get a stock project's SQLite OPTIONS: none."""
    settings_dict = connections.settings["default"]
    saved = settings_dict.get("OPTIONS")
    if on_sqlite():
        settings_dict["OPTIONS"] = {}
    try:
        yield
    finally:
        if saved is not None:
            settings_dict["OPTIONS"] = saved


@pytest.fixture(params=["eager tasks", "lost tasks"])
def tasks_mode(request):
    """Tasks run inline (eager), or are all lost (a broker nothing listens on); returns
    the mode's name and what brings the suite's eager tasks back."""
    if request.param == "lost tasks":
        return request.param, request.getfixturevalue("lost_tasks")
    return request.param, lambda: None


def test_exchanges_at_once_never_fail_nor_orphan_an_item(
    django_user_model, item, emulator, stock_sqlite, tasks_mode, caplog, capsys
):
    mode, tasks_run_again = tasks_mode
    users = [django_user_model.objects.create_user(f"user{n}") for n in range(EXCHANGES)]
    tokens = [sandbox_public_token() for _ in users]
    responses = []
    done = threading.Event()
    worker_errors = Counter()

    def exchange(user, token):
        return lambda: responses.append(
            client_for(user).post("/plaid/exchange/", {"public_token": token}, format="json")
        )

    def worker():
        # What a Celery worker does meanwhile: store an Item's accounts, and hold write
        # transactions as long as a sync storing a page of transactions does (a task
        # meeting "database is locked" is retried; here it is counted).
        while not done.is_set():
            try:
                lifecycle.refresh_accounts(Item.objects.get(pk=item.pk))
                with transaction.atomic():
                    Item.objects.filter(pk=item.pk).update(updated_at=timezone.now())
                    time.sleep(0.05)
            except OperationalError as e:
                worker_errors[str(e)] += 1

    # The exchanges' /accounts/get are answered together: they go on to store their
    # accounts at the same moment, as a burst of users linking does, with the worker.
    hook = Together("/accounts/get", EXCHANGES)
    emulator.app.hooks.insert(0, hook)
    background, background_errors = in_thread(worker)
    try:
        errors = run_at_once(*[exchange(u, t) for u, t in zip(users, tokens, strict=True)])
    finally:
        done.set()
        background.join(WAIT_SECONDS)
        emulator.app.hooks.remove(hook)
    assert errors == []
    assert background_errors == []
    outcomes = Counter(outcome(r) for r in responses)
    stopped_short = sum(
        "its accounts could not be stored" in r.getMessage() for r in caplog.records
    )
    with capsys.disabled():
        where = "stock SQLite" if on_sqlite() else "PostgreSQL"
        print(
            f"\n{EXCHANGES} exchanges at once on {where}, {mode}: {dict(outcomes)}; "
            f"{stopped_short} could not store their accounts at first; "
            f"the worker met {dict(worker_errors)}"
        )
    assert {r.status_code for r in responses} <= {201, 503}
    for response in responses:
        if response.status_code == 503:
            assert response.json()["error_code"] == "DATABASE_UNAVAILABLE"
    # Kept here or removed at Plaid: nothing orphaned, nothing claimed that Plaid lacks.
    stored = set(Item.objects.exclude(pk=item.pk).values_list("item_id", flat=True))
    assert stored == set(emulator.state.items) - {item.item_id}
    linked = {r.json()["item_id"] for r in responses if "item_id" in r.json()}
    assert linked <= stored
    if not on_sqlite():
        assert outcomes == {"201 complete": EXCHANGES}
    if mode == "lost tasks":
        # Each Item that stopped short says so, and its row records the check it is owed.
        owed = Item.objects.filter(refresh_requested_at__isnull=False).count()
        assert owed == outcomes["201 accounts pending"] + outcomes["503 linked"]

    # The periodic task (with tasks running again) completes every Item still owed its check.
    tasks_run_again()
    heal_after_the_grace()
    for linked_item in Item.objects.all():
        assert linked_item.refresh_requested_at is None, linked_item
        assert linked_item.products == ["transactions"], linked_item
        expected = len(emulator.state.items[linked_item.item_id].accounts)
        assert linked_item.accounts.count() == expected, linked_item
