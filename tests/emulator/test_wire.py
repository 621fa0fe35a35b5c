"""HTTP-level behaviour: JSON in and out, credentials, routing and Plaid's error bodies."""

from __future__ import annotations

import re
import time

import pytest

from django_plaid.emulator import PlaidErrorResponse
from django_plaid.emulator.app import Response

from . import CLIENT_ID, ERROR_KEYS, SECRET, post

INSTITUTION = {"institution_id": "ins_109508", "country_codes": ["US"]}
REQUEST_ID = re.compile(r"^[A-Za-z0-9]{15}$")


def assert_error(result, status, error_type, error_code):
    got_status, response, body = result
    assert (got_status, body["error_type"], body["error_code"]) == (status, error_type, error_code)
    assert set(body) == ERROR_KEYS
    assert REQUEST_ID.match(body["request_id"])
    assert body["display_message"] is None or isinstance(body["display_message"], str)
    assert body["error_code_reason"] is None
    assert body["suggested_action"] is None or isinstance(body["suggested_action"], str)
    assert body["causes"] == []
    assert body["documentation_url"].startswith("https://plaid.com/docs/errors/")
    assert response.getheader("Content-Type").startswith("application/json")
    return body


def test_success_is_json_with_content_length_and_request_id(plaid_emulator):
    status, response, body = post(plaid_emulator, "/institutions/get_by_id", INSTITUTION)
    assert status == 200
    assert response.getheader("Content-Type") == "application/json; charset=utf-8"
    assert int(response.getheader("Content-Length")) > 0  # post() checks it is exact
    assert REQUEST_ID.match(body["request_id"])
    assert body["institution"]["name"] == "First Platypus Bank"


def test_request_ids_differ(plaid_emulator):
    ids = {post(plaid_emulator, "/institutions/get_by_id", INSTITUTION)[2]["request_id"]}
    ids.add(post(plaid_emulator, "/institutions/get_by_id", INSTITUTION)[2]["request_id"])
    assert len(ids) == 2


def test_credentials_in_body(plaid_emulator):
    body = {**INSTITUTION, "client_id": CLIENT_ID, "secret": SECRET}
    status, _, answer = post(plaid_emulator, "/institutions/get_by_id", body, credentials=False)
    assert status == 200, answer


def test_credential_headers_are_case_insensitive(plaid_emulator):
    headers = {"plaid-client-id": CLIENT_ID, "Plaid-Secret": SECRET}
    status, _, _ = post(
        plaid_emulator, "/institutions/get_by_id", INSTITUTION, headers=headers, credentials=False
    )
    assert status == 200


def test_headers_win_over_body_and_body_credentials_are_not_echoed(plaid_emulator):
    body = {**INSTITUTION, "client_id": "ignored", "secret": "ignored"}
    status, _, answer = post(plaid_emulator, "/institutions/get_by_id", body)
    assert status == 200
    assert "secret" not in answer


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"PLAID-CLIENT-ID": CLIENT_ID, "PLAID-SECRET": "wrong"}, {}),
        ({"PLAID-CLIENT-ID": "wrong", "PLAID-SECRET": SECRET}, {}),
        ({}, {"client_id": CLIENT_ID, "secret": "wrong"}),
        ({"PLAID-CLIENT-ID": CLIENT_ID}, {}),
        ({}, {}),
        ({}, {"client_id": CLIENT_ID, "secret": 123}),
    ],
)
def test_wrong_or_missing_credentials(plaid_emulator, headers, body):
    result = post(
        plaid_emulator,
        "/institutions/get_by_id",
        {**INSTITUTION, **body},
        headers=headers,
        credentials=False,
    )
    error = assert_error(result, 400, "INVALID_INPUT", "INVALID_API_KEYS")
    assert SECRET not in error["error_message"]


def test_unknown_path_is_404(plaid_emulator):
    assert_error(post(plaid_emulator, "/no/such/endpoint", {}), 404, "INVALID_REQUEST", "NOT_FOUND")


def test_unknown_path_is_404_even_without_credentials(plaid_emulator):
    result = post(plaid_emulator, "/no/such/endpoint", {}, credentials=False)
    assert_error(result, 404, "INVALID_REQUEST", "NOT_FOUND")


def test_get_on_a_post_endpoint_is_404(plaid_emulator):
    result = post(plaid_emulator, "/accounts/get", method="GET")
    assert_error(result, 404, "INVALID_REQUEST", "NOT_FOUND")


@pytest.mark.parametrize("payload", [b"not json", b"", b"[1, 2]", b'"text"', b"\xff\xfe"])
def test_non_json_or_non_object_body(plaid_emulator, payload):
    result = post(plaid_emulator, "/accounts/get", payload)
    assert_error(result, 400, "INVALID_REQUEST", "INVALID_BODY")


