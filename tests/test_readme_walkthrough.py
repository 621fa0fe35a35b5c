"""README's "Walk-through with curl", run as written against the example project.

The test reads the curl commands out of the README's walk-through block and makes each
request over real HTTP: to the example project itself (its settings: HTTP Basic auth,
eager Celery, signed webhooks verified, SQLite in a temporary folder) served by
``runserver`` in a subprocess, as ``make demo`` serves it, and to the Plaid emulator. Only
the hosts change (free ports instead of 8000 and 8765), and the placeholders the README
asks the reader to fill in (the public token, the item_id). Then it checks what the
numbered steps and the paragraphs around them say each answer is, and that the webhooks
the README describes were delivered, verified and processed.
"""

from __future__ import annotations

import base64
import html
import json
import os
import re
import shlex
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import urllib3

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
EXAMPLE_PROJECT = ROOT / "example_project"
DEMO = "http://127.0.0.1:8000"
EMULATOR = "http://127.0.0.1:8765"

#: What ``scripts/demo.py`` does before serving: migrate, the demo user, runserver.
BOOT = """
import sys
import django
from django.contrib.auth import get_user_model
from django.core.management import call_command

django.setup()
call_command("migrate", interactive=False, verbosity=0)
get_user_model().objects.create_superuser("demo", "demo@example.com", "demo")
call_command("runserver", sys.argv[1], use_reloader=False)
"""


@dataclass
class Curl:
    """One curl command: the request it makes."""

    method: str
    url: str
    headers: dict[str, str]
    body: str | None

    @classmethod
    def parse(cls, line: str) -> Curl:
        words = shlex.split(line)
        assert words[0] == "curl", line
        method, url, body = "GET", None, None
        headers: dict[str, str] = {}
        rest = iter(words[1:])
        for word in rest:
            if word == "-X":
                method = next(rest)
            elif word == "-u":
                basic = base64.b64encode(next(rest).encode()).decode()
                headers["Authorization"] = f"Basic {basic}"
            elif word == "-H":
                name, _, value = next(rest).partition(": ")
                headers[name] = value
            elif word == "-d":
                body = next(rest)
                method = "POST" if method == "GET" else method
            else:
                assert not word.startswith("-"), f"an option the test does not know: {word}"
                url = word
        assert url is not None, line
        return cls(method, url, headers, body)


def section(markdown: str, heading: str) -> str:
    """The text under ``heading`` up to the next heading of the same or a higher level."""
    level = heading.split(" ")[0]
    start = markdown.index(heading + "\n")
    end = re.compile(rf"^#{{1,{len(level)}}} ", re.MULTILINE).search(markdown, start + 1)
    return markdown[start : end.start() if end else len(markdown)]


def shell_blocks(text: str) -> list[list[str]]:
    return [
        [line for line in block.splitlines() if line.strip()]
        for block in re.findall(r"```shell\n(.*?)```", text, re.DOTALL)
    ]


WALKTHROUGH = section(README.read_text(), "### Walk-through with curl")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Demo:
    """The example project, served by runserver, and the emulator it talks to."""

    url: str
    emulator: Any
    database: Path

    def run(self, line: str, **placeholders: str) -> tuple[int, Any]:
        """Run one of the README's curl commands here; (status, JSON body or None)."""
        line = line.replace(DEMO, self.url).replace(EMULATOR, self.emulator.url)
        for placeholder, value in placeholders.items():
            assert placeholder in line, (placeholder, line)
            line = line.replace(placeholder, value)
        curl = Curl.parse(line)
        response = urllib3.request(
            curl.method, curl.url, body=curl.body, headers=curl.headers, timeout=30
        )
        text = response.data.decode()
        return response.status, json.loads(text) if text else None

    def webhook_events(self) -> list[tuple[str, str, str, bool, str]]:
        """The demo's stored webhooks: (type, code, status, verified, item_id)."""
        with sqlite3.connect(self.database) as connection:
            return connection.execute(
                "SELECT webhook_type, webhook_code, status, verified, item_id"
                " FROM django_plaid_webhookevent ORDER BY id"
            ).fetchall()


