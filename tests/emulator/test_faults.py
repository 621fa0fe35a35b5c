"""Fault injection: each kind, times/rate, filters, the HTTP controls, and sync restarts."""

from __future__ import annotations

import json
import threading
import time

import pytest
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest

from django_plaid.emulator import Emulator
from django_plaid.emulator.faults import RATE_LIMIT_CODES

from . import plaid_failure, post

#: The ``api`` fixture (conftest.py) switches the emulator's webhooks off here.
API_SENDS_WEBHOOKS = False


@pytest.fixture
def item(plaid_emulator):
    return plaid_emulator.state.create_item()


def test_http_500(plaid_emulator, api, item):
    plaid_emulator.faults.add("http_500")
    status, error = plaid_failure(
        lambda: api.item_get(ItemGetRequest(access_token=item.access_token))
    )
    assert (status, error.error_type.value, error.error_code) == (
        500,
        "API_ERROR",
        "INTERNAL_SERVER_ERROR",
    )
    # times defaults to 1: the next call goes through.
    api.item_get(ItemGetRequest(access_token=item.access_token))


@pytest.mark.parametrize(
    ("call", "code"),
    [
        ("sync", "TRANSACTIONS_SYNC_LIMIT"),
        ("balance", "BALANCE_LIMIT"),
        ("accounts", "ACCOUNTS_LIMIT"),
        ("remove", "RATE_LIMIT"),
    ],
)
def test_rate_limit_codes_follow_the_endpoint(plaid_emulator, api, item, call, code):
    calls = {
        "sync": lambda: api.transactions_sync(
            TransactionsSyncRequest(access_token=item.access_token)
        ),
        "balance": lambda: api.accounts_balance_get(
            AccountsBalanceGetRequest(access_token=item.access_token)
        ),
        "accounts": lambda: api.accounts_get(AccountsGetRequest(access_token=item.access_token)),
        "remove": lambda: api.item_remove(ItemRemoveRequest(access_token=item.access_token)),
    }
    plaid_emulator.faults.add("rate_limit")
    status, error = plaid_failure(calls[call])
    assert (status, error.error_type.value, error.error_code) == (429, "RATE_LIMIT_EXCEEDED", code)
    assert error.error_message.startswith("rate limit exceeded")
    assert RATE_LIMIT_CODES.get("/item/remove") is None


@pytest.mark.parametrize(
    ("code", "error_type", "http"),
    [
        ("PRODUCT_NOT_READY", "ITEM_ERROR", 400),
        ("ITEM_LOGIN_REQUIRED", "ITEM_ERROR", 400),
        ("INSTITUTION_DOWN", "INSTITUTION_ERROR", 400),
        ("PLANNED_MAINTENANCE", "API_ERROR", 503),
    ],
)
def test_error_kind(plaid_emulator, api, item, code, error_type, http):
    plaid_emulator.faults.add("error", error_code=code, error_message="injected")
    status, error = plaid_failure(
        lambda: api.accounts_get(AccountsGetRequest(access_token=item.access_token))
    )
    assert (status, error.error_type.value, error.error_code) == (http, error_type, code)
    assert error.error_message == "injected"


def test_times_and_filters(plaid_emulator, item):
    other = plaid_emulator.state.create_item()
    faults = plaid_emulator.faults
    fault = faults.add("http_500", path="/accounts/get", item_id=item.item_id, times=2)
    assert fault.to_dict()["active"] is True

    def accounts(token):
        return post(plaid_emulator, "/accounts/get", {"access_token": token})[0]

    assert accounts(other.access_token) == 200  # other Item
    assert post(plaid_emulator, "/item/get", {"access_token": item.access_token})[0] == 200
    assert [accounts(item.access_token) for _ in range(3)] == [500, 500, 200]
    assert (fault.fired, fault.times, fault.active) == (2, 0, False)
    assert len(faults) == 0
    assert faults.list() == [fault]
    assert faults.clear() == 1
    assert faults.list() == []


