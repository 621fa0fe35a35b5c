"""Rotating a leaked access token at Plaid: the service, the admin action, the command.

Everything goes over HTTP to the emulator, which invalidates the old token at once.
"""

import logging
import sys
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Permission
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.views.debug import ExceptionReporter

from django_plaid import services
from django_plaid.client import get_client
from django_plaid.exceptions import PlaidAPIError
from django_plaid.models import Item
from tests.helpers import encryption_key as key
from tests.helpers import raw_token

pytestmark = pytest.mark.django_db


def plaid_error_for(token):
    with pytest.raises(PlaidAPIError) as excinfo:
        get_client().call("item_get", access_token=token)
    return excinfo.value


def assert_rotated(item, old, emulator):
    """The old token is dead at Plaid, the stored one is Plaid's new one, encrypted."""
    assert plaid_error_for(old).error_code == "INVALID_ACCESS_TOKEN"
    stored = Item.objects.get(pk=item.pk).access_token
    assert stored != old
    assert stored == emulator.state.items[item.item_id].access_token
    assert get_client().call("item_get", access_token=stored)["item"]["item_id"] == item.item_id
    raw = raw_token(item)
    assert stored not in raw
    assert "access-sandbox" not in raw
    assert Fernet(key()).decrypt(raw.encode()).decode() == stored
    return stored


# -- The service --------------------------------------------------------------------------


def test_rotate_access_token(item, emulator, caplog):
    old = item.access_token
    with caplog.at_level(logging.DEBUG):
        returned = services.rotate_access_token(item)
    new = assert_rotated(item, old, emulator)
    assert returned.access_token == new
    assert "access token rotated" in caplog.text
    for record in caplog.records:
        text = record.getMessage() + repr(record.args)
        assert old not in text
        assert new not in text


def test_only_the_access_token_column_is_written(item, emulator):
    stale = Item.objects.get(pk=item.pk)
    # Another flow changes the Item after `stale` was loaded: it must survive.
    Item.objects.filter(pk=item.pk).update(webhook="https://new.example.com/hook")
    with CaptureQueriesContext(connection) as queries:
        services.rotate_access_token(stale)
    updates = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert len(updates) == 1
    assigned = updates[0].split(" SET ", 1)[1].split(" WHERE ", 1)[0]
    # One column, set to ciphertext: `"access_token" = '<Fernet token>'`.
    column, value = assigned.split(" = ", 1)
    assert column.strip('"`') == "access_token"
    assert value.strip("'").startswith("gAAAA")
    assert "," not in value
    assert Item.objects.get(pk=item.pk).webhook == "https://new.example.com/hook"


def test_the_stored_token_is_read_fresh(item, emulator):
    """An instance holding an older token (rotated meanwhile) still rotates the current one."""
    stale = Item.objects.get(pk=item.pk)
    services.rotate_access_token(Item.objects.get(pk=item.pk))
    current = Item.objects.get(pk=item.pk).access_token
    services.rotate_access_token(stale)
    assert_rotated(item, current, emulator)


def test_plaid_refuses_and_the_stored_token_is_kept(item, emulator):
    emulator.state.remove_item(item.item_id)  # the token no longer works at Plaid
    before = raw_token(item)
    with pytest.raises(PlaidAPIError) as excinfo:
        services.rotate_access_token(item)
    assert excinfo.value.error_code == "INVALID_ACCESS_TOKEN"
    assert item.access_token not in str(excinfo.value) + repr(excinfo.value)
    assert raw_token(item) == before


def test_a_revoked_item_has_nothing_to_rotate(item, emulator):
    Item.objects.filter(pk=item.pk).update(access_token="")
    with pytest.raises(PlaidAPIError, match="no access token"):
        services.rotate_access_token(Item.objects.get(pk=item.pk))


