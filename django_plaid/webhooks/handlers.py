"""What each webhook does: one method per ``(webhook_type, webhook_code)``.

To add or replace a code's handling, subclass :class:`WebhookHandler`, define
``handle_<type>_<code>`` (lower case, e.g. ``handle_item_error``), and point
``PLAID["WEBHOOK_HANDLER_CLASS"]`` at the subclass. Every handler is idempotent: Plaid
retries deliveries and sends identical bodies for distinct events.
"""

from __future__ import annotations

import logging
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime

from .. import jobs
from ..conf import plaid_settings
from ..items import BROKEN_STATUSES, item_status_for_error, set_item_status
from ..lifecycle import revoke_account, revoke_item
from ..models import Item, ItemStatus, PlaidUser, WebhookEvent
from ..products.services import request_product_refresh
from ..syncing import request_sync

logger = logging.getLogger("django_plaid.webhooks")


class WebhookHandler:
    """Dispatches a verified webhook to ``handle_<type>_<code>``, else ``handle_unknown``."""

    def handle(self, event: WebhookEvent, payload: dict[str, Any], item: Item | None) -> None:
        """Run the handler for the event's type and code."""
        name = f"handle_{event.webhook_type.lower()}_{event.webhook_code.lower()}"
        method = getattr(self, name, None)
        if method is None:
            self.handle_unknown(event, payload, item)
        elif event.webhook_type.upper() in USER_SCOPED_TYPES:
            method(payload, item)  # about a Plaid user, not an Item stored here
        elif item is None:
            # Plaid knows an Item that this database does not (removed here, or linked
            # by another deployment sharing the webhook URL): nothing to update.
            logger.info("Webhook %s for unknown Item %s: ignored", event, event.item_id)
        elif item.status == ItemStatus.REVOKED:
            # Removed at Plaid after the user revoked access: its state is final here.
            logger.info("Webhook %s for revoked Item %s: ignored", event, item.item_id)
        else:
            method(payload, item)

    def handle_unknown(
        self, event: WebhookEvent, payload: dict[str, Any], item: Item | None
    ) -> None:
        """A type or code without a handler: stored and signalled, never an error."""
        logger.info("Webhook %s has no handler; stored and signalled only", event)

    # -- ITEM ---------------------------------------------------------------------------

    def handle_item_error(self, payload: dict[str, Any], item: Item) -> None:
        """The Item broke: ``ITEM_LOGIN_REQUIRED`` → ``login_required``, else ``error``.

        Without a usable error object (missing, or malformed), the Item is still broken:
        its error is recorded as ``ITEM_ERROR`` / ``UNKNOWN``.
        """
        error = plaid_error(payload, "error") or {
            "error_type": "ITEM_ERROR",
            "error_code": "UNKNOWN",
        }
        set_item_status(item, item_status_for_error(error), error=error)

    def handle_item_login_repaired(self, payload: dict[str, Any], item: Item) -> None:
        """The login works again (repaired in another app): healthy, error cleared."""
        set_item_status(item, ItemStatus.HEALTHY)

    def handle_item_pending_expiration(self, payload: dict[str, Any], item: Item) -> None:
        """Consent expires soon (UK/EU): warn, unless the Item is already broken."""
        fields = {"consent_expiration_time": payload_datetime(payload, "consent_expiration_time")}
        status = item.status
        if status not in BROKEN_STATUSES:
            status = ItemStatus.PENDING_EXPIRATION
        set_item_status(item, status, error=item.error, **fields)

    def handle_item_pending_disconnect(self, payload: dict[str, Any], item: Item) -> None:
        """The Item stops working in about 7 days unless the user relinks: warn."""
        if item.status not in BROKEN_STATUSES:
            set_item_status(item, ItemStatus.PENDING_DISCONNECT)

    def handle_item_user_permission_revoked(self, payload: dict[str, Any], item: Item) -> None:
        """The user revoked access: Plaid advises removing the Item and deleting its data."""
        revoke_item(item, plaid_error(payload, "error"))

    def handle_item_user_account_revoked(self, payload: dict[str, Any], item: Item) -> None:
        """One account was revoked at the bank: delete that account's data."""
        account_id = payload_string(payload, "account_id", max_length=100)
        if account_id:
            revoke_account(item, account_id)

    def handle_item_new_accounts_available(self, payload: dict[str, Any], item: Item) -> None:
        """New accounts at the bank: the next update-mode Link token offers account selection."""
        if not item.new_accounts_available:
            item.new_accounts_available = True
            item.save(update_fields=["new_accounts_available", "updated_at"])

    def handle_item_webhook_update_acknowledged(self, payload: dict[str, Any], item: Item) -> None:
        """Plaid now sends this Item's webhooks to ``new_webhook_url``."""
        url = payload.get("new_webhook_url")
        if url is not None and payload_string(payload, "new_webhook_url", max_length=2048) is None:
            return  # malformed (logged): keep the URL known so far
        item.webhook = url or ""
        item.save(update_fields=["webhook", "updated_at"])

    # -- TRANSACTIONS -------------------------------------------------------------------

    def handle_transactions_sync_updates_available(
        self, payload: dict[str, Any], item: Item
    ) -> None:
        """New transactions data: queue a sync (merged into a running one)."""
        request_sync(item.pk)

    # The legacy codes still arrive for /transactions/sync users. A sync trigger is
    # cheap (merged, cursor-driven), so each one doubles as a lost-webhook safety net.
    handle_transactions_initial_update = handle_transactions_sync_updates_available
    handle_transactions_historical_update = handle_transactions_sync_updates_available
    handle_transactions_default_update = handle_transactions_sync_updates_available
    handle_transactions_transactions_removed = handle_transactions_sync_updates_available

    # -- Other products: each queues a fetch of what changed ----------------------------

    def handle_auth_default_update(self, payload: dict[str, Any], item: Item) -> None:
        """Account or routing numbers changed: fetch them again (stop using the old ones)."""
        _queue_refresh(item, "auth")

    def handle_auth_automatically_verified(self, payload: dict[str, Any], item: Item) -> None:
        """Micro-deposits verified the account: its numbers can be fetched now."""
        _queue_refresh(item, "auth")

    def handle_auth_verification_expired(self, payload: dict[str, Any], item: Item) -> None:
        """The account was not verified in time: record its status (on the Account)."""
        # /auth/get may answer NO_AUTH_ACCOUNTS now; /accounts/get still has the status.
        jobs.enqueue_refresh_accounts(item.pk)
        _queue_refresh(item, "auth")

    def handle_identity_default_update(self, payload: dict[str, Any], item: Item) -> None:
        """Owner names, emails, phones or addresses changed."""
        _queue_refresh(item, "identity")

    def handle_holdings_default_update(self, payload: dict[str, Any], item: Item) -> None:
        """New or updated holdings."""
        _queue_refresh(item, "holdings")

    def handle_investments_transactions_default_update(
        self, payload: dict[str, Any], item: Item
    ) -> None:
        """New or cancelled investment transactions."""
        _queue_refresh(item, "investments_transactions")

    handle_investments_transactions_historical_update = (
        handle_investments_transactions_default_update
    )

    def handle_liabilities_default_update(self, payload: dict[str, Any], item: Item) -> None:
        """New or updated liabilities."""
        _queue_refresh(item, "liabilities")

    def handle_income_income_verification(self, payload: dict[str, Any], item: Item | None) -> None:
        """Payroll income was processed for a Plaid user: fetch it."""
        user_id = payload_string(payload, "user_id", max_length=100)
        plaid_user = PlaidUser.objects.filter(user_id=user_id).first() if user_id else None
        if plaid_user is None:
            logger.info("INCOME webhook for unknown Plaid user: ignored")
            return
        status = payload_string(payload, "verification_status", max_length=100) or ""
        if status.endswith("PROCESSING_FAILED"):
            logger.warning("Payroll income processing failed for %s", plaid_user.user_id)
            return
        jobs.enqueue_refresh_payroll_income(plaid_user.pk)

    handle_income_user_income_verification = handle_income_income_verification


