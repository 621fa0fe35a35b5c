"""The host side of Link in Chromium: a page with ``{% plaid_link_script %}`` and
``django_plaid/link.js`` (tests/templates/link_host.html), served by the live server.

Two kinds of test:

* with a **stand-in for Link** (Playwright answers the Link script's URL with a small
  ``Plaid.create`` that plays a scripted outcome), the helper's own behaviour: the
  exchange with the CSRF token, update mode, a duplicate, dj-plaid's errors, the events
  it reports, and no token in the page, its network answers or its console;
* with the **emulator's Link simulator** (``link-initialize.js`` from the emulator, as the
  page loads it offline), the whole flow a person clicks through: a new Item, an error
  password, closing Link, and reconnecting an Item in update mode.
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import pytest

from django_plaid.client import get_client
from django_plaid.lifecycle import refresh_item
from django_plaid.models import Item, LinkEvent
from tests.helpers import complete_link, sandbox_public_token, wait_for

#: Plaid Link as far as the helper sees it: ``Plaid.create(config).open()`` plays
#: ``window.linkScenario`` (set by the test): events, then onSuccess or onExit.
STAND_IN_LINK = """
window.Plaid = {
  create(config) {
    window.linkCreated = (window.linkCreated || 0) + 1;
    return {
      open() {
        const scenario = window.linkScenario;
        setTimeout(() => {
          for (const [name, metadata] of scenario.events || []) config.onEvent(name, metadata);
          if (scenario.exit) config.onExit(scenario.exit.error, scenario.exit.metadata);
          else if (scenario.success) {
            const {public_token, metadata} = scenario.success;
            config.onSuccess(public_token, metadata);
          } else window.pendingLink = config;  // the test finishes the session
        }, 0);
      },
      exit() {},
      submit() {},
      destroy() { window.linkDestroyed = (window.linkDestroyed || 0) + 1; },
    };
  },
};
"""

SUCCESS_METADATA = {
    "institution": {"name": "First Platypus Bank", "institution_id": "ins_109508"},
    "accounts": [
        {
            "id": "x",
            "name": "Plaid Checking",
            "mask": "0000",
            "type": "depository",
            "subtype": "checking",
            "verification_status": None,
        }
    ],
    "link_session_id": "b1e5b7d8-9a3f-4f57-8f4e-2f0c5d6a7b8c",
    "transfer_status": None,
}

LOCKED = {
    "error_type": "ITEM_ERROR",
    "error_code": "ITEM_LOCKED",
    "error_message": "the account is locked",
    "display_message": "The given account has been locked by the financial institution.",
}


class Network:
    """Every request the page makes to the live server, and the answers' text."""

    def __init__(self, page: Any, origin: str) -> None:
        self.requests: list[Any] = []
        self.responses: list[Any] = []
        page.on("request", lambda r: self.requests.append(r) if r.url.startswith(origin) else None)
        page.on(
            "response", lambda r: self.responses.append(r) if r.url.startswith(origin) else None
        )

    def to(self, path: str) -> list[Any]:
        return [r for r in self.requests if r.url.split("?")[0].endswith(path)]

    def bodies(self) -> str:
        texts = []
        for response in self.responses:
            with contextlib.suppress(Exception):  # a redirect or an aborted request: no body
                texts.append(response.text())
        return "\n".join(texts)


@pytest.fixture
def host(logged_in_page, link_server, user):
    """Open the host page logged in as ``user``, with the stand-in for Link unless told
    otherwise; returns the page and its :class:`Network`."""

    def open_page(query: str = "", *, stand_in: bool = True) -> Any:
        page = logged_in_page(user)
        if stand_in:
            serve_stand_in(page, link_server)
        network = Network(page, link_server.url)
        page.goto(f"{link_server.url}/link-host/{query}")
        return page, network

    return open_page


def serve_stand_in(page: Any, link_server: Any) -> None:
    """Answer the Link script's URL with :data:`STAND_IN_LINK`."""
    page.route(
        link_server.link_script_url,
        lambda route: route.fulfill(status=200, content_type="text/javascript", body=STAND_IN_LINK),
    )


