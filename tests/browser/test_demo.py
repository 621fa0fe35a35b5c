"""The demo's front end (example_project/plaid_demo) in Chromium, against the emulator.

tests/urls.py serves the demo's pages under ``/demo/``; the page reads everything through
dj-plaid's REST API at ``/plaid/``, opens Link through dj-plaid's helper
(``DjangoPlaid.createLink``) and the emulator's Link simulator, and polls the API, so
webhooks the emulator sends to the live server show up on the page by themselves.
"""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from playwright.sync_api import expect

from django_plaid.client import get_client
from django_plaid.models import Item
from tests.helpers import sandbox_public_token

DEMO = "/demo/"
BANK = "First Platypus Bank"
# The page polls every 5 seconds (1.5 right after an action): give webhooks time to land.
SOON = 20_000
#: The Item products the page's chooser offers, all ticked by default.
ITEM_PRODUCTS = ["transactions", "auth", "identity", "investments", "liabilities"]


@pytest.fixture(autouse=True)
def every_product_allowed(link_server: Any, settings: Any) -> None:
    """The example project's ALLOWED_PRODUCTS: the page asks for what is ticked."""
    settings.PLAID = {
        **settings.PLAID,
        "ALLOWED_PRODUCTS": [*ITEM_PRODUCTS, "income_verification"],
    }


@pytest.fixture
def demo(logged_in_page: Any, link_server: Any, user: Any) -> Any:
    """The demo's home page, logged in as ``user``, with the API's first answers shown."""
    page = logged_in_page(user)
    page.goto(link_server.url + DEMO)
    expect(page.get_by_role("heading", name="Your banks")).to_be_visible()
    expect(page.locator("#items")).to_have_attribute("aria-busy", "false")
    return page


def link_through_api(page: Any, link_server: Any, **options: Any) -> dict[str, Any]:
    """Link ``user_good`` at First Platypus Bank the way the README's curl walk-through
    does (a sandbox public token, then ``exchange/``), from the page's own session."""
    token = sandbox_public_token(webhook=f"{link_server.url}/plaid/webhook/", **options)
    answer: dict[str, Any] = page.evaluate(
        """async (token) => {
            const csrf = document.cookie.match(/csrftoken=([^;]+)/)[1];
            const response = await fetch("/plaid/exchange/", {
                method: "POST",
                headers: {"Content-Type": "application/json", "X-CSRFToken": csrf},
                body: JSON.stringify({public_token: token, metadata: {}}),
            });
            return {status: response.status, body: await response.json()};
        }""",
        token,
    )
    assert answer["status"] == 201, answer
    return answer["body"]


def item_card(page: Any, name: str = BANK) -> Any:
    return page.get_by_role("article", name=name)


def access_tokens(emulator: Any) -> set[str]:
    """Every access token the emulator has issued (and still knows)."""
    return {item.access_token for item in emulator.state.items.values()} | set(
        emulator.state._access_tokens
    )


# -- Without Link: login, the Items, accounts, transactions, remove, webhooks ---------------


def test_the_home_page_asks_for_a_login_then_shows_an_empty_state(
    page: Any, link_server: Any, django_user_model: Any
) -> None:
    django_user_model.objects.create_user("carol", password="s3cret-pw")
    page.goto(link_server.url + DEMO)
    expect(page).to_have_url(re.compile(r"/demo/login/\?next="))
    page.get_by_label("Username").fill("carol")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("correct username and password")

    page.get_by_label("Password").fill("s3cret-pw")
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(link_server.url + DEMO)
    expect(page.get_by_text("No bank linked yet.")).to_be_visible()
    expect(page.get_by_text("Link your first bank")).to_be_visible()
    expect(page.get_by_role("button", name="Link a bank account")).to_be_enabled()
    # The curl walk-through is there, collapsed.
    curl = page.locator("details.curl")
    expect(curl).not_to_have_attribute("open", "")
    curl.get_by_text("Try the same API with curl").click()
    expect(curl.locator("pre")).to_contain_text("/plaid/link-token/")

    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(re.compile(r"/demo/login/"))


