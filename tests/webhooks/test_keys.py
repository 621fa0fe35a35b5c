"""Plaid's verification keys: how long a rotated-out key can verify, and what a flood of
made-up key ids costs (calls to the emulator's ``/webhook_verification_key/get``)."""

import hashlib
import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import jwt
import pytest
from django.test import Client

from django_plaid.models import WebhookEvent
from django_plaid.testing.webhooks import WebhookSigningKey, sign_webhook
from tests.helpers import URL, item_webhook, pretty

pytestmark = pytest.mark.django_db

KEY_PATH = "/webhook_verification_key/get"


@pytest.fixture
def key_fetches(emulator):
    """The emulator's ``/webhook_verification_key/get`` calls during the test, as key ids."""
    calls = []

    def record(call):
        if call.path == KEY_PATH:
            calls.append(call.body.get("key_id"))

    emulator.app.hooks.append(record)
    yield calls
    emulator.app.hooks.remove(record)


@pytest.fixture
def ping(item):
    """A harmless delivery: no handler calls Plaid for it."""
    return item_webhook(item, "WEBHOOK_UPDATE_ACKNOWLEDGED", new_webhook_url="https://a.example/")


def forged(payload):
    """A body signed by a key Plaid never issued, under a made-up kid."""
    body = pretty(payload)
    return body, sign_webhook(body, WebhookSigningKey.generate())


def reason(response):
    return response.json().get("reason")


@pytest.fixture
def fresh_budget_window():
    """Start well inside a clock minute: the lookup budget is counted per clock minute,
    so a flood that straddled two minutes could rightly spend two budgets."""
    from django_plaid.webhooks.verification import FETCH_WINDOW_SECONDS

    into = time.time() % FETCH_WINDOW_SECONDS
    if into > FETCH_WINDOW_SECONDS - 15:
        time.sleep(FETCH_WINDOW_SECONDS - into + 0.1)


# -- Point 6: a rotated-out key stops verifying within WEBHOOK_KEY_RECHECK_SECONDS -----------


def test_a_rotated_out_key_is_refused_once_its_cache_entry_is_rechecked(
    deliver, ping, emulator, settings, key_fetches
):
    """No delivery under the new key arrives here: the recheck alone ends the old key."""
    settings.PLAID = {**settings.PLAID, "WEBHOOK_KEY_RECHECK_SECONDS": 1}
    old_kid = emulator.webhook_kid
    assert deliver(ping).status_code == 200  # cached as current
    emulator.rotate_webhook_key()
    time.sleep(1.1)
    response = deliver(ping, kid=old_kid)
    assert response.status_code == 400
    assert reason(response) == "expired_key"
    assert key_fetches == [old_kid, old_kid]
    # Refused from now on without asking again: rotated out is final.
    assert reason(deliver(ping, kid=old_kid)) == "expired_key"
    assert len(key_fetches) == 2


def test_a_current_key_is_rechecked_at_most_once_per_interval(
    deliver, ping, emulator, settings, key_fetches
):
    settings.PLAID = {**settings.PLAID, "WEBHOOK_KEY_RECHECK_SECONDS": 3}
    for _ in range(3):
        assert deliver(ping).status_code == 200
    assert len(key_fetches) == 1
    time.sleep(3.1)
    for _ in range(3):
        assert deliver(ping).status_code == 200
    assert len(key_fetches) == 2


def test_a_recheck_that_cannot_reach_plaid_refuses(deliver, ping, settings):
    """Past the recheck interval a key is not trusted blind; Plaid retries the delivery."""
    settings.PLAID = {**settings.PLAID, "WEBHOOK_KEY_RECHECK_SECONDS": 1}
    assert deliver(ping).status_code == 200
    time.sleep(1.1)
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    assert reason(deliver(ping)) == "key_unavailable"


def test_every_process_refuses_a_rotated_out_key_within_the_interval(emulator, item, ping):
    """Two worker processes, each with its own LocMemCache (Django's default cache).

    Process A sees a delivery under the new key, which refreshes the old key at once;
    process B never does. B refuses the old key within WEBHOOK_KEY_RECHECK_SECONDS too
    (it accepted it for up to an hour before), the same bound in every process.
    """
    recheck = 2
    plaid = {
        "CLIENT_ID": emulator.client_id,
        "SECRET": emulator.secret,
        "HOST": emulator.url,
        "WEBHOOK_KEY_RECHECK_SECONDS": recheck,
    }
    env = {**os.environ, "DJ_PLAID_TEST_PLAID": json.dumps(plaid)}
    env.pop("DATABASE_URL", None)  # verification needs no database
    root = Path(__file__).resolve().parents[2]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.webhooks.verifier_process"],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    try:
        for worker in workers:
            assert json.loads(worker.stdout.readline()) == {"ready": True}

        def verify(worker, kid=None):
            body = pretty(ping)
            token = emulator.sign_webhook(body, kid=kid)
            worker.stdin.write(json.dumps({"body": body.decode(), "token": token}) + "\n")
            worker.stdin.flush()
            return json.loads(worker.stdout.readline())

        a, b = workers
        old_kid = emulator.webhook_kid
        assert verify(a) == verify(b) == {"ok": True}  # both cache the key as current
        emulator.rotate_webhook_key()
        rotated_at = time.monotonic()
        assert verify(a) == {"ok": True}  # a new kid: A refreshes the old key at once
        assert verify(a, old_kid) == {"reason": "expired_key"}
        time.sleep(max(0.0, rotated_at + recheck + 0.2 - time.monotonic()))
        assert verify(b, old_kid) == {"reason": "expired_key"}
    finally:
        for worker in workers:
            worker.stdin.close()
            worker.wait(10)


