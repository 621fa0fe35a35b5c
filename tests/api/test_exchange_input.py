"""``POST exchange/`` checks the public token and Link's metadata before calling Plaid.

Once Plaid has exchanged a public token it cannot be exchanged again, so input refused
after the exchange would orphan a live, billed Item at Plaid. Each refusal here is
proven to happen before any call to Plaid: the emulator saw none, and the same public
token is exchanged afterwards.
"""

from __future__ import annotations

from typing import Any

import pytest

from django_plaid.models import Account, Item
from tests.helpers import max_length, sandbox_public_token

pytestmark = pytest.mark.django_db

URL = "/plaid/exchange/"
EXCHANGE = "/item/public_token/exchange"


NAME_MAX = max_length(Item, "institution_name")
INSTITUTION_MAX = max_length(Item, "institution_id")
SESSION_MAX = max_length(Item, "link_session_id")

GOOD_INSTITUTION = {"name": "First Platypus Bank", "institution_id": "ins_109508"}

#: Metadata that must be refused, and the key of the error under ``metadata``.
BAD_METADATA = {
    # The three of the issue.
    "long-institution-name": ({"institution": {"name": "n" * (NAME_MAX + 1)}}, "institution"),
    "long-institution-id": (
        {"institution": {"institution_id": "i" * (INSTITUTION_MAX + 1)}},
        "institution",
    ),
    "nul-link-session-id": ({"link_session_id": "79e7\x00"}, "link_session_id"),
    # The rest of the class: every stored value, in both spellings.
    "long-mobile-institution-id": (
        {"institution": {"id": "i" * (INSTITUTION_MAX + 1)}},
        "institution",
    ),
    "nul-institution-name": ({"institution": {"name": "First\x00Bank"}}, "institution"),
    "control-institution-name": ({"institution": {"name": "First\x07Bank"}}, "institution"),
    "nul-institution-id": ({"institution": {"institution_id": "ins\x00"}}, "institution"),
    "numeric-institution-name": ({"institution": {"name": 123}}, "institution"),
    "object-institution-name": ({"institution": {"name": {"x": 1}}}, "institution"),
    "list-institution-id": ({"institution": {"institution_id": ["ins_1"]}}, "institution"),
    "string-institution": ({"institution": "First Platypus Bank"}, "institution"),
    "list-institution": ({"institution": [GOOD_INSTITUTION]}, "institution"),
    "long-link-session-id": ({"link_session_id": "s" * (SESSION_MAX + 1)}, "link_session_id"),
    "nul-mobile-link-session-id": ({"linkSessionId": "79e7\x00"}, "link_session_id"),
    "long-mobile-link-session-id": (
        {"linkSessionId": "s" * (SESSION_MAX + 1)},
        "link_session_id",
    ),
    "numeric-link-session-id": ({"link_session_id": 79}, "link_session_id"),
    "boolean-link-session-id": ({"link_session_id": True}, "link_session_id"),
    "string-accounts": ({"accounts": "x"}, "accounts"),
    "scalar-account": ({"accounts": [1]}, "accounts"),
    "numeric-account-id": ({"accounts": [{"id": 5}]}, "accounts"),
    "nul-account-name": ({"accounts": [{"name": "Plaid\x00Checking"}]}, "accounts"),
    "long-account-mask": (
        {"accounts": [{"mask": "0" * (max_length(Account, "mask") + 1)}]},
        "accounts",
    ),
    "numeric-verification-status": (
        {"accounts": [{"verificationStatus": 1}]},
        "accounts",
    ),
    "numeric-transfer-status": ({"transfer_status": 1}, "transfer_status"),
}

#: Whole bodies that must be refused, and the key of the error.
BAD_BODIES = {
    "numeric-public-token": ({"public_token": 123}, "public_token"),
    "boolean-public-token": ({"public_token": True}, "public_token"),
    "list-public-token": ({"public_token": ["public-sandbox-x"]}, "public_token"),
    "object-public-token": ({"public_token": {"t": 1}}, "public_token"),
    "nul-public-token": ({"public_token": "public-sandbox\x00"}, "public_token"),
    "spaced-public-token": ({"public_token": "public sandbox"}, "public_token"),
    "long-public-token": ({"public_token": "p" * 201}, "public_token"),
    "numeric-mobile-public-token": ({"publicToken": 123}, "publicToken"),
    "string-metadata": ({"metadata": "x"}, "metadata"),
    "list-metadata": ({"metadata": []}, "metadata"),
}


@pytest.fixture
def token(emulator: Any) -> str:
    return sandbox_public_token()


def _assert_untouched(plaid_calls: list[str], api: Any, token: str) -> None:
    """Plaid was not called, and the public token still exchanges."""
    assert EXCHANGE not in plaid_calls
    assert plaid_calls == []
    assert not Item.objects.exists()
    retry = api.post(URL, {"public_token": token, "metadata": {}}, format="json")
    assert retry.status_code == 201, retry.content


