"""The flows of dj-plaid, in one place.

Views, tasks, admin actions and management commands are thin callers of these
functions. They reach Plaid only through :func:`~django_plaid.client.get_client`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.db import connections, router, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_variables

from . import jobs, signals
from .client import get_client
from .conf import plaid_settings
from .exceptions import DuplicateItemError, LinkSessionMismatchError, PlaidAPIError
from .models import Account, Item, ItemStatus, LinkToken

logger = logging.getLogger("django_plaid")

#: Error codes that mean the Item no longer exists at Plaid.
ITEM_GONE_CODES = frozenset({"ITEM_NOT_FOUND", "INVALID_ACCESS_TOKEN"})


# -- Link ---------------------------------------------------------------------------


@sensitive_variables()
def link_token_request(
    user: Any,
    *,
    item: Item | None = None,
    platform: str = "web",
    products: list[str] | None = None,
) -> dict[str, Any]:
    """The body of ``/link/token/create`` for ``user`` (update mode when ``item`` is given).

    ``products`` (already checked against ``ALLOWED_PRODUCTS``) replaces ``PRODUCTS``.
    """
    body: dict[str, Any] = {
        "client_name": plaid_settings.CLIENT_NAME,
        "language": plaid_settings.LANGUAGE,
        "country_codes": list(plaid_settings.COUNTRY_CODES),
        "user": {"client_user_id": str(user.pk)},
    }
    if item is None:
        body["products"] = list(products or plaid_settings.PRODUCTS)
        if plaid_settings.WEBHOOK_URL:
            # Plaid ignores `webhook` in update mode; /item/webhook/update changes it.
            body["webhook"] = plaid_settings.WEBHOOK_URL
    else:
        body["access_token"] = item.access_token
        if item.new_accounts_available:
            # After NEW_ACCOUNTS_AVAILABLE, let the user pick the new accounts.
            body["update"] = {"account_selection_enabled": True}
    # Plaid takes one of the two: the Android package name for Android apps, the
    # redirect URI (OAuth) for web and iOS.
    if platform == "android" and plaid_settings.ANDROID_PACKAGE_NAME:
        body["android_package_name"] = plaid_settings.ANDROID_PACKAGE_NAME
    elif plaid_settings.REDIRECT_URI:
        body["redirect_uri"] = plaid_settings.REDIRECT_URI
    return body


#: Products that Link collects for a Plaid user rather than for an Item.
USER_PRODUCTS = frozenset({"income_verification"})


@sensitive_variables()
def create_link_token(
    user: Any,
    *,
    item: Item | None = None,
    platform: str = "web",
    products: list[str] | None = None,
) -> dict[str, Any]:
    """Create a Link token for ``user``: ``{"link_token", "expiration"}``.

    With ``item``, the token opens Link in update mode for that Item. With
    ``products=["income_verification"]``, it is a payroll income token for the user's
    Plaid user (created at Plaid the first time).
    """
    if item is None and products and USER_PRODUCTS & set(products):
        from .products.services import income_link_token_request

        body = income_link_token_request(user, platform=platform)
    else:
        body = link_token_request(user, item=item, platform=platform, products=products)
    response = get_client().call("link_token_create", **body)
    expiration = parse_datetime(str(response["expiration"])) or timezone.now()
    LinkToken.objects.create(
        owner=user,
        token_sha256=_sha256(response["link_token"]),
        item=item,
        expiration=expiration,
    )
    return {"link_token": response["link_token"], "expiration": response["expiration"]}


def _sha256(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def verify_link_session(user: Any, public_token: str, link_token: str | None) -> None:
    """Check that ``public_token`` came from a Link session opened with ``link_token``, a
    token dj-plaid created for ``user``; raise
    :class:`~django_plaid.exceptions.LinkSessionMismatchError` otherwise.

    Plaid's ``/link/token/get`` lists a token's finished sessions and the public tokens
    they produced; which user a token was made for is known only here (``LinkToken``).
    """
    if not link_token:
        raise LinkSessionMismatchError(
            "link_token_required", "Send the link_token Link was opened with."
        )
    record = LinkToken.objects.filter(token_sha256=_sha256(link_token)).first()
    if record is None or record.owner_id != user.pk:
        raise LinkSessionMismatchError(
            "not_your_link_token", "This link token was not created for this user."
        )
    data = get_client().call("link_token_get", link_token=link_token)
    produced = set()
    for session in data.get("link_sessions") or []:
        produced.add(((session.get("on_success") or {}).get("public_token")) or "")
        results = session.get("results") or {}
        produced.update(r.get("public_token") or "" for r in results.get("item_add_results") or [])
    if not any(hmac.compare_digest(public_token, token) for token in produced if token):
        raise LinkSessionMismatchError(
            "not_from_this_link_token",
            "This public token does not come from a Link session of this link token.",
        )


def link_session_required() -> bool:
    """Whether the exchange must verify the Link session (``VERIFY_LINK_SESSION``)."""
    setting = plaid_settings.VERIFY_LINK_SESSION
    return plaid_settings.ENVIRONMENT == "production" if setting is None else bool(setting)


# -- Exchange -------------------------------------------------------------------------


@sensitive_variables()
def exchange_public_token(
    user: Any,
    public_token: str,
    metadata: dict[str, Any] | None = None,
    *,
    link_token: str | None = None,
    request: Any = None,
) -> Item:
    """Exchange a Link public token, store the Item and its Accounts, and return the Item.

    Once Plaid has exchanged the token, the Item is never orphaned: its row is stored
    from Plaid's answer alone (the client's ``metadata`` is cleaned to fit), and if even
    that fails the Item is removed at Plaid. A failure after that (``/accounts/get``, the
    database) keeps the Item and fetches its Accounts again in the background.

    Raises :class:`~django_plaid.exceptions.DuplicateItemError` (after removing the new
    Item at Plaid) when ``user`` already has an Item at the same institution with the
    same accounts.

    With ``link_token`` (required when ``VERIFY_LINK_SESSION`` is on), the public token
    must come from a Link session of that token, made for ``user``
    (:func:`verify_link_session`), or nothing is exchanged.
    """
    if link_token or link_session_required():
        verify_link_session(user, public_token, link_token)
    exchanged = get_client().call("item_public_token_exchange", public_token=public_token)
    item = _store_exchanged(user, exchanged, metadata if isinstance(metadata, dict) else {})
    try:
        _link_accounts(user, item)
    except DuplicateItemError:
        _discard(item, reason="duplicate")
        raise
    except Exception as e:
        # The Item is stored: keep it. Its Accounts come with the retry or the first sync.
        logger.warning(
            "Item %s linked, but its accounts could not be stored (%s); retrying later",
            item.item_id,
            getattr(e, "error_code", None) or type(e).__name__,
        )
        jobs.enqueue_refresh_accounts(item.pk)
    transaction.on_commit(lambda: _send_item_linked(item, request))
    transaction.on_commit(lambda: queue_initial_fetches(item))
    return item


def _send_item_linked(item: Item, request: Any) -> None:
    # The link is done and committed: a failing receiver is logged, not turned into an
    # error answer that would make the user link again (and meet DUPLICATE_ITEM).
    for receiver, result in signals.item_linked.send_robust(
        sender=Item, item=item, request=request
    ):
        if isinstance(result, Exception):
            logger.error(
                "item_linked receiver %r failed for Item %s: %s",
                receiver,
                item.item_id,
                type(result).__name__,
                exc_info=result,
            )


def _storable(value: Any, field: str) -> str:
    """Client-supplied text made fit for ``Item.<field>``: text only, without NUL bytes
    or lone surrogates (which no database stores), cut to the column's length."""
    if not isinstance(value, str):
        return ""
    text = value.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
    return text[: Item._meta.get_field(field).max_length]  # type: ignore[union-attr]