def play(page: Any, scenario: dict[str, Any], emulator: Any = None) -> dict[str, Any]:
    """Click the page's button with ``scenario`` for Link; the helper's last outcome.

    With ``emulator`` and no scenario, the Link session is finished at the emulator, as
    a person would in Link, and its public token handed to ``onSuccess``.
    """
    page.evaluate("(scenario) => { window.linkScenario = scenario; }", scenario)
    page.get_by_role("button", name="Link a bank account").click()
    if emulator is not None:
        page.wait_for_function("window.pendingLink !== undefined")
        finished = complete_link(emulator, page.evaluate("window.pendingLink.token"))
        page.evaluate(
            "([token, metadata]) => window.pendingLink.onSuccess(token, metadata)",
            [finished["public_token"], finished["metadata"]],
        )
    page.wait_for_function("window.resolved !== undefined")
    outcomes = page.evaluate("window.outcomes")
    assert outcomes, "the helper reported nothing"
    return outcomes[-1]


def assert_no_token_anywhere(page: Any, network: Network, *secrets: str) -> None:
    """No Plaid token in the page, its network answers, or its console."""
    page_text = page.content()
    answers = network.bodies()
    console = "\n".join(page.console_log)
    for where, text in (("page", page_text), ("network", answers), ("console", console)):
        for secret in secrets:
            assert secret not in text, f"a token in the {where}"
        assert "access-sandbox-" not in text, f"an access token in the {where}"
    assert "public-sandbox-" not in console
    assert "link-sandbox-" not in console


# -- the helper, with a stand-in for Link ----------------------------------------------


def test_a_new_item_is_exchanged_with_the_csrf_token(host, user, link_server):
    page, network = host()
    outcome = play(page, {}, link_server.emulator)
    assert outcome["kind"] == "item", outcome
    item = Item.objects.get(owner=user)
    assert outcome["data"]["item_id"] == item.item_id
    assert outcome["data"]["accounts"], outcome
    assert page.evaluate("window.resolved.item.item_id") == item.item_id
    assert item.item_id in page.get_by_role("status").inner_text()

    (token_request,) = network.to("/plaid/link-token/")
    assert json.loads(token_request.post_data) == {}
    (exchange,) = network.to("/plaid/exchange/")
    headers = exchange.headers
    assert headers["x-csrftoken"]
    assert headers["content-type"] == "application/json"
    sent = json.loads(exchange.post_data)
    assert sent["public_token"].startswith("public-sandbox-")
    assert sent["metadata"]["link_session_id"] == item.link_session_id
    # The link token goes along, so the server can check the session was this user's.
    assert sent["link_token"] == page.evaluate("window.pendingLink.token")
    # A success is not an event worth keeping.
    assert not network.to("/plaid/link-events/")
    assert_no_token_anywhere(page, network, item.access_token)
    assert sent["public_token"] not in network.bodies()


def test_a_duplicate_is_a_409_handed_to_on_error(host, user, api, link_server):
    first = api.post("/plaid/exchange/", {"public_token": sandbox_public_token()}, format="json")
    assert first.status_code == 201
    page, _ = host()
    outcome = play(page, {}, link_server.emulator)
    assert outcome["kind"] == "error", outcome
    error = outcome["data"]
    assert (error["status"], error["error_code"]) == (409, "DUPLICATE_ITEM")
    assert error["display_message"] == "You have already linked these accounts."
    assert error["body"]["item_id"] == first.json()["item_id"]
    assert page.evaluate("window.resolved.item") is None
    assert Item.objects.filter(owner=user).count() == 1


def test_update_mode_completes_instead_of_exchanging(host, item):
    page, network = host(f"?item_id={item.item_id}")
    outcome = play(
        page, {"success": {"public_token": "public-sandbox-unused", "metadata": SUCCESS_METADATA}}
    )
    assert outcome["kind"] == "item", outcome
    assert outcome["data"]["item_id"] == item.item_id
    assert outcome["data"]["status"] == "healthy"
    (token_request,) = network.to("/plaid/link-token/")
    assert json.loads(token_request.post_data) == {"item_id": item.item_id}
    assert not network.to("/plaid/exchange/")
    assert [r.method for r in network.to(f"/plaid/items/{item.item_id}/update-complete/")] == [
        "POST"
    ]
    assert [r.method for r in network.to(f"/plaid/items/{item.item_id}/")] == ["GET"]
    assert Item.objects.count() == 1


