"""The Link simulator's backend (``/emulator/link/session/*``) over HTTP, as its iframe
calls it; every answer's callback payloads pass plaid-python's strict models."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.user_create_request import UserCreateRequest

from . import plaid_failure
from .linkui import Flow, call, check_session_record, new_token


def exchange(api, public_token):
    return api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public_token))


def test_user_good_from_open_to_exchange(api, plaid_emulator, receiver):
    token = new_token(api, webhook=receiver.url())
    flow = Flow(plaid_emulator, token)
    assert flow.view == "CONSENT"
    assert flow.answer["client_name"] == "Simulator tests"
    assert flow.answer["update_mode"] is False
    featured = flow.step("consent")["institutions"]
    assert featured[0]["name"] == "First Platypus Bank"
    found = flow.step("search", query="platypus bank")["institutions"]
    assert "First Platypus Bank" in [i["name"] for i in found]
    assert all("platypus" in i["name"].lower() for i in found)
    assert flow.step("institution", institution_id="ins_109508")["view"] == "CREDENTIAL"
    assert flow.answer["institution"]["name"] == "First Platypus Bank"
    assert flow.step("credentials", username="user_good", password="pass_good")["view"] == (
        "CONNECTED"
    )
    success = flow.step("finish")["on_success"]
    assert flow.names() == [
        "OPEN",
        "TRANSITION_VIEW:CONSENT",
        "TRANSITION_VIEW:SELECT_INSTITUTION",
        "SEARCH_INSTITUTION",
        "SELECT_INSTITUTION",
        "TRANSITION_VIEW:CREDENTIAL",
        "SUBMIT_CREDENTIALS",
        "TRANSITION_VIEW:LOADING",
        "TRANSITION_VIEW:CONNECTED",
        "HANDOFF",
    ]
    search = flow.events[3]["metadata"]
    assert search["institution_search_query"] == "platypus bank"
    selected = flow.events[4]["metadata"]
    assert (selected["institution_id"], selected["institution_name"]) == (
        "ins_109508",
        "First Platypus Bank",
    )
    assert {e["metadata"]["link_session_id"] for e in flow.events} == {flow.id}
    metadata = success["metadata"]
    assert metadata["link_session_id"] == flow.id
    assert metadata["institution"] == {
        "name": "First Platypus Bank",
        "institution_id": "ins_109508",
    }
    assert metadata["accounts"][0]["name"] == "Plaid Checking"

    # Exchangeable like any public token; the new Item has the token's webhook and user.
    exchanged = exchange(api, success["public_token"])
    item = plaid_emulator.state.get_item(exchanged.item_id)
    assert item.webhook == receiver.url()
    assert item.client_user_id == "user-1"
    assert [a.account_id for a in item.accounts] == [a["id"] for a in metadata["accounts"]]
    plaid_emulator.wait_for_webhooks()
    codes = [json.loads(r.body)["webhook_code"] for r in receiver.received]
    assert "INITIAL_UPDATE" in codes

    # /link/token/get reports the session with its results and events.
    sessions = api.link_token_get(LinkTokenGetRequest(link_token=token)).link_sessions
    assert len(sessions) == 1
    session = sessions[0]
    assert session.link_session_id == flow.id
    assert session.on_success.public_token == success["public_token"]
    assert session.results.item_add_results[0].institution.institution_id == "ins_109508"
    assert [e.event_name for e in session.events][-1] == "HANDOFF"
    check_session_record(plaid_emulator.state.link_tokens[token].sessions[0])


def test_no_access_token_ever_reaches_the_browser(api, plaid_emulator):
    access_token = exchange(api, _public(api, plaid_emulator)).access_token
    api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    update = new_token(
        api,
        products=None,
        access_token=access_token,
        update=LinkTokenCreateRequestUpdate(account_selection_enabled=True),
    )
    flow = Flow(plaid_emulator, update)
    flow.login()
    flow.step("accounts", account_ids=[a["id"] for a in flow.answer["accounts"]])
    flow.step("finish")
    seen = json.dumps(flow.events) + json.dumps(flow.answer)
    assert access_token not in seen
    assert "access-sandbox-" not in seen


def _public(api, emulator):
    flow = Flow(emulator, new_token(api))
    flow.login()
    return flow.step("finish")["on_success"]["public_token"]


@pytest.mark.parametrize(
    ("password", "rounds", "answers", "mfa_type", "status"),
    [
        ("mfa_device", 1, [["1234"]], "code", "requires_code"),
        (
            "mfa_questions_2_3",
            2,
            [[f"answer_{i}_{j}" for j in (1, 2, 3)] for i in (1, 2)],
            "questions",
            "requires_questions",
        ),
        ("mfa_selections", 1, [["Yes"]], "selections", "requires_selections"),
        (
            "mfa_selections_2_1_3",
            2,
            [["answer_1_1_0"], ["answer_2_1_0"]],
            "selections",
            "requires_selections",
        ),
    ],
)
def test_mfa(api, plaid_emulator, password, rounds, answers, mfa_type, status):
    flow = Flow(plaid_emulator, new_token(api))
    flow.login(password=password)
    for index, round_answers in enumerate(answers):
        assert flow.view == "MFA"
        mfa = flow.answer["mfa"]
        assert (mfa["mfa_type"], mfa["round"], mfa["rounds"]) == (mfa_type, index + 1, rounds)
        assert len(mfa["questions"]) == len(round_answers)
        assert plaid_emulator.state.link_sessions[flow.id].status == status
        if mfa_type == "selections":
            assert round_answers[0] in mfa["questions"][0]["choices"]
        flow.step("mfa", answers=round_answers)
    assert flow.view == "CONNECTED"
    submits = [e for e in flow.events if e["event_name"] == "SUBMIT_MFA"]
    assert [e["metadata"]["mfa_type"] for e in submits] == [mfa_type] * rounds
    exchange(api, flow.step("finish")["on_success"]["public_token"])


def test_questions_never_carry_their_answers_as_data(api, plaid_emulator):
    flow = Flow(plaid_emulator, new_token(api))
    flow.login(password="mfa_questions_1_1")
    assert set(flow.answer["mfa"]["questions"][0]) == {"text", "choices"}


def test_a_wrong_mfa_answer_is_invalid_mfa(api, plaid_emulator):
    flow = Flow(plaid_emulator, new_token(api))
    flow.login(password="mfa_device")
    flow.step("mfa", answers=["0000"])
    assert flow.view == "ERROR"
    assert flow.answer["error"]["error_code"] == "INVALID_MFA"
    error_event = next(e for e in flow.events if e["event_name"] == "ERROR")
    assert error_event["metadata"]["error_code"] == "INVALID_MFA"
    assert error_event["metadata"]["view_name"] == "MFA"
    on_exit = flow.step("exit")["on_exit"]
    assert on_exit["error"]["error_code"] == "INVALID_MFA"
    assert on_exit["metadata"]["status"] == "requires_code"
    assert not plaid_emulator.state.items


@pytest.mark.parametrize(
    ("password", "error_type", "code"),
    [
        ("error_ITEM_LOCKED", "ITEM_ERROR", "ITEM_LOCKED"),
        ("error_INSTITUTION_DOWN", "INSTITUTION_ERROR", "INSTITUTION_DOWN"),
        ("wrong", "ITEM_ERROR", "INVALID_CREDENTIALS"),
    ],
)
def test_error_passwords_end_in_on_exit_with_the_error(
    api, plaid_emulator, password, error_type, code
):
    token = new_token(api)
    flow = Flow(plaid_emulator, token)
    flow.login(password=password)
    assert flow.view == "ERROR"
    assert (flow.answer["error"]["error_type"], flow.answer["error"]["error_code"]) == (
        error_type,
        code,
    )
    assert flow.names()[-2:] == ["ERROR", "TRANSITION_VIEW:ERROR"]
    shown = flow.answer["error"]
    on_exit = flow.step("exit")["on_exit"]
    assert on_exit["error"] == shown
    assert on_exit["metadata"]["institution"]["institution_id"] == "ins_109508"
    assert on_exit["metadata"]["status"] == "requires_credentials"
    exit_event = flow.events[-1]
    assert exit_event["event_name"] == "EXIT"
    assert exit_event["metadata"]["exit_status"] == "requires_credentials"
    assert not plaid_emulator.state.items
    session = api.link_token_get(LinkTokenGetRequest(link_token=token)).link_sessions[0]
    assert session.exit.error.error_code == code
    assert session.on_exit.metadata.link_session_id == flow.id
    assert session.events[-1].event_name == "EXIT"


def test_closing_link(api, plaid_emulator):
    token = new_token(api)
    flow = Flow(plaid_emulator, token)
    on_exit = flow.step("exit")["on_exit"]
    assert on_exit["error"] is None
    assert on_exit["metadata"]["institution"] is None
    assert "status" not in on_exit["metadata"]
    assert on_exit["metadata"]["request_id"] == flow.answer["request_id"]

    searching = Flow(plaid_emulator, token)
    searching.step("consent")
    searching.step("search", query="no such bank")
    assert searching.answer["institutions"] == []
    on_exit = searching.step("exit")["on_exit"]
    assert on_exit["metadata"]["status"] == "institution_not_found"
    # A finished session takes no more calls.
    status, body = call(plaid_emulator, "consent", {"link_session_id": searching.id})
    assert (status, body["error_code"]) == (400, "INVALID_FIELD")
    sessions = api.link_token_get(LinkTokenGetRequest(link_token=token)).link_sessions
    assert [s.exit.metadata.link_session_id for s in sessions] == [flow.id, searching.id]


@pytest.mark.parametrize("link_token", [None, "", 42, "not-a-token", "link-sandbox-unknown"])
def test_invalid_link_tokens(plaid_emulator, link_token):
    status, body = call(plaid_emulator, "start", {"link_token": link_token})
    assert (status, body["error_type"], body["error_code"]) == (
        400,
        "INVALID_INPUT",
        "INVALID_LINK_TOKEN",
    )


def test_expired_link_token(api, plaid_emulator):
    token = new_token(api)
    flow = Flow(plaid_emulator, token)
    flow.step("consent")
    plaid_emulator.state.advance_time(timedelta(hours=4, seconds=1))
    status, body = call(plaid_emulator, "search", {"link_session_id": flow.id, "query": "x"})
    assert (status, body["error_code"]) == (400, "INVALID_LINK_TOKEN")
    on_exit = flow.step("exit")["on_exit"]
    assert on_exit["error"]["error_code"] == "INVALID_LINK_TOKEN"
    status, body = call(plaid_emulator, "start", {"link_token": token})
    assert (status, body["error_code"]) == (400, "INVALID_LINK_TOKEN")
    assert body["display_message"]


def test_link_tokens_are_reusable_until_they_expire(api, plaid_emulator):
    """Sandbox semantics: each opening is a new session; each success a new Item."""
    token = new_token(api)
    first, second = Flow(plaid_emulator, token), Flow(plaid_emulator, token)
    assert first.id != second.id
    for flow in (first, second):
        flow.login()
        exchange(api, flow.step("finish")["on_success"]["public_token"])
    assert len(plaid_emulator.state.items) == 2
    assert len(api.link_token_get(LinkTokenGetRequest(link_token=token)).link_sessions) == 2


def test_institutions_follow_the_tokens_products_and_countries(api, plaid_emulator):
    investments = Flow(plaid_emulator, new_token(api, products=("investments",)))
    investments.step("consent")
    names = [i["name"] for i in investments.step("search", query="platypus")["institutions"]]
    assert "First Platypus Bank" in names
    assert "First Platypus Balance Bank" not in names  # no investments there
    status, body = call(
        plaid_emulator,
        "institution",
        {"link_session_id": investments.id, "institution_id": "ins_130016"},
    )
    assert (status, body["error_code"]) == (400, "INVALID_INSTITUTION")

    canada = Flow(plaid_emulator, new_token(api, countries=("CA",)))
    found = canada.step("consent")["institutions"]
    assert [i["institution_id"] for i in found] == ["ins_43"]
    canada.step("institution", institution_id="ins_43")
    canada.step("credentials", username="user_good", password="pass_good")
    metadata = canada.step("finish")["on_success"]["metadata"]
    assert metadata["institution"]["name"] == "Tartan-Dominion Bank of Canada"


def test_a_down_institution_shows_its_error(api, plaid_emulator):
    flow = Flow(plaid_emulator, new_token(api, products=("auth",)))
    flow.step("consent")
    found = flow.step("search", query="unhealthy down")["institutions"]
    assert [i["institution_id"] for i in found] == ["ins_132361"]
    flow.step("institution", institution_id="ins_132361")
    assert flow.view == "ERROR"
    assert flow.answer["error"]["error_code"] == "INSTITUTION_DOWN"
    assert flow.step("exit")["on_exit"]["metadata"]["status"] == "institution_not_supported"


def test_update_mode_repairs_the_item(api, plaid_emulator, receiver):
    access_token = exchange(api, _public(api, plaid_emulator)).access_token
    item_id = api.item_get(ItemGetRequest(access_token=access_token)).item.item_id
    api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    plaid_emulator.state.get_item(item_id).webhook = receiver.url()
    flow = Flow(plaid_emulator, new_token(api, products=None, access_token=access_token))
    # Straight to the Item's institution.
    assert flow.view == "CREDENTIAL"
    assert flow.answer["update_mode"] is True
    assert flow.answer["institution"]["institution_id"] == "ins_109508"
    assert flow.names() == ["OPEN", "TRANSITION_VIEW:CREDENTIAL"]
    flow.step("credentials", username="user_good", password="pass_good")
    success = flow.step("finish")["on_success"]
    assert len(plaid_emulator.state.items) == 1
    item = api.item_get(ItemGetRequest(access_token=access_token)).item
    assert item.error is None
    # Update mode's public token is not to be exchanged; Plaid sends no LOGIN_REPAIRED
    # for a repair made through the app's own Link.
    plaid_failure(lambda: exchange(api, success["public_token"]))
    plaid_emulator.wait_for_webhooks()
    codes = [json.loads(r.body)["webhook_code"] for r in receiver.received]
    assert "LOGIN_REPAIRED" not in codes


def test_update_mode_checks_the_username(api, plaid_emulator):
    access_token = exchange(api, _public(api, plaid_emulator)).access_token
    flow = Flow(plaid_emulator, new_token(api, products=None, access_token=access_token))
    flow.step("credentials", username="user_transactions_dynamic", password="pass_good")
    assert flow.answer["error"]["error_code"] == "INVALID_UPDATED_USERNAME"


def test_update_mode_account_selection(api, plaid_emulator):
    access_token = exchange(api, _public(api, plaid_emulator)).access_token
    token = new_token(
        api,
        products=None,
        access_token=access_token,
        update=LinkTokenCreateRequestUpdate(account_selection_enabled=True),
    )
    flow = Flow(plaid_emulator, token)
    flow.login(password="mfa_device")
    flow.step("mfa", answers=["1234"])
    assert flow.view == "SELECT_ACCOUNT"
    accounts = flow.answer["accounts"]
    assert [a["name"] for a in accounts][:2] == ["Plaid Checking", "Plaid Saving"]
    status, body = call(
        plaid_emulator, "accounts", {"link_session_id": flow.id, "account_ids": ["nope"]}
    )
    assert (status, body["error_code"]) == (400, "INVALID_ACCOUNT_ID")
    chosen = [accounts[1]["id"]]
    flow.step("accounts", account_ids=chosen)
    metadata = flow.step("finish")["on_success"]["metadata"]
    assert [a["id"] for a in metadata["accounts"]] == chosen
    assert "TRANSITION_VIEW:SELECT_ACCOUNT" in flow.names()


def test_calls_out_of_order(api, plaid_emulator):
    flow = Flow(plaid_emulator, new_token(api))
    for step, body in (
        ("credentials", {"username": "user_good", "password": "pass_good"}),
        ("mfa", {"answers": []}),
        ("finish", {}),
        ("accounts", {"account_ids": []}),
    ):
        status, answer = call(plaid_emulator, step, {"link_session_id": flow.id, **body})
        assert (status, answer["error_code"]) == (400, "INVALID_FIELD"), step
    status, answer = call(plaid_emulator, "consent", {})
    assert (status, answer["error_code"]) == (400, "MISSING_FIELDS")


def test_an_income_token_links_at_a_payroll_provider(api, plaid_emulator):
    user = api.user_create(UserCreateRequest(client_user_id="payroll-user"))
    flow = Flow(
        plaid_emulator,
        new_token(api, products=("income_verification",), user_token=user.user_token),
    )
    institutions = flow.step("consent")["institutions"]
    assert [i["name"] for i in institutions] == ["ADP"]
    flow.step("institution", institution_id=institutions[0]["institution_id"])
    flow.step("credentials", username="user_good", password="pass_good")
    metadata = flow.step("finish")["on_success"]["metadata"]
    assert metadata["institution"]["name"] == "ADP"


def test_reset_forgets_the_sessions(api, plaid_emulator):
    Flow(plaid_emulator, new_token(api))
    assert plaid_emulator.state.link_sessions
    plaid_emulator.reset()
    assert not plaid_emulator.state.link_sessions


def test_the_dynamic_transactions_user(api, plaid_emulator):
    flow = Flow(plaid_emulator, new_token(api))
    flow.login(username="user_transactions_dynamic", password="anything")
    public_token = flow.step("finish")["on_success"]["public_token"]
    item = plaid_emulator.state.get_item(exchange(api, public_token).item_id)
    assert item.dynamic