def link_metadata_fields(metadata: dict[str, Any]) -> dict[str, str]:
    """The Item columns taken from Link's ``onSuccess`` metadata (web or mobile keys)."""
    institution = metadata.get("institution")
    institution = institution if isinstance(institution, dict) else {}
    return {
        "institution_id": _storable(
            institution.get("institution_id") or institution.get("id"), "institution_id"
        ),
        "institution_name": _storable(institution.get("name"), "institution_name"),
        "link_session_id": _storable(
            metadata.get("link_session_id") or metadata.get("linkSessionId"), "link_session_id"
        ),
    }


def _store_exchanged(user: Any, exchanged: dict[str, Any], metadata: dict[str, Any]) -> Item:
    # The access token is the only way to reach (or remove) this Item at Plaid again:
    # it is stored before anything else, in its own savepoint.
    try:
        with transaction.atomic():
            return Item.objects.create(
                owner=user,
                item_id=exchanged["item_id"],
                access_token=exchanged["access_token"],
                environment=plaid_settings.ENVIRONMENT,
                **link_metadata_fields(metadata),
            )
    except BaseException:
        _remove_unstored(exchanged)
        raise


def _remove_unstored(exchanged: dict[str, Any]) -> None:
    """The Item could not be stored: remove it at Plaid rather than leave it billed and
    unreachable (this request holds the only copy of its access token)."""
    try:
        get_client().call("item_remove", access_token=exchanged["access_token"])
    except PlaidAPIError as e:
        logger.error(
            "Item %s could not be stored nor removed at Plaid (%s); remove it from the "
            "Plaid dashboard",
            exchanged.get("item_id"),
            e.error_code,
        )
    else:
        logger.error("Item %s could not be stored; removed at Plaid", exchanged.get("item_id"))