@pytest.fixture
def demo(plaid_emulator: Any, tmp_path: Path) -> Iterator[Demo]:
    """``make demo`` on free ports: the example project (a fresh SQLite database) and the
    emulator, with the environment ``scripts/demo.py`` sets."""
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    database = tmp_path / "demo.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_URL", "CELERY_", "PLAID_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="example_project.settings",
        DATABASE_URL=f"sqlite:///{database}",
        PLAID_HOST=plaid_emulator.url,
        PLAID_WEBHOOK_URL=f"{url}/plaid/webhook/",
        PLAID_LINK_SCRIPT_URL=plaid_emulator.link_script_url,
    )
    log = (tmp_path / "runserver.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-c", BOOT, f"127.0.0.1:{port}"],
        cwd=EXAMPLE_PROJECT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, (tmp_path / "runserver.log").read_text()
            try:
                urllib3.request("GET", f"{url}/plaid/items/", timeout=1, retries=False)
                break
            except urllib3.exceptions.HTTPError:
                assert time.monotonic() < deadline, (tmp_path / "runserver.log").read_text()
                time.sleep(0.2)
        yield Demo(url=url, emulator=plaid_emulator, database=database)
        # The webhooks the walk-through set off are answered before the server stops.
        plaid_emulator.wait_for_webhooks()
    finally:
        server.terminate()
        server.wait(timeout=10)
        log.close()


def test_the_walkthrough_has_the_commands_this_test_runs() -> None:
    linking, removal = shell_blocks(WALKTHROUGH)
    assert len(linking) == 7
    assert [Curl.parse(line).url for line in linking] == [
        f"{DEMO}/plaid/link-token/",
        f"{EMULATOR}/sandbox/public_token/create",
        f"{DEMO}/plaid/exchange/",
        f"{DEMO}/plaid/items/",
        f"{DEMO}/plaid/accounts/",
        f"{DEMO}/plaid/transactions/?page_size=5",
        f"{DEMO}/plaid/auth/",
    ]
    (delete,) = removal
    assert Curl.parse(delete).method == "DELETE"
    # The public token request sets the Item's webhook URL: the demo's webhook endpoint.
    token_request = json.loads(Curl.parse(linking[1]).body or "")
    assert token_request["options"] == {"webhook": f"{DEMO}/plaid/webhook/"}


def test_the_walkthrough_does_what_the_readme_says(demo: Demo) -> None:
    (link_token, public_token, exchange, items, accounts, transactions, auth), (delete,) = (
        shell_blocks(WALKTHROUGH)
    )
    emulator = demo.emulator

    # 1. A Link token for the products named; one the demo does not allow answers 400.
    status, body = demo.run(link_token)
    assert status == 200, body
    assert set(body) == {"link_token", "expiration"}
    assert body["link_token"].startswith("link-sandbox-")
    status, body = demo.run(link_token.replace('"auth"', '"assets"'))
    assert status == 400, body
    assert "Not allowed here: assets" in body["products"][0]

    # 2. A public token, for an Item whose webhook URL is the demo's.
    status, body = demo.run(public_token)
    assert status == 200, body
    token = body["public_token"]
    assert token.startswith("public-sandbox-")

    # 3. 201 with the Item. The webhooks are held back until the answer is in, so what the
    # answer finds stored (transactions, Auth numbers) was stored by the exchange itself.
    with emulator.hold_webhooks():
        status, item = demo.run(exchange, **{"public-sandbox-...": token})
        assert status == 201, item
        assert item["institution_name"] == "First Platypus Bank"
        assert item["status"] == "healthy"
        assert item["products"] == ["auth", "transactions"]
        assert len(item["accounts"]) == 12
        # 5. and 6.: stored before the answer.
        status, page = demo.run(transactions)
        assert status == 200, page
        assert len(page["results"]) == 5
        assert page["next"]
        synced = emulator.transactions_truth(item["item_id"])
        assert {t["transaction_id"] for t in page["results"]} <= set(synced)
        assert {t["item_id"] for t in page["results"]} == {item["item_id"]}
        status, numbers = demo.run(auth)
        assert status == 200, numbers
    item_id = item["item_id"]

    # 4. The Items and the Accounts, with their balances.
    status, listed = demo.run(items)
    assert status == 200
    assert [i["item_id"] for i in listed] == [item_id]
    status, listed_accounts = demo.run(accounts)
    assert status == 200
    assert len(listed_accounts) == 12
    checking = next(a for a in listed_accounts if a["name"] == "Plaid Checking")
    assert checking["balances"]["current"] == 110

    # 6. The Auth numbers of checking, savings and cash management, masked even for the
    # demo user (a superuser).
    names = {a["account_id"]: a["name"] for a in listed_accounts}
    assert sorted(names[n["account_id"]] for n in numbers) == [
        "Plaid Cash Management",
        "Plaid Checking",
        "Plaid Saving",
    ]
    (checking_numbers,) = [n for n in numbers if n["account_id"] == checking["account_id"]]
    (ach,) = checking_numbers["numbers"]["ach"]
    assert ach["account"] == "••••0000"
    assert ach["routing"] == "••••1533"
    assert "1111222233330000" not in json.dumps(numbers)

    # The webhooks: TRANSACTIONS INITIAL_UPDATE and HISTORICAL_UPDATE, sent to the demo's
    # webhook URL, verified, stored and processed; their syncs find nothing new.
    deliveries = emulator.wait_for_webhooks()
    assert [(d.webhook_type, d.payload["webhook_code"]) for d in deliveries] == [
        ("TRANSACTIONS", "INITIAL_UPDATE"),
        ("TRANSACTIONS", "HISTORICAL_UPDATE"),
    ]
    assert all(d.delivered and d.url == f"{demo.url}/plaid/webhook/" for d in deliveries)
    assert all(d.status_codes == [200] for d in deliveries)
    assert demo.webhook_events() == [
        ("TRANSACTIONS", "INITIAL_UPDATE", "processed", 1, item_id),
        ("TRANSACTIONS", "HISTORICAL_UPDATE", "processed", 1, item_id),
    ]
    status, after = demo.run(transactions)
    assert after["results"] == page["results"]

    # Again: 409 DUPLICATE_ITEM, with the Item it duplicates.
    status, body = demo.run(public_token)
    status, duplicate = demo.run(exchange, **{"public-sandbox-...": body["public_token"]})
    assert status == 409, duplicate
    assert duplicate["error_code"] == "DUPLICATE_ITEM"
    assert duplicate["item_id"] == item_id

    # Removed at Plaid and here: 204.
    status, body = demo.run(delete, **{"<item_id>": item_id})
    assert status == 204, body
    assert item_id not in emulator.state.items
    assert demo.run(items) == (200, [])


