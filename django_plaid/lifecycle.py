"""An Item's life after linking: re-checks with Plaid, its Accounts, its webhook URL,
access-token rotation, revocation and removal."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.views.decorators.debug import sensitive_variables

from . import jobs, signals
from .client import get_client
from .exceptions import PlaidAPIError
from .items import (
    BROKEN_STATUSES,
    apply_item,
    item_status_for_error,
    item_status_from_plaid,
    lock_item_accounts,
    record_item_error,
    set_item_status,
    upsert_accounts,
)
from .models import Item, ItemStatus

logger = logging.getLogger("django_plaid")


#: Error codes that mean the Item no longer exists at Plaid.
ITEM_GONE_CODES = frozenset({"ITEM_NOT_FOUND", "INVALID_ACCESS_TOKEN"})


def request_refresh(item_pk: int) -> None:
    """Record that the Item is owed a re-check with Plaid, and queue it (after commit).

    The record outlives a lost task: the periodic task re-checks Items whose request
    waits (see :func:`items_due`).
    """
    Item.objects.filter(pk=item_pk, refresh_requested_at__isnull=True).update(
        refresh_requested_at=timezone.now()
    )
    jobs.enqueue_refresh_item(item_pk)


def refresh_item(item: Item, *, accounts: bool = True) -> Item:
    """Ask Plaid for the Item's truth (``/item/get``, then ``/accounts/get``) and store it.

    This is how the server confirms an update-mode Link: the status changes only on
    what Plaid says, never on what a client claims, and not when a webhook changed the
    Item while Plaid answered (the webhook is newer).
    """
    seen = _item_state(item)
    try:
        _refresh_item(item, seen, accounts=accounts)
    except PlaidAPIError as e:
        if e.retryable:
            raise  # still owed: the task's retry or the periodic task runs it again
        _request_handled(item, seen[3])
        raise
    _request_handled(item, seen[3])
    return item


def _request_handled(item: Item, requested_at: datetime | None) -> None:
    # Only the request recorded before this run is handled, not one made since.
    if requested_at is not None:
        Item.objects.filter(pk=item.pk, refresh_requested_at=requested_at).update(
            refresh_requested_at=None
        )


def _refresh_item(
    item: Item, seen: tuple[str, str, bool, datetime | None], *, accounts: bool
) -> None:
    client = get_client()
    data = client.call("item_get", access_token=item.access_token)["item"]
    with transaction.atomic():
        changed = apply_item(item, data)
        item.save(update_fields=[*changed, "updated_at"])
        status = item_status_from_plaid(item, data)
        set_item_status(item, status, error=data.get("error"), expected=seen[:2])
    if accounts and status not in BROKEN_STATUSES:
        fetched = client.call("accounts_get", access_token=item.access_token)
        with transaction.atomic():
            lock_item_accounts(item.pk)
            changed = apply_item(item, fetched["item"])
            item.save(update_fields=[*changed, "updated_at"])
            if seen[2]:
                # The user has been offered the new accounts: clear the flag the webhook
                # set, unless it was set again meanwhile.
                Item.objects.filter(pk=item.pk, new_accounts_available=True).update(
                    new_accounts_available=False
                )
                item.new_accounts_available = False
            upsert_accounts(item, fetched["accounts"])


def _item_state(item: Item) -> tuple[str, str, bool, datetime | None]:
    """The Item's columns a flow must not undo, read now (before its Plaid calls)."""
    row = (
        Item.objects.filter(pk=item.pk)
        .values_list("status", "error_code", "new_accounts_available", "refresh_requested_at")
        .first()
    )
    if row is None:
        return (item.status, item.error_code, item.new_accounts_available, None)
    item.status, item.error_code, item.new_accounts_available = row[0], row[1], row[2]
    return row


def refresh_accounts(item: Item) -> Item:
    """Fetch ``/accounts/get`` for ``item`` and store the Item and its Accounts.

    An error about the Item's state (login required...) is recorded as its status and
    raised.
    """
    seen = (item.status, item.error_code)  # as loaded, before the call
    try:
        fetched = get_client().call("accounts_get", access_token=item.access_token)
    except PlaidAPIError as e:
        record_item_error(item, e)
        raise
    error = fetched["item"].get("error")
    with transaction.atomic():
        lock_item_accounts(item.pk)
        changed = apply_item(item, fetched["item"])
        item.save(update_fields=[*changed, "updated_at"])
        upsert_accounts(item, fetched["accounts"])
        if error:
            set_item_status(item, item_status_for_error(error), error=error, expected=seen)
    return item


def update_item_webhook(item: Item, url: str) -> Item:
    """Tell Plaid to send the Item's webhooks to ``url`` (``/item/webhook/update``)."""
    data = get_client().call("item_webhook_update", access_token=item.access_token, webhook=url)
    item.webhook = data["item"].get("webhook") or url
    item.save(update_fields=["webhook", "updated_at"])
    return item


