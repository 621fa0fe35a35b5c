"""The encrypted fields: stable format, interoperability with django-encrypted-model-fields,
clear errors on values that cannot be decrypted, and ``reencrypt`` for key rotation."""

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.db import connection
from django.db.models import F, Value
from django.test import override_settings

# Imported at collection time, under the tests' key: the package builds its key once,
# when its module is imported (one of the reasons dj-plaid does not build on it).
from encrypted_model_fields.fields import EncryptedTextField as PackageTextField

from django_plaid.exceptions import PlaidConfigurationError
from django_plaid.fields import Ciphertext, build_fernets, reencrypt
from django_plaid.models import Account, Item
from django_plaid.products.models import AuthNumbers

pytestmark = pytest.mark.django_db

TOKEN = "access-sandbox-8ab976e6-64bc-4b38-98f7-731e7a349970"
NUMBERS = {"account": "1111222233330000", "routing": "011401533"}

# Written by dj-plaid's fields before this release, under GOLDEN_KEY: they must always
# read back, whatever the fields become.
GOLDEN_KEY = "IWFvWHXURwcpf_2pj0DveU7V4phIaJEFFKO_hW-qsv4="
GOLDEN_TOKEN = (
    "gAAAAABrD1biyncjydziFXbpCRfq9ERnBqLhiWJ3rgRrcRIjwzTV_bfkfbSmSslhJiVwG2Gu8vEsqX-MbANOfMh"
    "dzvELZNdWFgtS5xZ55eU0XB2law_z1IaHW_wJqotsyvq_jtbua78IpXizw-U9CALbfY4ZW7Cdzw=="
)
GOLDEN_NUMBERS = (
    "gAAAAABrD1bisGZHLzNmxh2ovOHCwmDCh3MsKLbauhmyMA0QLI0XuXsi7g_FfXojL4nCrswvZ3GsX-u3ZToSJ_p"
    "Z40odVPODeZVYr4ZVx4i637RhH2XuDgb25cExIk3r0r8vhYnv9L47NmgZ81mtAfVZTMgFm86YDQ=="
)


@pytest.fixture
def stored(user):
    return Item.objects.create(
        owner=user, item_id="item-1", access_token=TOKEN, environment="sandbox"
    )


@pytest.fixture
def numbers(stored):
    account = Account.objects.create(
        item=stored, account_id="acc-1", name="Checking", type="depository", mask="0000"
    )
    return AuthNumbers.objects.create(account=account, numbers=NUMBERS)


def raw(table, column, pk):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM {table} WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def write_raw(table, column, pk, value):
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE {table} SET {column} = %s WHERE id = %s", [value, pk])


# -- Existing rows ------------------------------------------------------------------------


def test_rows_written_by_earlier_releases_read_back(numbers):
    write_raw("django_plaid_item", "access_token", numbers.account.item.pk, GOLDEN_TOKEN)
    write_raw("django_plaid_authnumbers", "numbers", numbers.pk, GOLDEN_NUMBERS)
    with override_settings(FIELD_ENCRYPTION_KEY=GOLDEN_KEY):
        assert Item.objects.get(pk=numbers.account.item.pk).access_token == TOKEN
        assert AuthNumbers.objects.get(pk=numbers.pk).numbers == NUMBERS


# -- Interoperability with django-encrypted-model-fields ----------------------------------


def test_a_value_written_by_the_package_reads_back_through_dj_plaid(stored):
    ciphertext = PackageTextField().get_db_prep_save(TOKEN, connection)
    assert TOKEN not in ciphertext
    write_raw("django_plaid_item", "access_token", stored.pk, ciphertext)
    assert Item.objects.get(pk=stored.pk).access_token == TOKEN


def test_a_value_written_by_dj_plaid_reads_back_through_the_package(numbers):
    package_field = PackageTextField()
    token = raw("django_plaid_item", "access_token", numbers.account.item.pk)
    assert package_field.from_db_value(token, None, connection) == TOKEN
    # The JSON fields encrypt JSON text: the package reads it as that text.
    text = package_field.from_db_value(
        raw("django_plaid_authnumbers", "numbers", numbers.pk), None, connection
    )
    assert text == '{"account":"1111222233330000","routing":"011401533"}'


def test_the_package_hands_back_ciphertext_where_dj_plaid_raises(stored):
    """Why dj-plaid keeps its own fields: the package's flaw, shown."""
    foreign = Fernet(Fernet.generate_key()).encrypt(TOKEN.encode()).decode()
    write_raw("django_plaid_item", "access_token", stored.pk, foreign)
    assert PackageTextField().from_db_value(foreign, None, connection) == foreign
    with pytest.raises(PlaidConfigurationError, match=r"Item\.access_token"):
        Item.objects.get(pk=stored.pk)


# -- Values that cannot be decrypted ------------------------------------------------------


def _assert_clear_error(excinfo, field, ciphertext, *plain):
    text = str(excinfo.value) + repr(excinfo.value)
    assert field in text
    assert ciphertext not in text
    for value in plain:
        assert value not in text
    # Nothing chained either: a traceback shows no ciphertext or value.
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__


@pytest.mark.parametrize(
    "junk",
    [
        "wrong-key",  # a Fernet token under another key
        "gAAAAAB-not-a-token",
        "access-sandbox-written-in-clear",
        "données",  # not even ASCII
    ],
)
def test_undecryptable_token_raises_an_error_naming_the_field(stored, junk):
    if junk == "wrong-key":
        junk = Fernet(Fernet.generate_key()).encrypt(TOKEN.encode()).decode()
    write_raw("django_plaid_item", "access_token", stored.pk, junk)
    with pytest.raises(PlaidConfigurationError) as excinfo:
        Item.objects.get(pk=stored.pk)
    _assert_clear_error(excinfo, "Item.access_token", junk, TOKEN)
    # values_list() decrypts too, and fails the same way.
    with pytest.raises(PlaidConfigurationError, match=r"Item\.access_token"):
        list(Item.objects.values_list("access_token", flat=True))


