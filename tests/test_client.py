"""The client, over real HTTP: against the emulator, a closed port, a silent socket and a proxy."""

import logging
import socket
import threading

import pytest
from django.test import override_settings
from werkzeug.serving import make_server
from werkzeug.wrappers import Response

from django_plaid.client import get_client
from django_plaid.conf import plaid_settings
from django_plaid.exceptions import (
    PlaidConfigurationError,
    PlaidConnectionError,
    PlaidInvalidInputError,
    PlaidInvalidRequestError,
    PlaidServerError,
    PlaidTimeoutError,
)
from tests.helpers import sandbox_public_token


@pytest.fixture
def access_token(emulator):
    token = sandbox_public_token()
    return get_client().call("item_public_token_exchange", public_token=token)["access_token"]


def _with(**plaid):
    return override_settings(PLAID={**plaid_settings.user_settings, **plaid})


def test_typed_call_returns_json_ready_dicts(access_token):
    response = get_client().call("accounts_get", access_token=access_token)
    assert isinstance(response["accounts"], list)
    assert isinstance(response["accounts"][0]["balances"]["current"], float)
    assert response["item"]["institution_id"] == "ins_109508"
    assert response["request_id"]


def test_raw_call_returns_the_same_data(access_token):
    typed = get_client().call("accounts_get", access_token=access_token)
    raw = get_client().call_raw("accounts_get", access_token=access_token)
    assert [a["account_id"] for a in raw["accounts"]] == [
        a["account_id"] for a in typed["accounts"]
    ]
    assert raw["accounts"][0]["balances"] == typed["accounts"][0]["balances"]


def test_plaid_error_becomes_the_exception_tree(emulator):
    with pytest.raises(PlaidInvalidInputError) as excinfo:
        get_client().call("accounts_get", access_token="access-sandbox-not-a-real-token")
    error = excinfo.value
    assert error.error_code == "INVALID_ACCESS_TOKEN"
    assert error.error_type == "INVALID_INPUT"
    assert error.status == 400
    assert error.request_id
    assert "access-sandbox-not-a-real-token" not in str(error) + repr(error)


def test_raw_path_raises_the_same_errors(emulator):
    with pytest.raises(PlaidInvalidInputError):
        get_client().call_raw("accounts_get", access_token="access-sandbox-nope")


def test_bad_request_is_caught_before_it_leaves_without_echoing_input(emulator):
    with pytest.raises(PlaidInvalidRequestError) as excinfo:
        get_client().call("transactions_sync", access_token="access-sandbox-secret", count=900)
    assert excinfo.value.error_code == "INVALID_FIELD"
    assert "access-sandbox-secret" not in str(excinfo.value)
    assert excinfo.value.__cause__ is None


def test_unknown_operation(emulator):
    with pytest.raises(PlaidConfigurationError):
        get_client().call("no_such_operation")


def test_refused_connection(emulator):
    with _with(HOST="http://127.0.0.1:9"), pytest.raises(PlaidConnectionError) as excinfo:
        get_client().call("accounts_get", access_token="access-sandbox-x")
    assert excinfo.value.error_code == "PLAID_UNREACHABLE"
    assert excinfo.value.retryable


@pytest.fixture
def silent_server():
    """A socket that accepts connections and never answers."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    sock.close()


def test_every_call_has_a_timeout(emulator, silent_server):
    with _with(HOST=silent_server, REQUEST_TIMEOUT=0.3), pytest.raises(PlaidTimeoutError) as e:
        get_client().call("accounts_get", access_token="access-sandbox-x")
    assert e.value.error_code == "PLAID_TIMEOUT"
    assert isinstance(e.value, PlaidConnectionError)


@pytest.fixture
def html_502_server():
    """A proxy in front of Plaid that answers an HTML 502."""

    def app(environ, start_response):
        return Response("<html>Bad gateway</html>", status=502, content_type="text/html")(
            environ, start_response
        )

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_non_json_error_body(emulator, html_502_server):
    with _with(HOST=html_502_server), pytest.raises(PlaidServerError) as excinfo:
        get_client().call("accounts_get", access_token="access-sandbox-x")
    assert excinfo.value.status == 502
    assert excinfo.value.retryable


def test_missing_credentials():
    with override_settings(PLAID={"CLIENT_NAME": "x"}), pytest.raises(PlaidConfigurationError):
        get_client()


def test_client_is_rebuilt_when_settings_change(emulator):
    first = get_client()
    assert get_client() is first
    with _with(REQUEST_TIMEOUT=7):
        assert get_client() is not first
        assert get_client().timeout == 7
    assert "test_secret" not in repr(get_client())


def test_nothing_logged_contains_a_secret(access_token, caplog):
    caplog.set_level(logging.DEBUG)
    client = get_client()
    client.call("accounts_get", access_token=access_token)
    with pytest.raises(PlaidInvalidInputError):
        client.call("item_get", access_token=access_token + "x")
    with _with(SECRET="wrong-secret"), pytest.raises(PlaidInvalidInputError):
        get_client().call("accounts_get", access_token=access_token)
    text = caplog.text
    assert "accounts_get" in text
    for secret in (access_token, "test_secret", "wrong-secret"):
        assert secret not in text
