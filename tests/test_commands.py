import pytest
from django.core.management import CommandError

from django_plaid.models import Item, Transaction
from tests.helpers import command_output as run

pytestmark = pytest.mark.django_db


def test_plaid_sync_one_item(item, emulator):
    assert "synced" in run("plaid_sync", item.item_id)
    assert Transaction.objects.filter(item=item).count() == len(
        emulator.transactions_truth(item.item_id)
    )


def test_plaid_sync_all_and_queue(item, emulator):
    assert f"{item.item_id}: synced" in run("plaid_sync", "--all")
    assert f"{item.item_id}: queued" in run("plaid_sync", "--all", "--queue")


def test_plaid_sync_needs_a_target(item):
    with pytest.raises(CommandError):
        run("plaid_sync")
    with pytest.raises(CommandError, match="Unknown"):
        run("plaid_sync", "nope")


def test_plaid_refresh_balances(item, emulator):
    out = run("plaid_refresh_balances", "--all")
    assert f"{item.item_id}: refreshed" in out
    assert f"{item.item_id}: throttled" in run("plaid_refresh_balances", item.item_id)


def test_plaid_update_webhooks(item, emulator, settings):
    settings.PLAID = {**settings.PLAID, "WEBHOOK_URL": "https://new.example.com/plaid/webhook/"}
    assert "would update" in run("plaid_update_webhooks", "--dry-run")
    assert "Updated 1 Item(s)" in run("plaid_update_webhooks")
    assert Item.objects.get(pk=item.pk).webhook == "https://new.example.com/plaid/webhook/"
    assert emulator.state.items[item.item_id].webhook == "https://new.example.com/plaid/webhook/"
    assert "Updated 0 Item(s)" in run("plaid_update_webhooks")


def test_plaid_update_webhooks_needs_the_setting(item):
    with pytest.raises(CommandError, match="WEBHOOK_URL"):
        run("plaid_update_webhooks")
