"""The webhooks the emulator sends about Items, and the payload of each type and code.

Handlers decide *when* (after an exchange, on ``/sandbox/item/reset_login``, ...); this
module decides *what*: each payload has exactly the keys of its plaid-python model
(``plaid.model.*_webhook``), with ``environment`` ``"sandbox"``, and goes to the Item's
webhook URL. An Item without a URL gets nothing, as with Plaid.

Product webhooks besides ``/sandbox/item/fire_webhook``'s:

* after the exchange of an Item with ``investments``:
  ``INVESTMENTS_TRANSACTIONS``/``HISTORICAL_UPDATE`` (``InvestmentsHistoricalUpdateWebhook``,
  the number of investment transactions found), held back while investments are not
  ready; also after an ``async_update`` first call of ``/investments/transactions/get``;
* ``/sandbox/item/set_verification_status``: ``AUTH``/``AUTOMATICALLY_VERIFIED`` or
  ``AUTH``/``VERIFICATION_EXPIRED`` with the ``account_id``;
* a completed payroll-income Link: ``INCOME``/``INCOME_VERIFICATION`` with ``item_id``,
  ``user_id`` and ``verification_status`` ``VERIFICATION_STATUS_PROCESSING_COMPLETE``
  (``IncomeVerificationStatusWebhook``), held back while the payroll data is not ready.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import AbstractContextManager
from datetime import datetime, timedelta
from typing import Any, Protocol

from . import ids
from .errors import PlaidErrorResponse
from .investments import InvestmentBook
from .records import Account, Item
from .webhooks import Delivery, WebhookDispatcher

__all__ = [
    "DEFAULT_UPDATE_TYPES",
    "FIRE_WEBHOOK_TYPES",
    "LOGIN_REQUIRED_DISPLAY_MESSAGE",
    "PRODUCTS_FOR_WEBHOOK_TYPE",
    "FiringState",
    "NotifyingState",
    "fired_payload",
    "item_error_payload",
    "notify_income_verification",
    "notify_investments_historical_update",
    "notify_item_error",
    "notify_item_linked",
    "notify_product_ready",
    "notify_sync_updates_available",
    "notify_transactions_changed",
    "notify_verification_status",
    "notify_webhook_update_acknowledged",
    "send_item_webhook",
    "transaction_counts",
    "webhook_error",
]

#: How far ahead PENDING_DISCONNECT / PENDING_EXPIRATION put the deadline (Plaid: 7 days).
NOTICE_PERIOD = timedelta(days=7)

#: What Plaid's ITEM/ERROR webhook shows the user for ITEM_LOGIN_REQUIRED (the API error
#: itself has a null display_message).
LOGIN_REQUIRED_DISPLAY_MESSAGE = (
    "We're unable to update your account information. Please log in again."
)

#: ``webhook_type`` values ``DEFAULT_UPDATE`` can be fired for; the first is the default.
DEFAULT_UPDATE_TYPES = (
    "TRANSACTIONS",
    "AUTH",
    "HOLDINGS",
    "INVESTMENTS_TRANSACTIONS",
    "LIABILITIES",
    "IDENTITY",
)

#: ``/sandbox/item/fire_webhook`` codes the emulator fires, with the webhook types each may
#: be sent as (the first is used when the request names none).
FIRE_WEBHOOK_TYPES: dict[str, tuple[str, ...]] = {
    "DEFAULT_UPDATE": DEFAULT_UPDATE_TYPES,
    "NEW_ACCOUNTS_AVAILABLE": ("ITEM",),
    "SMS_MICRODEPOSITS_VERIFICATION": ("AUTH",),
    "USER_PERMISSION_REVOKED": ("ITEM",),
    "USER_ACCOUNT_REVOKED": ("ITEM",),
    "PENDING_DISCONNECT": ("ITEM",),
    "PENDING_EXPIRATION": ("ITEM",),
    "LOGIN_REPAIRED": ("ITEM",),
    "SYNC_UPDATES_AVAILABLE": ("TRANSACTIONS",),
    "RECURRING_TRANSACTIONS_UPDATE": ("TRANSACTIONS",),
    # Plaid's sandbox fires these two as Assets webhooks (ITEM/ERROR comes from
    # /sandbox/item/reset_login instead).
    "PRODUCT_READY": ("ASSETS",),
    "ERROR": ("ASSETS",),
}

#: The Item product a webhook type needs (SANDBOX_PRODUCT_NOT_ENABLED without it).
PRODUCTS_FOR_WEBHOOK_TYPE: dict[str, str | None] = {
    "TRANSACTIONS": "transactions",
    "AUTH": "auth",
    "HOLDINGS": "investments",
    "INVESTMENTS_TRANSACTIONS": "investments",
    "LIABILITIES": "liabilities",
    "IDENTITY": "identity",
    "ASSETS": "assets",
    "ITEM": None,
}


class NotifyingState(Protocol):
    """What these functions need of ``state.EmulatorState`` (this module never imports it)."""

    @property
    def lock(self) -> AbstractContextManager[Any]: ...

    @property
    def webhooks(self) -> WebhookDispatcher: ...

    def now(self) -> datetime: ...

    def investments(self, item: str | Item) -> InvestmentBook: ...


class FiringState(NotifyingState, Protocol):
    """``NotifyingState`` plus the Item errors ``fired_payload``'s side effects set."""

    def set_item_error(self, item_id: str, error_code: str | None) -> Item: ...

    def clear_item_error(self, item_id: str) -> Item: ...