def test_tokens_are_hidden_from_error_reports(item, settings):
    """``sensitive_variables``: a 500 report (DEBUG page, admin e-mail) of a failure in the
    rotation shows the service's token variables cleansed."""
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    try:
        services.rotate_access_token(item)
    except PlaidAPIError:
        reporter = ExceptionReporter(None, *sys.exc_info())
    frames = [f for f in reporter.get_traceback_frames() if f["function"] == "rotate_access_token"]
    assert frames
    shown = dict(frames[0]["vars"])
    assert item.access_token not in repr(shown)
    assert shown["access_token"] == "********************"


# -- The command --------------------------------------------------------------------------


def run(*args):
    out, err = StringIO(), StringIO()
    try:
        call_command("plaid_rotate_access_tokens", *args, stdout=out, stderr=err)
    finally:
        run.out, run.err = out.getvalue(), err.getvalue()
    return run.out


def test_command_rotates_the_selected_items(item, emulator, caplog):
    old = item.access_token
    with caplog.at_level(logging.DEBUG):
        out = run(item.item_id)
    assert f"{item.item_id}: rotated" in out
    assert "Rotated 1 Item(s); 0 failed." in out
    new = assert_rotated(item, old, emulator)
    for text in (out, run.err, caplog.text):
        assert old not in text
        assert new not in text


def test_command_all_and_dry_run(item, emulator):
    old = item.access_token
    assert run("--all", "--dry-run") == f"would rotate {item.item_id}\n"
    assert Item.objects.get(pk=item.pk).access_token == old
    assert f"{item.item_id}: rotated" in run("--all")
    assert_rotated(item, old, emulator)


def test_command_needs_a_selection_and_known_items(item):
    with pytest.raises(CommandError, match="--all"):
        run()
    with pytest.raises(CommandError, match="Unknown"):
        run("nope")


def test_command_reports_plaid_errors_without_tokens(item, emulator):
    emulator.state.remove_item(item.item_id)
    before = raw_token(item)
    with pytest.raises(CommandError, match="1 Item"):
        run(item.item_id)
    assert "INVALID_ACCESS_TOKEN" in run.err
    assert item.access_token not in run.out + run.err
    assert raw_token(item) == before


# -- The admin action ---------------------------------------------------------------------


def post_action(client, item):
    return client.post(
        "/admin/django_plaid/item/",
        {"action": "rotate_access_token", "_selected_action": [item.pk]},
        follow=True,
    )


def test_admin_action_rotates(admin_client, item, emulator):
    old = item.access_token
    page = admin_client.get("/admin/django_plaid/item/").content.decode()
    assert "Rotate access token at Plaid" in page
    response = post_action(admin_client, item)
    html = response.content.decode()
    assert "Rotated the access token of 1 Item at Plaid." in html
    new = assert_rotated(item, old, emulator)
    assert old not in html
    assert new not in html


@pytest.fixture
def staff_client(client, django_user_model):
    def make(*codenames):
        user = django_user_model.objects.create_user("staff", "s@example.com", "pw", is_staff=True)
        perms = Permission.objects.filter(
            content_type__app_label="django_plaid", codename__in=["view_item", *codenames]
        )
        user.user_permissions.set(perms)
        client.force_login(user)
        return client

    return make


def test_admin_action_is_refused_without_the_permission(staff_client, item, emulator):
    client = staff_client()
    old = item.access_token
    page = client.get("/admin/django_plaid/item/")
    assert page.status_code == 200
    assert "rotate_access_token" not in page.content.decode()
    response = post_action(client, item)
    # A staff user with no action's permission gets no actions: the forged POST is a
    # plain changelist request.
    assert response.status_code == 200
    assert "Rotated the access token" not in response.content.decode()
    assert Item.objects.get(pk=item.pk).access_token == old
    assert emulator.state.items[item.item_id].access_token == old


def test_admin_action_with_only_the_permission(staff_client, item, emulator):
    client = staff_client("rotate_access_token_item")
    old = item.access_token
    assert (
        "Rotate access token at Plaid" in client.get("/admin/django_plaid/item/").content.decode()
    )
    assert "Rotated the access token" in post_action(client, item).content.decode()
    assert_rotated(item, old, emulator)


