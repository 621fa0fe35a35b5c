"""The browser fixtures themselves: Chromium reaches the live server, logged in."""

from __future__ import annotations

import re

from django_plaid.conf import plaid_settings


def test_a_logged_in_page_sees_the_users_api(logged_in_page, user, link_server):
    page = logged_in_page(user)
    page.goto(f"{link_server.url}/plaid/items/")
    # The browsable API names the logged-in user.
    assert page.get_by_text(re.compile(user.get_username())).first.is_visible()
    assert "/link/v2/stable/link-initialize.js" in link_server.link_script_url
    assert link_server.emulator.url == plaid_settings.HOST


def test_the_console_is_collected(page, link_server):
    page.goto(f"{link_server.url}/admin/login/")
    page.evaluate("console.log('hello from the page')")
    assert "log: hello from the page" in page.console_log
