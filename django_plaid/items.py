"""The Item-state layer: status rules, and the writes every flow shares.

Linking, lifecycle, sync, products and webhook handlers all change Items through these
functions: :func:`set_item_status` (the one way a status changes), :func:`apply_item`
(Plaid's Item object onto the row), :func:`upsert_accounts`, :func:`record_item_error`
and :func:`lock_item_accounts`. Nothing here calls Plaid or queues work.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from . import signals
from .exceptions import PlaidAPIError
from .models import Account, Item, ItemStatus
from .models.items import lock_item_accounts
from .parsing import money
from .upserts import bulk_upsert

logger = logging.getLogger("django_plaid")


def item_status_for_error(error: dict[str, Any] | None) -> str:
    """The Item status that Plaid's error object implies."""
    if not error:
        return ItemStatus.HEALTHY
    if error.get("error_code") == "ITEM_LOGIN_REQUIRED":
        return ItemStatus.LOGIN_REQUIRED
    return ItemStatus.ERROR


#: Statuses that a person must act on; a mere warning (pending_*) does not hide them.
BROKEN_STATUSES = frozenset({ItemStatus.LOGIN_REQUIRED, ItemStatus.ERROR, ItemStatus.REVOKED})

#: The columns a status change writes (and nothing else).
ITEM_STATUS_FIELDS = ("status", "error", "error_type", "error_code")


def set_item_status(
    item: Item,
    status: str,
    *,
    error: dict[str, Any] | None = None,
    expected: Any = None,
    **fields: Any,
) -> Item:
    """Set an Item's status (and error), and send the lifecycle signals after commit.

    Writes only the status columns (and the extra ``fields``), so a concurrent flow's
    columns are never undone. ``error`` is Plaid's error object for the broken statuses,
    and is cleared otherwise.

    ``expected`` is ``(status, error_code)`` as read before the Plaid call this status
    comes from: the change is made only if the Item still has them (compare and set), so
    an answer that was already on its way when a webhook changed the Item does not undo
    the webhook. Without it (a webhook, an error Plaid just answered), the change is made.
    """
    old_status = item.status
    old_code = item.error_code
    error = error if status in BROKEN_STATUSES and isinstance(error, dict) else None
    rows = Item.objects.filter(pk=item.pk)
    if expected is not None:
        rows = rows.filter(status=expected[0], error_code=expected[1])
        old_status, old_code = expected
    values = {
        "status": status,
        "error": error,
        "error_type": str((error or {}).get("error_type") or "")[:64],
        "error_code": str((error or {}).get("error_code") or "")[:64],
        "updated_at": timezone.now(),
        **fields,
    }
    if not rows.update(**values):
        if expected is not None:
            logger.info(
                "Item %s changed while Plaid answered; keeping its newer status", item.item_id
            )
            item.refresh_from_db(fields=[*ITEM_STATUS_FIELDS, "updated_at", *fields])
        return item
    for name, value in values.items():
        setattr(item, name, value)
    if old_status != status:
        logger.info("Item %s: %s -> %s", item.item_id, old_status, status)
        transaction.on_commit(
            lambda: signals.item_status_changed.send(
                sender=Item, item=item, old_status=old_status, new_status=status
            )
        )
    if error and (old_status, old_code) != (status, item.error_code):
        # Once per new error: repeated deliveries of the same ERROR do not page anyone twice.
        transaction.on_commit(lambda: signals.item_error.send(sender=Item, item=item, error=error))
    return item


def item_status_from_plaid(item: Item, data: dict[str, Any]) -> str:
    """The status Plaid's Item object implies, keeping a pending_* warning while healthy."""
    status = item_status_for_error(data.get("error"))
    if status == ItemStatus.HEALTHY and item.status in (
        ItemStatus.PENDING_EXPIRATION,
        ItemStatus.PENDING_DISCONNECT,
    ):
        return item.status
    return status


#: ``ITEM_ERROR`` codes that describe the Item's state (a person must act), as opposed
#: to passing conditions such as ``PRODUCT_NOT_READY``.
ITEM_STATE_ERROR_CODES = frozenset(
    {
        "ITEM_LOGIN_REQUIRED",
        "ACCESS_NOT_GRANTED",
        "ITEM_LOCKED",
        "INVALID_CREDENTIALS",
        "INVALID_MFA",
        "INVALID_UPDATED_USERNAME",
        "INSUFFICIENT_CREDENTIALS",
        "ITEM_NOT_SUPPORTED",
        "MFA_NOT_SUPPORTED",
        "NO_ACCOUNTS",
        "PASSWORD_RESET_REQUIRED",
        "USER_SETUP_REQUIRED",
        "USER_PERMISSION_REVOKED",
    }
)


def record_item_error(item: Item, error: PlaidAPIError) -> None:
    """When Plaid answers a call with an error about the Item's state, record it as status."""
    if error.error_type == "ITEM_ERROR" and error.error_code in ITEM_STATE_ERROR_CODES:
        body = error.as_dict()
        set_item_status(item, item_status_for_error(body), error=body)


#: The columns that mirror Plaid's Item object (what :func:`apply_item` writes).
ITEM_MIRROR_FIELDS = (
    "raw",
    "institution_id",
    "institution_name",
    "products",
    "available_products",
    "webhook",
    "consent_expiration_time",
)


def apply_item(item: Item, data: dict[str, Any]) -> tuple[str, ...]:
    """Copy Plaid's Item object onto ``item`` (not saved; status is left to the caller).

    Returns the names of the columns it sets (``ITEM_MIRROR_FIELDS``): save exactly
    those, so that no other flow's columns are written back from this instance.
    """
    item.raw = data
    item.institution_id = data.get("institution_id") or item.institution_id
    item.institution_name = data.get("institution_name") or item.institution_name
    item.products = list(data.get("billed_products") or data.get("products") or [])
    item.available_products = list(data.get("available_products") or [])
    item.webhook = data.get("webhook") or ""
    consent = data.get("consent_expiration_time")
    item.consent_expiration_time = parse_datetime(consent) if consent else None
    return ITEM_MIRROR_FIELDS


def upsert_accounts(
    item: Item, accounts: Iterable[dict[str, Any]], *, prune: bool = True
) -> list[Account]:
    """Store Plaid's account objects for ``item`` in one bulk upsert.

    With ``prune``, accounts that Plaid no longer returns for the Item (de-selected in
    update mode, closed) are deleted.
    """
    now = timezone.now()
    rows = []
    for data in accounts:
        balances = data.get("balances") or {}
        rows.append(
            Account(
                item=item,
                account_id=data["account_id"],
                persistent_account_id=data.get("persistent_account_id") or "",
                name=data.get("name") or "",
                official_name=data.get("official_name"),
                mask=data.get("mask"),
                type=data.get("type") or "",
                subtype=data.get("subtype"),
                balance_available=money(balances.get("available")),
                balance_current=money(balances.get("current")),
                balance_limit=money(balances.get("limit")),
                iso_currency_code=balances.get("iso_currency_code"),
                unofficial_currency_code=balances.get("unofficial_currency_code"),
                balances_updated_at=now,
                raw=data,
                created_at=now,
                updated_at=now,
            )
        )
    # A stable order: concurrent upserts of the same rows then lock them in one order.
    rows.sort(key=lambda row: row.account_id)
    with transaction.atomic():
        lock_item_accounts(item.pk)
        bulk_upsert(Account, rows, unique="account_id")
        if prune:
            item.accounts.exclude(account_id__in=[r.account_id for r in rows]).delete()
    return rows