def test_undecryptable_json_raises_an_error_naming_the_field(numbers):
    foreign = Fernet(Fernet.generate_key()).encrypt(b'{"account":"1111222233330000"}').decode()
    write_raw("django_plaid_authnumbers", "numbers", numbers.pk, foreign)
    with pytest.raises(PlaidConfigurationError) as excinfo:
        AuthNumbers.objects.get(pk=numbers.pk)
    _assert_clear_error(excinfo, "AuthNumbers.numbers", foreign, "1111222233330000")


def test_decrypted_value_that_is_not_json_is_named_but_not_shown(numbers):
    not_json = Fernet(numbers_key()).encrypt(b"1111222233330000 not json").decode()
    write_raw("django_plaid_authnumbers", "numbers", numbers.pk, not_json)
    with pytest.raises(PlaidConfigurationError, match="not JSON") as excinfo:
        AuthNumbers.objects.get(pk=numbers.pk)
    _assert_clear_error(excinfo, "AuthNumbers.numbers", not_json, "1111222233330000")


def numbers_key():
    from django.conf import settings

    key = settings.FIELD_ENCRYPTION_KEY
    return key[0] if isinstance(key, (list, tuple)) else key


# -- update() encrypts, key lists, reencrypt ----------------------------------------------


def test_queryset_update_encrypts(stored):
    Item.objects.filter(pk=stored.pk).update(access_token="access-sandbox-new")
    assert "access-sandbox" not in raw("django_plaid_item", "access_token", stored.pk)
    assert Item.objects.get(pk=stored.pk).access_token == "access-sandbox-new"


def test_reencrypt_moves_a_value_to_the_first_key(stored):
    old = numbers_key()
    new = Fernet.generate_key().decode()
    ciphertext = raw("django_plaid_item", "access_token", stored.pk)
    with override_settings(FIELD_ENCRYPTION_KEY=[new, old]):
        rotated = reencrypt(ciphertext)
        assert rotated is not None
        assert rotated != ciphertext
        assert reencrypt(rotated) is None  # already under the first key
    assert Fernet(new).decrypt(rotated.encode()).decode() == TOKEN
    with override_settings(FIELD_ENCRYPTION_KEY=[new]), pytest.raises(InvalidToken):
        reencrypt(ciphertext)  # the old key is gone: nothing can read it


def test_build_fernets_keeps_the_order():
    keys = [Fernet.generate_key().decode() for _ in range(3)]
    message = Fernet(keys[0]).encrypt(b"x")
    first, *_ = build_fernets(keys)
    assert first.decrypt(message) == b"x"
    with pytest.raises(PlaidConfigurationError, match="FIELD_ENCRYPTION_KEY"):
        build_fernets([keys[0], "not-a-key"])


def test_update_with_value_expressions_encrypts_the_value(numbers):
    item = numbers.account.item
    Item.objects.filter(pk=item.pk).update(access_token=Value("access-sandbox-new"))
    assert "access-sandbox" not in raw("django_plaid_item", "access_token", item.pk)
    assert Item.objects.get(pk=item.pk).access_token == "access-sandbox-new"
    AuthNumbers.objects.filter(pk=numbers.pk).update(numbers=Value({"account": "9999"}))
    assert "9999" not in raw("django_plaid_authnumbers", "numbers", numbers.pk)
    assert AuthNumbers.objects.get(pk=numbers.pk).numbers == {"account": "9999"}


def test_update_with_a_column_copies_the_ciphertext(stored):
    other = Item.objects.create(
        owner=stored.owner, item_id="item-2", access_token="access-sandbox-2", environment="x"
    )
    Item.objects.filter(pk=other.pk).update(access_token=F("access_token"))
    assert Item.objects.get(pk=other.pk).access_token == "access-sandbox-2"


def test_ciphertext_is_written_as_is(stored):
    ciphertext = Fernet(numbers_key()).encrypt(b"access-sandbox-pre").decode()
    Item.objects.filter(pk=stored.pk).update(access_token=Ciphertext(ciphertext))
    assert raw("django_plaid_item", "access_token", stored.pk) == ciphertext
    assert Item.objects.get(pk=stored.pk).access_token == "access-sandbox-pre"


# -- Start-up without a key ---------------------------------------------------------------


@pytest.mark.parametrize("key", ["None", "'not-a-key'"])
def test_a_missing_or_bad_key_is_a_system_check_not_an_import_error(tmp_path, key):
    """``manage.py check`` starts, imports every model, and reports E006 with its hint."""
    import subprocess
    import sys
    from pathlib import Path

    (tmp_path / "nokey_settings.py").write_text(
        f"from tests.settings import *  # noqa: F403\nFIELD_ENCRYPTION_KEY = {key}\n"
    )
    root = Path(__file__).resolve().parent.parent
    result = subprocess.run(
        [sys.executable, "-m", "django", "check", "--tag", "security"],
        cwd=root,
        env={
            "PATH": "/usr/bin:/bin",
            "PYTHONPATH": f"{tmp_path}:{root}",
            "DJANGO_SETTINGS_MODULE": "nokey_settings",
        },
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert "django_plaid.E006" in result.stderr
    assert "HINT: Generate one with" in result.stderr
    assert "Traceback" not in result.stderr
