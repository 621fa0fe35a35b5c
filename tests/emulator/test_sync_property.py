"""Property: syncing with random page sizes while data changes always lands on the truth.

For each seed: page through ``/transactions/sync`` from "" (SDK raw path, as the Django app
does) with random ``count``; between pages, random changes happen (adds, pending adds,
modifications, removals, pending→posted, refreshes, sandbox-created transactions) and
``mutation_during_pagination`` faults fire at random pages. A failed loop restarts from
its first cursor with nothing kept, Plaid's documented recipe. Applying the pages of the
successful loop in order must give ``transactions_truth`` exactly; a second sync from the
saved cursor must return only the changes made after it.
"""

from __future__ import annotations

import json
import random
from datetime import timedelta

import plaid
import pytest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from . import make_api, post

SEEDS = range(16)
#: Restarts and fired mutation faults per seed (read by the summary test below).
FIRED: dict[int, tuple[int, int]] = {}


class Client:
    """A minimal sync client following Plaid's loop recipe, over the SDK's raw path."""

    def __init__(self, emulator, access_token, rng):
        self.emulator = emulator
        self.api = make_api(emulator)
        self.access_token = access_token
        self.rng = rng
        self.store: dict[str, dict] = {}
        self.cursor = ""
        self.restarts = 0

    def page(self, cursor, count):
        response = self.api.transactions_sync(
            TransactionsSyncRequest(access_token=self.access_token, cursor=cursor, count=count),
            _preload_content=False,
        )
        return json.loads(response.data)

    def loop(self, between_pages=None):
        """One sync run: returns the pages of the attempt that finished."""
        for _attempt in range(60):
            pages, cursor = [], self.cursor
            try:
                while True:
                    if between_pages is not None:
                        between_pages()
                    # Mostly small pages (many page boundaries), now and then a big one.
                    count = self.rng.choice((1, 3, 5, 8, 13, 21, 34, self.rng.randint(1, 500)))
                    body = self.page(cursor, count)
                    pages.append(body)
                    cursor = body["next_cursor"]
                    if not body["has_more"]:
                        break
            except plaid.ApiException as exc:
                error = json.loads(exc.body)
                assert error["error_code"] == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", error
                self.restarts += 1
                continue
            # Commit the whole run at once (and only then move the cursor).
            for page in pages:
                for transaction in page["added"] + page["modified"]:
                    self.store[transaction["transaction_id"]] = transaction
                for removed in page["removed"]:
                    self.store.pop(removed["transaction_id"], None)
            self.cursor = cursor
            return pages
        raise AssertionError("sync never finished")


def random_change(emulator, item, rng, today):
    """One random change to the Item's transactions."""
    state = emulator.state
    choices = ["add", "pending", "modify", "rename", "remove", "post"]
    if item.dynamic:
        choices += ["refresh", "refresh_http", "create"]
    action = rng.choice(choices)
    if action == "add":
        state.add_transactions(item, rng.randint(1, 6))
    elif action == "pending":
        state.add_transactions(item, rng.randint(1, 3), pending=True)
    elif action == "modify":
        state.modify_transaction(item, amount=round(rng.uniform(1, 300), 2))
    elif action == "rename":
        state.modify_transaction(item, name=f"RENAMED {rng.randint(1, 999)}")
    elif action == "remove":
        state.remove_transaction(item)
    elif action == "post":
        state.post_pending(item)
    elif action == "refresh":
        state.refresh_transactions(item)
    elif action == "refresh_http":
        assert (
            post(emulator, "/transactions/refresh", {"access_token": item.access_token})[0] == 200
        )
    else:
        day = (today - timedelta(days=rng.randint(0, 5))).isoformat()
        body = {
            "access_token": item.access_token,
            "transactions": [
                {
                    "date_transacted": day,
                    "date_posted": day,
                    "amount": round(rng.uniform(-500, 500), 2),
                    "description": rng.choice(("Starbucks", "KFC", "Refund", "Paycheck")),
                }
                for _ in range(rng.randint(1, 10))
            ],
        }
        assert post(emulator, "/sandbox/transactions/create", body)[0] == 200


@pytest.mark.parametrize("seed", SEEDS)
def test_sync_converges_under_random_changes(plaid_emulator, seed):
    rng = random.Random(seed)
    plaid_emulator.send_webhooks = False
    state = plaid_emulator.state
    # A third of the runs also refuse every stale mid-pagination cursor, as Plaid does.
    state.detect_pagination_mutations = seed % 3 == 2
    username = "user_transactions_dynamic" if seed % 2 else "user_good"
    item = state.create_item(username=username, days_requested=rng.randint(15, 150))
    today = state.now().date()
    client = Client(plaid_emulator, item.access_token, rng)

    def between_pages():
        # Fewer changes as restarts pile up, so a strict run still finishes.
        if rng.random() < 0.35 / (1 + client.restarts):
            random_change(plaid_emulator, item, rng, today)
        if rng.random() < 0.12 / (1 + client.restarts):
            plaid_emulator.faults.add(
                "mutation_during_pagination", item_id=item.item_id, at_page=rng.randint(1, 4)
            )

    for round_ in range(4):
        if round_:
            # A burst of changes while the client is away, then a run with more.
            for _ in range(rng.randint(0, 25)):
                random_change(plaid_emulator, item, rng, today)
        client.loop(between_pages)
    # Anything that changed after the last page arrives with the next run.
    client.loop()
    assert client.store == state.transactions_truth(item)
    FIRED[seed] = (client.restarts, sum(f.fired for f in plaid_emulator.faults.list()))
    plaid_emulator.faults.clear()

    # Known changes after the saved cursor: the next run returns exactly those.
    before = dict(client.store)
    new = set(state.add_transactions(item, rng.randint(1, 5)))
    old_ids = sorted(before)
    modified = state.modify_transaction(item, rng.choice(old_ids))
    removed = state.remove_transaction(item, rng.choice([i for i in old_ids if i != modified]))
    posted = state.post_pending(item)
    pages = client.loop()
    added_ids = {t["transaction_id"] for p in pages for t in p["added"]}
    modified_ids = {t["transaction_id"] for p in pages for t in p["modified"]}
    removed_ids = {r["transaction_id"] for p in pages for r in p["removed"]}
    assert added_ids == new | set(posted.values())
    # A modified pending transaction that was then posted may show up modified (on an
    # earlier page) before it is removed.
    assert {modified} - set(posted) <= modified_ids <= {modified}
    assert removed_ids == {removed} | set(posted)
    assert client.store == state.transactions_truth(item)


def test_the_property_runs_exercise_restarts(plaid_emulator):
    """The random runs above hit restarts and faults; and one strict run, deterministically."""
    if len(FIRED) == len(SEEDS):  # only when the whole module ran
        assert sum(restarts for restarts, _ in FIRED.values()) >= len(SEEDS) // 2
        assert sum(fired for _, fired in FIRED.values()) >= len(SEEDS) // 4
    plaid_emulator.send_webhooks = False
    state = plaid_emulator.state
    state.detect_pagination_mutations = True
    item = state.create_item()
    client = Client(plaid_emulator, item.access_token, random.Random(1))
    calls = 0

    def between_pages():
        nonlocal calls
        calls += 1
        if calls == 2:  # right after the first page of the first attempt
            state.add_transactions(item, 1)

    client.page = _small_pages(client.page)
    client.loop(between_pages)
    assert client.restarts == 1
    assert client.store == state.transactions_truth(item)


def _small_pages(page):
    def small(cursor, count):
        return page(cursor, 25)

    return small