def test_items_accounts_balances_and_transactions_with_paging(
    demo: Any, link_server: Any, user: Any
) -> None:
    linked = link_through_api(demo, link_server)
    card = item_card(demo)
    expect(card).to_be_visible(timeout=SOON)
    expect(card.get_by_text("Connected")).to_be_visible()
    rows = card.locator("tbody tr")
    expect(rows).to_have_count(len(linked["accounts"]))
    checking = card.locator("tr", has_text="Plaid Checking")
    expect(checking).to_contain_text("0000")
    expect(checking).to_contain_text("$110.00")  # current
    expect(checking).to_contain_text("$100.00")  # available
    expect(demo.locator("#items-summary")).to_have_text(
        f"1 bank, {len(linked['accounts'])} accounts."
    )

    # The newest transactions, 25 a page, then older ones through the API's cursor.
    transactions = demo.locator("#transactions tbody tr")
    expect(transactions).to_have_count(25, timeout=SOON)
    more = demo.get_by_role("button", name="Show older transactions")
    more.click()
    expect(transactions).to_have_count(50)
    shown = transactions.evaluate_all("rows => rows.map(r => r.dataset.transactionId)")
    assert len(set(shown)) == 50
    # The same rows, in the same order, as two pages of the API.
    client = client_for_page(user)
    first = client.get("/plaid/transactions/?page_size=25").json()
    second = client.get(first["next"]).json()
    assert shown == [t["transaction_id"] for t in first["results"] + second["results"]]
    # Keyboard users land on the first row of the new page.
    assert demo.evaluate("document.activeElement.dataset.transactionId") == shown[25]

    # Filter by account: only that account's rows, from transactions/?account_id=.
    (checking_id,) = [a["account_id"] for a in linked["accounts"] if a["name"] == "Plaid Checking"]
    with demo.expect_response(lambda r: f"account_id={checking_id}" in r.url):
        demo.get_by_label("Account", exact=True).select_option(value=checking_id)
    expect(transactions.filter(has_not_text="Plaid Checking")).to_have_count(0)
    expect(transactions.first).to_contain_text("Plaid Checking")


def client_for_page(user: Any) -> Any:
    from tests.helpers import client_for

    return client_for(user)


def test_remove_asks_first_and_then_removes_the_item_here_and_at_plaid(
    demo: Any, link_server: Any
) -> None:
    linked = link_through_api(demo, link_server)
    card = item_card(demo)
    expect(card).to_be_visible(timeout=SOON)

    card.get_by_role("button", name=f"Remove {BANK}").click()
    dialog = demo.get_by_role("dialog", name="Remove this bank?")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text(f"Remove {BANK} and its 12 accounts?")
    dialog.get_by_role("button", name="Cancel").click()
    expect(dialog).to_be_hidden()
    expect(card).to_be_visible()
    # The focus goes back to the button that opened the dialog.
    expect(card.get_by_role("button", name=f"Remove {BANK}")).to_be_focused()
    assert Item.objects.filter(item_id=linked["item_id"]).exists()

    card.get_by_role("button", name=f"Remove {BANK}").click()
    with demo.expect_response(lambda r: r.request.method == "DELETE") as removal:
        dialog.get_by_role("button", name="Remove", exact=True).click()
    assert removal.value.status == 204
    expect(card).to_have_count(0)
    expect(demo.get_by_role("status")).to_contain_text(f"Removed {BANK}.")
    expect(demo.get_by_text("No bank linked yet.")).to_be_visible()
    expect(demo.get_by_role("button", name="Link a bank account")).to_be_focused()
    expect(demo.locator("#transactions")).to_contain_text("Link a bank to see")
    assert not Item.objects.filter(item_id=linked["item_id"]).exists()
    assert linked["item_id"] not in link_server.emulator.state.items


