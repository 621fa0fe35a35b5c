"""Linking: Link tokens (Item and payroll income), the Link session check, the
exchange of a public token into a stored Item with its Accounts, and Link's analytics
(the events Link reported in the browser)."""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from celery.exceptions import Retry
from django.contrib.auth import get_user_model
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.debug import sensitive_variables

from . import jobs, signals
from .client import get_client
from .conf import plaid_settings
from .exceptions import DuplicateItemError, LinkSessionMismatchError, PlaidAPIError
from .items import (
    ITEM_STATUS_FIELDS,
    apply_item,
    item_status_for_error,
    lock_item_accounts,
    upsert_accounts,
)
from .lifecycle import remove_at_plaid
from .models import Item, LinkEvent, LinkToken, PlaidUser
from .models.link_events import clean_metadata, redact_tokens
from .registry import USER_PRODUCTS, products_to_fetch
from .syncing import request_sync

logger = logging.getLogger("django_plaid")

#: The database's passing errors (a locked SQLite file, a lost connection).
DATABASE_ERRORS = (OperationalError, InterfaceError)


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
        # The Item is stored: keep it, owed a check with Plaid (its refresh request, stored
        # with the row), which its task or else the periodic task runs. Its first sync
        # and product fetches wait for that: its products are not known yet.
        logger.warning(
            "Item %s linked, but its accounts could not be stored (%s); retrying later",
            item.item_id,
            getattr(e, "error_code", None) or type(e).__name__,
        )
        item = _as_stored(item)
        _after_link(item, lambda: jobs.enqueue_refresh_item(item.pk))
    else:
        _after_link(item, lambda: queue_initial_fetches(item))
    transaction.on_commit(lambda: _send_item_linked(item, request))
    return item


def _as_stored(item: Item) -> Item:
    # The row as stored, not the instance the rolled-back transaction changed (products,
    # status); the instance itself when even a read fails.
    try:
        return Item.objects.get(pk=item.pk)
    except (*DATABASE_ERRORS, Item.DoesNotExist):
        return item


def _after_link(item: Item, queue: Any) -> None:
    """Queue the linked Item's next work once the link commits (at once here: the view
    is not atomic). The Item is linked whatever happens now: a database error while
    recording the work (a locked SQLite file), or an eager task's passing error (raised
    as Celery's ``Retry`` when eager errors propagate), is logged, and what the row
    records is done by the periodic task."""

    def run() -> None:
        try:
            queue()
        except (*DATABASE_ERRORS, Retry) as e:
            logger.warning(
                "Item %s linked; its first background work could not be done now (%s); "
                "the periodic task does it",
                item.item_id,
                type(getattr(e, "exc", None) or e).__name__,
            )

    transaction.on_commit(run)


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
                # Owed a check with Plaid until its accounts are stored (in the same
                # transaction): if the exchange stops short, the periodic task finds it.
                refresh_requested_at=timezone.now(),
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
        item.status = item_status_for_error(fetched["item"].get("error"))
        item.set_error(fetched["item"].get("error"))
        duplicate = find_duplicate(item, fetched["accounts"])
        if duplicate is not None:
            raise DuplicateItemError(duplicate.item_id)
        item.refresh_requested_at = None  # the check the Item was owed: this one
        item.save(
            update_fields=[*changed, *ITEM_STATUS_FIELDS, "refresh_requested_at", "updated_at"]
        )
        upsert_accounts(item, fetched["accounts"])


def queue_initial_fetches(item: Item) -> None:
    """After linking: the first sync (which also turns on Plaid's sync webhooks) and a
    fetch of every other product the Item has, all in the background."""
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
        item.removed_at_plaid = True  # logged; do not retry
    # Under the Item's accounts lock (Item.delete): a sync that a webhook for the new
    # Item started meanwhile cannot add an Account between collection and deletion.
    item.delete()


