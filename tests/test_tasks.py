"""Balances, the periodic task, retries, and what tasks do with Items."""

from datetime import timedelta
from unittest import mock

import pytest
from django.utils import timezone

from django_plaid import services, signals, tasks
from django_plaid.exceptions import PlaidAPIError
from django_plaid.models import Account, Item, Transaction, WebhookEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def balance_calls(emulator):
    calls = []

    def record(call):
        if call.path == "/accounts/balance/get":
            calls.append(call)

    emulator.app.hooks.insert(0, record)
    yield calls
    emulator.app.hooks.remove(record)


def test_live_balances_are_cached_with_their_time(item, emulator, balance_calls):
    Account.objects.filter(item=item).update(balances_updated_at=None, balance_current=None)
    assert services.refresh_balances(item)
    assert len(balance_calls) == 1
    checking = item.accounts.get(name="Plaid Checking")
    assert checking.balance_current == 110
    assert checking.balances_updated_at is not None


def test_live_balances_are_throttled_per_item(item, emulator, balance_calls, settings):
    settings.PLAID = {**settings.PLAID, "BALANCE_REFRESHES_PER_MINUTE": 5}
    assert services.refresh_balances(item)
    assert not services.refresh_balances(item)  # within 12 s: Plaid is not called
    assert len(balance_calls) == 1
    Item.objects.filter(pk=item.pk).update(
        balances_requested_at=timezone.now() - timedelta(seconds=13)
    )
    assert services.refresh_balances(item)
    assert len(balance_calls) == 2


def test_balances_refreshed_signal(item, emulator, django_capture_on_commit_callbacks):
    handler = mock.Mock()
    signals.balances_refreshed.connect(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.refresh_balances(item)
    finally:
        signals.balances_refreshed.disconnect(handler)
    assert handler.call_args.kwargs["item"] == item
    assert len(handler.call_args.kwargs["accounts"]) == item.accounts.count()


def test_transactions_synced_signal(item, emulator, django_capture_on_commit_callbacks):
    handler = mock.Mock()
    signals.transactions_synced.connect(handler)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            services.sync_item(item)
    finally:
        signals.transactions_synced.disconnect(handler)
    kwargs = handler.call_args.kwargs
    assert kwargs["added"] == Transaction.objects.filter(item=item).count()
    assert kwargs["modified"] == kwargs["removed"] == 0


@pytest.fixture
def maintenance(django_capture_on_commit_callbacks):
    """Run the periodic task, with what it queues on commit."""

    def run():
        with django_capture_on_commit_callbacks(execute=True):
            return tasks.maintenance()

    return run


def test_maintenance_heals_stale_items_and_old_balances(item, emulator, balance_calls, maintenance):
    long_ago = timezone.now() - timedelta(days=2)
    Item.objects.filter(pk=item.pk).update(last_synced_at=long_ago, created_at=long_ago)
    Account.objects.filter(item=item).update(balances_updated_at=long_ago)
    counts = maintenance()
    assert counts == {"sync": 1, "balances": 1, "refresh": 0, "products": 0}
    item = Item.objects.get(pk=item.pk)
    assert item.last_synced_at > long_ago
    assert Transaction.objects.filter(item=item).exists()
    assert len(balance_calls) == 1


def test_maintenance_picks_up_a_sync_owed_by_a_lost_task(item, emulator, maintenance):
    Item.objects.filter(pk=item.pk).update(
        sync_requested=3, sync_completed=2, last_synced_at=timezone.now()
    )
    assert maintenance()["sync"] == 1
    item = Item.objects.get(pk=item.pk)
    assert item.sync_completed == item.sync_requested


def test_maintenance_rechecks_broken_items_with_plaid(item, emulator, maintenance):
    services.set_item_status(
        item,
        "login_required",
        error={"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"},
    )
    Item.objects.filter(pk=item.pk).update(
        updated_at=timezone.now() - timedelta(days=2), last_synced_at=timezone.now()
    )
    assert maintenance()["refresh"] == 1
    assert Item.objects.get(pk=item.pk).status == "healthy"  # Plaid says it works


def test_maintenance_drains_waiting_webhooks(emulator, item, maintenance):
    WebhookEvent.objects.create(
        webhook_type="ITEM",
        webhook_code="NEW_ACCOUNTS_AVAILABLE",
        item_id=item.item_id,
        body="{}",
        body_sha256="0" * 64,
        payload={"webhook_type": "ITEM", "webhook_code": "NEW_ACCOUNTS_AVAILABLE"},
    )
    maintenance()
    assert WebhookEvent.objects.get().status == "processed"
    assert Item.objects.get(pk=item.pk).new_accounts_available


def test_retry_policy_retries_transient_errors_only():
    task = mock.Mock()
    task.request.retries = 0
    task.retry.side_effect = RuntimeError("retry")
    with pytest.raises(RuntimeError, match="retry"):
        tasks.retry_if_transient(
            task,
            PlaidAPIError.from_error_body(
                {"error_type": "RATE_LIMIT_EXCEEDED", "error_code": "TRANSACTIONS_SYNC_LIMIT"}, 429
            ),
        )
    countdown = task.retry.call_args.kwargs["countdown"]
    assert tasks.RETRY_BACKOFF_BASE / 2 <= countdown <= tasks.RETRY_BACKOFF_BASE
    login = PlaidAPIError.from_error_body(
        {"error_type": "ITEM_ERROR", "error_code": "ITEM_LOGIN_REQUIRED"}, 400
    )
    with pytest.raises(PlaidAPIError):
        tasks.retry_if_transient(task, login)
    assert task.retry.call_count == 1


def test_backoff_grows_and_is_capped():
    assert tasks.retry_delay(0) <= tasks.RETRY_BACKOFF_BASE
    assert tasks.retry_delay(3) >= tasks.RETRY_BACKOFF_BASE * 4
    assert tasks.retry_delay(30) <= tasks.RETRY_BACKOFF_MAX


def test_install_beat_schedule():
    app = mock.Mock()
    app.conf.beat_schedule = {"other": {}}
    tasks.install_beat_schedule(app, every=60)
    assert app.conf.beat_schedule["django-plaid-maintenance"]["task"] == "django_plaid.maintenance"
    assert app.conf.beat_schedule["django-plaid-maintenance"]["schedule"] == 60
    assert "other" in app.conf.beat_schedule


def test_a_celery_module_imports_the_tasks_before_django_is_set_up():
    """As a host's celery.py does (docs: install_beat_schedule): no model loads yet."""
    import subprocess
    import sys
    from pathlib import Path

    code = (
        "import os; os.environ['DJANGO_SETTINGS_MODULE'] = 'tests.settings'\n"
        "from celery import Celery\n"
        "app = Celery('host')\n"
        "from django_plaid.tasks import install_beat_schedule\n"
        "install_beat_schedule(app, every=60.0)\n"
        "print(app.conf.beat_schedule['django-plaid-maintenance']['schedule'])\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=Path(__file__).resolve().parent.parent,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "60.0"
