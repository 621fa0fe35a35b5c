"""Live balances: ``/accounts/balance/get``, throttled per Item, cached on the Accounts."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from . import signals
from .client import get_client
from .conf import plaid_settings
from .exceptions import PlaidAPIError
from .items import record_item_error, upsert_accounts
from .models import Item

logger = logging.getLogger("django_plaid")


def refresh_balances(item: Item) -> bool:
    """Fetch live balances (``/accounts/balance/get``) and cache them on the Accounts.

    Throttled per Item to ``PLAID["BALANCE_REFRESHES_PER_MINUTE"]`` across processes
    (Plaid allows 5 a minute per Item in production): returns False, without calling
    Plaid, when the Item's last live fetch is too recent.
    """
    if not item.access_token:
        return False
    interval = timedelta(seconds=60 / max(1, plaid_settings.BALANCE_REFRESHES_PER_MINUTE))
    now = timezone.now()
    previous = (
        Item.objects.filter(pk=item.pk).values_list("balances_requested_at", flat=True).first()
    )
    claimed = (
        Item.objects.filter(pk=item.pk)
        .filter(
            Q(balances_requested_at__isnull=True) | Q(balances_requested_at__lte=now - interval)
        )
        .update(balances_requested_at=now)
    )
    if not claimed:
        logger.info("Item %s: live balances throttled", item.item_id)
        return False
    try:
        fetched = get_client().call("accounts_balance_get", access_token=item.access_token)
    except PlaidAPIError as e:
        # The call did not count: give the slot back, so the task's retry is not throttled.
        Item.objects.filter(pk=item.pk, balances_requested_at=now).update(
            balances_requested_at=previous
        )
        record_item_error(item, e)
        raise
    with transaction.atomic():
        upsert_accounts(item, fetched["accounts"], prune=False)
        transaction.on_commit(
            lambda: signals.balances_refreshed.send(
                sender=Item, item=item, accounts=list(item.accounts.all())
            )
        )
    return True
