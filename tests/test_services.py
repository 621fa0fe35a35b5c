"""Flows in services.py that the API tests do not reach."""

import pytest
from django.db import DatabaseError
from django.db.models.signals import pre_save
from django.urls import resolve

from django_plaid import services, signals
from django_plaid.exceptions import PlaidItemError
from django_plaid.models import Account, Item
from tests.helpers import sandbox_public_token

pytestmark = pytest.mark.django_db


def test_refresh_records_a_broken_login_as_status(item, emulator):
    emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    services.refresh_item(item)
    item = Item.objects.get(pk=item.pk)
    assert item.status == "login_required"
    assert item.error_code == "ITEM_LOGIN_REQUIRED"


def test_a_sync_that_meets_a_broken_login_records_it(item, emulator):
    emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    with pytest.raises(PlaidItemError):
        services.refresh_accounts(item)
    assert Item.objects.get(pk=item.pk).status == "login_required"


def test_refresh_of_a_repaired_item_is_healthy(item, emulator):
    services.set_item_status(
        item,
        "login_required",
        error={"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"},
    )
    services.refresh_item(item)
    item = Item.objects.get(pk=item.pk)
    assert item.status == "healthy"
    assert item.error is None


# -- An exchanged Item is never orphaned ------------------------------------------------


def _unstorable_create(sender, instance, update_fields=None, **kwargs):
    if update_fields is None:
        raise DatabaseError("the database refused the row")


def test_link_metadata_that_does_not_fit_is_stored_cleaned(user, emulator):
    # /accounts/get fails, so what is stored is the client's metadata, cleaned.
    emulator.faults.add("http_500", path="/accounts/get")
    metadata = {
        "institution": {"name": "N" * 300, "institution_id": "i" * 150},
        "link_session_id": "ab\x00cd\ud800" + "x" * 200,
    }
    item = services.exchange_public_token(user, sandbox_public_token(), metadata)
    item = Item.objects.get(pk=item.pk)
    assert item.institution_name == "N" * 255
    assert item.institution_id == "i" * 100
    assert item.link_session_id == ("abcd" + "x" * 200)[:100]
    assert item.access_token


@pytest.mark.parametrize(
    "metadata", [{"institution": "First Platypus"}, {"institution": {"name": 5}}, []]
)
def test_link_metadata_of_the_wrong_shape_is_ignored(user, emulator, metadata):
    emulator.faults.add("http_500", path="/accounts/get")
    item = services.exchange_public_token(user, sandbox_public_token(), metadata)
    assert Item.objects.get(pk=item.pk).institution_name == ""


def test_an_item_that_cannot_be_stored_is_removed_at_plaid(user, emulator):
    pre_save.connect(_unstorable_create, sender=Item, dispatch_uid="unstorable")
    try:
        with pytest.raises(DatabaseError):
            services.exchange_public_token(user, sandbox_public_token())
    finally:
        pre_save.disconnect(sender=Item, dispatch_uid="unstorable")
    assert not Item.objects.exists()
    assert not emulator.state.items  # removed at Plaid, not left live and billed


def test_a_failure_after_the_item_is_stored_keeps_it(
    user, emulator, django_capture_on_commit_callbacks
):
    failures = []

    def fail_once(sender, instance, update_fields=None, **kwargs):
        if update_fields is not None and not failures:
            failures.append(1)
            raise DatabaseError("the database went away")

    pre_save.connect(fail_once, sender=Item, dispatch_uid="fail_once")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            item = services.exchange_public_token(user, sandbox_public_token())
    finally:
        pre_save.disconnect(sender=Item, dispatch_uid="fail_once")
    assert failures
    assert list(emulator.state.items) == [item.item_id]
    # Kept, and its accounts fetched again in the background.
    assert Account.objects.filter(item__item_id=item.item_id).exists()


def test_a_failing_item_linked_receiver_does_not_fail_the_link(
    api, emulator, django_capture_on_commit_callbacks
):
    def broken_receiver(**kwargs):
        raise RuntimeError("host bug")

    signals.item_linked.connect(broken_receiver, weak=False, dispatch_uid="broken")
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/plaid/exchange/", {"public_token": sandbox_public_token()}, format="json"
            )
    finally:
        signals.item_linked.disconnect(dispatch_uid="broken")
    assert response.status_code == 201
    assert Item.objects.filter(item_id=response.json()["item_id"]).exists()


def test_the_exchange_commits_the_item_under_atomic_requests():
    # Under ATOMIC_REQUESTS a later error would roll the stored Item back with the
    # request, orphaning it at Plaid: the exchange view opts out.
    assert "default" in getattr(resolve("/plaid/exchange/").func, "_non_atomic_requests", ())