def _link_accounts(user: Any, item: Item) -> None:
    fetched = get_client().call("accounts_get", access_token=item.access_token)
    with transaction.atomic():
        lock_item_accounts(item.pk)
        _lock_owner(user)
        changed = apply_item(item, fetched["item"])
        item.status = status_for_error(fetched["item"].get("error"))
        item.set_error(fetched["item"].get("error"))
        duplicate = find_duplicate(item, fetched["accounts"])
        if duplicate is not None:
            raise DuplicateItemError(duplicate.item_id)
        item.save(update_fields=[*changed, *ITEM_STATUS_FIELDS, "updated_at"])
        upsert_accounts(item, fetched["accounts"])


def queue_initial_fetches(item: Item) -> None:
    """After linking: the first sync (which also turns on Plaid's sync webhooks) and a
    fetch of every other product the Item has, all in the background."""
    from .products.services import products_to_fetch
    from .sync import request_sync

    if not Item.objects.filter(pk=item.pk).exists():
        return  # discarded (a duplicate)
    if "transactions" in (item.products or []):
        request_sync(item.pk)
    for product in products_to_fetch(item):
        # Never attempted yet, so the periodic task fetches it if this task is lost.
        jobs.enqueue_refresh_product(item.pk, product)


def _lock_owner(user: Any) -> None:
    # Serializes exchanges per user, so two taps on "link" cannot both pass the
    # duplicate check (a no-op on SQLite, whose writes are serialized anyway).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()


#: Namespace of dj-plaid's PostgreSQL advisory locks (the top half of the 64-bit key).
ADVISORY_LOCK_NAMESPACE = 0x504C4944  # "PLID"


def lock_item_accounts(item_pk: int) -> None:
    """Serialize, until the transaction ends, the writes to one Item's Accounts and the
    rows hanging off them (products, transactions' placeholder accounts).

    Call it first in every transaction that writes them, before any row lock: flows
    that upsert and prune the same accounts at once would otherwise deadlock on
    PostgreSQL. It takes an advisory lock, so Item rows stay free for webhooks and API
    requests meanwhile. On other databases it does nothing (SQLite serializes writers).
    """
    connection = connections[router.db_for_write(Account)]
    if connection.vendor != "postgresql" or not connection.in_atomic_block:
        return
    key = (ADVISORY_LOCK_NAMESPACE << 32) + (int(item_pk) % 2**32)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])


def find_duplicate(item: Item, accounts: Iterable[dict[str, Any]]) -> Item | None:
    """Another Item of the same owner at the same institution with the same accounts."""
    if not item.institution_id:
        return None
    wanted = {(a.get("name"), a.get("mask")) for a in accounts}
    candidates = (
        Item.objects.filter(owner_id=item.owner_id, institution_id=item.institution_id)
        .exclude(pk=item.pk)
        .prefetch_related("accounts")
    )
    for candidate in candidates:
        if {(a.name, a.mask) for a in candidate.accounts.all()} == wanted:
            return candidate
    return None