def test_an_exit_with_an_error_and_the_error_event_are_reported(host, user):
    page, network = host()
    session = {"link_session_id": "session-locked", "request_id": "request-locked"}
    error_event = {**session, "error_code": "ITEM_LOCKED", "error_type": "ITEM_ERROR"}
    exit_metadata = {
        **session,
        "institution": {"name": "First Platypus Bank", "institution_id": "ins_109508"},
        "status": "requires_credentials",
    }
    outcome = play(
        page,
        {
            "events": [["OPEN", session], ["ERROR", error_event], ["EXIT", session]],
            "exit": {"error": LOCKED, "metadata": exit_metadata},
        },
    )
    assert outcome == {"kind": "exit", "data": {"error": LOCKED, "metadata": exit_metadata}}
    assert page.evaluate("window.events") == ["OPEN", "ERROR", "EXIT"]
    assert page.evaluate("window.resolved.item") is None
    assert wait_for(lambda: LinkEvent.objects.count() == 2)
    # Two reports in flight at once: either may be stored first.
    error = LinkEvent.objects.get(event_name="ERROR")
    exit_ = LinkEvent.objects.get(event_name="EXIT")
    assert (error.event_name, error.error_code, error.owner) == ("ERROR", "ITEM_LOCKED", user)
    assert (exit_.event_name, exit_.error_code, exit_.status) == (
        "EXIT",
        "ITEM_LOCKED",
        "requires_credentials",
    )
    assert (exit_.link_session_id, exit_.request_id) == ("session-locked", "request-locked")
    for report in network.to("/plaid/link-events/"):
        assert report.headers["x-csrftoken"]


def test_the_user_closing_link_is_recorded_with_a_null_error(host, user):
    page, _ = host()
    metadata = {"institution": None, "status": "choose_device", "link_session_id": "s-closed"}
    outcome = play(page, {"exit": {"error": None, "metadata": metadata}})
    assert outcome == {"kind": "exit", "data": {"error": None, "metadata": metadata}}
    assert wait_for(lambda: LinkEvent.objects.filter(owner=user).exists())
    event = LinkEvent.objects.get()
    assert (event.event_name, event.error_code, event.status) == ("EXIT", "", "choose_device")


def test_a_lost_event_report_does_not_block_the_flow(host, link_server):
    page, _ = host()
    page.route(f"{link_server.url}/plaid/link-events/", lambda route: route.abort())
    outcome = play(page, {"exit": {"error": None, "metadata": {"status": "x"}}})
    assert outcome["kind"] == "exit"
    assert not LinkEvent.objects.exists()


def test_dj_plaids_refusal_reaches_on_error_and_link_never_opens(page, link_server):
    # Not logged in: link-token/ answers 403 (session authentication).
    serve_stand_in(page, link_server)
    page.goto(f"{link_server.url}/link-host/")
    outcome = play(page, {"exit": {"error": None, "metadata": {}}})
    assert outcome["kind"] == "error"
    assert outcome["data"]["status"] == 403
    assert outcome["data"]["error_message"] == "Authentication credentials were not provided."
    assert page.evaluate("window.linkCreated") is None


def test_a_network_failure_is_status_0(host, link_server):
    page, _ = host()
    page.route(f"{link_server.url}/plaid/link-token/", lambda route: route.abort())
    outcome = play(page, {"exit": {"error": None, "metadata": {}}})
    assert outcome["kind"] == "error"
    assert (outcome["data"]["status"], outcome["data"]["error_code"]) == (0, "NETWORK_ERROR")


