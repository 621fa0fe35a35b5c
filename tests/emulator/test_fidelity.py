"""Fidelity: everything the emulator answers must survive plaid-python's strict typing.

plaid-python (with its default ``_check_return_type=True``) rejects a response with a
missing required key, a null in a non-nullable field or a wrong scalar type. These tests
drive the real SDK over HTTP and also push every recorded body (successes *and* errors)
through ``ApiClient.deserialize`` with the SDK model for that path, so an emulator change
that breaks the wire contract fails the build.
"""

from __future__ import annotations

import itertools

import plaid
import pytest
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.accounts_get_response import AccountsGetResponse
from plaid.model.country_code import CountryCode
from plaid.model.institutions_get_by_id_request import InstitutionsGetByIdRequest
from plaid.model.institutions_get_by_id_request_options import InstitutionsGetByIdRequestOptions
from plaid.model.institutions_get_by_id_response import InstitutionsGetByIdResponse
from plaid.model.item import Item
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_get_response import ItemGetResponse
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_public_token_exchange_response import ItemPublicTokenExchangeResponse
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.item_remove_response import ItemRemoveResponse
from plaid.model.link_session_success_metadata import LinkSessionSuccessMetadata
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.link_token_create_response import LinkTokenCreateResponse
from plaid.model.plaid_error import PlaidError
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.sandbox_public_token_create_response import SandboxPublicTokenCreateResponse

from django_plaid.emulator import CATALOGUE, PlaidAPIError
from django_plaid.emulator.data import INSTITUTIONS
from django_plaid.emulator.errors import error_for_code

from . import ERROR_KEYS, deserialize, make_api, plaid_error, post, recording

#: The SDK response model for each Plaid endpoint the emulator serves.
RESPONSE_MODELS = {
    "/link/token/create": LinkTokenCreateResponse,
    "/item/public_token/exchange": ItemPublicTokenExchangeResponse,
    "/item/get": ItemGetResponse,
    "/item/remove": ItemRemoveResponse,
    "/accounts/get": AccountsGetResponse,
    "/accounts/balance/get": AccountsGetResponse,
    "/institutions/get_by_id": InstitutionsGetByIdResponse,
    "/sandbox/public_token/create": SandboxPublicTokenCreateResponse,
}

PRODUCT_SETS = [
    ("transactions",),
    ("auth",),
    ("identity",),
    ("investments",),
    ("liabilities",),
    ("auth", "transactions"),
    ("assets", "investments", "liabilities"),
]


def check_emulator_only(path, body):
    """Emulator-only answers embed SDK objects; check those parts strictly."""
    if path == "/emulator/link/complete":
        assert body["public_token"].startswith("public-sandbox-")
        deserialize(body["metadata"], LinkSessionSuccessMetadata)
    elif path == "/emulator/item/set_error":
        deserialize(body["item"], Item)
    else:
        assert path == "/emulator/reset"
        assert set(body) == {"request_id"}


def check_recorded(seen, routes):
    """Deserialize every recorded body; each Plaid route must show a success and an error."""
    outcomes = {path: set() for path in routes}
    for path, status, body in seen:
        if status != 200:
            assert set(body) == ERROR_KEYS, (path, body)
            deserialize(body, PlaidError)
            outcomes.setdefault(path, set()).add("error")
            continue
        assert len(body["request_id"]) == 15
        if path in RESPONSE_MODELS:
            deserialize(body, RESPONSE_MODELS[path])
        else:
            check_emulator_only(path, body)
        outcomes[path].add("ok")
    missing = {path: {"ok", "error"} - got for path, got in outcomes.items() if path in routes}
    assert not {path: gap for path, gap in missing.items() if gap}, missing


def test_every_route_has_a_model():
    from django_plaid.emulator.endpoints import default_routes

    plaid_routes = {r.path for r in default_routes() if not r.path.startswith("/emulator/")}
    assert plaid_routes == set(RESPONSE_MODELS)


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_catalogue_errors_deserialize(code):
    error = PlaidAPIError(code)
    api_body = error.to_dict("abcdefghijklmno")
    assert set(api_body) == ERROR_KEYS
    parsed = deserialize(api_body, PlaidError)
    assert parsed.error_code == code
    assert parsed.error_type.value == CATALOGUE[code].error_type
    embedded = deserialize(error.to_dict(status=True), PlaidError)
    assert embedded.status == CATALOGUE[code].http_status


def test_unknown_codes_still_make_valid_errors():
    deserialize(error_for_code("BRAND_NEW_CODE").to_dict("abcdefghijklmno"), PlaidError)
    with pytest.raises(ValueError, match="unknown Plaid error code"):
        PlaidAPIError("BRAND_NEW_CODE")


@pytest.mark.parametrize("code", sorted(CATALOGUE))
def test_items_in_every_error_state(plaid_emulator, code):
    """``/item/get`` embeds the error; data endpoints answer it, with its HTTP status."""
    api = make_api(plaid_emulator)
    item = plaid_emulator.state.create_item()
    plaid_emulator.state.set_item_error(item.item_id, code)
    got = api.item_get(ItemGetRequest(access_token=item.access_token)).item.error
    assert got.error_code == code
    with pytest.raises(plaid.ApiException) as info:
        api.accounts_get(AccountsGetRequest(access_token=item.access_token))
    assert info.value.status == CATALOGUE[code].http_status
    assert plaid_error(info.value).error_code == code


