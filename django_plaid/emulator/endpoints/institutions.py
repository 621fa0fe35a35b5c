"""``/institutions/get_by_id``, ``/institutions/search`` and ``/institutions/get``.

All three only know the sandbox institutions (``data.INSTITUTIONS``) and only find those
in the requested ``country_codes``. ``products`` (search) and ``options.products`` (get)
keep institutions that support every listed product; ``options.oauth`` keeps OAuth (true)
or non-OAuth (false) ones; ``options.routing_numbers`` (get) those with one of the
numbers. Search matches every word of ``query`` in the name (or the id). Options
``include_optional_metadata`` adds url, primary_color and logo (null) as in get_by_id.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from ..data import COUNTRY_CODES, INSTITUTIONS, LINKABLE_PRODUCTS, Institution, get_institution
from ..errors import PlaidErrorResponse
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

__all__ = ["ROUTES", "institutions_get", "institutions_get_by_id", "institutions_search"]

#: Plaid's cap on ``/institutions/get``'s ``count``.
MAX_COUNT = 500
#: Institutions list ``balance`` (a filter may name it, unlike Link's products).
_FILTER_PRODUCTS = LINKABLE_PRODUCTS | {"balance"}


def _country_codes(body: dict[str, Any]) -> list[str]:
    country_codes = get_str_list(body, "country_codes", required=True, min_items=1) or []
    unknown = sorted(set(country_codes) - COUNTRY_CODES)
    if unknown:
        raise invalid_field(
            "country_codes", "contains unsupported country codes: " + ", ".join(unknown)
        )
    return country_codes


def _filter_products(body: dict[str, Any], path: str) -> list[str] | None:
    products = get_str_list(body, path)
    if products is None:
        return None
    unknown = sorted(set(products) - _FILTER_PRODUCTS)
    if unknown:
        raise PlaidErrorResponse("INVALID_PRODUCT", "invalid product names: " + ", ".join(unknown))
    return products


def _oauth(body: dict[str, Any]) -> bool | None:
    # get_bool has a default; null and absent both mean "either".
    if get_object(body, "options").get("oauth") is None:
        return None
    return get_bool(body, "options.oauth")


def _matching(
    country_codes: Iterable[str], products: Iterable[str] | None, oauth: bool | None
) -> list[Institution]:
    countries = set(country_codes)
    wanted = set(products or ())
    return [
        institution
        for institution in INSTITUTIONS.values()
        if countries & set(institution.country_codes)
        and wanted <= set(institution.products)
        and (oauth is None or institution.oauth == oauth)
    ]


def institutions_get_by_id(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Describe one sandbox institution (optionally with metadata and health status)."""
    require(body, "institution_id", "country_codes")
    institution_id = get_str(body, "institution_id", required=True)
    country_codes = _country_codes(body)
    get_object(body, "options")
    optional_metadata = get_bool(body, "options.include_optional_metadata")
    include_status = get_bool(body, "options.include_status")
    institution = get_institution(institution_id or "")
    # Plaid only finds institutions in the requested countries.
    if institution is None or not set(institution.country_codes) & set(country_codes):
        raise PlaidErrorResponse("INVALID_INSTITUTION")
    return {
        "institution": institution.to_dict(
            optional_metadata=optional_metadata, status=include_status
        )
    }


def institutions_search(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Find sandbox institutions by name."""
    require(body, "query", "country_codes")
    query = get_str(body, "query", required=True) or ""
    country_codes = _country_codes(body)
    products = _filter_products(body, "products")
    get_object(body, "options")
    optional_metadata = get_bool(body, "options.include_optional_metadata")
    words = query.lower().split()
    found = [
        institution
        for institution in _matching(country_codes, products, _oauth(body))
        if all(
            word in institution.name.lower() or word == institution.institution_id for word in words
        )
    ]
    return {"institutions": [i.to_dict(optional_metadata=optional_metadata) for i in found]}


def institutions_get(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """List sandbox institutions a page at a time (``count``, ``offset``)."""
    require(body, "count", "offset", "country_codes")
    count = get_int(body, "count", minimum=1, maximum=MAX_COUNT) or 1
    offset = get_int(body, "offset", minimum=0) or 0
    country_codes = _country_codes(body)
    get_object(body, "options")
    products = _filter_products(body, "options.products")
    routing_numbers = get_str_list(body, "options.routing_numbers")
    optional_metadata = get_bool(body, "options.include_optional_metadata")
    found = _matching(country_codes, products, _oauth(body))
    if routing_numbers:
        wanted = set(routing_numbers)
        found = [i for i in found if wanted & set(i.routing_numbers)]
    page = found[offset : offset + count]
    return {
        "institutions": [i.to_dict(optional_metadata=optional_metadata) for i in page],
        "total": len(found),
    }


ROUTES = (
    Route("/institutions/get_by_id", institutions_get_by_id),
    Route("/institutions/search", institutions_search),
    Route("/institutions/get", institutions_get),
)
