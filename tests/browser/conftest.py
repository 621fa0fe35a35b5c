"""Browser fixtures: Playwright driving Debian's Chromium against a live server and the emulator.

Every test in this package is marked ``browser``. Chromium is ``/usr/bin/chromium`` (Debian's
``chromium`` package) or ``$DJ_PLAID_CHROMIUM``; Playwright's own browser downloads are never
used. Without Chromium or Playwright the tests are deselected and the run ends with one line
saying how to get them; with ``DJ_PLAID_REQUIRE_BROWSER=1`` (CI) they fail instead.

Fixtures:

* ``browser`` (package): headless Chromium, launched once for these tests and closed after
  them, so the rest of the suite never runs beside Playwright's event loop.
* ``page``: a fresh context and page per test. ``page.console_log`` collects the console's
  messages and page errors; on a failure a screenshot goes to ``.browser-artifacts/``.
* ``link_server``: a live Django server wired to the emulator: the ``PLAID`` setting points
  at it, Items' webhooks go to the live server, and ``LINK_SCRIPT_URL`` is the emulator's
  Link simulator. ``.url`` is the live server, ``.emulator`` the Emulator.
* ``logged_in_page(user)``: ``page`` with ``user`` logged in to the live server.
* ``screenshot(page, name)``: saves ``docs/img/link/<name>.png`` when
  ``DJ_PLAID_SCREENSHOTS=1`` (the docs' pictures are taken on demand, not in CI).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / ".browser-artifacts"
SCREENSHOTS = ROOT / "docs" / "img" / "link"
HOW_TO_GET = (
    "browser tests not run: they need Debian's Chromium and Playwright "
    "(apt-get install chromium; pip install -e '.[dev]'), or DJ_PLAID_CHROMIUM=/path/to/chromium"
)
HERE = Path(__file__).resolve().parent


def chromium_path() -> str | None:
    """Where Chromium is, or None."""
    configured = os.environ.get("DJ_PLAID_CHROMIUM")
    if configured:
        return configured if Path(configured).exists() else None
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _missing() -> str | None:
    """Why the browser tests cannot run here, or None when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed"
    if chromium_path() is None:
        return "Chromium was not found"
    return None


def _in_this_package(item: pytest.Item) -> bool:
    return HERE in Path(str(item.fspath)).parents


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark this package's tests ``browser``; deselect them when no browser can run."""
    ours = [item for item in items if _in_this_package(item)]
    for item in ours:
        item.add_marker(pytest.mark.browser)
    missing = _missing() if ours else None
    if missing is None:
        return
    if os.environ.get("DJ_PLAID_REQUIRE_BROWSER"):
        return  # CI must run them: the browser fixture fails, saying why.
    config.hook.pytest_deselected(items=ours)
    items[:] = [item for item in items if not _in_this_package(item)]
    config.stash[_SKIPPED] = f"{len(ours)} {HOW_TO_GET} ({missing})"


_SKIPPED = pytest.StashKey[str]()


def pytest_terminal_summary(terminalreporter: Any, config: pytest.Config) -> None:
    """One line when the browser tests were left out."""
    message = config.stash.get(_SKIPPED, None)
    if message:
        terminalreporter.write_line(message, yellow=True)


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, driven by Playwright."""
    missing = _missing()
    if missing:
        pytest.fail(f"DJ_PLAID_REQUIRE_BROWSER is set but {missing}: {HOW_TO_GET}", pytrace=False)
    from playwright.sync_api import sync_playwright

    # Playwright's sync API keeps an asyncio loop on this thread while it lives; Django
    # refuses database access beside a loop unless told the code is synchronous (it is).
    with pytest.MonkeyPatch.context() as env, sync_playwright() as playwright:
        env.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        args = ["--no-sandbox"] if os.geteuid() == 0 else []
        instance = playwright.chromium.launch(
            executable_path=chromium_path(), headless=True, args=args
        )
        try:
            yield instance
        finally:
            instance.close()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)


@pytest.fixture
def page(browser: Any, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A new browser context and page; console output in ``page.console_log``."""
    server = None
    if "link_server" in request.fixturenames:
        # Set up first, so torn down after the page: the page's last requests are over
        # before the live server drains and the database is flushed.
        server = request.getfixturevalue("link_server")
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    new_page = context.new_page()
    log: list[str] = []
    new_page.on("console", lambda message: log.append(f"{message.type}: {message.text}"))
    new_page.on("pageerror", lambda error: log.append(f"pageerror: {error}"))
    new_page.console_log = log
    try:
        yield new_page
    finally:
        report = getattr(request.node, "report_call", None)
        if report is not None and report.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            name = request.node.nodeid.replace("/", "_").replace(":", "_")
            try:
                new_page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
                (ARTIFACTS / f"{name}.console.txt").write_text("\n".join(log))
            except Exception:  # a crashed page leaves nothing to shoot
                pass
        context.close()
        if server is not None:
            server.drain()


