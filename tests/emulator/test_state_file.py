"""The emulator's state file: a restart keeps everything; a bad file stops it, loudly."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import jwt
import pytest
from plaid.model.country_code import CountryCode
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.transactions_sync_request import TransactionsSyncRequest
from plaid.model.transactions_sync_request_options import TransactionsSyncRequestOptions
from plaid.model.webhook_verification_key_get_request import WebhookVerificationKeyGetRequest

from django_plaid.emulator import Emulator, EmulatorState, StateFileError, link_sessions
from django_plaid.emulator.snapshot import FORMAT, VERSION, Snapshotter, restore

from . import make_api, post

ROOT = Path(__file__).resolve().parents[2]


def _sync(api, access_token, cursor="", count=100):
    """Sync from ``cursor`` to the end; return (added/modified by id, removed ids, cursor)."""
    changed: dict[str, dict] = {}
    removed: set[str] = set()
    while True:
        options = TransactionsSyncRequestOptions(include_original_description=False)
        # The raw body, so the result compares with transactions_truth() (JSON values).
        request = TransactionsSyncRequest(
            access_token=access_token, cursor=cursor, count=count, options=options
        )
        response = json.loads(api.transactions_sync(request, _preload_content=False).data)
        for txn in response["added"] + response["modified"]:
            changed[txn["transaction_id"]] = txn
        for txn in response["removed"]:
            removed.add(txn["transaction_id"])
            changed.pop(txn["transaction_id"], None)
        cursor = response["next_cursor"]
        if not response["has_more"]:
            return changed, removed, cursor


def _link_token(api, **extra):
    return api.link_token_create(
        LinkTokenCreateRequest(
            client_name="state test",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="user-1"),
            **extra,
        )
    ).link_token


def test_a_restart_keeps_items_tokens_transactions_and_keys(tmp_path):
    path = tmp_path / "state.json"
    first = Emulator(state_file=path, send_webhooks=False).start()
    try:
        api = make_api(first)
        public = api.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id="ins_109508", initial_products=[Products("transactions")]
            )
        ).public_token
        access_token = api.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=public)
        ).access_token
        item_id = first.state.item_for_access_token(access_token).item_id
        # The host synced part of the history, then the bank changed things.
        held: dict[str, dict] = {}
        changed, removed, cursor = _sync(api, access_token)
        held.update(changed)
        first.add_transactions(access_token, 3)
        first.modify_transaction(access_token)
        first.remove_transaction(access_token)
        first.post_pending(access_token)
        changed, removed, cursor = _sync(api, access_token, cursor)
        held.update(changed)
        for gone in removed:
            held.pop(gone, None)
        assert held == first.transactions_truth(access_token)
        # More changes the host has not synced yet when the emulator stops.
        added_later = first.add_transactions(access_token, 2)
        modified_later = first.modify_transaction(access_token, amount=12.34)
        removed_later = first.remove_transaction(access_token)
        truth = first.transactions_truth(access_token)
        old_kid = first.webhook_key_id
        first.rotate_webhook_key()
        new_kid = first.webhook_key_id
        unused_link_token = _link_token(api, products=[Products("transactions")])
        unused_public = api.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id="ins_109508", initial_products=[Products("transactions")]
            )
        ).public_token
        signed_before = first.sign_webhook(b"{}")
    finally:
        first.stop()

    data = json.loads(path.read_text())
    assert (data["format"], data["version"]) == (FORMAT, VERSION)
    assert oct(path.stat().st_mode & 0o777) == "0o600"

    second = Emulator(state_file=path, send_webhooks=False).start()
    try:
        api = make_api(second)
        # The access token still works, and sync continues exactly from the old cursor.
        changed, removed, cursor = _sync(api, access_token, cursor)
        held.update(changed)
        for gone in removed:
            held.pop(gone, None)
        assert set(added_later) <= set(changed)
        assert changed[modified_later]["amount"] == 12.34
        assert removed_later in removed
        assert held == truth == second.transactions_truth(access_token)
        # Nothing more to sync, and later changes still flow.
        more = second.add_transactions(access_token, 1)
        changed, removed, cursor = _sync(api, access_token, cursor)
        assert set(changed) == set(more)
        assert not removed
        # Update mode for the old Item.
        update_token = _link_token(api, access_token=access_token)
        assert second.state.find_link_token(update_token).item_id == item_id
        # Tokens made before the restart are still good.
        assert second.state.get_link_token(unused_link_token).products == ["transactions"]
        exchanged = api.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=unused_public)
        )
        assert exchanged.item_id != item_id
        # The signing keys: the current kid signs, the old kid still resolves (expired).
        assert second.webhook_key_id == new_kid
        for kid, expired in ((old_kid, True), (new_kid, False)):
            key = api.webhook_verification_key_get(
                WebhookVerificationKeyGetRequest(key_id=kid)
            ).key.to_dict()
            assert key["kid"] == kid
            assert (key["expired_at"] is not None) is expired
        public_key = jwt.PyJWK(second.webhook_jwk(new_kid)).key
        assert jwt.decode(signed_before, public_key, algorithms=["ES256"])["iat"]
    finally:
        second.stop()


def test_a_large_ledger_is_stored_as_its_seed_plus_changes(tmp_path):
    path = tmp_path / "state.json"
    with Emulator(state_file=path, send_webhooks=False) as first:
        item = first.state.create_item()
        first.generate_transactions(item, 20_000)
        first.modify_transaction(item, amount=1.5)
        first.add_transactions(item, 2)
        truth = first.transactions_truth(item)
        log = [(kind, txn.transaction_id) for kind, txn in item.ledger.entries()]
    # The 20,000 generated rows are not in the file, only what changed after them.
    assert path.stat().st_size < 60_000
    with Emulator(state_file=path) as second:
        again = second.state.get_item(item.item_id)
        assert second.transactions_truth(item.item_id) == truth
        assert [(kind, txn.transaction_id) for kind, txn in again.ledger.entries()] == log
        # The change RNG continued: the next random change is the one the first would make.
        assert again.ledger.rng.getstate() == item.ledger.rng.getstate()


def test_links_users_sessions_faults_and_clock_survive(tmp_path):
    path = tmp_path / "state.json"
    with Emulator(state_file=path, send_webhooks=False) as first:
        state = first.state
        user = first.create_user("payroll-user")
        payroll = state.create_payroll_item(user, income_ready=False)
        investing = state.create_item(products=("investments", "liabilities"))
        state.investments(investing).add_dividend(state.now().date())
        state.set_item_error(investing.item_id, "ITEM_LOGIN_REQUIRED")
        first.faults.add("http_500", path="/accounts/get", times=2)
        first.state.advance_time(timedelta(minutes=5))
        holdings = state.investments(investing).holdings(state.now().date())
        history = [t.to_dict() for t in state.investments(investing).transactions]
        offset = state._offset
    with Emulator(state_file=path, send_webhooks=False) as second:
        state = second.state
        assert state.get_user(user_token=user.user_token).item_ids == [payroll.item_id]
        assert not state.product_ready(payroll.item_id, "income_verification")
        again = state.get_item(investing.item_id)
        assert again.error_code == "ITEM_LOGIN_REQUIRED"
        assert again.institution is investing.institution
        assert state.investments(again).holdings(state.now().date()) == holdings
        assert [t.to_dict() for t in state.investments(again).transactions] == history
        (fault,) = second.faults.list()
        assert (fault.kind, fault.times) == ("http_500", 2)
        assert state._offset == offset


def test_reset_empties_the_file_at_once(tmp_path):
    path = tmp_path / "state.json"
    with Emulator(state_file=path) as emulator:
        emulator.state.create_item()
        emulator.state_file.flush()
        assert json.loads(path.read_text())["items"]
        status, _, _ = post(emulator, "/emulator/reset", {})
        assert status == 200
        # Written by the reset itself, not by the next tick of the writer.
        assert json.loads(path.read_text())["items"] == []
    with Emulator(state_file=path) as again:
        assert again.state.items == {}


def test_an_emulator_that_does_not_start_leaves_the_file_alone(tmp_path):
    path = tmp_path / "state.json"
    with Emulator(state_file=path) as first:
        first.state.create_item()
    before = path.read_bytes()
    with Emulator() as holder, pytest.raises(OSError, match="already in use"):
        Emulator(port=holder.port, state_file=path).start()
    assert path.read_bytes() == before


def test_a_missing_file_is_a_fresh_start_and_is_created(tmp_path):
    path = tmp_path / "new.json"
    emulator = Emulator(state_file=path)
    assert path.exists()
    assert emulator.state_file.loaded is False
    assert json.loads(path.read_text())["items"] == []


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b'{"format": "dj-plaid-emulator-state", "version": 1, "ite', "is damaged"),
        (b"\xff\xfe not text", "is damaged"),
        (b"[]", "is not a dj-plaid emulator state file"),
        (b'{"format": "something-else"}', "is not a dj-plaid emulator state file"),
        (json.dumps({"format": FORMAT, "version": 99}).encode(), "has version 99"),
        (json.dumps({"format": FORMAT, "version": VERSION}).encode(), "cannot be restored"),
    ],
)
def test_an_unusable_file_raises_and_is_left_alone(tmp_path, content, problem):
    path = tmp_path / "state.json"
    path.write_bytes(content)
    with pytest.raises(StateFileError, match=problem) as caught:
        Emulator(state_file=path)
    message = str(caught.value)
    assert str(path) in message
    assert "move the file aside (or delete it)" in message
    assert path.read_bytes() == content  # never silently replaced


def test_a_file_from_another_generator_is_incompatible(tmp_path):
    path = tmp_path / "state.json"
    with Emulator(state_file=path) as emulator:
        emulator.state.create_item()
    data = json.loads(path.read_text())
    for ledger in data["ledgers"].values():
        ledger["origin"]["digest"] = "0" * 64
    path.write_text(json.dumps(data))
    with pytest.raises(StateFileError, match="generated by another version"):
        Emulator(state_file=path)


def test_paths_that_cannot_be_read_or_written(tmp_path):
    not_a_directory = tmp_path / "plain-file"
    not_a_directory.write_text("")
    with pytest.raises(StateFileError, match="cannot be read"):
        Emulator(state_file=not_a_directory / "state.json")
    with pytest.raises(StateFileError, match="cannot be created"):
        Emulator(state_file=tmp_path / "no-such-directory" / "state.json")
    with pytest.raises(StateFileError, match="is a directory"):
        Emulator(state_file=tmp_path)


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="needs POSIX permissions")
def test_permission_errors(tmp_path):
    path = tmp_path / "state.json"
    with Emulator(state_file=path):
        pass
    path.chmod(0)
    try:
        with pytest.raises(StateFileError, match="cannot be read"):
            Emulator(state_file=path)
        path.chmod(0o400)
        with pytest.raises(StateFileError, match="cannot be written"):
            Emulator(state_file=path)
    finally:
        path.chmod(0o600)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        with pytest.raises(StateFileError, match="cannot be created"):
            Emulator(state_file=locked / "state.json")
    finally:
        locked.chmod(0o700)


def test_the_command_line_refuses_a_damaged_file(tmp_path):
    path = tmp_path / "state.json"
    path.write_text('{"format": "dj-plaid-emulator-state", "vers')
    result = subprocess.run(
        [sys.executable, "-m", "django_plaid.emulator", "--port", "0", "--state-file", str(path)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=30,
        check=False,
    )
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"error: Plaid emulator state file {path} is damaged")
    assert "Traceback" not in result.stderr


def test_sdk_sees_the_same_item_after_restart(tmp_path):
    """``/item/get`` answers the same Item (products, webhook, error) after a restart."""
    path = tmp_path / "state.json"
    with Emulator(state_file=path, send_webhooks=False) as first:
        item = first.state.create_item(webhook="http://127.0.0.1:9/hook")
        first.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
        status, _, before = post(first, "/item/get", {"access_token": item.access_token})
    with Emulator(state_file=path) as second:
        status, _, after = post(second, "/item/get", {"access_token": item.access_token})
    assert status == 200
    before.pop("request_id"), after.pop("request_id")
    assert after == before
    assert after["item"]["webhook"] == "http://127.0.0.1:9/hook"


def test_the_writer_keeps_the_file_current_while_serving(tmp_path):
    """Without a stop() (a crash, kill -9), the file still has what happened until then."""
    path = tmp_path / "state.json"
    with Emulator(state_file=path) as emulator:
        item = emulator.state.create_item()
        deadline = time.monotonic() + 10
        while item.item_id not in path.read_text():
            assert time.monotonic() < deadline, "the state file was not rewritten"
            time.sleep(0.05)
        # A snapshot in progress is never visible: the file always parses whole.
        assert json.loads(path.read_text())["items"][0]["item_id"] == item.item_id


def _rich_state(emulator):
    """An emulator state with one of everything the state file keeps."""
    state = emulator.state
    state.detect_pagination_mutations = True
    state.advance_time(timedelta(hours=1))
    dynamic = state.create_item(username="user_transactions_dynamic", products=("transactions",))
    emulator.refresh_transactions(dynamic)
    state.create_transactions(
        dynamic,
        [
            {
                "date_transacted": "2026-11-01",
                "date_posted": "2026-11-02",
                "amount": 12.5,
                "description": "Corner shop",
            }
        ],
    )
    emulator.modify_transaction(dynamic, name="Renamed by the bank")
    big = state.create_item()
    emulator.generate_transactions(big, 2_000)
    emulator.remove_transaction(big)
    state.create_item(products=("auth",), automated_microdeposits=True)
    investing = state.create_item(products=("investments",), not_ready=("investments",))
    state.investments(investing).add_dividend(state.now().date())
    user = emulator.create_user("client-user")
    state.create_payroll_item(user)
    token = state.create_link_token(
        client_name="x",
        language="en",
        country_codes=["US"],
        products=["transactions"],
        request={"$set": {"nested": [1, 2.5, None]}},
    )
    status, _, _ = post(emulator, "/emulator/link/complete", {"link_token": token.link_token})
    assert status == 200
    opened = link_sessions.start(state, token.link_token)
    session_id = opened["link_session_id"]
    link_sessions.consent(state, session_id)
    link_sessions.select_institution(state, session_id, "ins_109508")
    link_sessions.submit_credentials(state, session_id, "user_good", "mfa_questions_2_1")
    emulator.faults.add("rate_limit", rate=0.5, times=None)
    emulator.rotate_webhook_key()
    return token.link_token, session_id


def test_a_snapshot_restores_to_the_same_snapshot(tmp_path):
    """Everything the file holds comes back exactly: snapshot, restore, snapshot again."""
    with Emulator(send_webhooks=False) as emulator:
        link_token, session_id = _rich_state(emulator)
        with emulator.state.lock:
            text = Snapshotter().take(emulator.state)
    restored = EmulatorState()
    restore(restored, json.loads(text))
    with restored.lock:
        assert Snapshotter().take(restored) == text
    # A user's dict that looks like a tag stays a dict.
    assert restored.link_tokens[link_token].request == {"$set": {"nested": [1, 2.5, None]}}
    assert restored.link_tokens[link_token].sessions  # the completed Link session
    # The Link session continues where it was: the MFA pane of round 1 of 2.
    session = restored.link_sessions[session_id]
    assert (session.view, session.mfa_round, len(session.mfa.rounds)) == ("MFA", 0, 2)
    answer = link_sessions.submit_mfa(restored, session_id, ["answer_1_1"])
    assert answer["view"] == "MFA"


def test_webhooks_not_yet_delivered_are_sent_after_the_restart(tmp_path, receiver):
    path = tmp_path / "state.json"
    first = Emulator(state_file=path).start()
    cached_jwk = first.webhook_jwk()
    payload = {"webhook_type": "TRANSACTIONS", "webhook_code": "SYNC_UPDATES_AVAILABLE"}
    with first.hold_webhooks():
        first.send_webhook(receiver.url(), payload)
        first.stop()
    assert receiver.received == []
    with Emulator(state_file=path) as second:
        (delivery,) = second.wait_for_webhooks(10)
        assert delivery.delivered
    (received,) = receiver.received
    assert json.loads(received.body) == payload
    # A host that cached the key before the restart verifies the new signature with it.
    claims = jwt.decode(
        received.headers["plaid-verification"],
        jwt.PyJWK(cached_jwk).key,
        algorithms=["ES256"],
    )
    assert claims["request_body_sha256"] == hashlib.sha256(received.body).hexdigest()
    # Delivered: not sent again by the next run.
    with Emulator(state_file=path) as third:
        assert third.wait_for_webhooks(10) == []
    assert len(receiver.received) == 1


def test_cursors_of_a_replaced_history_stay_refused(tmp_path):
    path = tmp_path / "state.json"
    with Emulator(state_file=path, send_webhooks=False) as first:
        item = first.state.create_item()
        status, _, page = post(
            first, "/transactions/sync", {"access_token": item.access_token, "count": 500}
        )
        assert status == 200
        old_cursor = page["next_cursor"]
        first.generate_transactions(item, 50)
    with Emulator(state_file=path) as second:
        status, _, body = post(
            second, "/transactions/sync", {"access_token": item.access_token, "cursor": old_cursor}
        )
        assert (status, body["error_code"]) == (400, "INVALID_FIELD")
        status, _, body = post(
            second, "/transactions/sync", {"access_token": item.access_token, "count": 500}
        )
        assert status == 200
        assert {t["transaction_id"] for t in body["added"]} == set(
            second.transactions_truth(item.item_id)
        )