def test_a_plaid_error_is_shown_from_the_apis_json(demo: Any, link_server: Any) -> None:
    link_through_api(demo, link_server)
    card = item_card(demo)
    expect(card).to_be_visible(timeout=SOON)
    link_server.emulator.faults.add("error", path="/item/remove", error_code="INSTITUTION_DOWN")

    card.get_by_role("button", name=f"Remove {BANK}").click()
    demo.get_by_role("dialog").get_by_role("button", name="Remove", exact=True).click()

    alert = demo.get_by_role("alert")
    expect(alert).to_contain_text(f"Could not remove {BANK}")
    expect(alert).to_contain_text("INSTITUTION_DOWN")
    expect(card).to_be_visible()  # kept: the removal can be retried
    expect(card.get_by_role("button", name=f"Remove {BANK}")).to_be_enabled()


def test_webhooks_show_up_on_the_page_without_a_reload(demo: Any, link_server: Any) -> None:
    emulator = link_server.emulator
    linked = link_through_api(demo, link_server)
    item_id = linked["item_id"]
    card = item_card(demo)
    expect(demo.locator("#transactions tbody tr")).to_have_count(25, timeout=SOON)
    emulator.wait_for_webhooks()
    navigations: list[str] = []
    demo.on("framenavigated", lambda frame: navigations.append(frame.url))

    # New transactions at the bank and Plaid's SYNC_UPDATES_AVAILABLE: a sync, then the
    # page's next poll shows them.
    (new_id,) = emulator.add_transactions(item_id, 1)
    added = emulator.transactions_truth(item_id)[new_id]
    access_token = Item.objects.get(item_id=item_id).access_token
    get_client().call(
        "sandbox_item_fire_webhook",
        access_token=access_token,
        webhook_code="SYNC_UPDATES_AVAILABLE",
    )
    expect(demo.locator(f'tr[data-transaction-id="{new_id}"]')).to_contain_text(
        added["merchant_name"] or added["name"], timeout=SOON
    )

    # The bank asks for a new login (ITEM / ERROR): "Needs login" and "Reconnect".
    get_client().call("sandbox_item_reset_login", access_token=access_token)
    expect(card.get_by_text("Needs login")).to_be_visible(timeout=SOON)
    expect(card.get_by_role("button", name=f"Reconnect {BANK}")).to_be_visible()
    expect(card).to_contain_text("needs you to sign in again")
    assert navigations == []  # all without reloading the page


# -- Link through the page: DjangoPlaid.createLink and the emulator's simulator -------------


def link_frame(page: Any) -> Any:
    return page.frame_locator('iframe[title="Plaid Link"]')


def click_link(page: Any) -> Any:
    """Click "Link a bank account" and walk to the credentials pane of First Platypus Bank."""
    page.get_by_role("button", name="Link a bank account").click()
    frame = link_frame(page)
    frame.get_by_role("button", name="Continue").click()
    # Wait for the search's answer: the list it renders replaces the first one.
    with page.expect_response(lambda r: r.url.endswith("/emulator/link/session/search")):
        frame.get_by_label("Search for your institution").fill("Platypus")
    frame.get_by_role("button", name=re.compile(f"^{BANK}")).first.click()
    return frame


def log_in_at_the_bank(frame: Any, username: str, password: str) -> None:
    frame.get_by_label("Username").fill(username)
    frame.get_by_label("Password").fill(password)
    frame.get_by_role("button", name="Submit").click()


def finish_success(frame: Any) -> None:
    expect(frame.get_by_role("heading", name=re.compile("Success"))).to_be_visible()
    frame.get_by_role("button", name="Continue").click()