# -- Point 7: made-up kids reach Plaid at most WEBHOOK_KEY_FETCHES_PER_MINUTE times ----------


def test_a_flood_of_made_up_kids_is_capped(
    csrf_client, ping, key_fetches, settings, fresh_budget_window
):
    limit = settings.PLAID.get("WEBHOOK_KEY_FETCHES_PER_MINUTE", 5)
    reasons = []
    for _ in range(40):
        body, token = forged(ping)
        response = csrf_client.post(
            URL, body, content_type="application/json", HTTP_PLAID_VERIFICATION=token
        )
        assert response.status_code == 400
        reasons.append(reason(response))
    assert len(key_fetches) <= limit
    assert set(reasons) == {"unknown_kid", "key_fetch_limited"}
    assert WebhookEvent.objects.count() == 0


def test_a_concurrent_flood_of_made_up_kids_is_capped(
    ping, key_fetches, emulator, settings, fresh_budget_window
):
    """Forty threads at once, each with its own kid, against a slow key endpoint."""
    settings.PLAID = {**settings.PLAID, "WEBHOOK_KEY_FETCHES_PER_MINUTE": 3}
    emulator.faults.add("slow", path=KEY_PATH, seconds=0.3, times=1000)
    answers, errors = [], []
    start = threading.Barrier(40)

    def post():
        body, token = forged(ping)
        try:
            start.wait(10)
            response = Client().post(
                URL, body, content_type="application/json", HTTP_PLAID_VERIFICATION=token
            )
            answers.append((response.status_code, reason(response)))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    began = time.monotonic()
    threads = [threading.Thread(target=post) for _ in range(40)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    elapsed = time.monotonic() - began
    assert errors == []
    assert len(answers) == 40
    assert {status for status, _ in answers} == {400}
    assert len(key_fetches) <= 3
    # Each made-up kid used to cost a slow call: 40 x 0.3 s of Plaid, now 3 at most.
    assert elapsed < 40 * 0.3


def test_a_flood_does_not_stop_known_keys(
    deliver, ping, key_fetches, emulator, settings, fresh_budget_window
):
    """The budget is for kids Plaid has not confirmed; the real key is re-checked freely."""
    settings.PLAID = {**settings.PLAID, "WEBHOOK_KEY_RECHECK_SECONDS": 1}
    assert deliver(ping).status_code == 200
    for _ in range(20):
        body, token = forged(ping)
        deliver(body, token=token)
    body, token = forged(ping)
    assert reason(deliver(body, token=token)) == "key_fetch_limited"
    time.sleep(1.1)  # the real key's entry is due for its recheck
    assert deliver(ping).status_code == 200
    assert key_fetches.count(emulator.webhook_kid) == 2


def test_one_made_up_kid_repeated_costs_one_call(deliver, ping, key_fetches):
    body = pretty(ping)
    stranger = WebhookSigningKey.generate()
    for _ in range(10):
        assert reason(deliver(body, token=sign_webhook(body, stranger))) == "unknown_kid"
    assert key_fetches == [stranger.kid]


# -- iat that is not a number of seconds ----------------------------------------------------


@pytest.mark.parametrize(
    "iat",
    [str(int(time.time())), float("nan"), float("inf"), True, [1], {"s": 1}],
    ids=["numeric-string", "nan", "infinity", "bool", "list", "object"],
)
def test_an_iat_that_is_not_seconds_is_refused(deliver, ping, emulator, iat):
    """PyJWT lets a numeric string through, and NaN compares false with any age."""
    body = pretty(ping)
    claims = {"iat": iat, "request_body_sha256": hashlib.sha256(body).hexdigest()}
    private = emulator.state.webhook_keys.get().private_key
    token = jwt.encode(claims, private, algorithm="ES256", headers={"kid": emulator.webhook_kid})
    response = deliver(body, token=token)
    assert response.status_code == 400
    assert reason(response) == "bad_iat"
    assert WebhookEvent.objects.count() == 0


def test_an_evicted_known_key_is_fetched_outside_the_budget(
    deliver, ping, key_fetches, emulator, fresh_budget_window
):
    from django.core.cache import cache

    from django_plaid.webhooks.verification import _cache_key

    assert deliver(ping).status_code == 200
    for _ in range(10):
        body, token = forged(ping)
        deliver(body, token=token)  # the budget is spent
    cache.delete(_cache_key(emulator.webhook_kid))  # the cache evicted the key's entry
    assert deliver(ping).status_code == 200
    assert key_fetches.count(emulator.webhook_kid) == 2
