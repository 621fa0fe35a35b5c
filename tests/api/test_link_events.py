"""``link-events/``: Link's exits and errors kept per user, cleaned, and never another's."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from django_plaid.api.link_events import LinkEventMetadataSerializer
from django_plaid.healing import heal
from django_plaid.models import LinkEvent
from django_plaid.models.link_events import METADATA_KEYS, clean_metadata
from tests.helpers import max_length

pytestmark = pytest.mark.django_db

URL = "/plaid/link-events/"

#: onExit after an error password, as Plaid's web SDK gives it.
EXIT_ERROR = {
    "event_name": "EXIT",
    "error": {
        "error_type": "ITEM_ERROR",
        "error_code": "ITEM_LOCKED",
        "error_message": "the account is locked. prompt the user to visit the issuing "
        "institution's site and unlock their account",
        "display_message": "The given account has been locked by the financial institution.",
        "request_id": "req-in-error",
        "status": 400,
        "causes": [],
        "documentation_url": "https://plaid.com/docs/errors/item/#item_locked",
    },
    "metadata": {
        "institution": {"name": "First Platypus Bank", "institution_id": "ins_109508"},
        "status": "requires_credentials",
        "link_session_id": "6e1a4b9e-0c7b-4c2e-9b0e-7d2b7b1f2a11",
        "request_id": "Fx1XtdDqKShD2Sm",
    },
}

#: onEvent("ERROR", metadata), as Plaid's web SDK gives it.
ERROR_EVENT = {
    "event_name": "ERROR",
    "metadata": {
        "error_type": "ITEM_ERROR",
        "error_code": "INVALID_CREDENTIALS",
        "error_message": "the provided credentials were not correct",
        "exit_status": None,
        "institution_id": "ins_109508",
        "institution_name": "First Platypus Bank",
        "institution_search_query": None,
        "mfa_type": None,
        "view_name": "ERROR",
        "request_id": "req-2",
        "link_session_id": "session-2",
        "timestamp": "2026-12-02T03:00:00.000Z",
        "selection": None,
    },
}


def post(client: Any, body: Any) -> Any:
    return client.post(URL, body, format="json")


# -- storing ------------------------------------------------------------------------------


def test_an_exit_with_an_error_is_stored_with_its_promoted_columns(api, user):
    response = post(api, EXIT_ERROR)
    assert response.status_code == 201, response.content
    event = LinkEvent.objects.get()
    assert event.owner == user
    assert (event.event_name, event.error_type, event.error_code) == (
        "EXIT",
        "ITEM_ERROR",
        "ITEM_LOCKED",
    )
    assert event.display_message.startswith("The given account has been locked")
    assert event.link_session_id == "6e1a4b9e-0c7b-4c2e-9b0e-7d2b7b1f2a11"
    # The metadata's request id (Link's session request) wins over the error's.
    assert event.request_id == "Fx1XtdDqKShD2Sm"
    assert (event.institution_id, event.institution_name) == ("ins_109508", "First Platypus Bank")
    assert event.status == "requires_credentials"
    body = response.json()
    assert body["error_code"] == "ITEM_LOCKED"
    assert body["item_id"] is None
    assert body["metadata"] == EXIT_ERROR["metadata"]
    assert set(body) == {
        "event_name",
        "item_id",
        "link_session_id",
        "request_id",
        "error_type",
        "error_code",
        "error_message",
        "display_message",
        "institution_id",
        "institution_name",
        "status",
        "view_name",
        "metadata",
        "created_at",
    }


def test_a_user_closing_link_is_an_exit_with_a_null_error(api):
    body = {
        "event_name": "EXIT",
        "error": None,
        "metadata": {"institution": None, "status": "choose_device", "link_session_id": "s-1"},
    }
    response = post(api, body)
    assert response.status_code == 201, response.content
    event = LinkEvent.objects.get()
    assert (event.error_code, event.status, event.link_session_id) == ("", "choose_device", "s-1")
    assert event.institution_id == ""


def test_an_error_event_promotes_the_metadatas_error(api):
    assert post(api, ERROR_EVENT).status_code == 201
    event = LinkEvent.objects.get()
    assert (event.error_code, event.view_name, event.request_id) == (
        "INVALID_CREDENTIALS",
        "ERROR",
        "req-2",
    )
    assert event.institution_name == "First Platypus Bank"
    assert event.metadata["timestamp"] == "2026-12-02T03:00:00.000Z"


def test_an_exit_status_is_the_events_status(api):
    post(api, {"event_name": "EXIT", "metadata": {"exit_status": "institution_not_found"}})
    assert LinkEvent.objects.get().status == "institution_not_found"


def test_the_mobile_sdks_camel_case_is_read(api):
    body = {
        "event_name": "EXIT",
        "error": {
            "errorType": "ITEM_ERROR",
            "errorCode": "ITEM_LOCKED",
            "errorMessage": "locked",
            "errorDisplayMessage": "Locked by the bank.",
        },
        "metadata": {
            "linkSessionId": "s-mobile",
            "requestId": "r-mobile",
            "institution": {"id": "ins_109508", "name": "First Platypus Bank"},
            "status": "requires_credentials",
            "metadataJson": '{"link_session_id": "s-mobile"}',
        },
    }
    assert post(api, body).status_code == 201
    event = LinkEvent.objects.get()
    assert (event.error_code, event.display_message) == ("ITEM_LOCKED", "Locked by the bank.")
    assert (event.link_session_id, event.request_id) == ("s-mobile", "r-mobile")
    assert event.institution_id == "ins_109508"
    assert "metadataJson" not in event.metadata


def test_only_links_documented_keys_are_kept(api):
    metadata = {
        **ERROR_EVENT["metadata"],
        "routing_number": "011401533",
        "account_number_mask": "0000",
        "public_token": "public-sandbox-0f1b9b26-4b0e-4f0a-9b9a-1c3c1f8e1a00",
        "accounts": [{"id": "a", "mask": "0000"}],
        "future_key": {"deep": ["\x00"]},
        "n": 1.5,
    }
    response = post(api, {"event_name": "ERROR", "metadata": metadata, "future_top_level": 1})
    assert response.status_code == 201, response.content
    stored = LinkEvent.objects.get().metadata
    assert set(stored) <= METADATA_KEYS
    for key in ("routing_number", "account_number_mask", "public_token", "accounts", "future_key"):
        assert key not in stored
    assert stored == response.json()["metadata"]


def test_tokens_are_never_stored_nor_answered(api):
    token = "public-sandbox-0f1b9b26-4b0e-4f0a-9b9a-1c3c1f8e1a00"
    body = {
        "event_name": "ERROR",
        "error": {"error_code": "INVALID_PUBLIC_TOKEN", "error_message": f"bad token {token}"},
        "metadata": {"institution_search_query": f"access-sandbox-{token[15:]}"},
    }
    response = post(api, body)
    assert response.status_code == 201, response.content
    event = LinkEvent.objects.get()
    assert token not in response.content.decode()
    assert "sandbox-" not in repr(vars(event))
    assert event.error_message == "bad token [redacted]"
    assert event.metadata["institution_search_query"] == "[redacted]"


def test_the_metadata_serializer_checks_exactly_the_kept_keys():
    assert set(LinkEventMetadataSerializer().fields) == METADATA_KEYS


@pytest.mark.parametrize("metadata", [None, "x", 1, [], {"institution": "x"}])
def test_clean_metadata_takes_anything(metadata):
    assert clean_metadata(metadata) == {}


def test_clean_metadata_bounds_strings_and_drops_other_values():
    cleaned = clean_metadata(
        {"view_name": "x" * 5000, "status": 3, "is_update_mode": True, "institution": {"id": 1}}
    )
    assert len(cleaned["view_name"]) == 1024
    assert "status" not in cleaned
    assert cleaned["is_update_mode"] is True
    assert cleaned["institution"] == {"id": None}


def test_an_event_of_update_mode_names_its_item(api, item):
    response = post(api, {**EXIT_ERROR, "item_id": item.item_id})
    assert response.status_code == 201, response.content
    assert response.json()["item_id"] == item.item_id
    assert LinkEvent.objects.get().item == item


def test_another_users_item_is_a_404_and_nothing_is_stored(other_api, item):
    response = post(other_api, {**EXIT_ERROR, "item_id": item.item_id})
    assert response.status_code == 404
    assert not LinkEvent.objects.exists()


def test_an_item_removed_later_leaves_its_events(api, item):
    post(api, {**EXIT_ERROR, "item_id": item.item_id})
    item.delete()
    event = LinkEvent.objects.get()
    assert event.item is None


# -- listing ------------------------------------------------------------------------------


def test_the_list_is_the_users_own_newest_first(api, other_api):
    post(api, EXIT_ERROR)
    post(api, ERROR_EVENT)
    post(other_api, {"event_name": "EXIT", "metadata": {"link_session_id": "bobs"}})
    body = api.get(URL).json()
    assert body["next"] is None
    assert [e["event_name"] for e in body["results"]] == ["ERROR", "EXIT"]
    assert "bobs" not in str(body)
    assert [e["link_session_id"] for e in other_api.get(URL).json()["results"]] == ["bobs"]


def test_the_list_pages_by_cursor(api, user):
    now = timezone.now()
    for i in range(5):
        event = LinkEvent.objects.create(owner=user, event_name="EXIT", link_session_id=f"s{i}")
        # Two share a time: the id breaks the tie.
        LinkEvent.objects.filter(pk=event.pk).update(created_at=now - timedelta(minutes=i // 2))
    seen = []
    url = f"{URL}?page_size=2"
    while url:
        body = api.get(url).json()
        assert len(body["results"]) <= 2
        seen += [e["link_session_id"] for e in body["results"]]
        url = body["next"]
    assert seen == ["s1", "s0", "s3", "s2", "s4"]


@pytest.mark.parametrize("query", ["cursor=garbage", "cursor=MjAyNnwx", "page_size=0"])
def test_bad_paging_is_a_400(api, query):
    response = api.get(f"{URL}?{query}")
    assert response.status_code == 400
    assert response.json()


def test_a_cursor_with_an_id_out_of_range_is_a_400(api):
    import base64

    token = base64.urlsafe_b64encode(b"2026-12-02T03:00:00+00:00|" + b"9" * 30).decode()
    assert api.get(f"{URL}?cursor={token}").status_code == 400


@pytest.mark.parametrize(
    ("query", "expected"),
    [("event_name=ERROR", ["ERROR"]), ("link_session_id=session-2", ["ERROR"])],
)
def test_the_list_filters(api, query, expected):
    post(api, EXIT_ERROR)
    post(api, ERROR_EVENT)
    body = api.get(f"{URL}?{query}").json()
    assert [e["event_name"] for e in body["results"]] == expected


def test_the_list_filters_by_item(api, item):
    post(api, EXIT_ERROR)
    post(api, {**ERROR_EVENT, "item_id": item.item_id})
    body = api.get(URL, {"item_id": item.item_id}).json()
    assert [e["event_name"] for e in body["results"]] == ["ERROR"]


def test_anonymous_callers_get_nothing(client):
    assert client.get(URL).status_code == 403
    assert client.post(URL, EXIT_ERROR, content_type="application/json").status_code == 403
    assert not LinkEvent.objects.exists()


# -- session authentication: CSRF --------------------------------------------------------


def test_session_auth_needs_the_csrf_token(user, csrf_client: Client):
    csrf_client.force_login(user)
    refused = csrf_client.post(URL, EXIT_ERROR, content_type="application/json")
    assert refused.status_code == 403
    csrf_client.cookies["csrftoken"] = "a" * 32
    accepted = csrf_client.post(
        URL, EXIT_ERROR, content_type="application/json", headers={"X-CSRFToken": "a" * 32}
    )
    assert accepted.status_code == 201, accepted.content


# -- bad input ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({}, "event_name"),
        ({"event_name": None}, "event_name"),
        ({"event_name": ""}, "event_name"),
        ({"event_name": 1}, "event_name"),
        ({"event_name": True}, "event_name"),
        ({"event_name": ["EXIT"]}, "event_name"),
        ({"event_name": {"name": "EXIT"}}, "event_name"),
        ({"event_name": "EX\x00IT"}, "event_name"),
        ({"event_name": "EXIT NOW"}, "event_name"),
        ({"event_name": "EXIT;"}, "event_name"),
        ({"event_name": "E" * (max_length(LinkEvent, "event_name") + 1)}, "event_name"),
        ({"event_name": "EXIT", "error": "ITEM_LOCKED"}, "error"),
        ({"event_name": "EXIT", "error": ["x"]}, "error"),
        ({"event_name": "EXIT", "error": {"error_code": 1}}, "error"),
        ({"event_name": "EXIT", "error": {"error_code": "A\x00"}}, "error"),
        ({"event_name": "EXIT", "error": {"display_message": "x" * 1025}}, "error"),
        ({"event_name": "EXIT", "error": {"error_message": "a\x00b"}}, "error"),
        ({"event_name": "EXIT", "metadata": "x"}, "metadata"),
        ({"event_name": "EXIT", "metadata": [1]}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"link_session_id": 5}}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"link_session_id": "a\x00"}}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"link_session_id": "x" * 101}}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"request_id": {"a": 1}}}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"institution": "First Platypus"}}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"institution": {"name": 1}}}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"institution_name": "a\x00"}}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"is_update_mode": 1}}, "metadata"),
        ({"event_name": "EXIT", "metadata": {"status": True}}, "metadata"),
        ({"event_name": "EXIT", "item_id": 5}, "item_id"),
        ({"event_name": "EXIT", "item_id": "a\x00"}, "item_id"),
    ],
)
def test_bad_fields_are_a_400_and_nothing_is_stored(api, body, key):
    response = post(api, body)
    assert response.status_code == 400, response.content
    assert key in response.json(), response.json()
    assert not LinkEvent.objects.exists()


def test_an_unknown_item_is_a_404(api, emulator):
    response = post(api, {**EXIT_ERROR, "item_id": "nope"})
    assert response.status_code == 404
    assert "detail" in response.json()


@pytest.mark.parametrize(
    "raw",
    [
        b'{"event_name": "EXIT", "metadata": ' + b"[" * 5000 + b"]" * 5000 + b"}",
        b'{"event_name": "EXIT", "metadata": ' + b'{"a": ' * 40 + b"1" + b"}" * 41,
        b'{"event_name": "EXIT", "metadata": {"link_session_id": "\\ud800"}}',
        b'{"event_name": "EXIT", "metadata": {"n": NaN}}',
        b'{"event_name": "EXIT"',
    ],
)
def test_malformed_or_deep_bodies_are_a_400(api, raw):
    response = api.post(URL, data=raw, content_type="application/json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert not LinkEvent.objects.exists()


def test_a_huge_body_is_a_413(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 4096
    body = {**EXIT_ERROR, "metadata": {"institution_search_query": "x" * 10_000}}
    response = post(api, body)
    assert response.status_code == 413
    assert "at most 4096 bytes" in response.json()["detail"]


def test_a_flat_form_is_taken(api):
    response = api.post(URL, {"event_name": "OPEN"})
    assert response.status_code == 201, response.content
    assert LinkEvent.objects.get().event_name == "OPEN"


# -- retention ----------------------------------------------------------------------------


def test_the_periodic_task_forgets_old_events(user, settings, emulator):
    settings.PLAID = {**settings.PLAID, "LINK_EVENT_MAX_AGE": 3600}
    old = LinkEvent.objects.create(owner=user, event_name="EXIT")
    LinkEvent.objects.filter(pk=old.pk).update(created_at=timezone.now() - timedelta(hours=2))
    recent = LinkEvent.objects.create(owner=user, event_name="EXIT")
    heal()
    assert list(LinkEvent.objects.values_list("pk", flat=True)) == [recent.pk]


def test_deleting_a_user_deletes_their_events(user):
    LinkEvent.objects.create(owner=user, event_name="EXIT")
    user.delete()
    assert not LinkEvent.objects.exists()


def test_repr_and_str_show_no_metadata(user):
    event = LinkEvent.objects.create(
        owner=user, event_name="EXIT", error_code="ITEM_LOCKED", link_session_id="secret-ish"
    )
    assert str(event) == "EXIT ITEM_LOCKED"
    assert "secret-ish" not in repr(event)