def test_link_user_good_from_a_click_to_its_transactions(
    demo: Any, link_server: Any, user: Any, screenshot: Any
) -> None:
    emulator = link_server.emulator
    with demo.expect_response(lambda r: r.url.endswith("/plaid/exchange/")) as exchange:
        frame = click_link(demo)
        log_in_at_the_bank(frame, "user_good", "pass_good")
        finish_success(frame)
    assert exchange.value.status == 201
    item_id = exchange.value.json()["item_id"]

    expect(demo.locator('iframe[title="Plaid Link"]')).to_have_count(0)
    card = item_card(demo)
    expect(card).to_be_visible()
    expect(card.get_by_text("Connected")).to_be_visible()
    expect(card.locator("tbody tr")).to_have_count(12)
    expect(demo.get_by_role("status")).to_contain_text(f"Linked {BANK}: 12 accounts.")
    assert Item.objects.get(item_id=item_id).owner == user

    # The emulator's post-link webhooks reach the live server, a sync stores the
    # transactions, and the page shows them by itself.
    deliveries = [
        d for d in emulator.wait_for_webhooks() if d.payload["webhook_type"] == "TRANSACTIONS"
    ]
    assert deliveries
    assert all(d.delivered and d.url == f"{link_server.url}/plaid/webhook/" for d in deliveries)
    expect(demo.locator("#transactions tbody tr")).to_have_count(25, timeout=SOON)
    first_row = demo.locator("#transactions tbody tr").first
    assert first_row.get_attribute("data-transaction-id") in emulator.transactions_truth(item_id)
    expect(demo.get_by_role("button", name="Link a bank account")).to_be_focused()
    screenshot(demo, "demo-linked")


def test_link_an_mfa_user(demo: Any, link_server: Any) -> None:
    frame = click_link(demo)
    log_in_at_the_bank(frame, "user_good", "mfa_device")
    frame.get_by_role("textbox", name="Code").fill("1234")
    frame.get_by_role("button", name="Submit").click()
    finish_success(frame)
    expect(item_card(demo)).to_be_visible(timeout=SOON)
    expect(item_card(demo).locator("tbody tr")).to_have_count(12)


def test_an_error_password_ends_in_on_exit_with_plaids_error(
    demo: Any, link_server: Any, user: Any
) -> None:
    frame = click_link(demo)
    log_in_at_the_bank(frame, "user_good", "error_ITEM_LOCKED")
    with demo.expect_response(lambda r: r.url.endswith("/plaid/link-events/")):
        frame.get_by_role("button", name="Exit").click()

    expect(demo.locator('iframe[title="Plaid Link"]')).to_have_count(0)
    alert = demo.get_by_role("alert")
    expect(alert).to_contain_text(f"Link ended at {BANK}")
    expect(alert).to_contain_text("ITEM_LOCKED")
    assert not Item.objects.exists()
    events = client_for_page(user).get("/plaid/link-events/").json()
    events = events["results"] if isinstance(events, dict) else events
    assert any(e["error_code"] == "ITEM_LOCKED" for e in events), events


def test_closing_link_is_an_exit_recorded_by_link_events(
    demo: Any, link_server: Any, user: Any
) -> None:
    demo.get_by_role("button", name="Link a bank account").click()
    frame = link_frame(demo)
    expect(frame.get_by_role("button", name="Continue")).to_be_visible()
    with demo.expect_response(lambda r: r.url.endswith("/plaid/link-events/")) as report:
        frame.get_by_role("button", name="Close").click()
    assert report.value.status == 201
    body = json.loads(report.value.request.post_data)
    assert body["event_name"] == "EXIT"
    assert body["error"] is None

    expect(demo.locator('iframe[title="Plaid Link"]')).to_have_count(0)
    expect(demo.get_by_role("status")).to_contain_text("Link closed. Nothing was linked.")
    expect(demo.get_by_role("alert")).to_be_hidden()
    expect(demo.get_by_role("button", name="Link a bank account")).to_be_focused()
    events = client_for_page(user).get("/plaid/link-events/").json()
    events = events["results"] if isinstance(events, dict) else events
    assert events[0]["event_name"] == "EXIT"
    assert not Item.objects.exists()


