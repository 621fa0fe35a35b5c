"""The emulator's Plaid Link simulator in Chromium: a bare page, Plaid.create, clicks.

The page is served by a bare HTTP server on ``localhost`` (another origin than the
emulator, as in real life) and loads only the emulator's ``link-initialize.js``; the
callbacks it receives are collected in ``window.calls`` and checked against
plaid-python's strict models. These tests need no Django: the emulator is enough.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from plaid.model.country_code import CountryCode
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_event_metadata import LinkEventMetadata
from plaid.model.link_event_name import LinkEventName
from plaid.model.link_session_exit_metadata import LinkSessionExitMetadata
from plaid.model.link_session_success_metadata import LinkSessionSuccessMetadata
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_get_request import LinkTokenGetRequest
from plaid.model.plaid_error import PlaidError
from plaid.model.products import Products
from plaid.model.sandbox_item_reset_login_request import SandboxItemResetLoginRequest
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from tests.emulator import deserialize, make_api

PAGE = """<!doctype html>
<html><head><title>Host page</title><script src="{script}"></script></head>
<body><button id="link">Link a bank</button>
<script>
  window.calls = [];
  var config = {{
    token: {token},
    onSuccess: function (t, m) {{ calls.push({{cb: "onSuccess", public_token: t, metadata: m}}); }},
    onExit: function (e, m) {{ calls.push({{cb: "onExit", error: e, metadata: m}}); }},
    onEvent: function (n, m) {{ calls.push({{cb: "onEvent", name: n, metadata: m}}); }},
    onLoad: function () {{ calls.push({{cb: "onLoad"}}); }},
    somethingPlaidDoesNotKnow: true,
  }};
  window.handler = Plaid.create(config);
  document.getElementById("link").onclick = function () {{ handler.open(); }};
</script></body></html>"""


@pytest.fixture(autouse=True)
def _host_page(page: Any, host: tuple[Host, str]) -> None:
    page.host = host


@pytest.fixture
def api(plaid_emulator: Any) -> Any:
    return make_api(plaid_emulator)


class Host:
    """The host page's server: answers every GET with ``html``."""

    html = ""

    def __call__(self, environ: Any, start_response: Any) -> Any:
        return Response(self.html, content_type="text/html")(environ, start_response)


@pytest.fixture(scope="module")
def host() -> Iterator[tuple[Host, str]]:
    app = Host()
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    # localhost, not 127.0.0.1: a host name, as a developer's page has.
    yield app, f"http://localhost:{server.port}/"
    server.shutdown()
    thread.join(5)


def exchange(api: Any, public_token: str) -> Any:
    return api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public_token))


def link_token(api: Any, products=("transactions",), **kwargs: Any) -> str:
    return api.link_token_create(
        LinkTokenCreateRequest(
            client_name="Host App",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="browser-user"),
            products=[Products(p) for p in products],
            **kwargs,
        )
    ).link_token


def open_page(page: Any, emulator: Any, token: Any) -> Any:
    """Serve the host page, open Link; return the iframe's locator root."""
    app, url = page.host
    app.html = PAGE.format(
        script=f"{emulator.url}/link/v2/stable/link-initialize.js", token=json.dumps(token)
    )
    page.goto(url)
    page.get_by_role("button", name="Link a bank").click()
    return page.frame_locator('iframe[title="Plaid Link"]')


def card(link: Any) -> Any:
    """The Link card alone (what the docs show)."""
    return link.locator(".card")


def calls(page: Any, cb: str | None = None) -> list[dict[str, Any]]:
    found = page.evaluate("window.calls")
    return [c for c in found if cb is None or c["cb"] == cb]


def wait_for(page: Any, cb: str) -> dict[str, Any]:
    page.wait_for_function("cb => window.calls.some(c => c.cb === cb)", arg=cb)
    return calls(page, cb)[0]


def wait_for_event(page: Any, name: str) -> dict[str, Any]:
    page.wait_for_function(
        "name => window.calls.some(c => c.cb === 'onEvent' && c.name === name)", arg=name
    )
    return next(c for c in calls(page, "onEvent") if c["name"] == name)


def check_events(page: Any) -> list[str]:
    """Every onEvent is a Plaid event name with strict metadata; return the names."""
    names = []
    for call in calls(page, "onEvent"):
        LinkEventName(call["name"])
        deserialize(call["metadata"], LinkEventMetadata)
        assert {"link_session_id", "request_id", "timestamp"} <= set(call["metadata"])
        names.append(call["name"])
    return names