# -- sending ---------------------------------------------------------------------------------


def send_item_webhook(
    state: NotifyingState, item: Item, payload: dict[str, Any]
) -> Delivery | None:
    """Queue ``payload`` for the Item's webhook URL (None, and nothing sent, without one)."""
    if not item.webhook:
        return None
    with state.lock:
        item.last_webhook_code = payload.get("webhook_code")
        item.last_webhook_sent_at = state.now()
    return state.webhooks.send(item.webhook, payload)


def _payload(
    item: Item | None, webhook_type: str, webhook_code: str, **fields: Any
) -> dict[str, Any]:
    # Plaid's key order: type, code, item_id, the specifics, environment last.
    payload: dict[str, Any] = {"webhook_type": webhook_type, "webhook_code": webhook_code}
    if item is not None:
        payload["item_id"] = item.item_id
    payload.update(fields)
    payload["environment"] = ids.ENVIRONMENT
    return payload


def webhook_error(
    error_code: str, *, display_message: str | None = None, error_type: str | None = None
) -> dict[str, Any]:
    """A catalogue error as webhooks embed it (``status``, no ``request_id``)."""
    error = PlaidErrorResponse(error_code, display_message=display_message, error_type=error_type)
    return error.to_webhook_dict()


def item_error_payload(item: Item, error: dict[str, Any]) -> dict[str, Any]:
    """``ITEM``/``ERROR`` (``ItemErrorWebhook``) carrying ``error``."""
    return _payload(item, "ITEM", "ERROR", error=error)


# -- events ----------------------------------------------------------------------------------


def transaction_counts(item: Item) -> tuple[int, int]:
    """``new_transactions`` for INITIAL_UPDATE (last 30 days) and HISTORICAL_UPDATE (all).

    Counted among the Item's current transactions, the last 30 days ending on the day
    the Item was created; (0, 0) without the transactions product.
    """
    if item.ledger is None:
        return 0, 0
    return item.ledger.counts(item.created_at.date())


def notify_item_linked(state: NotifyingState, item: Item) -> list[Delivery]:
    """What Plaid sends once a new Item's public token is exchanged.

    With ``transactions``: ``INITIAL_UPDATE`` then ``HISTORICAL_UPDATE``. The legacy
    codes go out whether or not the app uses ``/transactions/sync``;
    ``SYNC_UPDATES_AVAILABLE`` only starts after the Item's first ``/transactions/sync``
    (see ``notify_sync_updates_available``). With ``investments``:
    ``INVESTMENTS_TRANSACTIONS``/``HISTORICAL_UPDATE`` once the investments data is ready.
    """
    if not item.webhook:
        return []
    deliveries = _transactions_linked(state, item)
    if "investments" in item.products:
        if "investments" in item.not_ready:
            item.deferred_webhooks.add("investments")
        else:
            delivery = notify_investments_historical_update(state, item)
            if delivery is not None:
                deliveries.append(delivery)
    return deliveries