def purge_link_tokens() -> int:
    """Forget the Link tokens that expired more than a day ago (their sessions are gone
    at Plaid too); returns how many. The periodic task calls it."""
    deleted, _ = LinkToken.objects.filter(
        expiration__lt=timezone.now() - timedelta(days=1)
    ).delete()
    return deleted


# -- Link analytics ---------------------------------------------------------------------


def _column(value: Any, field: str) -> str:
    # A promoted column: a string, tokens redacted, as long as the column stores.
    if not isinstance(value, str):
        return ""
    length = LinkEvent._meta.get_field(field).max_length  # type: ignore[union-attr]
    return redact_tokens(value)[:length]


def record_link_event(
    user: Any,
    event_name: str,
    *,
    error: dict[str, Any] | None = None,
    metadata: dict[str, Any] | None = None,
    item: Item | None = None,
) -> LinkEvent:
    """Store what Link reported in ``user``'s browser: an ``onExit`` (``event_name``
    ``"EXIT"``, Link's ``error`` or ``None``, its ``metadata``) or an ``onEvent``.

    The metadata is cleaned (:func:`~django_plaid.models.link_events.clean_metadata`:
    Link's documented keys only, tokens redacted, strings bounded) and the columns
    people query are promoted from it and from the error.
    """
    meta = clean_metadata(metadata)
    error = error if isinstance(error, dict) else {}
    institution = meta.get("institution") or {}

    def first(*values: Any) -> Any:
        return next((v for v in values if isinstance(v, str) and v), "")

    return LinkEvent.objects.create(
        owner=user,
        item=item,
        event_name=_column(event_name, "event_name"),
        link_session_id=_column(meta.get("link_session_id"), "link_session_id"),
        request_id=_column(first(meta.get("request_id"), error.get("request_id")), "request_id"),
        error_type=_column(first(error.get("error_type"), meta.get("error_type")), "error_type"),
        error_code=_column(first(error.get("error_code"), meta.get("error_code")), "error_code"),
        error_message=_column(
            first(error.get("error_message"), meta.get("error_message")), "error_message"
        ),
        display_message=_column(error.get("display_message"), "display_message"),
        institution_id=_column(
            first(
                institution.get("institution_id"), institution.get("id"), meta.get("institution_id")
            ),
            "institution_id",
        ),
        institution_name=_column(
            first(institution.get("name"), meta.get("institution_name")), "institution_name"
        ),
        status=_column(first(meta.get("status"), meta.get("exit_status")), "status"),
        view_name=_column(meta.get("view_name"), "view_name"),
        metadata=meta,
    )


def purge_link_events() -> int:
    """Forget the Link events older than ``LINK_EVENT_MAX_AGE``; returns how many. The
    periodic task calls it."""
    cutoff = timezone.now() - plaid_settings.seconds("LINK_EVENT_MAX_AGE")
    deleted, _ = LinkEvent.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# -- Payroll income (a Plaid user, not an Item) ---------------------------------------


@sensitive_variables()
def ensure_plaid_user(user: Any) -> PlaidUser:
    """The Plaid user of ``user``, created at Plaid (``/user/create``) the first time."""
    existing = PlaidUser.objects.filter(owner=user).first()
    if existing is not None:
        return existing
    created = get_client().call("user_create", client_user_id=str(user.pk))
    plaid_user, _ = PlaidUser.objects.get_or_create(
        owner=user,
        defaults={
            "user_id": created["user_id"],
            "user_token": created.get("user_token") or "",
            "environment": plaid_settings.ENVIRONMENT,
        },
    )
    return plaid_user


@sensitive_variables()
def income_link_token_request(user: Any, *, platform: str = "web") -> dict[str, Any]:
    """The ``/link/token/create`` body for payroll income (a Plaid user, not an Item)."""
    plaid_user = ensure_plaid_user(user)
    body = link_token_request(user, platform=platform)
    body["products"] = ["income_verification"]
    body["income_verification"] = {"income_source_types": ["payroll"]}
    if plaid_user.user_token:
        body["user_token"] = plaid_user.user_token
    else:
        body["user_id"] = plaid_user.user_id
    return body
