"""``manage.py plaid_reencrypt``: key rotation end to end (rotate, drop the old key, read)."""

import threading
import time
from io import StringIO

import pytest
from cryptography.fernet import Fernet
from django.core.management import CommandError, call_command
from django.db import connection, connections, transaction
from django.test import override_settings

from django_plaid.management.commands.plaid_reencrypt import encrypted_columns
from django_plaid.models import Account, Item
from django_plaid.products.models import (
    AccountOwner,
    AuthNumbers,
    Liability,
    PayrollIncome,
    PlaidUser,
)
from tests.helpers import command_output
from tests.helpers import encryption_key as old_key

TOKEN = "access-sandbox-8ab976e6-64bc-4b38-98f7-731e7a349970"
NEW_KEY = Fernet.generate_key().decode()

#: Every encrypted column, as docs/security.md lists them.
EXPECTED = {
    ("django_plaid.Item", "access_token"),
    ("django_plaid.PlaidUser", "user_token"),
    ("django_plaid.AuthNumbers", "numbers"),
    ("django_plaid.AccountOwner", "data"),
    ("django_plaid.Liability", "data"),
    ("django_plaid.PayrollIncome", "data"),
}


def run(*args):
    return command_output("plaid_reencrypt", *args)


def raw_values():
    """Every stored ciphertext: {(label, column, pk): text}."""
    found = {}
    with connection.cursor() as cursor:
        for model, fields in encrypted_columns():
            for f in fields:
                cursor.execute(f"SELECT id, {f.column} FROM {model._meta.db_table}")
                for pk, value in cursor.fetchall():
                    found[(model._meta.label, f.name, pk)] = value
    return found


def make_rows(user, n_items=3):
    """Rows of every encrypted model, written under the current (old) key."""
    expected = {}
    for i in range(n_items):
        item = Item.objects.create(
            owner=user, item_id=f"item-{i}", access_token=f"{TOKEN}-{i}", environment="sandbox"
        )
        account = Account.objects.create(
            item=item, account_id=f"acc-{i}", name="Checking", type="depository", mask="0000"
        )
        numbers = {"account": f"11112222333{i}", "routing": "011401533"}
        AuthNumbers.objects.create(account=account, numbers=numbers)
        AccountOwner.objects.create(account=account, data={"names": [f"Alberta {i}"]})
        Liability.objects.create(account=account, kind="credit", data={"aprs": [i]})
        expected[item.pk] = (f"{TOKEN}-{i}", numbers)
    plaid_user = PlaidUser.objects.create(
        owner=user, user_id="usr_1", user_token="user-sandbox-1", environment="sandbox"
    )
    PayrollIncome.objects.create(plaid_user=plaid_user, item_id="pay-1", data={"stubs": [1]})
    return expected


def read_everything():
    """Load every row of every encrypted model (decrypting each value)."""
    return {
        model._meta.label: [
            tuple(getattr(row, f.name) for f in fields) for row in model._base_manager.all()
        ]
        for model, fields in encrypted_columns()
    }


def test_the_columns_come_from_the_models():
    found = {(m._meta.label, f.name) for m, fields in encrypted_columns() for f in fields}
    assert found == EXPECTED


@pytest.mark.django_db
def test_rotate_drop_the_old_key_and_read_every_row(user):
    expected = make_rows(user)
    before = read_everything()
    with override_settings(FIELD_ENCRYPTION_KEY=[NEW_KEY, old_key()]):
        out = run("--batch-size", "2")
    assert "django_plaid.Item (access_token): 3 row(s); re-encrypted 3 value(s)" in out
    assert "django_plaid.PayrollIncome (data): 1 row(s); re-encrypted 1 value(s)" in out
    assert "django_plaid.Item: 2/3 row(s) checked" in out  # progress, per batch
    assert "django_plaid.Item: 3/3 row(s) checked" in out
    assert "Done" in out
    for value in raw_values().values():
        Fernet(NEW_KEY).decrypt(value.encode())  # every value is under the new key
    with override_settings(FIELD_ENCRYPTION_KEY=NEW_KEY):  # the old key is dropped
        assert read_everything() == before
        for pk, (token, numbers) in expected.items():
            assert Item.objects.get(pk=pk).access_token == token
            assert AuthNumbers.objects.get(account__item_id=pk).numbers == numbers
        assert PlaidUser.objects.get().user_token == "user-sandbox-1"


@pytest.mark.django_db
def test_dry_run_writes_nothing(user):
    make_rows(user, n_items=2)
    before = raw_values()
    with override_settings(FIELD_ENCRYPTION_KEY=[NEW_KEY, old_key()]):
        out = run("--dry-run")
    assert "django_plaid.Item (access_token): 2 row(s); would re-encrypt 2 value(s)" in out
    assert "Done" not in out
    assert raw_values() == before