def test_rate_is_seeded_and_reproducible(plaid_emulator, item):
    def run():
        plaid_emulator.faults.add("http_500", path="/item/get", rate=0.5)
        return [
            post(plaid_emulator, "/item/get", {"access_token": item.access_token})[0]
            for _ in range(30)
        ]

    first = run()
    assert {200, 500} == set(first)
    assert 5 < first.count(500) < 25
    plaid_emulator.faults.reset()
    assert run() == first
    plaid_emulator.faults.clear()
    plaid_emulator.faults.seed(7)
    assert run() != first
    # rate plus times: at most that many.
    plaid_emulator.faults.clear()
    plaid_emulator.faults.add("http_500", path="/item/get", rate=1.0, times=3)
    statuses = [
        post(plaid_emulator, "/item/get", {"access_token": item.access_token})[0] for _ in range(5)
    ]
    assert statuses == [500, 500, 500, 200, 200]


def test_slow_does_not_hold_other_requests(plaid_emulator, api, item):
    plaid_emulator.faults.add("slow", path="/accounts/get", seconds=0.6)
    finished = {}

    def slow_call():
        api.accounts_get(AccountsGetRequest(access_token=item.access_token))
        finished["slow"] = time.monotonic()

    started = time.monotonic()
    thread = threading.Thread(target=slow_call)
    thread.start()
    time.sleep(0.1)
    api.item_get(ItemGetRequest(access_token=item.access_token))  # served meanwhile
    fast_done = time.monotonic()
    thread.join(5)
    assert fast_done - started < 0.5
    assert finished["slow"] - started >= 0.6


def test_slow_then_error(plaid_emulator, api, item):
    plaid_emulator.faults.add("slow", seconds=0.2)
    plaid_emulator.faults.add("error", error_code="INSTITUTION_DOWN")
    started = time.monotonic()
    _status, error = plaid_failure(
        lambda: api.item_get(ItemGetRequest(access_token=item.access_token))
    )
    assert time.monotonic() - started >= 0.2
    assert error.error_code == "INSTITUTION_DOWN"


def test_faults_skip_emulator_controls_and_go_on_reset(plaid_emulator, item):
    plaid_emulator.faults.add("http_500", times=None, rate=1.0)
    assert post(plaid_emulator, "/emulator/faults/list", {}, credentials=False)[0] == 200
    assert post(plaid_emulator, "/item/get", {"access_token": item.access_token})[0] == 500
    plaid_emulator.reset()
    assert plaid_emulator.faults.list() == []
    item = plaid_emulator.state.create_item()
    assert post(plaid_emulator, "/item/get", {"access_token": item.access_token})[0] == 200


def test_http_controls(plaid_emulator, item):
    def control(path, body):
        return post(plaid_emulator, "/emulator/faults" + path, body, credentials=False)

    status, _, body = control(
        "", {"kind": "rate_limit", "access_token": item.access_token, "times": 2}
    )
    assert status == 200
    fault = body["fault"]
    assert fault["item_id"] == item.item_id
    assert (fault["kind"], fault["times"], fault["fired"], fault["active"]) == (
        "rate_limit",
        2,
        0,
        True,
    )
    assert post(plaid_emulator, "/item/get", {"access_token": item.access_token})[0] == 429
    _, _, listed = control("/list", {})
    assert listed["faults"][0]["fired"] == 1
    _, _, cleared = control("/clear", {"id": fault["id"]})
    assert cleared["cleared"] == 1
    assert post(plaid_emulator, "/item/get", {"access_token": item.access_token})[0] == 200
    for bad in (
        {},
        {"kind": "explode"},
        {"kind": "error"},
        {"kind": "error", "error_code": "NOT_A_CODE"},
        {"kind": "http_500", "times": 0},
        {"kind": "http_500", "rate": 1.5},
        {"kind": "slow", "seconds": -1},
        {"kind": "http_500", "path": "no-slash"},
        {"kind": "mutation_during_pagination", "path": "/accounts/get"},
        {"kind": "mutation_during_pagination", "at_page": 0},
    ):
        status, _, body = control("", bad)
        assert status == 400, bad
        assert body["error_code"] in ("INVALID_FIELD", "MISSING_FIELDS"), body
    status, _, body = control("", {"kind": "http_500", "item_id": "missing"})
    assert body["error_code"] == "ITEM_NOT_FOUND"
    with pytest.raises(ValueError, match="unknown fault kind"):
        plaid_emulator.faults.add("explode")


