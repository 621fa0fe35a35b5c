"""``/link/token/create``, ``/link/token/get``, and ``/emulator/link/complete`` (the Link UI).

A link token may name a ``/user/create`` user by ``user_token`` or ``user_id`` (unknown
ones: INVALID_USER_TOKEN / INVALID_USER_ID); one with ``income_verification`` in
``products`` must (MISSING_FIELDS otherwise). Completing such a token creates the user's
payroll Item instead of a bank Item (see ``linking.link_payroll_item``): the optional
``institution_id`` of ``/emulator/link/complete`` picks the payroll provider (default
ADP, ``ins_92``), and ``INCOME``/``INCOME_VERIFICATION`` goes to the token's webhook
right away; the public token need not be exchanged, as with Plaid's payroll income.
"""

from __future__ import annotations

from typing import Any

from ..data import COUNTRY_CODES, LANGUAGES
from ..errors import PlaidErrorResponse
from ..ids import format_datetime
from ..link_flow import connect, succeed
from ..linking import DEFAULT_PASSWORD, DEFAULT_USERNAME, is_income_link
from ..records import Item, LinkToken
from ..routes import Route
from ..state import EmulatorState
from ..validation import (
    get_bool,
    get_int,
    get_object,
    get_str,
    get_str_list,
    invalid_field,
    require,
)
from ._common import get_products, get_webhook

__all__ = ["ROUTES", "link_complete", "link_token_create", "link_token_get"]

#: ``income_verification.income_source_types`` values.
INCOME_SOURCE_TYPES = frozenset({"bank", "payroll"})

_PRODUCT_LISTS = (
    "products",
    "required_if_supported_products",
    "optional_products",
    "additional_consented_products",
)


def _account_filters(body: dict[str, Any]) -> dict[str, Any] | None:
    filters = get_object(body, "account_filters")
    for account_type in filters:
        get_str_list(body, f"account_filters.{account_type}.account_subtypes", required=True)
    return filters or None


def link_token_create(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Create a link token (new Item, or update mode when ``access_token`` is given)."""
    require(body, "client_name", "language", "country_codes")
    client_name = get_str(body, "client_name", required=True)
    language = get_str(body, "language", required=True, choices=LANGUAGES)
    country_codes = get_str_list(body, "country_codes", required=True, min_items=1) or []
    unknown_countries = sorted(set(country_codes) - COUNTRY_CODES)
    if unknown_countries:
        raise invalid_field(
            "country_codes", "contains unsupported country codes: " + ", ".join(unknown_countries)
        )

    get_object(body, "user")
    client_user_id = get_str(body, "user.client_user_id")
    user_id = get_str(body, "user_id")
    user_token = get_str(body, "user_token")
    if user_id is not None or user_token is not None:
        user_id = state.get_user(user_id=user_id, user_token=user_token).user_id
    if client_user_id is None and user_id is None:
        require(body, "user.client_user_id")
    get_object(body, "income_verification")
    income_source_types = get_str_list(body, "income_verification.income_source_types")
    unknown_sources = sorted(set(income_source_types or ()) - INCOME_SOURCE_TYPES)
    if unknown_sources:
        raise invalid_field(
            "income_verification.income_source_types",
            "contains unknown income source types: " + ", ".join(unknown_sources),
        )

    lists = {name: get_products(body, name) for name in _PRODUCT_LISTS}
    seen: set[str] = set()
    for name, products in lists.items():
        overlap = seen & set(products or ())
        if overlap:
            raise invalid_field(
                name, "repeats products listed elsewhere: " + ", ".join(sorted(overlap))
            )
        seen |= set(products or ())

    access_token = get_str(body, "access_token")
    item: Item | None = None
    if access_token is not None:
        # Update mode: products are optional, the token must name a live Item.
        item = state.item_for_access_token(access_token)
    elif not lists["products"]:
        if lists["products"] is None:
            require(body, "products")
        raise invalid_field("products", "must contain at least 1 item")
    if is_income_link(lists["products"] or ()) and user_id is None:
        raise PlaidErrorResponse(
            "MISSING_FIELDS",
            "the following required fields are missing: user_token (or user_id); "
            "income_verification needs a user from /user/create",
        )

    account_selection = get_bool(body, "update.account_selection_enabled")
    account_filters = _account_filters(body)
    if item is not None and account_filters and not account_selection:
        raise invalid_field(
            "account_filters",
            "can only be used in update mode with update.account_selection_enabled",
        )

    token = state.create_link_token(
        client_name=client_name,
        language=language,
        country_codes=country_codes,
        products=lists["products"] or [],
        required_if_supported_products=lists["required_if_supported_products"] or [],
        optional_products=lists["optional_products"] or [],
        additional_consented_products=lists["additional_consented_products"] or [],
        client_user_id=client_user_id,
        user_id=user_id,
        income_source_types=income_source_types,
        webhook=get_webhook(body, "webhook"),
        item_id=item.item_id if item else None,
        account_selection_enabled=account_selection,
        account_filters=account_filters,
        days_requested=get_int(
            body, "transactions.days_requested", default=90, minimum=1, maximum=730
        )
        or 90,
        redirect_uri=get_str(body, "redirect_uri"),
        request={k: v for k, v in body.items() if k not in ("client_id", "secret")},
    )
    return {"link_token": token.link_token, "expiration": format_datetime(token.expires_at)}


def link_token_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """``/link/token/get``: a link token's settings and its finished Link sessions."""
    link_token = get_str(body, "link_token", required=True)
    assert link_token is not None
    token = state.find_link_token(link_token)
    return {
        "link_token": token.link_token,
        "created_at": format_datetime(token.created_at),
        "expiration": format_datetime(token.expires_at),
        "metadata": {
            "initial_products": token.products,
            "webhook": token.webhook,
            "country_codes": token.country_codes,
            "language": token.language,
            "redirect_uri": token.redirect_uri,
            "client_name": token.client_name,
        },
        "link_sessions": list(token.sessions),
    }


def link_complete(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Play the user's part in Link: log in and return what onSuccess would receive."""
    link_token = get_str(body, "link_token", required=True)
    assert link_token is not None
    token: LinkToken = state.get_link_token(link_token)
    item = connect(
        state,
        token,
        username=get_str(body, "username") or DEFAULT_USERNAME,
        password=get_str(body, "password") or DEFAULT_PASSWORD,
        institution_id=get_str(body, "institution_id"),
    )
    return succeed(state, token, item)


ROUTES = (
    Route("/link/token/create", link_token_create),
    Route("/link/token/get", link_token_get),
    Route("/emulator/link/complete", link_complete, authenticated=False),
)
