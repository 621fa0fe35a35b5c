"""The Link simulator's files on ``GET``: where Plaid's CDN has them, self-contained."""

from __future__ import annotations

import http.client
import re
from urllib.parse import urlsplit

import pytest

from django_plaid.emulator.link_ui import ASSETS

from . import post

PATHS = {asset.path: asset for asset in ASSETS}


def get(emulator, path, method="GET"):
    return post(emulator, path, method=method, credentials=False)


@pytest.mark.parametrize("path", sorted(PATHS))
def test_each_file_is_served(plaid_emulator, path):
    status, response, body = get(plaid_emulator, path)
    assert status == 200
    assert response.getheader("Content-Type") == PATHS[path].content_type
    assert response.getheader("X-Content-Type-Options") == "nosniff"
    assert body == PATHS[path].read()


def test_head_sends_the_headers_only(plaid_emulator):
    parts = urlsplit(plaid_emulator.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    try:
        connection.request("HEAD", "/link/v2/stable/link.js")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Length") == str(
            len(PATHS["/link/v2/stable/link.js"].read())
        )
        assert response.read() == b""
    finally:
        connection.close()


def test_the_script_is_at_plaids_cdn_path(plaid_emulator):
    assert plaid_emulator.link_script_url == (
        plaid_emulator.url + "/link/v2/stable/link-initialize.js"
    )
    status, response, body = get(plaid_emulator, "/link/v2/stable/link-initialize.js")
    assert status == 200
    assert response.getheader("Content-Type").startswith("text/javascript")
    assert b"window.Plaid" in body


def test_the_iframe_may_reach_nothing_but_the_emulator(plaid_emulator):
    _, response, body = get(plaid_emulator, "/link/v2/stable/link.html")
    policy = response.getheader("Content-Security-Policy")
    assert "default-src 'none'" in policy
    assert "connect-src 'self'" in policy
    assert b"title>Plaid Link<" in body


@pytest.mark.parametrize("path", sorted(PATHS))
def test_no_file_loads_anything_from_elsewhere(path):
    text = PATHS[path].read().decode()
    # No absolute URL at all (fonts, scripts, images from a CDN), no @import.
    assert not re.search(r"(https?:)?//[a-z0-9.-]+\.[a-z]{2,}/", text), path
    assert "@import" not in text
    assert "@font-face" not in text


def test_the_shipped_files_stay_small():
    sizes = {asset.filename: len(asset.read()) for asset in ASSETS}
    assert sizes["link-initialize.js"] < 6_000, sizes
    assert sum(sizes.values()) < 40_000, sizes


def test_get_serves_only_the_files(plaid_emulator):
    status, _, body = get(plaid_emulator, "/link/token/create")
    assert (status, body["error_code"]) == (404, "NOT_FOUND")
    status, _, body = post(plaid_emulator, "/link/v2/stable/link-initialize.js", {})
    assert (status, body["error_code"]) == (404, "NOT_FOUND")