def log_in(link: Any, username: str = "user_good", password: str = "pass_good") -> None:
    link.get_by_role("button", name="Continue").click()
    link.get_by_role("button", name=re.compile("^First Platypus Bank")).click()
    link.get_by_label("Username").fill(username)
    link.get_by_label("Password").fill(password)
    link.get_by_role("button", name="Submit").click()


def test_user_good_links_an_item(page, plaid_emulator, api, screenshot):
    link = open_page(page, plaid_emulator, link_token(api, webhook="https://example.com/hook"))
    link.get_by_role("button", name="Continue").wait_for()
    screenshot(card(link), "simulator-consent")
    link.get_by_role("button", name="Continue").click()
    search = link.get_by_label("Search for your institution")
    search.fill("first plat")
    wait_for_event(page, "SEARCH_INSTITUTION")
    expect_count = link.get_by_role("button", name=re.compile("^First Platypus"))
    assert expect_count.count() == link.get_by_role("list").get_by_role("button").count()
    screenshot(card(link), "simulator-search")
    link.get_by_role("button", name=re.compile("^First Platypus Bank")).click()
    link.get_by_label("Username").fill("user_good")
    link.get_by_label("Password").fill("pass_good")
    screenshot(card(link), "simulator-credentials")
    link.get_by_label("Password").press("Enter")  # Enter submits
    link.get_by_role("heading", name=re.compile("Success")).wait_for()
    screenshot(card(link), "simulator-success")
    link.get_by_role("button", name="Continue").click()

    success = wait_for(page, "onSuccess")
    metadata = deserialize(success["metadata"], LinkSessionSuccessMetadata)
    assert metadata.institution.institution_id == "ins_109508"
    assert metadata.institution.name == "First Platypus Bank"
    assert [a.name for a in metadata.accounts][:2] == ["Plaid Checking", "Plaid Saving"]
    assert page.locator('iframe[title="Plaid Link"]').count() == 0
    names = check_events(page)
    assert names[0] == "OPEN"
    assert names[-1] == "HANDOFF"
    assert {"SEARCH_INSTITUTION", "SELECT_INSTITUTION", "SUBMIT_CREDENTIALS"} <= set(names)
    views = [c["metadata"].get("view_name") for c in calls(page, "onEvent")]
    assert "CONNECTED" in views
    assert calls(page, "onLoad")
    assert not calls(page, "onExit")

    # The public token is exchangeable; the browser never saw an access token.
    exchanged = exchange(api, success["public_token"])
    item = api.item_get(ItemGetRequest(access_token=exchanged.access_token)).item
    assert item.webhook == "https://example.com/hook"
    assert "access-" not in json.dumps(calls(page))
    assert not [line for line in page.console_log if "error" in line.lower()]


def test_mfa_questions(page, plaid_emulator, api, screenshot):
    link = open_page(page, plaid_emulator, link_token(api))
    log_in(link, password="mfa_questions_2_1")
    link.get_by_label("Security question 1 (answer_1_1)").fill("answer_1_1")
    screenshot(card(link), "simulator-mfa")
    link.get_by_role("button", name="Submit").click()
    link.get_by_label("Security question 1 (answer_2_1)").fill("answer_2_1")
    link.get_by_role("button", name="Submit").click()
    link.get_by_role("button", name="Continue").click()
    wait_for(page, "onSuccess")
    mfa = [c for c in calls(page, "onEvent") if c["name"] == "SUBMIT_MFA"]
    assert [c["metadata"]["mfa_type"] for c in mfa] == ["questions", "questions"]
    check_events(page)


def test_mfa_device_code_and_selections(page, plaid_emulator, api):
    link = open_page(page, plaid_emulator, link_token(api))
    log_in(link, password="mfa_device")
    link.get_by_label("Code").fill("1234")
    link.get_by_role("button", name="Submit").click()
    link.get_by_role("button", name="Continue").click()
    wait_for(page, "onSuccess")

    page.evaluate("window.calls = []; handler.open()")
    link.get_by_role("button", name="Continue").click()
    link.get_by_role("button", name=re.compile("^First Platypus Bank")).click()
    link.get_by_label("Username").fill("user_good")
    link.get_by_label("Password").fill("mfa_selections")
    link.get_by_role("button", name="Submit").click()
    link.get_by_label("Yes").check()
    link.get_by_role("button", name="Submit").click()
    link.get_by_role("button", name="Continue").click()
    wait_for(page, "onSuccess")