def _discard(item: Item, *, reason: str) -> None:
    """Remove a just-created Item at Plaid and here (best effort at Plaid)."""
    try:
        remove_at_plaid(item)
    except PlaidAPIError as e:
        logger.error(
            "Could not remove %s Item %s at Plaid (%s); remove it from the Plaid dashboard",
            reason,
            item.item_id,
            e.error_code,
        )
        item._removed_at_plaid = True  # type: ignore[attr-defined]  # logged; do not retry
    item.delete()


# -- Items and accounts -----------------------------------------------------------------


def status_for_error(error: dict[str, Any] | None) -> str:
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


def status_from_plaid(item: Item, data: dict[str, Any]) -> str:
    """The status Plaid's Item object implies, keeping a pending_* warning while healthy."""
    status = status_for_error(data.get("error"))
    if status == ItemStatus.HEALTHY and item.status in (
        ItemStatus.PENDING_EXPIRATION,
        ItemStatus.PENDING_DISCONNECT,
    ):
        return item.status
    return status


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
        status = status_from_plaid(item, data)
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


def _money(value: Any) -> Decimal | None:
    # Through str(): Decimal(0.1) would carry the float's binary noise.
    return None if value is None else Decimal(str(value))


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
                balance_available=_money(balances.get("available")),
                balance_current=_money(balances.get("current")),
                balance_limit=_money(balances.get("limit")),
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
        if rows:
            Account.objects.bulk_create(
                rows,
                update_conflicts=True,
                unique_fields=["account_id"],
                update_fields=[
                    "item",
                    "persistent_account_id",
                    "name",
                    "official_name",
                    "mask",
                    "type",
                    "subtype",
                    "balance_available",
                    "balance_current",
                    "balance_limit",
                    "iso_currency_code",
                    "unofficial_currency_code",
                    "balances_updated_at",
                    "raw",
                    "updated_at",
                ],
            )
        if prune:
            item.accounts.exclude(account_id__in=[r.account_id for r in rows]).delete()
    return rows


def sync_item(item: Item, lease_owner: str = "") -> None:
    """One sync pass for an Item (run under its sync lease by :func:`~django_plaid.sync.run_sync`).

    Refreshes the Item and its Accounts with their cached balances (``/accounts/get``),
    then its transactions (``/transactions/sync``) when the Item has that product. A
    revoked Item has nothing left to sync. Sends ``transactions_synced`` after commit.
    """
    from .sync import renew_lease
    from .transactions import sync_transactions

    if not item.access_token:
        return
    refresh_accounts(item)
    if "transactions" not in (item.products or []):
        return
    try:
        result = sync_transactions(
            item, renew=(lambda: renew_lease(item.pk, lease_owner)) if lease_owner else None
        )
    except PlaidAPIError as e:
        record_item_error(item, e)
        raise
    logger.info(
        "Item %s synced: %d added, %d modified, %d removed (%d pages, %d restarts)",
        item.item_id,
        result.added,
        result.modified,
        result.removed,
        result.pages,
        result.restarts,
    )
    transaction.on_commit(
        lambda: signals.transactions_synced.send(
            sender=Item,
            item=item,
            added=result.added,
            modified=result.modified,
            removed=result.removed,
        )
    )


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
        set_item_status(item, status_for_error(body), error=body)


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
            set_item_status(item, status_for_error(error), error=error, expected=seen)
    return item


# -- Removal ------------------------------------------------------------------------------


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
    item._removed_at_plaid = True  # type: ignore[attr-defined]


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


def update_item_webhook(item: Item, url: str) -> Item:
    """Tell Plaid to send the Item's webhooks to ``url`` (``/item/webhook/update``)."""
    data = get_client().call("item_webhook_update", access_token=item.access_token, webhook=url)
    item.webhook = data["item"].get("webhook") or url
    item.save(update_fields=["webhook", "updated_at"])
    return item


