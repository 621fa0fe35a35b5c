"""Tests of the Plaid emulator (no Django needed); shared helpers live here."""

from __future__ import annotations

import http.client
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NamedTuple
from urllib.parse import urlsplit

import plaid
import pytest
from plaid.api import plaid_api

CLIENT_ID = "test_client_id"
SECRET = "test_secret"
ERROR_KEYS = {
    "error_type",
    "error_code",
    "error_message",
    "display_message",
    "request_id",
    "error_code_reason",
    "documentation_url",
    "suggested_action",
    "causes",
}


def make_api(emulator: Any, client_id: str = CLIENT_ID, secret: str = SECRET) -> plaid_api.PlaidApi:
    """An unmodified plaid-python client pointed at the emulator."""
    configuration = plaid.Configuration(
        host=emulator.url,
        api_key={"clientId": client_id, "secret": secret, "plaidVersion": "2020-09-14"},
    )
    return plaid_api.PlaidApi(plaid.ApiClient(configuration))


def post(
    emulator: Any,
    path: str,
    body: Any = None,
    *,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    credentials: bool = True,
) -> tuple[int, http.client.HTTPResponse, Any]:
    """Send one raw HTTP request; return (status, response, parsed JSON or raw bytes)."""
    parts = urlsplit(emulator.url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
    all_headers = {"Content-Type": "application/json"}
    if credentials:
        all_headers.update({"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": SECRET})
    all_headers.update(headers or {})
    if body is None:
        payload = b""
    elif isinstance(body, bytes):
        payload = body
    else:
        payload = json.dumps(body).encode()
    try:
        connection.request(method, path, body=payload, headers=all_headers)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    assert response.getheader("Content-Length") == str(len(raw))
    try:
        parsed: Any = json.loads(raw)
    except ValueError:
        parsed = raw
    return response.status, response, parsed


class _StubResponse:
    """The bit of urllib3's response that ``ApiClient.deserialize`` reads."""

    def __init__(self, body: Any) -> None:
        self.data = body if isinstance(body, (str, bytes)) else json.dumps(body)

    def getheader(self, name: str, default: Any = None) -> Any:
        return default


def deserialize(body: Any, model: type) -> Any:
    """Deserialize like plaid-python does for a typed response (strict type checking)."""
    return plaid.ApiClient().deserialize(_StubResponse(body), (model,), True)


def plaid_error(exc: plaid.ApiException) -> Any:
    """Parse an SDK exception's body into the SDK's strict ``PlaidError`` model."""
    from plaid.model.plaid_error import PlaidError

    body = json.loads(exc.body)
    assert set(body) >= ERROR_KEYS, body
    return deserialize(body, PlaidError)


class PlaidFailure(NamedTuple):
    """What ``plaid_failure`` caught: the HTTP status and the strict ``PlaidError``."""

    status: int
    error: Any

    @property
    def codes(self) -> tuple[int, str, str]:
        """(HTTP status, error_type, error_code)."""
        return self.status, self.error.error_type.value, self.error.error_code


def plaid_failure(call: Callable[[], Any]) -> PlaidFailure:
    """Run an SDK call that must fail with a Plaid error; return what it failed with.

    ``status, error = plaid_failure(...)``; ``.error`` alone; ``.codes`` for
    ``(status, error_type, error_code)``.
    """
    with pytest.raises(plaid.ApiException) as info:
        call()
    return PlaidFailure(info.value.status, plaid_error(info.value))


@contextmanager
def recording(emulator: Any) -> Iterator[list[tuple[str, int, Any]]]:
    """Record (path, status, body) of every response the emulator sends meanwhile."""
    app = emulator.app
    original = app.handle
    seen: list[tuple[str, int, Any]] = []

    def handle(method: str, path: str, headers: Any, raw: bytes) -> Any:
        response = original(method, path, headers, raw)
        seen.append((path, response.status, json.loads(response.encode())))
        return response

    app.handle = handle
    try:
        yield seen
    finally:
        del app.handle