def test_a_plaid_error_comes_back_in_plaids_shape(host, link_server):
    link_server.emulator.faults.add("rate_limit", path="/link/token/create")
    page, _ = host()
    outcome = play(page, {"exit": {"error": None, "metadata": {}}})
    assert outcome["kind"] == "error"
    error = outcome["data"]
    assert (error["status"], error["error_type"]) == (429, "RATE_LIMIT_EXCEEDED")
    assert error["error_code"] == "RATE_LIMIT"
    assert error["body"]["request_id"]
    assert page.evaluate("window.linkCreated") is None


def test_a_refused_field_is_named_in_the_message(host):
    page, _ = host()
    metadata = {"institution": {"name": 5}}
    outcome = play(page, {"success": {"public_token": "public-sandbox-x", "metadata": metadata}})
    assert outcome["kind"] == "error"
    error = outcome["data"]
    assert (error["status"], error["error_code"]) == (400, None)
    assert error["error_message"] == "metadata.institution.name: Not a valid string."
    assert error["body"] == {"metadata": {"institution": {"name": ["Not a valid string."]}}}


def test_extra_headers_are_sent(host):
    page, network = host("?header=token-auth-stand-in")
    play(page, {"exit": {"error": None, "metadata": {}}})
    (token_request,) = network.to("/plaid/link-token/")
    assert token_request.headers["x-test-header"] == "token-auth-stand-in"


def test_without_the_link_script_the_page_hears_why(host, link_server):
    page, _ = host(stand_in=False)
    page.evaluate("delete window.Plaid")
    outcome = play(page, {})
    assert outcome["kind"] == "error"
    assert outcome["data"]["error_code"] == "LINK_NOT_LOADED"


def test_destroy_before_link_opens_resolves_null_and_opens_nothing(host, link_server):
    page, _ = host()
    # The link token is slow to come: destroy() wins, and Link is never created.
    page.route(
        f"{link_server.url}/plaid/link-token/",
        lambda route: (page.wait_for_timeout(300), route.continue_()),
    )
    page.evaluate("window.linkScenario = {exit: {error: null, metadata: {}}}")
    page.get_by_role("button", name="Link a bank account").click()
    page.evaluate("link.destroy()")
    page.wait_for_function("window.resolved !== undefined")
    assert page.evaluate("window.resolved.item") is None
    page.wait_for_timeout(600)
    assert page.evaluate("window.linkCreated") is None
    assert page.evaluate("window.outcomes") == []


def test_a_second_open_reuses_nothing_but_the_page(host, user):
    page, network = host()
    play(page, {"exit": {"error": None, "metadata": {}}})
    page.evaluate("window.resolved = undefined")
    play(page, {"exit": {"error": None, "metadata": {}}})
    assert len(network.to("/plaid/link-token/")) == 2
    assert page.evaluate("[window.linkCreated, window.linkDestroyed]") == [2, 1]


def test_the_docs_example_page_links_a_bank(logged_in_page, link_server, user):
    # docs/link.md's "A complete page", as a host would paste it.
    page = logged_in_page(user)
    serve_stand_in(page, link_server)
    page.goto(f"{link_server.url}/link-docs-example/")
    page.evaluate("window.linkScenario = {}")
    page.get_by_role("button", name="Link a bank account").click()
    page.wait_for_function("window.pendingLink !== undefined")
    finished = complete_link(link_server.emulator, page.evaluate("window.pendingLink.token"))
    page.evaluate(
        "([token, metadata]) => window.pendingLink.onSuccess(token, metadata)",
        [finished["public_token"], finished["metadata"]],
    )
    item = Item.objects.get(owner=user) if wait_for(Item.objects.exists) else None
    assert item is not None
    status = page.get_by_role("status")
    status.filter(has_text="Linked").wait_for()
    assert status.inner_text() == (
        f"Linked {item.institution_name}: {item.accounts.count()} account(s)."
    )
    assert not [line for line in page.console_log if line.startswith(("error", "pageerror"))]


# -- the whole flow, in the emulator's Link simulator ----------------------------------


def _frame(page: Any) -> Any:
    return page.frame_locator('iframe[title="Plaid Link"]')


def _log_in_at_the_bank(page: Any, username: str, password: str = "pass_good") -> Any:
    frame = _frame(page)
    frame.get_by_role("button", name="Continue").click()
    frame.get_by_role("searchbox", name="Search for your institution").fill("First Platypus")
    frame.get_by_role("button", name="First Platypus Bank").first.click()
    return _submit_credentials(frame, username, password)


