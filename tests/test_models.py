import pytest
from cryptography.fernet import Fernet
from django.test import override_settings

from django_plaid.exceptions import PlaidConfigurationError
from django_plaid.models import Account, Item
from tests.helpers import raw_token

TOKEN = "access-sandbox-8ab976e6-64bc-4b38-98f7-731e7a349970"

pytestmark = pytest.mark.django_db


@pytest.fixture
def stored(user):
    return Item.objects.create(
        owner=user, item_id="item-1", access_token=TOKEN, environment="sandbox"
    )


def test_access_token_is_ciphertext_in_the_database(stored):
    raw = raw_token(stored)
    assert TOKEN not in raw
    assert "access-sandbox" not in raw
    assert raw.startswith("gAAAA")  # a Fernet token
    assert Item.objects.get(pk=stored.pk).access_token == TOKEN


def test_access_token_is_not_in_str_or_repr(stored):
    assert TOKEN not in str(stored)
    assert TOKEN not in repr(stored)
    account = Account.objects.create(
        item=stored, account_id="acc-1", name="Checking", type="depository", mask="0000"
    )
    assert TOKEN not in str(account) + repr(account)


def test_key_rotation_reads_old_ciphertext(stored, settings):
    old = settings.FIELD_ENCRYPTION_KEY
    with override_settings(FIELD_ENCRYPTION_KEY=[Fernet.generate_key().decode(), old]):
        item = Item.objects.get(pk=stored.pk)
        assert item.access_token == TOKEN
        item.save()  # re-encrypted with the newest key
    with override_settings(FIELD_ENCRYPTION_KEY=old), pytest.raises(PlaidConfigurationError):
        Item.objects.get(pk=stored.pk)


def test_wrong_key_raises_instead_of_returning_ciphertext(stored):
    new_key = Fernet.generate_key().decode()
    with (
        override_settings(FIELD_ENCRYPTION_KEY=new_key),
        pytest.raises(PlaidConfigurationError) as excinfo,
    ):
        Item.objects.get(pk=stored.pk)
    assert "FIELD_ENCRYPTION_KEY" in str(excinfo.value)
    assert TOKEN not in str(excinfo.value)


def test_querysets_are_scoped_to_owner(stored, other_user):
    from django.contrib.auth.models import AnonymousUser

    assert list(Item.objects.for_owner(stored.owner)) == [stored]
    assert list(Item.objects.for_owner(other_user)) == []
    assert list(Item.objects.for_owner(AnonymousUser())) == []