def remove_at_plaid_before_delete(item: Item) -> None:
    """Before an Item row is deleted some other way (a user deleted, a cascade, the shell):
    remove it at Plaid too, best effort, since the access token dies with the row and an
    Item left at Plaid keeps billing.
    """
    if getattr(item, "_removed_at_plaid", False) or not item.access_token:
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


# -- Balances ----------------------------------------------------------------------------


def refresh_balances(item: Item) -> bool:
    """Fetch live balances (``/accounts/balance/get``) and cache them on the Accounts.

    Throttled per Item to ``PLAID["BALANCE_REFRESHES_PER_MINUTE"]`` across processes
    (Plaid allows 5 a minute per Item in production): returns False, without calling
    Plaid, when the Item's last live fetch is too recent.
    """
    if not item.access_token:
        return False
    interval = timedelta(seconds=60 / max(1, int(plaid_settings.BALANCE_REFRESHES_PER_MINUTE)))
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


# -- Self-healing ----------------------------------------------------------------------------


#: How long a recorded request waits for its own task before the periodic task runs it.
REQUEST_GRACE = timedelta(minutes=2)


def items_due(now: datetime | None = None) -> dict[str, list[Any]]:
    """The Items the periodic task must act on, by what to do with them.

    ``sync``: healthy Items not synced within ``SYNC_STALE_AFTER`` (lost webhooks), and
    Items with a trigger no live run is handling (a lost task). ``balances``: healthy
    Items whose cached balances are older than ``BALANCE_MAX_AGE``. ``refresh``: broken
    Items not looked at within ``SYNC_STALE_AFTER`` (a lost ``LOGIN_REPAIRED``), and
    Items whose requested re-check has waited ``REQUEST_GRACE`` (a lost task).
    ``products``: products never fetched or not tried within ``PRODUCT_REFRESH_AFTER``.
    """
    now = now or timezone.now()
    stale = now - timedelta(seconds=int(plaid_settings.SYNC_STALE_AFTER))
    old_balances = now - timedelta(seconds=int(plaid_settings.BALANCE_MAX_AGE))
    live = Item.objects.exclude(access_token="")
    healthy = live.exclude(status__in=BROKEN_STATUSES)
    unleased = Q(sync_lock_until__isnull=True) | Q(sync_lock_until__lt=now)
    sync = healthy.filter(
        Q(last_synced_at__isnull=True, created_at__lt=now - timedelta(minutes=5))
        | Q(last_synced_at__lt=stale)
        | (Q(sync_requested__gt=F("sync_completed")) & unleased)
    )
    balances = healthy.filter(
        Q(accounts__balances_updated_at__lt=old_balances)
        | Q(accounts__balances_updated_at__isnull=True)
    ).distinct()
    refresh = live.filter(
        Q(status__in=BROKEN_STATUSES, updated_at__lt=stale)
        | Q(refresh_requested_at__lt=now - REQUEST_GRACE)
    )
    return {
        "sync": list(sync.values_list("pk", flat=True)),
        "balances": list(balances.values_list("pk", flat=True)),
        "refresh": list(refresh.values_list("pk", flat=True)),
        "products": stale_products(healthy, now),
    }


def stale_products(items: Any, now: datetime) -> list[tuple[int, str]]:
    """(Item pk, product) pairs not tried within ``PRODUCT_REFRESH_AFTER``."""
    from .products.services import FETCHERS

    limit = now - timedelta(seconds=int(plaid_settings.PRODUCT_REFRESH_AFTER))
    due = []
    for pk, products, attempted in items.values_list("pk", "products", "product_attempted_at"):
        for product in FETCHERS:
            if product not in (products or []):
                continue
            # The last attempt counts, successful or not: a failing product waits too.
            attempt = parse_datetime((attempted or {}).get(product) or "")
            if attempt is None or attempt < limit:
                due.append((pk, product))
    return due


def purge_link_tokens() -> int:
    """Forget the Link tokens that expired more than a day ago (their sessions are gone
    at Plaid too); returns how many. The periodic task calls it."""
    deleted, _ = LinkToken.objects.filter(
        expiration__lt=timezone.now() - timedelta(days=1)
    ).delete()
    return deleted


# -- Access-token rotation ---------------------------------------------------------------


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