def test_missing_fields_are_listed_together(plaid_emulator):
    result = post(plaid_emulator, "/link/token/create", {"client_name": "x"})
    body = assert_error(result, 400, "INVALID_REQUEST", "MISSING_FIELDS")
    assert body["error_message"] == (
        "the following required fields are missing: language, country_codes"
    )


def test_null_counts_as_missing(plaid_emulator):
    result = post(plaid_emulator, "/accounts/get", {"access_token": None})
    body = assert_error(result, 400, "INVALID_REQUEST", "MISSING_FIELDS")
    assert "access_token" in body["error_message"]


@pytest.mark.parametrize(
    ("path", "body", "field"),
    [
        ("/accounts/get", {"access_token": 5}, "access_token"),
        ("/institutions/get_by_id", {**INSTITUTION, "country_codes": "US"}, "country_codes"),
        ("/institutions/get_by_id", {**INSTITUTION, "country_codes": []}, "country_codes"),
        ("/institutions/get_by_id", {**INSTITUTION, "country_codes": ["XX"]}, "country_codes"),
        ("/institutions/get_by_id", {**INSTITUTION, "options": []}, "options"),
        (
            "/institutions/get_by_id",
            {**INSTITUTION, "options": {"include_optional_metadata": "yes"}},
            "options.include_optional_metadata",
        ),
    ],
)
def test_wrong_types_are_invalid_field(plaid_emulator, path, body, field):
    result = post(plaid_emulator, path, body)
    error = assert_error(result, 400, "INVALID_REQUEST", "INVALID_FIELD")
    assert error["error_message"].startswith(field)


def test_emulator_endpoints_need_no_credentials_and_accept_empty_body(plaid_emulator):
    status, _, body = post(plaid_emulator, "/emulator/reset", credentials=False)
    assert status == 200
    assert REQUEST_ID.match(body["request_id"])


def test_hook_can_inject_an_error(plaid_emulator):
    def rate_limit(context):
        if context.path == "/institutions/get_by_id":
            raise PlaidErrorResponse("INSTITUTIONS_GET_BY_ID_LIMIT")
        return None

    plaid_emulator.app.hooks.append(rate_limit)
    try:
        result = post(plaid_emulator, "/institutions/get_by_id", INSTITUTION)
        assert_error(result, 429, "RATE_LIMIT_EXCEEDED", "INSTITUTIONS_GET_BY_ID_LIMIT")
        assert post(plaid_emulator, "/emulator/reset", {})[0] == 200
    finally:
        plaid_emulator.app.hooks.remove(rate_limit)


def test_hook_sees_context_and_can_answer_raw(plaid_emulator):
    seen = []

    def bad_gateway(context):
        seen.append(context)
        return Response(502, b"<html>Bad Gateway</html>", content_type="text/html")

    plaid_emulator.app.hooks.append(bad_gateway)
    try:
        status, response, body = post(plaid_emulator, "/institutions/get_by_id", INSTITUTION)
    finally:
        plaid_emulator.app.hooks.remove(bad_gateway)
    assert (status, body) == (502, b"<html>Bad Gateway</html>")
    assert response.getheader("Content-Type") == "text/html"
    (context,) = seen
    assert context.client_id == CLIENT_ID
    assert context.body == INSTITUTION  # credentials are stripped before hooks run
    assert context.state is plaid_emulator.state


def test_slow_hook_does_not_block_other_requests(plaid_emulator):
    import threading

    def slow(context):
        if context.body.get("institution_id") == "ins_109509":
            time.sleep(1.0)

    plaid_emulator.app.hooks.append(slow)
    try:
        thread = threading.Thread(
            target=post,
            args=(
                plaid_emulator,
                "/institutions/get_by_id",
                {**INSTITUTION, "institution_id": "ins_109509"},
            ),
        )
        thread.start()
        time.sleep(0.1)
        started = time.monotonic()
        assert post(plaid_emulator, "/institutions/get_by_id", INSTITUTION)[0] == 200
        assert time.monotonic() - started < 0.5
        thread.join()
    finally:
        plaid_emulator.app.hooks.remove(slow)


def test_unexpected_exception_is_a_plaid_500(plaid_emulator, caplog):
    from django_plaid.emulator.routes import Route

    def broken(state, body):
        raise RuntimeError("boom")

    plaid_emulator.app.add_route(Route("/broken", broken))
    try:
        result = post(plaid_emulator, "/broken", {"access_token": "access-sandbox-secret-value"})
    finally:
        del plaid_emulator.app.routes["/broken"]
    assert_error(result, 500, "API_ERROR", "INTERNAL_SERVER_ERROR")
    assert "access-sandbox-secret-value" not in caplog.text
