"""The bulk upsert derives its columns from the models."""

from django_plaid.models import Account, Transaction
from django_plaid.upserts import upsert_columns


def test_an_upsert_rewrites_every_column_but_the_keys_and_the_creation_time():
    columns = upsert_columns(Transaction, unique="transaction_id")
    assert "transaction_id" not in columns
    assert "created_at" not in columns
    assert "id" not in columns
    assert {"amount", "raw", "updated_at", "account", "item", "owner"} <= set(columns)
    assert upsert_columns(Account, unique="account_id")[0] == "item"
