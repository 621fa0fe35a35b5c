"""``/institutions/search`` and ``/institutions/get`` through plaid-python."""

from __future__ import annotations

import pytest
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_request import InstitutionsGetRequest
from plaid.model.institutions_get_request_options import InstitutionsGetRequestOptions
from plaid.model.institutions_search_request import InstitutionsSearchRequest
from plaid.model.institutions_search_request_options import InstitutionsSearchRequestOptions
from plaid.model.products import Products

from django_plaid.emulator.data import INSTITUTIONS

from . import post


def search(api, query, countries=("US",), products=None, **options):
    request = InstitutionsSearchRequest(
        query=query, country_codes=[CountryCode(c) for c in countries]
    )
    if products is not None:
        request.products = [Products(p) for p in products]
    if options:
        request.options = InstitutionsSearchRequestOptions(**options)
    return api.institutions_search(request).institutions


def get(api, count=500, offset=0, countries=("US",), **options):
    request = InstitutionsGetRequest(
        count=count, offset=offset, country_codes=[CountryCode(c) for c in countries]
    )
    if options:
        request.options = InstitutionsGetRequestOptions(**options)
    return api.institutions_get(request)


def test_search_by_name(api):
    names = [i.name for i in search(api, "platypus")]
    assert "First Platypus Bank" in names
    assert all("platypus" in name.lower() for name in names)
    assert [i.institution_id for i in search(api, "FIRST  gingham")] == ["ins_109509"]
    assert search(api, "no such bank") == []
    assert [i.name for i in search(api, "ins_109508")] == ["First Platypus Bank"]


def test_search_filters(api):
    with_investments = {i.institution_id for i in search(api, "platypus", products=["investments"])}
    assert "ins_109508" in with_investments
    assert "ins_130016" not in with_investments
    assert [i.institution_id for i in search(api, "tartan", countries=["CA"])] == ["ins_43"]
    oauth = search(api, "platypus", oauth=True)
    assert oauth
    assert all(i.oauth for i in oauth)
    assert not any(i.oauth for i in search(api, "platypus", oauth=False))
    # Institutions list balance, so a filter may name it.
    assert search(api, "first platypus bank", products=["balance"])


def test_search_optional_metadata(api):
    plain = search(api, "first platypus bank")[0]
    assert "url" not in plain
    rich = search(api, "first platypus bank", include_optional_metadata=True)[0]
    assert rich.url == "https://www.plaid.com"
    assert rich.logo is None


def test_search_errors(api, plaid_emulator):
    status, _, body = post(plaid_emulator, "/institutions/search", {"country_codes": ["US"]})
    assert (status, body["error_code"]) == (400, "MISSING_FIELDS")
    status, _, body = post(
        plaid_emulator, "/institutions/search", {"query": "x", "country_codes": ["XX"]}
    )
    assert (status, body["error_code"]) == (400, "INVALID_FIELD")
    status, _, body = post(
        plaid_emulator,
        "/institutions/search",
        {"query": "x", "country_codes": ["US"], "products": ["nope"]},
    )
    assert (status, body["error_code"]) == (400, "INVALID_PRODUCT")


def test_get_pages(api):
    everything = get(api)
    us = [i for i in INSTITUTIONS.values() if "US" in i.country_codes]
    assert everything.total == len(us)
    assert [i.institution_id for i in everything.institutions] == [i.institution_id for i in us]
    first, second = get(api, count=3), get(api, count=3, offset=3)
    assert first.total == second.total == len(us)
    ids = [i.institution_id for i in first.institutions + second.institutions]
    assert ids == [i.institution_id for i in us][:6]
    assert get(api, count=10, offset=1000).institutions == []


def test_get_filters(api):
    routed = get(api, routing_numbers=["021101328"])
    assert [i.institution_id for i in routed.institutions] == ["ins_109509"]
    assert routed.total == 1
    products = get(api, products=[Products("investments")])
    assert all("investments" in [p.value for p in i.products] for i in products.institutions)
    assert get(api, countries=["GB"], oauth=True).total >= 1
    assert get(api, include_optional_metadata=True).institutions[0].url


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"count": 0, "offset": 0, "country_codes": ["US"]}, "INVALID_FIELD"),
        ({"count": 501, "offset": 0, "country_codes": ["US"]}, "INVALID_FIELD"),
        ({"count": 1, "offset": -1, "country_codes": ["US"]}, "INVALID_FIELD"),
        ({"count": 1, "country_codes": ["US"]}, "MISSING_FIELDS"),
        ({"count": 1, "offset": 0, "country_codes": []}, "INVALID_FIELD"),
    ],
)
def test_get_errors(plaid_emulator, body, code):
    status, _, answer = post(plaid_emulator, "/institutions/get", body)
    assert (status, answer["error_code"]) == (400, code)


def test_credentials_are_needed(plaid_emulator):
    status, _, body = post(
        plaid_emulator,
        "/institutions/get",
        {"count": 1, "offset": 0, "country_codes": ["US"]},
        credentials=False,
    )
    assert (status, body["error_code"]) == (400, "INVALID_API_KEYS")
