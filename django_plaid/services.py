"""The flows' public names in one place: ``from django_plaid import services``.

A facade for host code (views, commands, tasks of your own): each name lives in the
module of its concept (:mod:`~django_plaid.linking`, :mod:`~django_plaid.lifecycle`,
:mod:`~django_plaid.syncing`, :mod:`~django_plaid.balances`,
:mod:`~django_plaid.healing`, :mod:`~django_plaid.items`) and is re-exported here.
dj-plaid's own modules import those modules, never this one.
"""

from __future__ import annotations

from .balances import refresh_balances
from .healing import REQUEST_GRACE, heal, items_due, stale_products
from .items import (
    BROKEN_STATUSES,
    ITEM_MIRROR_FIELDS,
    ITEM_STATE_ERROR_CODES,
    ITEM_STATUS_FIELDS,
    apply_item,
    item_status_for_error,
    item_status_from_plaid,
    lock_item_accounts,
    record_item_error,
    set_item_status,
    upsert_accounts,
)
from .lifecycle import (
    ITEM_GONE_CODES,
    refresh_accounts,
    refresh_item,
    remove_at_plaid,
    remove_at_plaid_before_delete,
    remove_item,
    request_refresh,
    revoke_account,
    revoke_item,
    rotate_access_token,
    update_item_webhook,
)
from .linking import (
    create_link_token,
    ensure_plaid_user,
    exchange_public_token,
    find_duplicate,
    income_link_token_request,
    link_metadata_fields,
    link_session_required,
    link_token_request,
    purge_link_events,
    purge_link_tokens,
    queue_initial_fetches,
    record_link_event,
    verify_link_session,
)
from .registry import USER_PRODUCTS
from .syncing import request_sync, run_sync, sync_pass

#: One sync pass of an Item (its Accounts, then its transactions): :func:`sync_pass`.
sync_item = sync_pass

__all__ = [
    "BROKEN_STATUSES",
    "ITEM_GONE_CODES",
    "ITEM_MIRROR_FIELDS",
    "ITEM_STATE_ERROR_CODES",
    "ITEM_STATUS_FIELDS",
    "REQUEST_GRACE",
    "USER_PRODUCTS",
    "apply_item",
    "create_link_token",
    "ensure_plaid_user",
    "exchange_public_token",
    "find_duplicate",
    "heal",
    "income_link_token_request",
    "item_status_for_error",
    "item_status_from_plaid",
    "items_due",
    "link_metadata_fields",
    "link_session_required",
    "link_token_request",
    "lock_item_accounts",
    "purge_link_events",
    "purge_link_tokens",
    "queue_initial_fetches",
    "record_item_error",
    "record_link_event",
    "refresh_accounts",
    "refresh_balances",
    "refresh_item",
    "remove_at_plaid",
    "remove_at_plaid_before_delete",
    "remove_item",
    "request_refresh",
    "request_sync",
    "revoke_account",
    "revoke_item",
    "rotate_access_token",
    "run_sync",
    "set_item_status",
    "stale_products",
    "sync_item",
    "sync_pass",
    "update_item_webhook",
    "upsert_accounts",
    "verify_link_session",
]