def _submit_credentials(frame: Any, username: str, password: str) -> Any:
    frame.get_by_role("textbox", name="Username").fill(username)
    frame.get_by_label("Password").fill(password)
    frame.get_by_role("button", name="Submit").click()
    return frame


def test_user_good_links_a_bank_through_the_simulator(host, user):
    page, network = host(stand_in=False)
    page.get_by_role("button", name="Link a bank account").click()
    frame = _log_in_at_the_bank(page, "user_good")
    frame.get_by_role("heading", name="Success").wait_for()
    frame.get_by_role("button", name="Continue").click()
    page.wait_for_function("window.resolved !== undefined")
    outcome = page.evaluate("window.outcomes")[-1]
    assert outcome["kind"] == "item", outcome
    item = Item.objects.get(owner=user)
    assert outcome["data"]["item_id"] == item.item_id
    assert outcome["data"]["accounts"]
    assert page.locator('iframe[title="Plaid Link"]').count() == 0
    assert_no_token_anywhere(page, network, item.access_token)


def test_an_error_password_ends_in_on_exit_and_is_recorded(host, user):
    page, _ = host(stand_in=False)
    page.get_by_role("button", name="Link a bank account").click()
    frame = _log_in_at_the_bank(page, "user_good", "error_ITEM_LOCKED")
    frame.get_by_role("button", name="Exit").click()
    page.wait_for_function("window.resolved !== undefined")
    outcome = page.evaluate("window.outcomes")[-1]
    assert outcome["kind"] == "exit", outcome
    assert outcome["data"]["error"]["error_code"] == "ITEM_LOCKED"
    assert set(outcome["data"]["error"]) >= {
        "error_type",
        "error_code",
        "error_message",
        "display_message",
    }
    assert wait_for(lambda: LinkEvent.objects.filter(event_name="EXIT").exists())
    exit_ = LinkEvent.objects.get(event_name="EXIT")
    assert exit_.error_code == "ITEM_LOCKED"
    assert exit_.link_session_id
    assert LinkEvent.objects.filter(event_name="ERROR", error_code="ITEM_LOCKED").exists()
    assert not Item.objects.exists()


def test_closing_the_simulator_is_an_exit_with_a_null_error(host, user):
    page, _ = host(stand_in=False)
    page.get_by_role("button", name="Link a bank account").click()
    _frame(page).get_by_role("button", name="Close").click()
    page.wait_for_function("window.resolved !== undefined")
    outcome = page.evaluate("window.outcomes")[-1]
    assert outcome["kind"] == "exit"
    assert outcome["data"]["error"] is None
    assert wait_for(lambda: LinkEvent.objects.filter(event_name="EXIT").exists())
    event = LinkEvent.objects.get(event_name="EXIT")
    assert event.owner == user
    assert event.link_session_id


def test_reconnect_in_update_mode_heals_the_item(host, item, user):
    get_client().call("sandbox_item_reset_login", access_token=item.access_token)
    refresh_item(item)
    item.refresh_from_db()
    assert item.status == "login_required"
    page, network = host(f"?item_id={item.item_id}", stand_in=False)
    page.get_by_role("button", name="Link a bank account").click()
    # Update mode goes straight to the Item's institution.
    frame = _submit_credentials(_frame(page), "user_good", "pass_good")
    frame.get_by_role("heading", name="Success").wait_for()
    frame.get_by_role("button", name="Continue").click()
    page.wait_for_function("window.resolved !== undefined")
    outcome = page.evaluate("window.outcomes")[-1]
    assert outcome["kind"] == "item", outcome
    assert (outcome["data"]["item_id"], outcome["data"]["status"]) == (item.item_id, "healthy")
    assert outcome["data"]["error"] is None
    assert not network.to("/plaid/exchange/")
    item.refresh_from_db()
    assert item.status == "healthy"
    assert Item.objects.filter(owner=user).count() == 1
    assert_no_token_anywhere(page, network, item.access_token)