class _InFlight:
    """Counts the live server's requests in flight (Django's request signals)."""

    def __init__(self) -> None:
        self.count = 0
        self._lock = threading.Lock()

    def started(self, **kwargs: Any) -> None:
        with self._lock:
            self.count += 1

    def finished(self, **kwargs: Any) -> None:
        with self._lock:
            self.count -= 1


@dataclass
class LinkServer:
    """The live server and the emulator it talks to."""

    url: str
    emulator: Any
    in_flight: _InFlight

    @property
    def link_script_url(self) -> str:
        return f"{self.emulator.url}/link/v2/stable/link-initialize.js"

    def drain(self, timeout: float = 20.0) -> None:
        """Wait for the emulator's webhooks and the live server's requests to finish.

        The page's last calls (a reported exit sent with ``keepalive``, a poll) and the
        webhooks a link set off would otherwise still write while the test's database
        is flushed (a deadlock on PostgreSQL) or after it is closed to them.
        """
        deadline = time.monotonic() + timeout
        # A request may set off webhooks, and a webhook is a request: twice round.
        for _ in range(2):
            # A test that held or broke deliveries: the requests still drain below.
            with contextlib.suppress(TimeoutError):
                self.emulator.wait_for_webhooks(max(deadline - time.monotonic(), 0.1))
            while self.in_flight.count > 0 and time.monotonic() < deadline:
                time.sleep(0.02)


@pytest.fixture
def link_server(
    plaid_emulator_settings: Any, live_server: Any, settings: Any
) -> Iterator[LinkServer]:
    """A live server with ``PLAID`` pointed at the emulator, its webhooks and its Link."""
    from django.core.signals import request_finished, request_started

    in_flight = _InFlight()
    server = LinkServer(url=live_server.url, emulator=plaid_emulator_settings, in_flight=in_flight)
    request_started.connect(in_flight.started, weak=False)
    request_finished.connect(in_flight.finished, weak=False)
    settings.PLAID = {
        **settings.PLAID,
        "WEBHOOK_URL": f"{live_server.url}/plaid/webhook/",
        "LINK_SCRIPT_URL": server.link_script_url,
    }
    try:
        yield server
    finally:
        server.drain()
        request_started.disconnect(in_flight.started)
        request_finished.disconnect(in_flight.finished)


@pytest.fixture
def logged_in_page(page: Any, link_server: LinkServer) -> Callable[[Any], Any]:
    """Log a Django user in to the live server in ``page``'s context; return the page."""
    from django.conf import settings
    from django.test import Client

    def log_in(user: Any) -> Any:
        client = Client()
        client.force_login(user)
        cookie = client.cookies[settings.SESSION_COOKIE_NAME]
        page.context.add_cookies(
            [{"name": cookie.key, "value": cookie.value, "url": link_server.url}]
        )
        return page

    return log_in


@pytest.fixture
def screenshot() -> Callable[[Any, str], None]:
    """``screenshot(page_or_locator, name)``: a docs picture, taken when DJ_PLAID_SCREENSHOTS=1."""

    def take(target: Any, name: str) -> None:
        if os.environ.get("DJ_PLAID_SCREENSHOTS") != "1":
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        target.screenshot(path=str(SCREENSHOTS / f"{name}.png"))

    return take