@pytest.mark.django_db
def test_a_second_run_resumes_and_skips_what_is_done(user):
    make_rows(user, n_items=3)
    with override_settings(FIELD_ENCRYPTION_KEY=[NEW_KEY, old_key()]):
        # As if an earlier run had stopped after one Item: it is under the new key.
        first = Item.objects.order_by("pk").first()
        first.save(update_fields=["access_token"])
        out = run()
        assert "django_plaid.Item (access_token): 3 row(s); re-encrypted 2 value(s), " in out
        assert "1 already under the first key" in out
        done = raw_values()
        again = run()
    assert "django_plaid.Item (access_token): 3 row(s); re-encrypted 0 value(s), 3 already" in again
    assert raw_values() == done


@pytest.mark.django_db
def test_empty_values_are_left_alone(user):
    PlaidUser.objects.create(owner=user, user_id="usr_1", user_token="", environment="sandbox")
    with override_settings(FIELD_ENCRYPTION_KEY=[NEW_KEY, old_key()]):
        out = run()
    assert "django_plaid.PlaidUser (user_token): 1 row(s); re-encrypted 0 value(s), " in out
    assert "1 empty" in out
    assert raw_values()[("django_plaid.PlaidUser", "user_token", PlaidUser.objects.get().pk)] == ""


@pytest.mark.django_db
def test_values_no_key_can_read_are_named_and_the_rest_is_done(user):
    make_rows(user, n_items=2)
    lost = Item.objects.order_by("pk").last()
    foreign = Fernet(Fernet.generate_key()).encrypt(b"access-sandbox-lost").decode()
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE django_plaid_item SET access_token = %s WHERE id = %s", [foreign, lost.pk]
        )
    with (
        override_settings(FIELD_ENCRYPTION_KEY=[NEW_KEY, old_key()]),
        pytest.raises(CommandError) as excinfo,
    ):
        run()
    message = str(excinfo.value)
    assert f"django_plaid.Item pk={lost.pk} (access_token)" in message
    assert foreign not in message
    assert "lost" not in message
    values = raw_values()
    assert values[("django_plaid.Item", "access_token", lost.pk)] == foreign
    others = [v for k, v in values.items() if k[2] != lost.pk or k[0] != "django_plaid.Item"]
    for value in others:
        Fernet(NEW_KEY).decrypt(value.encode())


@pytest.mark.django_db
def test_a_bad_key_is_a_command_error():
    with override_settings(FIELD_ENCRYPTION_KEY="nope"), pytest.raises(CommandError, match="KEY"):
        run()


@pytest.mark.django_db
def test_no_secret_in_the_output(user):
    make_rows(user, n_items=1)
    with override_settings(FIELD_ENCRYPTION_KEY=[NEW_KEY, old_key()]):
        out = run()
    for secret in (TOKEN, "user-sandbox-1", "111122223330", NEW_KEY, old_key(), "gAAAA"):
        assert secret not in out


@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs row locks held across connections"
)
@pytest.mark.django_db(transaction=True)
def test_a_token_written_during_the_run_is_not_undone(user):
    """A flow writes a new token while the command is about to re-encrypt the old one:
    the command's UPDATE waits on the flow's row lock, finds the value changed, and
    leaves it (a plain bulk_update by pk would write the old token back)."""
    make_rows(user, n_items=1)
    item = Item.objects.get()
    keys = [NEW_KEY, old_key()]
    out = StringIO()
    errors = []

    def command():
        try:
            with override_settings(FIELD_ENCRYPTION_KEY=keys):
                call_command("plaid_reencrypt", stdout=out, stderr=StringIO())
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)
        finally:
            connections.close_all()

    with override_settings(FIELD_ENCRYPTION_KEY=keys):
        with transaction.atomic():
            # The concurrent flow: a new token, written but not committed yet.
            Item.objects.filter(pk=item.pk).update(access_token="access-sandbox-rotated")
            worker = threading.Thread(target=command)
            worker.start()
            deadline = time.monotonic() + 20
            while not _someone_waits_on_a_lock():
                assert time.monotonic() < deadline, "the command never reached the row"
                time.sleep(0.05)
        worker.join(20)
        assert not worker.is_alive()
        assert not errors
        assert Item.objects.get(pk=item.pk).access_token == "access-sandbox-rotated"
    assert "1 changed meanwhile" in out.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEY=NEW_KEY):
        assert Item.objects.get(pk=item.pk).access_token == "access-sandbox-rotated"


def _someone_waits_on_a_lock():
    with connections["default"].cursor() as cursor:
        # pg_stat_activity is read once per transaction unless the snapshot is cleared.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity "
            "WHERE wait_event_type = 'Lock' AND datname = current_database()"
        )
        return cursor.fetchone()[0] > 0
