import logging

import pytest

from django_plaid.exceptions import PlaidItemError
from django_plaid.models import AuthNumbers, Item
from django_plaid.products.services import refresh_product
from tests.helpers import item_webhook, raw_column

pytestmark = pytest.mark.django_db

CHECKING = "1111222233330000"


def test_linking_with_auth_stores_the_numbers_encrypted(link_product, emulator):
    item = link_product(["auth"])
    numbers = AuthNumbers.objects.get(account__item=item, account__name="Plaid Checking")
    assert numbers.numbers["ach"][0]["account"] == CHECKING
    assert numbers.numbers["ach"][0]["routing"] == "011401533"
    assert numbers.account_mask == "0000"
    stored = raw_column("django_plaid_authnumbers", "numbers")
    assert stored
    assert all(CHECKING not in value and "011401533" not in value for value in stored)
    assert all(value.startswith("gAAAA") for value in stored)


def test_the_api_shows_numbers_masked(api, link_product):
    item = link_product(["auth"])
    rows = api.get("/plaid/auth/").json()
    assert rows
    checking = next(r for r in rows if r["numbers"]["ach"][0]["account"].endswith("0000"))
    assert checking["item_id"] == item.item_id
    assert checking["numbers"]["ach"][0]["account"] == "••••0000"
    assert checking["numbers"]["ach"][0]["routing"] == "••••1533"
    assert CHECKING not in str(rows)


def test_the_host_can_opt_in_to_clear_numbers(trust, link_product):
    link_product(["auth"])
    rows = trust().get("/plaid/auth/").json()
    assert CHECKING in [r["numbers"]["ach"][0]["account"] for r in rows]


def test_a_custom_policy_decides(api, link_product, settings):
    link_product(["auth"])
    settings.PLAID = {**settings.PLAID, "SENSITIVE_DATA_ACCESS": f"{__name__}.always"}
    assert CHECKING in str(api.get("/plaid/auth/").json())


def always(request):
    return True


def test_other_users_see_nothing(other_api, link_product):
    item = link_product(["auth"])
    assert other_api.get("/plaid/auth/").json() == []
    assert other_api.get(f"/plaid/auth/?item_id={item.item_id}").json() == []


def test_auth_webhooks_fetch_the_numbers_again(deliver, link_product, emulator):
    item = link_product(["auth"])
    AuthNumbers.objects.filter(account__item=item).delete()
    deliver(
        item_webhook(
            item,
            "DEFAULT_UPDATE",
            webhook_type="AUTH",
            account_ids_with_new_auth=[],
            account_ids_with_updated_auth={},
        )
    )
    assert AuthNumbers.objects.filter(account__item=item).exists()


def test_numbers_never_reach_the_logs(link_product, caplog):
    caplog.set_level(logging.DEBUG)
    link_product(["auth"])
    assert CHECKING not in caplog.text
    assert "011401533" not in caplog.text


def test_products_not_supported(link_product, emulator):
    item = link_product(["auth"], institution_id="ins_133502")  # RUX Auth: auth and balance only
    with pytest.raises(PlaidItemError) as excinfo:
        refresh_product(Item.objects.get(pk=item.pk), "identity")
    assert excinfo.value.error_code == "PRODUCTS_NOT_SUPPORTED"
    assert not excinfo.value.retryable


def test_product_not_ready_is_retried_later(link_product, emulator):
    item = link_product(["auth"])
    emulator.state.set_product_ready(item.item_id, "auth", False)
    with pytest.raises(PlaidItemError) as excinfo:
        refresh_product(Item.objects.get(pk=item.pk), "auth")
    assert excinfo.value.error_code == "PRODUCT_NOT_READY"
    assert excinfo.value.retryable
    assert Item.objects.get(pk=item.pk).status == "healthy"  # not the Item's fault


def test_admin_shows_numbers_masked(admin_client, link_product, user):
    item = link_product(["auth"])
    row = AuthNumbers.objects.filter(account__item=item).first()
    page = admin_client.get(f"/admin/django_plaid/authnumbers/{row.pk}/change/").content.decode()
    assert "••••" in page
    listing = admin_client.get("/admin/django_plaid/authnumbers/").content.decode()
    assert CHECKING not in listing


def test_staff_without_the_permission_never_see_clear_numbers(
    client, link_product, django_user_model
):
    from django.contrib.auth.models import Permission

    item = link_product(["auth"])
    staff = django_user_model.objects.create_user("support", password="pw", is_staff=True)
    staff.user_permissions.add(Permission.objects.get(codename="view_authnumbers"))
    client.force_login(staff)
    row = AuthNumbers.objects.filter(account__item=item, account__name="Plaid Checking").get()
    page = client.get(f"/admin/django_plaid/authnumbers/{row.pk}/change/")
    assert page.status_code == 200
    assert "••••0000" in page.content.decode()
    assert CHECKING not in page.content.decode()


def test_a_failing_product_is_not_retried_at_every_periodic_run(
    link_product, emulator, django_capture_on_commit_callbacks, request
):
    from django_plaid import tasks
    from tests.celery import app

    item = link_product(["auth"])
    emulator.faults.add("error", path="/auth/get", error_code="NO_AUTH_ACCOUNTS", times=5)
    Item.objects.filter(pk=item.pk).update(product_attempted_at={})
    app.conf.task_eager_propagates = False  # as in a worker: the failure stays in its task
    request.addfinalizer(lambda: setattr(app.conf, "task_eager_propagates", True))
    with django_capture_on_commit_callbacks(execute=True):
        first = tasks.maintenance()
    assert first["products"] == 1
    with django_capture_on_commit_callbacks(execute=True):
        second = tasks.maintenance()
    assert second["products"] == 0  # tried moments ago: it waits PRODUCT_REFRESH_AFTER