def test_mfa_selections_screenshot(page, plaid_emulator, api, screenshot):
    link = open_page(page, plaid_emulator, link_token(api))
    log_in(link, password="mfa_device")
    link.get_by_label("Code").wait_for()
    screenshot(card(link), "simulator-mfa-code")
    link.get_by_label("Code").fill("1234")
    link.get_by_label("Code").press("Enter")
    link.get_by_role("heading", name=re.compile("Success")).wait_for()


def test_update_mode_with_account_selection(page, plaid_emulator, api, screenshot):
    public = api.sandbox_public_token_create(
        SandboxPublicTokenCreateRequest(
            institution_id="ins_109508", initial_products=[Products("transactions")]
        )
    ).public_token
    access_token = exchange(api, public).access_token
    api.sandbox_item_reset_login(SandboxItemResetLoginRequest(access_token=access_token))
    token = api.link_token_create(
        LinkTokenCreateRequest(
            client_name="Host App",
            language="en",
            country_codes=[CountryCode("US")],
            user=LinkTokenCreateRequestUser(client_user_id="browser-user"),
            access_token=access_token,
            update=LinkTokenCreateRequestUpdate(account_selection_enabled=True),
        )
    ).link_token
    link = open_page(page, plaid_emulator, token)
    # Update mode starts at the Item's institution.
    link.get_by_text("First Platypus Bank", exact=True).wait_for()
    link.get_by_label("Username").fill("user_good")
    link.get_by_label("Password").fill("pass_good")
    link.get_by_role("button", name="Submit").click()
    link.get_by_label("Plaid Saving").wait_for()
    link.get_by_label("Plaid Checking").uncheck()
    screenshot(card(link), "simulator-select-account")
    link.get_by_role("button", name="Continue").click()
    link.get_by_role("button", name="Continue").click()
    success = wait_for(page, "onSuccess")
    metadata = deserialize(success["metadata"], LinkSessionSuccessMetadata)
    assert "Plaid Checking" not in [a.name for a in metadata.accounts]
    assert "Plaid Saving" in [a.name for a in metadata.accounts]
    item = api.item_get(ItemGetRequest(access_token=access_token)).item
    assert item.error is None
    assert access_token not in json.dumps(calls(page))


def test_wrong_mfa_answer_ends_in_invalid_mfa(page, plaid_emulator, api):
    link = open_page(page, plaid_emulator, link_token(api))
    log_in(link, password="mfa_device")
    link.get_by_label("Code").fill("0000")
    link.get_by_role("button", name="Submit").click()
    link.get_by_role("button", name="Exit").click()
    exit_call = wait_for(page, "onExit")
    assert deserialize(exit_call["error"], PlaidError).error_code == "INVALID_MFA"
    metadata = deserialize(exit_call["metadata"], LinkSessionExitMetadata)
    assert metadata.status == "requires_code"


def test_error_password_shows_the_error_then_exits_with_it(page, plaid_emulator, api, screenshot):
    link = open_page(page, plaid_emulator, link_token(api))
    log_in(link, password="error_ITEM_LOCKED")
    link.get_by_role("button", name="Exit").wait_for()
    screenshot(card(link), "simulator-error")
    link.get_by_role("button", name="Exit").click()
    exit_call = wait_for(page, "onExit")
    error = exit_call["error"]
    assert set(error) == {"error_type", "error_code", "error_message", "display_message"}
    parsed = deserialize(error, PlaidError)
    assert (parsed.error_type.value, parsed.error_code) == ("ITEM_ERROR", "ITEM_LOCKED")
    metadata = deserialize(exit_call["metadata"], LinkSessionExitMetadata)
    assert metadata.institution.institution_id == "ins_109508"
    assert metadata.status == "requires_credentials"
    names = check_events(page)
    assert names[-2:] == ["TRANSITION_VIEW", "EXIT"] or names[-1] == "EXIT"
    assert "ERROR" in names
    assert not calls(page, "onSuccess")


