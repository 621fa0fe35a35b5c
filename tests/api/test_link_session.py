"""The exchange checks that a public token came from a Link session of the same user."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from django_plaid import services
from django_plaid.models import Item, LinkToken
from tests.emulator import post

pytestmark = pytest.mark.django_db


@pytest.fixture
def verify(settings, emulator):
    settings.PLAID = {**settings.PLAID, "VERIFY_LINK_SESSION": True}


def open_link(api, emulator):
    """The app's part and the user's: a Link token, then Link's onSuccess."""
    link_token = api.post("/plaid/link-token/", {}, format="json").json()["link_token"]
    status, _, body = post(
        emulator, "/emulator/link/complete", {"link_token": link_token}, credentials=False
    )
    assert status == 200, body
    return link_token, body["public_token"], body["metadata"]


def test_link_tokens_are_recorded_for_their_user_as_a_hash(api, user, emulator):
    link_token = api.post("/plaid/link-token/", {}, format="json").json()["link_token"]
    record = LinkToken.objects.get()
    assert record.owner == user
    assert record.token_sha256 == hashlib.sha256(link_token.encode()).hexdigest()
    assert link_token not in repr(record) + str(record)
    assert record.expiration > timezone.now()


def test_a_public_token_from_the_users_own_session_is_exchanged(api, emulator, verify):
    link_token, public_token, metadata = open_link(api, emulator)
    response = api.post(
        "/plaid/exchange/",
        {"public_token": public_token, "metadata": metadata, "link_token": link_token},
        format="json",
    )
    assert response.status_code == 201, response.content


def test_mobile_spelling_of_the_link_token(api, emulator, verify):
    link_token, public_token, _ = open_link(api, emulator)
    response = api.post(
        "/plaid/exchange/", {"publicToken": public_token, "linkToken": link_token}, format="json"
    )
    assert response.status_code == 201, response.content


def test_another_users_public_token_is_refused(api, other_api, emulator, verify):
    link_token, public_token, _ = open_link(api, emulator)
    own_link_token = other_api.post("/plaid/link-token/", {}, format="json").json()["link_token"]
    for sent, reason in (
        (link_token, "not_your_link_token"),
        (own_link_token, "not_from_this_link_token"),
    ):
        response = other_api.post(
            "/plaid/exchange/",
            {"public_token": public_token, "link_token": sent},
            format="json",
        )
        assert response.status_code == 400
        body = response.json()
        assert body["error_code"] == "LINK_SESSION_MISMATCH"
        assert body["reason"] == reason
        assert public_token not in response.content.decode()
    assert not Item.objects.exists()
    # Nothing was exchanged: the owner can still link with it.
    response = api.post(
        "/plaid/exchange/", {"public_token": public_token, "link_token": link_token}, format="json"
    )
    assert response.status_code == 201


def test_the_link_token_is_required_when_the_check_is_on(api, emulator, verify):
    _, public_token, _ = open_link(api, emulator)
    response = api.post("/plaid/exchange/", {"public_token": public_token}, format="json")
    assert response.status_code == 400
    assert response.json()["reason"] == "link_token_required"


def test_the_check_is_on_in_production_by_default(settings):
    from django_plaid.services import link_session_required

    settings.PLAID = {**settings.PLAID, "ENVIRONMENT": "production", "HOST": None}
    assert link_session_required()
    settings.PLAID = {**settings.PLAID, "ENVIRONMENT": "sandbox"}
    assert not link_session_required()
    settings.PLAID = {**settings.PLAID, "VERIFY_LINK_SESSION": True}
    assert link_session_required()


def test_a_link_token_sent_in_the_sandbox_is_checked_too(api, other_api, emulator):
    link_token, public_token, _ = open_link(api, emulator)
    response = other_api.post(
        "/plaid/exchange/", {"public_token": public_token, "link_token": link_token}, format="json"
    )
    assert response.status_code == 400


def test_expired_link_tokens_are_purged(user):
    LinkToken.objects.create(
        owner=user, token_sha256="a" * 64, expiration=timezone.now() - timedelta(days=2)
    )
    LinkToken.objects.create(owner=user, token_sha256="b" * 64, expiration=timezone.now())
    assert services.purge_link_tokens() == 1
    assert list(LinkToken.objects.values_list("token_sha256", flat=True)) == ["b" * 64]