# -- mutation during pagination ----------------------------------------------------------------


def page(api, access_token, cursor, count):
    """One sync page over the SDK's raw path; return the parsed body."""
    response = api.transactions_sync(
        TransactionsSyncRequest(access_token=access_token, cursor=cursor, count=count),
        _preload_content=False,
    )
    return json.loads(response.data)


def test_mutation_during_pagination_forces_a_restart(plaid_emulator, api, item):
    token = item.access_token
    fault = plaid_emulator.faults.add("mutation_during_pagination", item_id=item.item_id, at_page=3)
    first = page(api, token, "", 100)
    second = page(api, token, first["next_cursor"], 100)
    before = len(plaid_emulator.transactions_truth(item.item_id))
    status, error = plaid_failure(lambda: page(api, token, second["next_cursor"], 100))
    assert (status, error.error_type.value, error.error_code) == (
        400,
        "TRANSACTIONS_ERROR",
        "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
    )
    assert fault.fired == 1
    # A real change happened, and the stale cursors keep failing (Plaid: retrying only
    # the failed page fails again).
    assert len(plaid_emulator.transactions_truth(item.item_id)) == before + 1
    for stale in (first["next_cursor"], second["next_cursor"]):
        assert plaid_failure(lambda s=stale: page(api, token, s, 100))[1].error_code == (
            "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
        )
    # Restarting from the loop's first cursor ("") sees everything, the new one included.
    store, cursor = {}, ""
    while True:
        body = page(api, token, cursor, 100)
        store.update({t["transaction_id"]: t for t in body["added"]})
        cursor = body["next_cursor"]
        if not body["has_more"]:
            break
    assert store == plaid_emulator.transactions_truth(item.item_id)


def test_mutation_fault_needs_a_mid_pagination_cursor(plaid_emulator, api, item):
    token = item.access_token
    # Caught up first: the final cursor of a finished loop is not mid-pagination.
    body = page(api, token, "", 500)
    assert body["has_more"] is False
    fault = plaid_emulator.faults.add("mutation_during_pagination", at_page=1)
    for _ in range(3):
        body = page(api, token, body["next_cursor"], 500)
    assert fault.fired == 0
    # A fresh loop with small pages: the first mid-pagination request fires.
    first = page(api, token, "", 10)
    assert plaid_failure(lambda: page(api, token, first["next_cursor"], 10))[0] == 400
    assert fault.fired == 1
    assert not fault.active


def test_mutation_fault_counts_per_item(plaid_emulator, api):
    one, two = plaid_emulator.state.create_item(), plaid_emulator.state.create_item()
    fault = plaid_emulator.faults.add("mutation_during_pagination", at_page=2, times=2)
    a = page(api, one.access_token, "", 10)
    b = page(api, two.access_token, "", 10)
    for token, previous in ((one.access_token, a), (two.access_token, b)):
        _status, error = plaid_failure(
            lambda t=token, p=previous: page(api, t, p["next_cursor"], 10)
        )
        assert error.error_code == "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION"
    assert fault.fired == 2
    assert fault.seen == {one.item_id: 2, two.item_id: 2}


def test_faults_in_a_private_emulator():
    with Emulator(send_webhooks=False) as emulator:
        item = emulator.state.create_item()
        emulator.faults.add("http_500", path="/item/get")
        assert post(emulator, "/item/get", {"access_token": item.access_token})[0] == 500
        assert post(emulator, "/item/get", {"access_token": item.access_token})[0] == 200