def test_close_button_and_escape(page, plaid_emulator, api):
    token = link_token(api)
    link = open_page(page, plaid_emulator, token)
    link.get_by_role("button", name="Close").click()
    exit_call = wait_for(page, "onExit")
    assert exit_call["error"] is None
    metadata = deserialize(exit_call["metadata"], LinkSessionExitMetadata)
    assert metadata.link_session_id
    assert page.locator('iframe[title="Plaid Link"]').count() == 0

    page.evaluate("window.calls = []; handler.open()")
    link.get_by_role("button", name="Continue").click()
    link.get_by_label("Search for your institution").press("Escape")
    exit_call = wait_for(page, "onExit")
    assert exit_call["error"] is None
    assert exit_call["metadata"]["status"] == "institution_not_found"
    exit_events = [c for c in calls(page, "onEvent") if c["name"] == "EXIT"]
    assert exit_events[0]["metadata"]["exit_status"] == "institution_not_found"

    # Both exits are recorded for /link/token/get.
    sessions = api.link_token_get(LinkTokenGetRequest(link_token=token)).link_sessions
    assert len(sessions) == 2
    assert all(session.exit.error is None for session in sessions)


def test_keyboard_only(page, plaid_emulator, api):
    open_page(page, plaid_emulator, link_token(api))
    link = page.frame_locator('iframe[title="Plaid Link"]')
    # Link takes the focus as it opens: Continue, its first control, has it.
    link.locator("button:focus", has_text="Continue").wait_for()
    page.keyboard.press("Enter")
    link.get_by_label("Search for your institution").wait_for()
    page.keyboard.type("first platypus bank")
    link.get_by_role("button", name=re.compile("^First Platypus Bank")).wait_for()
    page.keyboard.press("Enter")  # the first result
    link.get_by_label("Username").wait_for()
    page.keyboard.type("user_good")
    page.keyboard.press("Tab")
    page.keyboard.type("pass_good")
    page.keyboard.press("Enter")
    link.get_by_role("heading", name=re.compile("Success")).wait_for()
    page.keyboard.press("Enter")
    wait_for(page, "onSuccess")


@pytest.mark.parametrize("token", [None, "", "not-a-token", "link-sandbox-unknown"])
def test_invalid_link_token(page, plaid_emulator, token):
    open_page(page, plaid_emulator, token)
    exit_call = wait_for(page, "onExit")
    error = deserialize(exit_call["error"], PlaidError)
    assert (error.error_type.value, error.error_code) == ("INVALID_INPUT", "INVALID_LINK_TOKEN")
    deserialize(exit_call["metadata"], LinkSessionExitMetadata)
    assert page.locator('iframe[title="Plaid Link"]').count() == 0


def test_expired_link_token(page, plaid_emulator, api):
    from datetime import timedelta

    token = link_token(api)
    plaid_emulator.state.advance_time(timedelta(hours=5))
    open_page(page, plaid_emulator, token)
    exit_call = wait_for(page, "onExit")
    assert exit_call["error"]["error_code"] == "INVALID_LINK_TOKEN"


def test_a_page_with_an_opaque_origin(page, plaid_emulator, api):
    """``page.set_content`` (about:blank): the iframe still reaches its opener."""
    script = f"{plaid_emulator.url}/link/v2/stable/link-initialize.js"
    page.set_content(PAGE.format(script=script, token=json.dumps(link_token(api))))
    page.get_by_role("button", name="Link a bank").click()
    page.frame_locator('iframe[title="Plaid Link"]').get_by_role("button", name="Close").click()
    assert wait_for(page, "onExit")["error"] is None


def test_exit_right_after_open(page, plaid_emulator, api):
    open_page(page, plaid_emulator, link_token(api))
    page.evaluate("handler.exit()")
    assert wait_for(page, "onExit")["error"] is None
    assert page.locator('iframe[title="Plaid Link"]').count() == 0


def test_handler_exit_and_destroy(page, plaid_emulator, api):
    link = open_page(page, plaid_emulator, link_token(api))
    link.get_by_role("button", name="Continue").wait_for()
    page.evaluate("handler.exit({force: true})")
    assert wait_for(page, "onExit")["error"] is None
    page.evaluate("handler.open()")
    link.get_by_role("button", name="Continue").wait_for()
    page.evaluate("handler.destroy(); handler.submit({})")
    assert page.locator('iframe[title="Plaid Link"]').count() == 0