def link_token_request(**kwargs):
    return LinkTokenCreateRequest(
        client_name="fidelity",
        language="en",
        country_codes=[CountryCode("US"), CountryCode("CA"), CountryCode("GB")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        **kwargs,
    )


def expect_error(call):
    with pytest.raises(plaid.ApiException) as info:
        call()
    return plaid_error(info.value)


def test_every_response_through_the_sdk(plaid_emulator):
    """Drive each endpoint through its successes and failures; check all bodies strictly."""
    api = make_api(plaid_emulator)
    with recording(plaid_emulator) as seen:
        # Institutions: every one, every option combination.
        for institution in INSTITUTIONS.values():
            for metadata, status in itertools.product((False, True), repeat=2):
                api.institutions_get_by_id(
                    InstitutionsGetByIdRequest(
                        institution_id=institution.institution_id,
                        country_codes=[CountryCode(c) for c in institution.country_codes],
                        options=InstitutionsGetByIdRequestOptions(
                            include_optional_metadata=metadata, include_status=status
                        ),
                    )
                )
        expect_error(
            lambda: api.institutions_get_by_id(
                InstitutionsGetByIdRequest(
                    institution_id="ins_0", country_codes=[CountryCode("US")]
                )
            )
        )

        # Items at every linkable institution, with several product sets.
        access_tokens = []
        for institution in INSTITUTIONS.values():
            if institution.link_error:
                expect_error(
                    lambda i=institution: api.sandbox_public_token_create(
                        SandboxPublicTokenCreateRequest(
                            institution_id=i.institution_id, initial_products=[Products("auth")]
                        )
                    )
                )
                continue
            for products in PRODUCT_SETS:
                if not set(products) <= set(institution.products):
                    continue
                public = api.sandbox_public_token_create(
                    SandboxPublicTokenCreateRequest(
                        institution_id=institution.institution_id,
                        initial_products=[Products(p) for p in products],
                        options=SandboxPublicTokenCreateRequestOptions(
                            webhook="https://example.com/hook"
                        ),
                    )
                ).public_token
                exchanged = api.item_public_token_exchange(
                    ItemPublicTokenExchangeRequest(public_token=public)
                )
                access_tokens.append(exchanged.access_token)
        assert len(access_tokens) > 30
        for access_token in access_tokens:
            api.item_get(ItemGetRequest(access_token=access_token))
            api.accounts_get(AccountsGetRequest(access_token=access_token))
            api.accounts_balance_get(AccountsBalanceGetRequest(access_token=access_token))

        # Link: a new Item, then update mode on an Item in error.
        link_token = api.link_token_create(
            link_token_request(products=[Products("transactions")], webhook="https://e.x/h")
        ).link_token
        for institution_id in ("ins_109508", "ins_43", "ins_117650"):
            status, _, _ = post(
                plaid_emulator,
                "/emulator/link/complete",
                {"link_token": link_token, "institution_id": institution_id},
                credentials=False,
            )
            assert status == 200
        post(
            plaid_emulator,
            "/emulator/link/complete",
            {"link_token": link_token, "password": "error_ITEM_LOCKED"},
            credentials=False,
        )
        broken = access_tokens[0]
        post(
            plaid_emulator,
            "/emulator/item/set_error",
            {"access_token": broken, "error_code": "ITEM_LOGIN_REQUIRED"},
            credentials=False,
        )
        post(plaid_emulator, "/emulator/item/set_error", {}, credentials=False)
        errored = api.item_get(ItemGetRequest(access_token=broken))
        assert errored.item.error.error_code == "ITEM_LOGIN_REQUIRED"
        expect_error(lambda: api.accounts_get(AccountsGetRequest(access_token=broken)))
        expect_error(
            lambda: api.accounts_balance_get(AccountsBalanceGetRequest(access_token=broken))
        )
        update_token = api.link_token_create(
            link_token_request(
                access_token=broken,
                update=LinkTokenCreateRequestUpdate(account_selection_enabled=True),
            )
        ).link_token
        status, _, answer = post(
            plaid_emulator,
            "/emulator/link/complete",
            {"link_token": update_token},
            credentials=False,
        )
        assert status == 200
        expect_error(
            lambda: api.item_public_token_exchange(
                ItemPublicTokenExchangeRequest(public_token=answer["public_token"])
            )
        )
        expect_error(
            lambda: api.link_token_create(link_token_request(products=[Products("balance")]))
        )

        # Removal, and every call with the removed token.
        api.item_remove(ItemRemoveRequest(access_token=broken))
        for call in (
            lambda: api.item_get(ItemGetRequest(access_token=broken)),
            lambda: api.item_remove(ItemRemoveRequest(access_token=broken)),
        ):
            expect_error(call)

        # Request-level failures on every Plaid route: no credentials, bad body, bad field.
        for path in RESPONSE_MODELS:
            post(plaid_emulator, path, {}, credentials=False)
            post(plaid_emulator, path, b"{not json")
            post(plaid_emulator, path, {})
        post(plaid_emulator, "/nowhere", {})
        post(plaid_emulator, "/emulator/reset", b"[]", credentials=False)
        post(plaid_emulator, "/emulator/reset", credentials=False)

    check_recorded(seen, set(plaid_emulator.app.routes))
