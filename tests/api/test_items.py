import pytest

from django_plaid import signals
from django_plaid.models import Account, Item

pytestmark = pytest.mark.django_db


def test_list_shows_only_my_items(api, other_api, link):
    mine = link(api)
    theirs = link(other_api)
    listed = api.get("/plaid/items/").json()
    assert [i["item_id"] for i in listed] == [mine["item_id"]]
    assert theirs["item_id"] not in str(listed)


def test_retrieve(api, item):
    response = api.get(f"/plaid/items/{item.item_id}/")
    assert response.status_code == 200
    body = response.json()
    assert body["item_id"] == item.item_id
    assert body["status"] == "healthy"
    assert body["error"] is None
    assert len(body["accounts"]) == item.accounts.count()
    assert item.access_token not in response.content.decode()


def test_item_error_is_exposed_as_plaids_fields(api, item):
    item.status = "login_required"
    item.set_error(
        {
            "error_type": "ITEM_ERROR",
            "error_code": "ITEM_LOGIN_REQUIRED",
            "error_message": "the login details of this item have changed",
            "display_message": None,
        }
    )
    item.save()
    body = api.get(f"/plaid/items/{item.item_id}/").json()
    assert body["status"] == "login_required"
    assert body["error"] == {
        "error_type": "ITEM_ERROR",
        "error_code": "ITEM_LOGIN_REQUIRED",
        "error_message": "the login details of this item have changed",
        "display_message": None,
        "request_id": None,
    }


def test_other_users_item_is_404(other_api, item):
    assert other_api.get(f"/plaid/items/{item.item_id}/").status_code == 404
    assert other_api.delete(f"/plaid/items/{item.item_id}/").status_code == 404
    assert Item.objects.filter(pk=item.pk).exists()


def test_unknown_item_is_404(api, emulator):
    assert api.get("/plaid/items/nope/").status_code == 404


def test_delete_removes_at_plaid_and_here(api, item, emulator, django_capture_on_commit_callbacks):
    removed = []
    signals.item_removed.connect(
        lambda **kw: removed.append(kw["item_id"]), weak=False, dispatch_uid="t"
    )
    try:
        with django_capture_on_commit_callbacks(execute=True):
            response = api.delete(f"/plaid/items/{item.item_id}/")
    finally:
        signals.item_removed.disconnect(dispatch_uid="t")
    assert response.status_code == 204
    assert not Item.objects.filter(item_id=item.item_id).exists()
    assert not Account.objects.filter(item_id=item.pk).exists()
    assert item.item_id not in emulator.state.items
    assert removed == [item.item_id]


def test_delete_of_an_item_already_gone_at_plaid_still_deletes_here(api, item, emulator):
    from django_plaid.client import get_client

    get_client().call("item_remove", access_token=item.access_token)
    assert api.delete(f"/plaid/items/{item.item_id}/").status_code == 204
    assert not Item.objects.filter(pk=item.pk).exists()


def test_delete_when_plaid_is_down_keeps_the_item(api, item, settings):
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    response = api.delete(f"/plaid/items/{item.item_id}/")
    assert response.status_code == 503
    assert response.json()["error_code"] == "PLAID_UNREACHABLE"
    assert Item.objects.filter(pk=item.pk).exists()


def test_list_uses_a_fixed_number_of_queries(api, link, django_assert_max_num_queries):
    for institution in ("ins_109508", "ins_109509", "ins_109510"):
        link(api, institution)
    with django_assert_max_num_queries(4):
        assert len(api.get("/plaid/items/").json()) == 3


def test_a_revoked_item_can_still_be_deleted(api, item):
    from django_plaid import services

    services.revoke_item(item)
    assert api.delete(f"/plaid/items/{item.item_id}/").status_code == 204
    assert not Item.objects.filter(pk=item.pk).exists()


def test_deleting_the_owner_removes_the_items_at_plaid(item, emulator):
    item.owner.delete()
    assert not Item.objects.filter(pk=item.pk).exists()
    assert item.item_id not in emulator.state.items


def test_an_unreadable_token_does_not_break_listing(api, item, settings):
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    assert api.get("/plaid/items/").status_code == 200
    assert api.get("/plaid/accounts/").status_code == 200
    assert api.get(f"/plaid/items/{item.item_id}/").status_code == 200
    response = api.delete(f"/plaid/items/{item.item_id}/")
    assert response.status_code == 503
    assert response.json()["error_code"] == "PLAID_NOT_CONFIGURED"