@sensitive_variables("access_token", "new_access_token", "data")
def rotate_access_token(item: Item) -> Item:
    """Rotate ``item``'s access token at Plaid (``/item/access_token/invalidate``).

    For a token that may have leaked: Plaid issues a new one and the old one stops
    working at once. The new token is stored (encrypted) with an UPDATE of the
    ``access_token`` column alone, so it cannot fail on, or overwrite, the Item's other
    columns while other flows write them. Raises ``PlaidAPIError`` when Plaid refuses;
    the stored token is then unchanged.
    """
    access_token = Item.objects.filter(pk=item.pk).values_list("access_token", flat=True).get()
    if not access_token:
        raise PlaidAPIError(
            "INVALID_INPUT",
            "INVALID_ACCESS_TOKEN",
            f"Item {item.item_id} has no access token to rotate",
        )
    data = get_client().call("item_access_token_invalidate", access_token=access_token)
    new_access_token = data["new_access_token"]
    # If this UPDATE failed, the new token would be lost and the Item unreachable: it is
    # one statement on one column, and nothing else is done before it.
    Item.objects.filter(pk=item.pk).update(access_token=new_access_token)
    item.access_token = new_access_token
    logger.info(
        "Item %s: access token rotated at Plaid (request_id=%s)",
        item.item_id,
        data.get("request_id"),
    )
    return item


def remove_item(item: Item) -> None:
    """Remove ``item`` at Plaid (which stops billing), then delete it and its data here."""
    remove_at_plaid(item)
    item_id = item.item_id
    with transaction.atomic():
        item.delete()
        transaction.on_commit(
            lambda: signals.item_removed.send(sender=Item, item=item, item_id=item_id)
        )


@sensitive_variables("access_token", "current")
def remove_at_plaid(item: Item) -> None:
    """Call ``/item/remove`` for ``item`` (an Item already gone at Plaid is fine).

    Marks the instance so that deleting it afterwards does not try again.
    """
    access_token = item.access_token
    while access_token:
        try:
            get_client().call("item_remove", access_token=access_token)
        except PlaidAPIError as e:
            if e.error_code not in ITEM_GONE_CODES:
                raise
            # The token may have been rotated since `item` was loaded: that is not "gone".
            current = _stored_access_token(item)
            if e.error_code == "INVALID_ACCESS_TOKEN" and current and current != access_token:
                access_token = current
                continue
            logger.info("Item %s was already gone at Plaid (%s)", item.item_id, e.error_code)
        break
    item.removed_at_plaid = True


def _stored_access_token(item: Item) -> str:
    """The access token stored for ``item`` now ("" when the row is gone or revoked)."""
    if item.pk is None:
        return ""
    found = Item.objects.filter(pk=item.pk).values_list("access_token", flat=True).first()
    return found or ""


def revoke_item(item: Item, error: dict[str, Any] | None = None) -> None:
    """The user revoked access: remove the Item at Plaid, delete its data, keep a record.

    The Item row stays (status ``revoked``, access token erased) so that apps can tell
    the user why the bank disappeared and offer to link it again.
    """
    remove_at_plaid(item)
    error = error or {
        "error_type": "ITEM_ERROR",
        "error_code": "USER_PERMISSION_REVOKED",
        "error_message": "the user revoked access to this item",
        "display_message": None,
    }
    with transaction.atomic():
        lock_item_accounts(item.pk)
        item.accounts.all().delete()
        item.access_token = ""
        set_item_status(item, ItemStatus.REVOKED, error=error, access_token="")


def revoke_account(item: Item, account_id: str) -> None:
    """One account was revoked at the bank: delete it and its data."""
    with transaction.atomic():
        lock_item_accounts(item.pk)
        deleted, _ = item.accounts.filter(account_id=account_id).delete()
    if deleted:
        logger.info("Item %s: account %s revoked and deleted", item.item_id, account_id)


def remove_at_plaid_on_delete(sender: type, instance: Item, **kwargs: Any) -> None:
    """The ``pre_delete`` receiver of Items (connected by the app): see below."""
    remove_at_plaid_before_delete(instance)


def remove_at_plaid_before_delete(item: Item) -> None:
    """Before an Item row is deleted some other way (a user deleted, a cascade, the shell):
    remove it at Plaid too, best effort, since the access token dies with the row and an
    Item left at Plaid keeps billing.
    """
    if item.removed_at_plaid or not item.access_token:
        return
    try:
        remove_at_plaid(item)
    except Exception as e:  # a delete must not fail because Plaid is unreachable
        logger.error(
            "Item %s deleted here but not removed at Plaid (%s); remove it from the Plaid "
            "dashboard",
            item.item_id,
            getattr(e, "error_code", type(e).__name__),
        )