def test_a_duplicate_link_is_answered_409_and_shown(demo: Any, link_server: Any) -> None:
    first = link_through_api(demo, link_server)
    expect(item_card(demo)).to_be_visible(timeout=SOON)

    with demo.expect_response(lambda r: r.url.endswith("/plaid/exchange/")) as exchange:
        frame = click_link(demo)
        log_in_at_the_bank(frame, "user_good", "pass_good")
        finish_success(frame)
    assert exchange.value.status == 409
    assert exchange.value.json()["item_id"] == first["item_id"]

    alert = demo.get_by_role("alert")
    expect(alert).to_contain_text("This bank is already linked")
    expect(alert).to_contain_text("DUPLICATE_ITEM")
    expect(item_card(demo)).to_have_count(1)
    expect(item_card(demo)).to_have_class(re.compile("highlight"))
    assert Item.objects.count() == 1


def test_reset_login_then_reconnect_in_update_mode(demo: Any, link_server: Any) -> None:
    linked = link_through_api(demo, link_server)
    card = item_card(demo)
    expect(card.get_by_text("Connected")).to_be_visible(timeout=SOON)
    access_token = Item.objects.get(item_id=linked["item_id"]).access_token
    get_client().call("sandbox_item_reset_login", access_token=access_token)
    reconnect = card.get_by_role("button", name=f"Reconnect {BANK}")
    expect(reconnect).to_be_visible(timeout=SOON)

    with demo.expect_response(
        lambda r: r.url.endswith(f"/plaid/items/{linked['item_id']}/update-complete/")
    ) as complete:
        reconnect.click()
        frame = link_frame(demo)
        # Update mode goes straight to the Item's bank: no institution search.
        log_in_at_the_bank(frame, "user_good", "pass_good")
        finish_success(frame)
    assert complete.value.status == 202

    expect(card.get_by_text("Connected")).to_be_visible(timeout=SOON)
    expect(card.get_by_role("button", name=f"Reconnect {BANK}")).to_have_count(0)
    expect(demo.get_by_role("status")).to_contain_text(f"Reconnected {BANK}.")
    assert Item.objects.count() == 1
    assert Item.objects.get().status == "healthy"


def test_no_access_token_in_the_page_its_responses_or_its_console(
    demo: Any, link_server: Any
) -> None:
    emulator = link_server.emulator
    bodies: list[str] = []

    def keep(response: Any) -> None:
        try:
            bodies.append(response.text())
        except Exception:  # redirects and aborted requests have no body
            bodies.append("")

    demo.context.on("response", keep)
    frame = click_link(demo)
    log_in_at_the_bank(frame, "user_good", "pass_good")
    finish_success(frame)
    card = item_card(demo)
    expect(card).to_be_visible(timeout=SOON)
    expect(demo.locator("#transactions tbody tr")).to_have_count(25, timeout=SOON)
    card.get_by_role("button", name="Sync now").click()
    card.get_by_role("button", name=f"Refresh balances {BANK}").click()
    demo.get_by_role("button", name="Show older transactions").click()
    expect(demo.locator("#transactions tbody tr")).to_have_count(50)
    demo.wait_for_timeout(1000)

    tokens = access_tokens(emulator)
    assert tokens
    assert all(token.startswith("access-") for token in tokens)
    dom = [demo.content()] + [frame.content() for frame in demo.frames]
    seen = "\n".join(dom + bodies + demo.console_log)
    assert len(bodies) > 10
    for token in tokens:
        assert token not in seen
    assert "access-sandbox" not in seen