@pytest.mark.parametrize("case", sorted(BAD_METADATA))
def test_bad_metadata_is_a_400_before_plaid_is_called(api, token, plaid_calls, case):
    metadata, key = BAD_METADATA[case]
    response = api.post(URL, {"public_token": token, "metadata": metadata}, format="json")
    assert response.status_code == 400, response.content
    assert key in response.json()["metadata"], response.json()
    _assert_untouched(plaid_calls, api, token)


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
def test_a_bad_body_is_a_400_before_plaid_is_called(api, token, plaid_calls, case):
    body, key = BAD_BODIES[case]
    if "public_token" not in body and "publicToken" not in body:
        body = {**body, "public_token": token}
    response = api.post(URL, body, format="json")
    assert response.status_code == 400, response.content
    assert key in response.json(), response.json()
    _assert_untouched(plaid_calls, api, token)


def test_a_lone_surrogate_in_metadata_is_a_400_before_plaid_is_called(api, token, plaid_calls):
    metadata = b'{"institution": {"name": "\\ud800"}}'
    raw = b'{"public_token": "' + token.encode() + b'", "metadata": ' + metadata + b"}"
    response = api.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    _assert_untouched(plaid_calls, api, token)


def test_deep_metadata_is_a_400_before_plaid_is_called(api, token, plaid_calls):
    deep = b'{"x": ' * 3000 + b"1" + b"}" * 3000
    raw = b'{"public_token": "' + token.encode() + b'", "metadata": ' + deep + b"}"
    response = api.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "nested too deeply" in response.json()["detail"]
    _assert_untouched(plaid_calls, api, token)


def test_values_at_the_models_limits_are_stored(api, token):
    metadata = {
        "institution": {"name": "n" * NAME_MAX, "institution_id": "i" * INSTITUTION_MAX},
        "link_session_id": "s" * SESSION_MAX,
    }
    response = api.post(URL, {"public_token": token, "metadata": metadata}, format="json")
    assert response.status_code == 201, response.content
    item = Item.objects.get()
    assert item.link_session_id == "s" * SESSION_MAX


def test_web_metadata_as_link_sends_it_is_accepted(api, token):
    metadata = {
        "status": None,
        "link_session_id": "79e772be-547d-4c9c-8b76-4ac4ed4c441a",
        "institution": GOOD_INSTITUTION,
        "accounts": [
            {
                "id": "ygPnJweommTWNr9doD6ZfGR6GGVQy7fyREmWy",
                "name": "Plaid Checking",
                "mask": "0000",
                "type": "depository",
                "subtype": "checking",
                "verification_status": None,
                "class_type": None,
            }
        ],
        "account": {"id": None, "name": None},
        "account_id": None,
        "transfer_status": None,
        "wallet": None,
        "public_token": token,
    }
    response = api.post(URL, {"public_token": token, "metadata": metadata}, format="json")
    assert response.status_code == 201, response.content
    item = Item.objects.get()
    assert item.link_session_id == metadata["link_session_id"]


def test_mobile_camel_case_metadata_is_accepted(api, token):
    metadata = {
        "linkSessionId": "79e772be-547d-4c9c-8b76-4ac4ed4c441a",
        "institution": {"id": "ins_109508", "name": "First Platypus Bank"},
        "accounts": [
            {
                "id": "ygPnJweommTWNr9doD6ZfGR6GGVQy7fyREmWy",
                "name": "Plaid Checking",
                "mask": None,
                "type": "depository",
                "subtype": "checking",
                "verificationStatus": None,
            }
        ],
        "metadataJson": '{"institution": {"name": "First Platypus Bank"}}',
    }
    response = api.post(URL, {"publicToken": token, "metadata": metadata}, format="json")
    assert response.status_code == 201, response.content
    assert Item.objects.get().link_session_id == metadata["linkSessionId"]


@pytest.mark.parametrize(
    "metadata", [None, {}, {"institution": None}, {"accounts": []}, {"accounts": None}]
)
def test_empty_metadata_is_accepted(api, token, metadata):
    response = api.post(URL, {"public_token": token, "metadata": metadata}, format="json")
    assert response.status_code == 201, response.content


def test_unknown_keys_are_allowed_but_not_passed_on(api, token, plaid_calls):
    metadata = {"institution": GOOD_INSTITUTION, "future_key": {"deep": ["\x00"]}, "n": 1.5}
    response = api.post(URL, {"public_token": token, "metadata": metadata}, format="json")
    assert response.status_code == 201, response.content
    assert plaid_calls[0] == EXCHANGE


@pytest.mark.parametrize("encoding", ["multipart", "form"])
def test_a_flat_form_body_is_taken_too(api, emulator, encoding):
    from urllib.parse import urlencode

    token = sandbox_public_token()
    if encoding == "multipart":
        response = api.post("/plaid/exchange/", {"public_token": token})  # DRF's default
    else:
        response = api.post(
            "/plaid/exchange/",
            urlencode({"public_token": token}),
            content_type="application/x-www-form-urlencoded",
        )
    assert response.status_code == 201, response.content