def test_without_options_webhook_no_webhook_is_sent(demo: Demo) -> None:
    (_, public_token, exchange, *_), _ = shell_blocks(WALKTHROUGH)
    without = json.loads(Curl.parse(public_token).body or "")
    del without["options"]
    line = public_token.replace(Curl.parse(public_token).body or "", json.dumps(without))
    assert "options" not in line
    status, body = demo.run(line)
    status, item = demo.run(exchange, **{"public-sandbox-...": body["public_token"]})
    assert status == 201, item
    # The first sync stored the transactions all the same.
    transactions = demo.run(f"curl -u demo:demo {DEMO}/plaid/transactions/?page_size=5")[1]
    assert len(transactions["results"]) == 5
    assert demo.emulator.wait_for_webhooks() == []
    assert demo.webhook_events() == []


def test_the_pages_curl_commands_are_the_readmes(demo: Demo) -> None:
    """The demo's page lists the same commands ("Try the same API with curl")."""
    login = urllib3.request("GET", f"{demo.url}/login/")
    csrf = re.search(r"csrftoken=([^;]+)", login.headers["Set-Cookie"]).group(1)
    form = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.data.decode()).group(1)
    signed_in = urllib3.request(
        "POST",
        f"{demo.url}/login/",
        body=urlencode({"username": "demo", "password": "demo", "csrfmiddlewaretoken": form}),
        headers={
            "Cookie": f"csrftoken={csrf}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        redirect=False,
    )
    assert signed_in.status == 302
    session = re.search(r"sessionid=([^;]+)", signed_in.headers["Set-Cookie"]).group(1)
    home = urllib3.request("GET", f"{demo.url}/", headers={"Cookie": f"sessionid={session}"})
    assert home.status == 200
    (block,) = re.findall(r"<pre><code>(.*?)</code></pre>", home.data.decode(), re.DOTALL)
    on_the_page = html.unescape(block).splitlines()
    linking, removal = shell_blocks(WALKTHROUGH)
    in_the_readme = [
        line.replace(DEMO, demo.url).replace(EMULATOR, demo.emulator.url)
        for line in linking + removal
    ]
    assert on_the_page == in_the_readme


def test_the_docs_home_page_has_the_same_commands() -> None:
    """docs/index.md repeats the walk-through's commands: the same ones, which this runs."""
    index = section((ROOT / "docs" / "index.md").read_text(), "## Try it")
    linking, _ = shell_blocks(WALKTHROUGH)
    assert linking in shell_blocks(index)