#: Webhook types about a Plaid user (``user_id``) rather than an Item stored here.
USER_SCOPED_TYPES = frozenset({"INCOME"})


#: The longest ``error_type`` / ``error_code`` an Item stores (its columns' length).
ERROR_CODE_MAX_LENGTH = 64
#: The keys of Plaid's error object that are text (shown by the API as string or null).
ERROR_TEXT_KEYS = ("error_message", "display_message", "request_id", "error_code_reason")


def payload_string(payload: dict[str, Any], key: str, *, max_length: int) -> str | None:
    """``payload[key]`` if it is a string of at most ``max_length``, else None (logged)."""
    value = payload.get(key)
    if isinstance(value, str) and len(value) <= max_length:
        return value
    if value is not None:
        logger.warning("Webhook field %s is malformed (%s): ignored", key, type(value).__name__)
    return None


def payload_datetime(payload: dict[str, Any], key: str) -> datetime | None:
    """``payload[key]`` as an aware datetime if it is an ISO 8601 time, else None (logged)."""
    value = payload_string(payload, key, max_length=64)
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
    except ValueError:  # well formed, but not a real time (month 13)
        parsed = None
    if parsed is None:
        logger.warning("Webhook field %s is not a time: ignored", key)
        return None
    # Plaid sends UTC ("Z"); a time without an offset is taken as UTC too.
    return parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, dt_timezone.utc)


def plaid_error(payload: dict[str, Any], key: str) -> dict[str, Any] | None:
    """Plaid's error object at ``payload[key]``, or None when missing or malformed (logged).

    Usable means an object whose ``error_type`` and ``error_code`` are non-empty strings
    that fit the Item's columns. Its other text keys that are not strings become null.
    """
    value = payload.get(key)
    if value is None:
        return None
    if not isinstance(value, dict) or not all(
        isinstance(value.get(name), str) and 0 < len(value[name]) <= ERROR_CODE_MAX_LENGTH
        for name in ("error_type", "error_code")
    ):
        logger.warning("Webhook field %s is not a usable Plaid error object: ignored", key)
        return None
    error = dict(value)
    for name in ERROR_TEXT_KEYS:
        if name in error and not isinstance(error[name], str):
            error[name] = None
    return error


def _queue_refresh(item: Item, product: str) -> None:
    request_product_refresh(item, product)


def get_webhook_handler() -> WebhookHandler:
    """An instance of ``PLAID["WEBHOOK_HANDLER_CLASS"]``."""
    handler_class = plaid_settings.WEBHOOK_HANDLER_CLASS
    return handler_class()