def test_the_page_works_from_the_keyboard(demo: Any, link_server: Any) -> None:
    link_through_api(demo, link_server)
    card = item_card(demo)
    expect(card).to_be_visible(timeout=SOON)

    # Remove: Enter opens the dialog on "Cancel"; Escape closes it, back on "Remove".
    remove = card.get_by_role("button", name=f"Remove {BANK}")
    remove.focus()
    demo.keyboard.press("Enter")
    dialog = demo.get_by_role("dialog", name="Remove this bank?")
    expect(dialog.get_by_role("button", name="Cancel")).to_be_focused()
    demo.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(remove).to_be_focused()

    # Link: Enter opens it, Escape closes it (onExit), the focus is back on the button.
    button = demo.get_by_role("button", name="Link a bank account")
    button.focus()
    demo.keyboard.press("Enter")
    expect(link_frame(demo).get_by_role("button", name="Continue")).to_be_focused()
    demo.keyboard.press("Escape")
    expect(demo.locator('iframe[title="Plaid Link"]')).to_have_count(0)
    expect(button).to_be_focused()
    expect(demo.get_by_role("status")).to_contain_text("Link closed.")

    # Every control on the page has a name.
    unnamed = demo.evaluate(
        """() => Array.from(document.querySelectorAll(
                "button, select, input:not([type=hidden]), a[href]"))
            .filter(e => !e.closest("dialog:not([open])"))
            .filter(e => !(e.getAttribute("aria-label") || e.labels?.length
                           || e.textContent.trim()))
            .map(e => e.outerHTML)"""
    )
    assert unnamed == []


# -- Every product: the chooser, each product's section, payroll income ---------------------


def open_section(card: Any, product: str) -> Any:
    """Open an Item's product section (a disclosure, closed until the user opens it)."""
    section = card.locator(f'details[data-product="{product}"]')
    section.locator("summary").click()
    expect(section).to_have_attribute("open", "")
    return section


def test_link_every_product_and_see_each_ones_data(demo: Any, link_server: Any, user: Any) -> None:
    boxes = demo.get_by_role("group", name="Products to link").get_by_role("checkbox")
    expect(boxes).to_have_count(5)
    for box in boxes.all():
        expect(box).to_be_checked()
    with demo.expect_request(lambda r: r.url.endswith("/plaid/link-token/")) as token_request:
        frame = click_link(demo)
    assert json.loads(token_request.value.post_data) == {"products": ITEM_PRODUCTS}
    log_in_at_the_bank(frame, "user_good", "pass_good")
    finish_success(frame)

    card = item_card(demo)
    expect(card.get_by_text("Connected")).to_be_visible(timeout=SOON)
    expect(card).to_contain_text("Products: Auth, Identity, Investments, Liabilities, Transactions")
    item = Item.objects.get()
    api = client_for_page(user)

    # Auth: the masked numbers of the checking, savings and cash management accounts.
    expect(card.locator('details[data-product="auth"] summary')).to_contain_text(
        "3 accounts", timeout=SOON
    )
    auth = open_section(card, "auth")
    checking = auth.locator("tr", has_text="Plaid Checking")
    expect(checking).to_contain_text("ACH")
    expect(checking).to_contain_text("••••0000")  # account 1111222233330000
    expect(checking).to_contain_text("••••1533")  # routing 011401533
    expect(checking).to_contain_text("••••0021")  # wire routing 021000021
    expect(auth.locator("tbody tr")).to_have_count(3)

    # Identity: the sandbox's one owner, on every account, masked.
    identity = open_section(card, "identity")
    expect(identity.locator(".owner")).to_have_count(1)
    expect(identity.locator(".owner-name")).to_have_text("A••• B••• C•••")
    expect(identity).to_contain_text("a•••@example.com (Primary)")
    expect(identity).to_contain_text("••••5555 (Mobile)")
    expect(identity).to_contain_text("Plaid Checking ••0000")

    # Investments: the holdings and the newest investment transactions, as the API has them.
    holdings = api.get("/plaid/investments/holdings/").json()
    trades = api.get(f"/plaid/investments/transactions/?item_id={item.item_id}&page_size=10")
    trades = trades.json()["results"]
    assert holdings
    assert trades
    investments = open_section(card, "investments")
    expect(investments.locator("tr[data-security-id]")).to_have_count(len(holdings))
    brazil = investments.locator("tr[data-security-id]", has_text="iShares Inc MSCI Brazil")
    expect(brazil).to_contain_text("EWZ")
    expect(brazil).to_contain_text("Plaid 401k ••6666")
    expect(brazil).to_contain_text("150")
    expect(brazil).to_contain_text("$41.32")
    expect(brazil).to_contain_text("$6,198.00")
    shown = investments.locator("tr[data-investment-transaction-id]")
    expect(shown).to_have_count(len(trades))
    assert shown.evaluate_all("rows => rows.map(r => r.dataset.investmentTransactionId)") == [
        t["investment_transaction_id"] for t in trades
    ]

    # Liabilities: the two credit cards, the mortgage and the student loan.
    liabilities = open_section(card, "liabilities")
    expect(liabilities.locator("tbody tr")).to_have_count(4)
    card_row = liabilities.locator("tr", has_text="Plaid Credit Card ••3333")
    expect(card_row).to_contain_text("Credit card")
    expect(card_row).to_contain_text("$25.00")  # minimum payment
    expect(card_row).to_contain_text("$410.00")  # last statement
    expect(card_row).to_contain_text("12.5%")
    expect(liabilities.locator("tr", has_text="Plaid Mortgage ••8888")).to_contain_text("3.99%")

    # An open section stays open when the card is drawn again (a poll, an action).
    with demo.expect_response(lambda r: r.url.endswith(f"/items/{item.item_id}/sync/")):
        card.get_by_role("button", name=f"Sync now {BANK}").click()
    expect(card.get_by_role("button", name=f"Sync now {BANK}")).to_be_enabled()
    expect(card.locator("details[open]")).to_have_count(4)
    # On a phone, the sections fit the screen (wide tables scroll inside themselves).
    demo.set_viewport_size({"width": 390, "height": 800})
    assert demo.evaluate("document.documentElement.scrollWidth") <= 390
    # Masked all the way: no clear number or name reached the page.
    content = demo.content()
    for clear in ("1111222233330000", "011401533", "Alberta", "accountholder0"):
        assert clear not in content


