"""``/institutions/get_by_id``."""

from __future__ import annotations

from typing import Any

from ..data import COUNTRY_CODES, get_institution
from ..errors import PlaidErrorResponse
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_bool, get_object, get_str, get_str_list, invalid_field, require

__all__ = ["ROUTES", "institutions_get_by_id"]


def institutions_get_by_id(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Describe one sandbox institution (optionally with metadata and health status)."""
    require(body, "institution_id", "country_codes")
    institution_id = get_str(body, "institution_id", required=True)
    country_codes = get_str_list(body, "country_codes", required=True, min_items=1) or []
    unknown = sorted(set(country_codes) - COUNTRY_CODES)
    if unknown:
        raise invalid_field(
            "country_codes", "contains unsupported country codes: " + ", ".join(unknown)
        )
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


ROUTES = (Route("/institutions/get_by_id", institutions_get_by_id),)
