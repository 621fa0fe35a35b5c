"""``/institutions/get_by_id`` and the sandbox institutions table."""

from __future__ import annotations

import plaid
import pytest
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.institutions_get_by_id_request_options import InstitutionsGetByIdRequestOptions

from django_plaid.emulator.data import INSTITUTIONS, LINKABLE_PRODUCTS

from . import plaid_error


def get(api, institution_id, countries=("US",), **options):
    request = InstitutionsGetByIdRequest(
        institution_id=institution_id, country_codes=[CountryCode(c) for c in countries]
    )
    if options:
        request.options = InstitutionsGetByIdRequestOptions(**options)
    return api.institutions_get_by_id(request).institution


def aba_valid(number):
    digits = [int(c) for c in number]
    weights = [3, 7, 1] * 3
    return len(digits) == 9 and sum(d * w for d, w in zip(digits, weights, strict=True)) % 10 == 0


def test_first_platypus_bank(api):
    institution = get(api, "ins_109508")
    assert institution.name == "First Platypus Bank"
    assert institution.oauth is False
    assert institution.connection_availability.value == "SUPPORTED"
    assert [c.value for c in institution.country_codes] == ["US"]
    products = [p.value for p in institution.products]
    assert {"auth", "balance", "identity", "transactions", "investments", "liabilities"} <= set(
        products
    )
    assert institution.routing_numbers == ["011000138", "011200365", "011400495"]
    assert "url" not in institution
    assert "status" not in institution


def test_optional_metadata_and_status(api):
    institution = get(api, "ins_109508", include_optional_metadata=True, include_status=True)
    assert institution.url == "https://www.plaid.com"
    assert institution.primary_color.startswith("#")
    assert institution.logo is None
    assert institution.status.item_logins.status == "HEALTHY"
    assert institution.status.transactions_updates.breakdown.refresh_interval == "NORMAL"
    down = get(api, "ins_132361", include_status=True)
    assert down.status.item_logins.status == "DOWN"
    assert get(api, "ins_132363", include_status=True).status.item_logins.status == "DEGRADED"


@pytest.mark.parametrize(
    ("institution_id", "countries"),
    [("ins_nope", ("US",)), ("ins_109508", ("GB",)), ("ins_117650", ("US",))],
)
def test_unknown_or_other_country(api, institution_id, countries):
    with pytest.raises(plaid.ApiException) as info:
        get(api, institution_id, countries)
    error = plaid_error(info.value)
    assert (info.value.status, error.error_type.value, error.error_code) == (
        400,
        "INVALID_INPUT",
        "INVALID_INSTITUTION",
    )


def test_table_is_plausible():
    assert len(INSTITUTIONS) >= 17
    for institution in INSTITUTIONS.values():
        assert institution.institution_id.startswith("ins_")
        assert institution.name
        assert institution.products
        assert "balance" in institution.products
        assert set(institution.products) - {"balance"} <= LINKABLE_PRODUCTS
        assert all(aba_valid(n) for n in institution.routing_numbers), institution
        if "US" in institution.country_codes:
            assert institution.routing_numbers
        else:
            assert not institution.routing_numbers
    assert INSTITUTIONS["ins_127287"].oauth
    assert INSTITUTIONS["ins_43"].country_codes == ("CA",)
    assert INSTITUTIONS["ins_117650"].country_codes == ("GB",)