def _transactions_linked(state: NotifyingState, item: Item) -> list[Delivery]:
    if "transactions" not in item.products:
        return []
    if not item.transactions_ready:
        # Plaid sends these once the pull is done: EmulatorState.set_transactions_ready.
        item.link_webhooks_deferred = True
        return []
    initial, historical = transaction_counts(item)
    deliveries = [
        send_item_webhook(
            state,
            item,
            _payload(item, "TRANSACTIONS", "INITIAL_UPDATE", new_transactions=initial, error=None),
        ),
        send_item_webhook(
            state,
            item,
            _payload(
                item, "TRANSACTIONS", "HISTORICAL_UPDATE", new_transactions=historical, error=None
            ),
        ),
    ]
    return [d for d in deliveries if d is not None]


def notify_sync_updates_available(
    state: NotifyingState,
    item: Item,
    *,
    initial_update_complete: bool = True,
    historical_update_complete: bool = True,
) -> Delivery | None:
    """``TRANSACTIONS``/``SYNC_UPDATES_AVAILABLE`` for the Item.

    Plaid starts sending this only after the Item's first ``/transactions/sync`` call;
    ``notify_transactions_changed`` calls it for every change from then on.
    """
    return send_item_webhook(
        state,
        item,
        _payload(
            item,
            "TRANSACTIONS",
            "SYNC_UPDATES_AVAILABLE",
            initial_update_complete=initial_update_complete,
            historical_update_complete=historical_update_complete,
        ),
    )


def notify_transactions_changed(
    state: NotifyingState,
    item: Item,
    *,
    new_transactions: int = 0,
    removed_ids: list[str] | None = None,
    legacy: bool = False,
) -> list[Delivery]:
    """Announce a change of the Item's transactions.

    ``SYNC_UPDATES_AVAILABLE`` once the Item has called ``/transactions/sync``. With
    ``legacy`` (a refresh or sandbox-created transactions: Plaid found new data) also the
    ``/transactions/get`` webhooks: ``DEFAULT_UPDATE`` with the number of new
    transactions and ``TRANSACTIONS_REMOVED`` with the removed ids, when there are any.
    """
    deliveries: list[Delivery | None] = []
    if legacy and new_transactions:
        deliveries.append(
            send_item_webhook(
                state,
                item,
                _payload(
                    item,
                    "TRANSACTIONS",
                    "DEFAULT_UPDATE",
                    new_transactions=new_transactions,
                    error=None,
                ),
            )
        )
    if legacy and removed_ids:
        deliveries.append(
            send_item_webhook(
                state,
                item,
                _payload(
                    item,
                    "TRANSACTIONS",
                    "TRANSACTIONS_REMOVED",
                    removed_transactions=list(removed_ids),
                    error=None,
                ),
            )
        )
    if item.sync_activated and item.transactions_ready:
        deliveries.append(notify_sync_updates_available(state, item))
    return [d for d in deliveries if d is not None]


def notify_investments_historical_update(state: NotifyingState, item: Item) -> Delivery | None:
    """``INVESTMENTS_TRANSACTIONS``/``HISTORICAL_UPDATE``: the investments history is in."""
    total = len(state.investments(item))
    return send_item_webhook(
        state,
        item,
        _payload(
            item,
            "INVESTMENTS_TRANSACTIONS",
            "HISTORICAL_UPDATE",
            new_investments_transactions=total,
            cancelled_investments_transactions=0,
            error=None,
        ),
    )


def notify_income_verification(
    state: NotifyingState,
    item: Item,
    verification_status: str = "VERIFICATION_STATUS_PROCESSING_COMPLETE",
    *,
    webhook_code: str = "INCOME_VERIFICATION",
    url: str | None = None,
) -> Delivery | None:
    """``INCOME``/``INCOME_VERIFICATION`` for a payroll Item (to ``url`` or its webhook).

    With the default status and the Item's own URL, the webhook waits while the payroll
    data is not ready (``set_product_ready`` sends it). ``webhook_code`` may also be
    ``USER_INCOME_VERIFICATION`` (same payload).
    """
    if (
        url is None
        and verification_status == "VERIFICATION_STATUS_PROCESSING_COMPLETE"
        and "income_verification" in item.not_ready
    ):
        item.deferred_webhooks.add("income_verification")
        return None
    payload = _payload(
        item,
        "INCOME",
        webhook_code,
        user_id=item.user_id,
        verification_status=verification_status,
    )
    if url is None:
        return send_item_webhook(state, item, payload)
    with state.lock:
        item.last_webhook_code = webhook_code
        item.last_webhook_sent_at = state.now()
    return state.webhooks.send(url, payload)


