"""The end of a Link session, shared by the headless ``/emulator/link/complete`` and the
Link simulator: log in with a link token, make (or repair) the Item, hand out onSuccess.

``connect`` applies a link token's semantics: update mode repairs the token's Item (same
username, error cleared, no new Item; Plaid sends no LOGIN_REPAIRED for a repair made
through the app's own Link), an income token makes a payroll Item, any other a bank Item
at an institution in the token's countries with its products. ``succeed`` mints the public
token and records the finished session for ``/link/token/get``; ``exit_session`` records
a session that ended in onExit.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from .data import DEFAULT_INSTITUTION_ID
from .errors import PlaidErrorResponse
from .ids import format_datetime, link_session_id
from .linking import (
    check_credentials,
    is_income_link,
    link_item,
    link_payroll_item,
    resolve_institution,
)
from .records import Account, Item, LinkToken
from .state import EmulatorState

__all__ = [
    "connect",
    "exit_session",
    "succeed",
    "success_metadata",
    "token_institution",
]


def token_institution(token: LinkToken, institution_id: str) -> Any:
    """The institution a new-Item token may link at (INVALID_INSTITUTION for one outside
    the token's countries, or its Link error for a broken one)."""
    institution = resolve_institution(institution_id)
    if not set(institution.country_codes) & set(token.country_codes):
        raise PlaidErrorResponse(
            "INVALID_INSTITUTION",
            f"institution {institution_id} is not available for the link token's country_codes",
        )
    return institution


def connect(
    state: EmulatorState,
    token: LinkToken,
    *,
    username: str,
    password: str,
    institution_id: str | None = None,
) -> Item:
    """Log in for ``token`` and return the new Item, or in update mode the repaired one.

    Raises the sandbox's Plaid errors (INVALID_CREDENTIALS, ``error_<CODE>`` passwords,
    INVALID_UPDATED_USERNAME, INVALID_INSTITUTION, PRODUCTS_NOT_SUPPORTED, ...).
    """
    if token.update_mode:
        assert token.item_id is not None
        item = state.get_item(token.item_id)
        check_credentials(username, password)
        if username != item.username:
            raise PlaidErrorResponse("INVALID_UPDATED_USERNAME")
        state.clear_item_error(item.item_id)
        return item

    if is_income_link(token.products):
        return link_payroll_item(
            state,
            user_id=token.user_id,
            products=token.products,
            username=username,
            password=password,
            institution_id=institution_id,
            webhook=token.webhook,
            income_source_types=token.income_source_types,
        )

    institution = token_institution(token, institution_id or DEFAULT_INSTITUTION_ID)
    # required_if_supported products are only billed where the institution has them.
    products = token.products + [
        p for p in token.required_if_supported_products if p in institution.products
    ]
    return link_item(
        state,
        institution_id=institution.institution_id,
        products=products,
        username=username,
        password=password,
        webhook=token.webhook,
        client_user_id=token.client_user_id,
        account_filters=token.account_filters,
        days_requested=token.days_requested,
    )


def success_metadata(
    item: Item, session_id: str, accounts: Iterable[Account] | None = None
) -> dict[str, Any]:
    """Link's onSuccess metadata for an Item (``accounts``: those the user shared)."""
    shared = item.accounts if accounts is None else list(accounts)
    return {
        "institution": {
            "name": item.institution.name,
            "institution_id": item.institution.institution_id,
        },
        "accounts": [account.to_link_metadata() for account in shared],
        "link_session_id": session_id,
        "transfer_status": None,
    }


def succeed(
    state: EmulatorState,
    token: LinkToken,
    item: Item,
    *,
    session_id: str | None = None,
    started_at: datetime | None = None,
    accounts: Iterable[Account] | None = None,
    events: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """Mint the public token and record the session; return what onSuccess receives."""
    public = state.create_public_token(item.item_id, update_mode=token.update_mode)
    metadata = success_metadata(item, session_id or link_session_id(), accounts)
    now = state.now()
    session: dict[str, Any] = {
        "link_session_id": metadata["link_session_id"],
        "started_at": format_datetime(started_at or now),
        "finished_at": format_datetime(now),
        "on_success": {"public_token": public.public_token, "metadata": metadata},
        "results": {
            "item_add_results": [
                {
                    "public_token": public.public_token,
                    "accounts": metadata["accounts"],
                    "institution": metadata["institution"],
                }
            ],
            "cra_item_add_results": [],
            "cra_update_results": [],
            "bank_income_results": [],
            "payroll_income_results": [],
            "document_income_results": {
                "num_paystubs_uploaded": 0,
                "num_w2s_uploaded": 0,
                "num_bank_statements_uploaded": 0,
                "num_1099s_uploaded": 0,
                "num_i20s_uploaded": 0,
            },
        },
    }
    if events is not None:
        # The same list: HANDOFF, sent after this, belongs to the session too.
        session["events"] = events
    with state.lock:
        token.sessions.append(session)
    return {"public_token": public.public_token, "metadata": metadata}


def exit_session(
    state: EmulatorState,
    token: LinkToken,
    *,
    error: dict[str, Any] | None,
    metadata: dict[str, Any],
    started_at: datetime,
    events: list[dict[str, Any]],
) -> None:
    """Record a session that ended in onExit (``on_exit`` and ``exit``, as Plaid has both)."""
    outcome = {"error": error, "metadata": metadata}
    session = {
        "link_session_id": metadata["link_session_id"],
        "started_at": format_datetime(started_at),
        "finished_at": format_datetime(state.now()),
        "on_exit": outcome,
        "exit": outcome,
        "events": events,
    }
    with state.lock:
        token.sessions.append(session)