def test_a_bank_without_a_product_shows_that_it_is_not_linked(
    demo: Any, link_server: Any, user: Any
) -> None:
    choice = demo.get_by_role("group", name="Products to link")
    link_button = demo.get_by_role("button", name="Link a bank account")
    # With every product ticked, Link offers only the banks that have them all.
    link_button.click()
    frame = link_frame(demo)
    frame.get_by_role("button", name="Continue").click()
    with demo.expect_response(lambda r: r.url.endswith("/emulator/link/session/search")):
        frame.get_by_label("Search for your institution").fill("Houndstooth")
    expect(frame.get_by_text("No results.")).to_be_visible()
    frame.get_by_role("button", name="Close").click()
    expect(demo.locator('iframe[title="Plaid Link"]')).to_have_count(0)

    # No product ticked: nothing to link.
    for box in choice.get_by_role("checkbox").all():
        box.uncheck()
    expect(link_button).to_be_disabled()
    expect(choice).to_contain_text("Tick at least one product")
    choice.get_by_role("checkbox", name="Auth").check()
    choice.get_by_role("checkbox", name="Identity").check()
    expect(link_button).to_be_enabled()

    # Houndstooth Bank has Auth and Identity, not Investments nor Liabilities.
    with demo.expect_request(lambda r: r.url.endswith("/plaid/link-token/")) as token_request:
        link_button.click()
    assert json.loads(token_request.value.post_data) == {"products": ["auth", "identity"]}
    frame.get_by_role("button", name="Continue").click()
    with demo.expect_response(lambda r: r.url.endswith("/emulator/link/session/search")):
        frame.get_by_label("Search for your institution").fill("Houndstooth")
    frame.get_by_role("button", name=re.compile("^Houndstooth Bank")).click()
    log_in_at_the_bank(frame, "user_good", "pass_good")
    finish_success(frame)

    card = item_card(demo, "Houndstooth Bank")
    expect(card.get_by_text("Connected")).to_be_visible(timeout=SOON)
    assert Item.objects.get().products == ["auth", "identity"]
    expect(card.locator('details[data-product="auth"] summary')).to_contain_text("3 accounts")
    expect(card.locator('details[data-product="identity"] summary')).to_contain_text("1 owner")
    for product, name in (("investments", "Investments"), ("liabilities", "Liabilities")):
        summary = card.locator(f'details[data-product="{product}"] summary')
        expect(summary).to_contain_text("Not linked")
        section = open_section(card, product)
        expect(section).to_contain_text(
            f"Houndstooth Bank was linked without {name}: it was not ticked, or the bank "
            "does not offer it."
        )
    # Nor Transactions: the transactions panel says why it is empty.
    expect(demo.locator("#transactions")).to_contain_text("No bank linked with Transactions")