def notify_verification_status(
    state: NotifyingState, item: Item, account: Account
) -> Delivery | None:
    """``AUTH``/``AUTOMATICALLY_VERIFIED`` or ``VERIFICATION_EXPIRED`` for the account."""
    code = {
        "automatically_verified": "AUTOMATICALLY_VERIFIED",
        "verification_expired": "VERIFICATION_EXPIRED",
    }[account.verification_status or ""]
    return send_item_webhook(
        state, item, _payload(item, "AUTH", code, account_id=account.account_id)
    )


def notify_product_ready(state: NotifyingState, item: Item, product: str) -> Delivery | None:
    """Send the webhook a product held back until its data was ready."""
    if product == "investments":
        return notify_investments_historical_update(state, item)
    if product == "income_verification":
        return notify_income_verification(state, item)
    return None


def notify_item_error(
    state: NotifyingState, item: Item, error_code: str, *, display_message: str | None = None
) -> Delivery | None:
    """``ITEM``/``ERROR`` for an Item that just went into ``error_code``."""
    error = webhook_error(error_code, display_message=display_message)
    return send_item_webhook(state, item, item_error_payload(item, error))


def notify_webhook_update_acknowledged(state: NotifyingState, item: Item) -> Delivery | None:
    """``ITEM``/``WEBHOOK_UPDATE_ACKNOWLEDGED``, sent to the Item's (new) webhook URL."""
    return send_item_webhook(
        state,
        item,
        _payload(
            item, "ITEM", "WEBHOOK_UPDATE_ACKNOWLEDGED", new_webhook_url=item.webhook, error=None
        ),
    )


# -- /sandbox/item/fire_webhook payloads ------------------------------------------------------

_AUTH_SUBTYPES = frozenset({"checking", "savings"})
_LIABILITY_TYPES = frozenset({"credit", "loan"})


def _first(accounts: list[Account], wanted: Callable[[Account], bool]) -> Account | None:
    return next((a for a in accounts if wanted(a)), accounts[0] if accounts else None)


def _account_ids(accounts: list[Account], wanted: Callable[[Account], bool]) -> list[str]:
    return [a.account_id for a in accounts if wanted(a)]


def _default_update(
    state: NotifyingState, item: Item, webhook_type: str, new_transactions: int
) -> dict[str, Any]:
    accounts = item.accounts
    if webhook_type == "TRANSACTIONS":
        return _payload(
            item, "TRANSACTIONS", "DEFAULT_UPDATE", new_transactions=new_transactions, error=None
        )
    if webhook_type == "AUTH":
        account = _first(accounts, lambda a: a.subtype in _AUTH_SUBTYPES)
        updated = {account.account_id: ["account_number"]} if account else {}
        return _payload(
            item,
            "AUTH",
            "DEFAULT_UPDATE",
            account_ids_with_new_auth=[],
            account_ids_with_updated_auth=updated,
            error=None,
        )
    if webhook_type == "HOLDINGS":
        # Prices moved: every holding counts as updated, none is new.
        holdings = state.investments(item).holdings(state.now().date())
        return _payload(
            item,
            "HOLDINGS",
            "DEFAULT_UPDATE",
            new_holdings=0,
            updated_holdings=len(holdings),
            error=None,
        )
    if webhook_type == "INVESTMENTS_TRANSACTIONS":
        # Make the news true: the announced transaction really arrives.
        added = state.investments(item).add_dividend(state.now().date())
        return _payload(
            item,
            "INVESTMENTS_TRANSACTIONS",
            "DEFAULT_UPDATE",
            new_investments_transactions=1 if added else 0,
            cancelled_investments_transactions=0,
            error=None,
        )
    if webhook_type == "LIABILITIES":
        liability_ids = _account_ids(accounts, lambda a: a.type in _LIABILITY_TYPES)
        return _payload(
            item,
            "LIABILITIES",
            "DEFAULT_UPDATE",
            account_ids_with_new_liabilities=[],
            account_ids_with_updated_liabilities={
                account_id: ["past_amount_due"] for account_id in liability_ids[:1]
            },
            error=None,
        )
    assert webhook_type == "IDENTITY", webhook_type
    account = _first(accounts, lambda a: True)
    return _payload(
        item,
        "IDENTITY",
        "DEFAULT_UPDATE",
        account_ids_with_updated_identity={account.account_id: ["addresses"]} if account else {},
        error=None,
    )