def test_admin_action_reports_plaid_errors(admin_client, item, emulator):
    emulator.state.remove_item(item.item_id)
    before = raw_token(item)
    html = post_action(admin_client, item).content.decode()
    assert "Could not rotate the access token" in html
    assert "INVALID_ACCESS_TOKEN" in html
    assert raw_token(item) == before


# -- Rotation racing other flows ----------------------------------------------------------


def test_removing_with_a_token_rotated_meanwhile_still_removes_at_plaid(item, emulator):
    """A removal that loaded the Item before a rotation must not take Plaid's
    INVALID_ACCESS_TOKEN for "already gone": the Item would be deleted here and keep
    billing at Plaid, its only valid token deleted with it."""
    stale = Item.objects.get(pk=item.pk)
    services.rotate_access_token(Item.objects.get(pk=item.pk))
    services.remove_item(stale)
    assert not Item.objects.filter(pk=item.pk).exists()
    assert item.item_id not in emulator.state.items


@pytest.mark.parametrize(("flow", "last_save"), [("refresh_item", 2), ("refresh_accounts", 1)])
def test_a_flow_with_an_item_loaded_before_a_rotation_keeps_the_new_token(
    item, emulator, flow, last_save
):
    """Flows that load an Item, call Plaid, then store what Plaid said (``refresh_item``,
    ``refresh_accounts``) must not write back the token they loaded: it is dead at Plaid,
    and the new one would be lost for good. They write only the columns they own."""
    from django.db.models.signals import pre_save

    rotated = []
    saves = []

    def rotate_first(sender, instance, **kwargs):
        # After the flow's last Plaid call, just before it stores the answer.
        saves.append(1)
        if len(saves) == last_save:
            rotated.append(services.rotate_access_token(Item.objects.get(pk=item.pk)))

    stale = Item.objects.get(pk=item.pk)
    pre_save.connect(rotate_first, sender=Item, dispatch_uid="rotate_first")
    try:
        getattr(services, flow)(stale)
    finally:
        pre_save.disconnect(sender=Item, dispatch_uid="rotate_first")
    assert rotated
    stored = Item.objects.get(pk=item.pk).access_token
    assert stored == rotated[0].access_token != stale.access_token
    # The stored token is the rotated one, and it works at Plaid.
    assert get_client().call("item_get", access_token=stored)["item"]["item_id"] == item.item_id


def test_an_explicitly_changed_token_is_saved(item):
    loaded = Item.objects.get(pk=item.pk)
    loaded.access_token = "access-sandbox-set-by-hand"
    loaded.save()
    assert Item.objects.get(pk=item.pk).access_token == "access-sandbox-set-by-hand"
    loaded.access_token = ""
    loaded.save(update_fields=["access_token"])
    assert Item.objects.get(pk=item.pk).access_token == ""


@pytest.mark.skipif(connection.vendor != "postgresql", reason="needs concurrent connections")
@pytest.mark.django_db(transaction=True)
def test_rotations_racing_refreshes_never_lose_the_token(item, emulator):
    """Rotations and ``refresh_item`` (which saves the Item whole) run at once, in
    threads with their own connections: at the end the stored token is the one Plaid
    knows, and it works."""
    import threading

    from django.db import connections

    errors = []
    done = threading.Event()

    def rotate():
        try:
            for _ in range(15):
                services.rotate_access_token(Item.objects.get(pk=item.pk))
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            done.set()
            connections.close_all()

    def refresh():
        try:
            while not done.is_set():
                try:
                    services.refresh_item(Item.objects.get(pk=item.pk))
                except PlaidAPIError as e:
                    # The token it read was rotated before its call: expected, retried.
                    if e.error_code != "INVALID_ACCESS_TOKEN":
                        errors.append(e)
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=rotate)] + [
        threading.Thread(target=refresh) for _ in range(2)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    stored = Item.objects.get(pk=item.pk).access_token
    assert stored == emulator.state.items[item.item_id].access_token
    get_client().call("item_get", access_token=stored)