def test_verify_income_links_payroll_and_shows_it_when_plaid_is_done(
    demo: Any, link_server: Any, user: Any
) -> None:
    income = demo.locator("#income")
    expect(income).to_contain_text("No income verified yet")
    requests: list[str] = []
    demo.on("request", lambda r: requests.append(r.url))
    with demo.expect_request(lambda r: r.url.endswith("/plaid/link-token/")) as token_request:
        demo.get_by_role("button", name="Verify income").click()
    assert json.loads(token_request.value.post_data) == {"products": ["income_verification"]}
    frame = link_frame(demo)
    frame.get_by_role("button", name="Continue").click()
    # An income token: Link offers payroll providers, not banks.
    frame.get_by_role("button", name=re.compile("^ADP")).click()
    log_in_at_the_bank(frame, "user_good", "pass_good")
    finish_success(frame)
    expect(demo.locator('iframe[title="Plaid Link"]')).to_have_count(0)

    # The INCOME webhook reaches the live server, which fetches the payroll data; the
    # page's next poll of income/ shows it. No bank Item, and nothing sent to exchange/.
    expect(income.get_by_role("article", name="ADP")).to_be_visible(timeout=SOON)
    (delivery,) = [d for d in link_server.emulator.deliveries if d.webhook_type == "INCOME"]
    assert delivery.delivered
    assert not Item.objects.exists()
    assert not [url for url in requests if url.endswith("/plaid/exchange/")]
    assert demo.get_by_role("status").text_content().startswith("Your income from ADP")
    payroll = income.get_by_role("article", name="ADP")
    expect(payroll).to_contain_text("Processing complete")
    expect(payroll).to_contain_text("Biweekly")
    expect(payroll).to_contain_text("Annual, ••••")  # the rate of pay: $95,000, masked
    (row,) = client_for_page(user).get("/plaid/income/").json()
    stubs = row["payroll"]["payroll_income"][0]["pay_stubs"]
    w2_year = row["payroll"]["payroll_income"][0]["w2s"][0]["tax_year"]
    expect(payroll).to_contain_text(f"Tax year {w2_year}")
    expect(payroll.locator("tbody tr")).to_have_count(len(stubs))
    first = payroll.locator(f'tr[data-document-id="{stubs[0]["document_id"]}"]')
    expect(first).to_contain_text("P••• I•••")  # the employer, Plaid Inc.
    expect(first).to_contain_text("Checking ••0000")
    assert "Alberta" not in demo.content()

    # "Fetch income again": POST income/refresh/, 202.
    with demo.expect_response(lambda r: r.url.endswith("/plaid/income/refresh/")) as again:
        demo.get_by_role("button", name="Fetch income again").click()
    assert again.value.status == 202
    expect(demo.get_by_role("status")).to_contain_text("Fetching your income again")