def fired_payload(
    state: FiringState,
    item: Item,
    webhook_type: str,
    webhook_code: str,
    *,
    new_transactions: int = 0,
) -> dict[str, Any]:
    """Build the webhook ``/sandbox/item/fire_webhook`` sends and apply its side effects.

    Side effects keep the world consistent with the news: USER_PERMISSION_REVOKED puts the
    Item into that error, LOGIN_REPAIRED clears the Item's error, PENDING_EXPIRATION sets
    its ``consent_expiration_time``, INVESTMENTS_TRANSACTIONS/DEFAULT_UPDATE adds the
    dividend it announces. The caller has checked the code, type and product.
    """
    now = state.now()
    if webhook_code == "DEFAULT_UPDATE":
        return _default_update(state, item, webhook_type, new_transactions)
    if webhook_code == "NEW_ACCOUNTS_AVAILABLE":
        return _payload(item, "ITEM", webhook_code, error=None)
    if webhook_code == "SMS_MICRODEPOSITS_VERIFICATION":
        account = _first(item.accounts, lambda a: a.subtype in _AUTH_SUBTYPES)
        return _payload(
            item,
            "AUTH",
            webhook_code,
            account_id=account.account_id if account else "",
            status="MANUALLY_VERIFIED",
        )
    if webhook_code == "USER_PERMISSION_REVOKED":
        state.set_item_error(item.item_id, "USER_PERMISSION_REVOKED")
        # Plaid's example of this webhook types the error ITEM_ERROR, although API answers
        # list the code under INVALID_INPUT (the catalogue's type).
        error = webhook_error("USER_PERMISSION_REVOKED", error_type="ITEM_ERROR")
        return _payload(item, "ITEM", webhook_code, error=error)
    if webhook_code == "USER_ACCOUNT_REVOKED":
        account_id = item.accounts[0].account_id if item.accounts else ""
        return _payload(item, "ITEM", webhook_code, account_id=account_id)
    if webhook_code == "PENDING_DISCONNECT":
        return _payload(
            item,
            "ITEM",
            webhook_code,
            reason="INSTITUTION_TOKEN_EXPIRATION",
            disconnect_time=ids.format_datetime(now + NOTICE_PERIOD),
        )
    if webhook_code == "PENDING_EXPIRATION":
        item.consent_expiration_time = now + NOTICE_PERIOD
        return _payload(
            item,
            "ITEM",
            webhook_code,
            consent_expiration_time=ids.format_datetime(item.consent_expiration_time),
        )
    if webhook_code == "LOGIN_REPAIRED":
        state.clear_item_error(item.item_id)
        return _payload(item, "ITEM", webhook_code)
    if webhook_code == "SYNC_UPDATES_AVAILABLE":
        return _payload(
            item,
            "TRANSACTIONS",
            webhook_code,
            initial_update_complete=True,
            historical_update_complete=True,
        )
    if webhook_code == "RECURRING_TRANSACTIONS_UPDATE":
        return _payload(
            item,
            "TRANSACTIONS",
            webhook_code,
            account_ids=_account_ids(item.accounts, lambda a: a.type in ("depository", "credit")),
        )
    # Assets webhooks are about an Asset Report, not an Item: no item_id in the SDK models.
    asset_report_id = str(uuid.uuid4())
    if webhook_code == "PRODUCT_READY":
        return _payload(
            None, "ASSETS", webhook_code, asset_report_id=asset_report_id, report_type="FULL"
        )
    assert webhook_code == "ERROR", webhook_code
    return _payload(
        None,
        "ASSETS",
        webhook_code,
        asset_report_id=asset_report_id,
        error=webhook_error("ASSET_REPORT_GENERATION_FAILED"),
    )
