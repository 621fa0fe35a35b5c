"""Link: ``/link/token/create``, ``/emulator/link/complete`` and sandbox credentials."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import plaid
import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.country_code import CountryCode
from plaid.model.depository_account_subtype import DepositoryAccountSubtype
from plaid.model.depository_account_subtypes import DepositoryAccountSubtypes
from plaid.model.depository_filter import DepositoryFilter
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_account_filters import LinkTokenAccountFilters
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products

from . import plaid_error, post


def link_token_request(products=("transactions",), **kwargs):
    if products is not None:
        kwargs["products"] = [Products(p) for p in products]
    return LinkTokenCreateRequest(
        client_name="dj-plaid tests",
        language="en",
        country_codes=[CountryCode("US")],
        user=kwargs.pop("user", LinkTokenCreateRequestUser(client_user_id="user-1")),
        **kwargs,
    )


def complete(emulator, link_token, **fields):
    status, _, body = post(
        emulator, "/emulator/link/complete", {"link_token": link_token, **fields}, credentials=False
    )
    return status, body


def link_item(api, emulator, **fields):
    token = api.link_token_create(link_token_request(webhook="https://example.com/hook")).link_token
    status, body = complete(emulator, token, **fields)
    assert status == 200, body
    exchange = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=body["public_token"])
    )
    return exchange.access_token, exchange.item_id, body


def test_link_token_create(api, plaid_emulator):
    before = datetime.now(timezone.utc)
    response = api.link_token_create(link_token_request(webhook="https://example.com/hook"))
    assert response.link_token.startswith("link-sandbox-")
    assert len(response.link_token) == len("link-sandbox-") + 36
    expected = before + timedelta(hours=4)
    assert abs((response.expiration - expected).total_seconds()) < 5
    stored = plaid_emulator.state.link_tokens[response.link_token]
    assert stored.webhook == "https://example.com/hook"
    assert stored.products == ["transactions"]
    assert stored.client_user_id == "user-1"
    assert not stored.update_mode


def test_link_token_expiration_wire_format(plaid_emulator):
    body = {
        "client_name": "x",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "u"},
        "products": ["auth"],
    }
    status, _, answer = post(plaid_emulator, "/link/token/create", body)
    assert status == 200
    datetime.strptime(answer["expiration"], "%Y-%m-%dT%H:%M:%SZ")


def test_link_token_with_user_id_instead_of_user(plaid_emulator):
    user = plaid_emulator.state.create_user("client-user-1")
    body = {
        "client_name": "x",
        "language": "en",
        "country_codes": ["US"],
        "user_id": user.user_id,
        "products": ["auth"],
    }
    assert post(plaid_emulator, "/link/token/create", body)[0] == 200
    # A user_id or user_token that /user/create never issued is refused.
    for field, value, code in (
        ("user_id", "usr_1", "INVALID_USER_ID"),
        ("user_token", "user-sandbox-00000000-0000-4000-8000-000000000000", "INVALID_USER_TOKEN"),
    ):
        status, _, answer = post(
            plaid_emulator, "/link/token/create", {**body, "user_id": None, field: value}
        )
        assert (status, answer["error_type"], answer["error_code"]) == (400, "INVALID_INPUT", code)


@pytest.mark.parametrize(
    ("change", "code", "needle"),
    [
        ({"user": None}, "MISSING_FIELDS", "user.client_user_id"),
        ({"user": {}}, "MISSING_FIELDS", "user.client_user_id"),
        ({"user": {"client_user_id": ""}}, "INVALID_FIELD", "user.client_user_id"),
        ({"products": None}, "MISSING_FIELDS", "products"),
        ({"products": []}, "INVALID_FIELD", "products"),
        ({"products": ["transactions", "balance"]}, "INVALID_PRODUCT", "balance"),
        ({"products": ["telepathy"]}, "INVALID_PRODUCT", "telepathy"),
        ({"optional_products": ["nope"]}, "INVALID_PRODUCT", "nope"),
        ({"optional_products": ["transactions"]}, "INVALID_FIELD", "transactions"),
        ({"language": "xx"}, "INVALID_FIELD", "language"),
        ({"country_codes": []}, "INVALID_FIELD", "country_codes"),
        ({"client_name": ""}, "INVALID_FIELD", "client_name"),
        ({"webhook": "not a url"}, "INVALID_FIELD", "webhook"),
        ({"transactions": {"days_requested": 731}}, "INVALID_FIELD", "days_requested"),
        ({"update": {"account_selection_enabled": "yes"}}, "INVALID_FIELD", "update"),
        ({"access_token": "access-sandbox-nope"}, "INVALID_ACCESS_TOKEN", ""),
    ],
)
def test_link_token_create_validation(plaid_emulator, change, code, needle):
    body = {
        "client_name": "x",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "u"},
        "products": ["transactions"],
    }
    for key, value in change.items():
        if value is None:
            body.pop(key)
        else:
            body[key] = value
    status, _, answer = post(plaid_emulator, "/link/token/create", body)
    assert (status, answer["error_code"]) == (400, code), answer
    assert needle in answer["error_message"]


def test_link_token_errors_through_the_sdk(api):
    with pytest.raises(plaid.ApiException) as info:
        api.link_token_create(link_token_request(products=("balance",)))
    error = plaid_error(info.value)
    assert (info.value.status, error.error_type.value, error.error_code) == (
        400,
        "INVALID_INPUT",
        "INVALID_PRODUCT",
    )


def test_link_complete_creates_item_with_link_metadata(api, plaid_emulator):
    access_token, item_id, body = link_item(api, plaid_emulator)
    metadata = body["metadata"]
    assert metadata["institution"] == {
        "name": "First Platypus Bank",
        "institution_id": "ins_109508",
    }
    assert metadata["transfer_status"] is None
    assert metadata["link_session_id"]
    assert len(metadata["accounts"]) == 12
    first = metadata["accounts"][0]
    assert set(first) == {
        "id",
        "name",
        "mask",
        "type",
        "subtype",
        "verification_status",
        "class_type",
    }
    assert (first["name"], first["mask"], first["type"], first["subtype"]) == (
        "Plaid Checking",
        "0000",
        "depository",
        "checking",
    )
    accounts = api.accounts_get(AccountsGetRequest(access_token=access_token))
    assert [a.account_id for a in accounts.accounts] == [a["id"] for a in metadata["accounts"]]
    item = api.item_get(ItemGetRequest(access_token=access_token)).item
    assert item.item_id == item_id
    assert item.webhook == "https://example.com/hook"
    assert item.billed_products == [Products("transactions")]


def test_link_complete_other_institution_and_products(api, plaid_emulator):
    token = api.link_token_create(link_token_request(products=("auth",))).link_token
    status, body = complete(plaid_emulator, token, institution_id="ins_109512")
    assert status == 200
    assert body["metadata"]["institution"]["name"] == "Houndstooth Bank"
    # An auth-only Item holds the auth-eligible accounts only.
    assert [a["subtype"] for a in body["metadata"]["accounts"]] == [
        "checking",
        "savings",
        "cash management",
    ]


def test_link_complete_required_if_supported_products(api, plaid_emulator):
    request = link_token_request(
        products=("transactions",),
        required_if_supported_products=[Products("liabilities")],
    )
    token = api.link_token_create(request).link_token
    # Houndstooth has no liabilities: linked without it.
    status, _ = complete(plaid_emulator, token, institution_id="ins_109512")
    assert status == 200
    item = next(iter(plaid_emulator.state.items.values()))
    assert item.products == ["transactions"]
    status, _ = complete(plaid_emulator, token, institution_id="ins_109508")
    assert status == 200
    products = sorted(i.products for i in plaid_emulator.state.items.values())
    assert products == [["liabilities", "transactions"], ["transactions"]]


def test_link_complete_unsupported_product(api, plaid_emulator):
    token = api.link_token_create(link_token_request(products=("investments",))).link_token
    status, body = complete(plaid_emulator, token, institution_id="ins_109512")
    assert (status, body["error_type"], body["error_code"]) == (
        400,
        "ITEM_ERROR",
        "PRODUCTS_NOT_SUPPORTED",
    )


def test_link_complete_account_filters(api, plaid_emulator):
    filters = LinkTokenAccountFilters(
        depository=DepositoryFilter(
            account_subtypes=DepositoryAccountSubtypes([DepositoryAccountSubtype("checking")])
        )
    )
    token = api.link_token_create(link_token_request(account_filters=filters)).link_token
    status, body = complete(plaid_emulator, token)
    assert status == 200
    assert [a["name"] for a in body["metadata"]["accounts"]] == ["Plaid Checking"]


def test_link_complete_country_mismatch(api, plaid_emulator):
    token = api.link_token_create(link_token_request()).link_token
    status, body = complete(plaid_emulator, token, institution_id="ins_117650")  # a GB bank
    assert (status, body["error_code"]) == (400, "INVALID_INSTITUTION")


@pytest.mark.parametrize(
    ("fields", "status", "error_type", "code"),
    [
        ({"password": "error_ITEM_LOCKED"}, 400, "ITEM_ERROR", "ITEM_LOCKED"),
        ({"password": "error_INVALID_CREDENTIALS"}, 400, "ITEM_ERROR", "INVALID_CREDENTIALS"),
        ({"password": "error_INSTITUTION_DOWN"}, 400, "INSTITUTION_ERROR", "INSTITUTION_DOWN"),
        ({"password": "error_INTERNAL_SERVER_ERROR"}, 500, "API_ERROR", "INTERNAL_SERVER_ERROR"),
        ({"password": "error_SOMETHING_NEW"}, 400, "ITEM_ERROR", "SOMETHING_NEW"),
        ({"password": "wrong"}, 400, "ITEM_ERROR", "INVALID_CREDENTIALS"),
        ({"username": "user_bad"}, 400, "ITEM_ERROR", "INVALID_CREDENTIALS"),
        ({"institution_id": "ins_nope"}, 400, "INVALID_INPUT", "INVALID_INSTITUTION"),
        ({"institution_id": "ins_132361"}, 400, "INSTITUTION_ERROR", "INSTITUTION_DOWN"),
        (
            {"link_token": "link-sandbox-00000000-0000-4000-8000-000000000000"},
            400,
            "INVALID_INPUT",
            "INVALID_LINK_TOKEN",
        ),
    ],
)
def test_link_complete_errors(api, plaid_emulator, fields, status, error_type, code):
    token = api.link_token_create(link_token_request()).link_token
    fields = {"link_token": token, **fields}
    got, body = complete(plaid_emulator, **fields)
    assert (got, body["error_type"], body["error_code"]) == (status, error_type, code)
    assert body["request_id"]
    assert not plaid_emulator.state.items


@pytest.mark.parametrize(
    "password", ["pass_good", "mfa_device", "mfa_questions_1_1", "mfa_selections"]
)
def test_link_complete_good_passwords(api, plaid_emulator, password):
    token = api.link_token_create(link_token_request()).link_token
    assert complete(plaid_emulator, token, password=password)[0] == 200


def test_other_sandbox_personas_accept_any_password(api, plaid_emulator):
    token = api.link_token_create(link_token_request()).link_token
    status, _ = complete(plaid_emulator, token, username="user_transactions_dynamic", password="x")
    assert status == 200


def test_expired_link_token(api, plaid_emulator):
    token = api.link_token_create(link_token_request()).link_token
    plaid_emulator.state.advance_time(timedelta(hours=4, seconds=1))
    status, body = complete(plaid_emulator, token)
    assert (status, body["error_code"]) == (400, "INVALID_LINK_TOKEN")


def test_link_token_is_reusable_in_sandbox(api, plaid_emulator):
    token = api.link_token_create(link_token_request()).link_token
    assert complete(plaid_emulator, token)[0] == 200
    assert complete(plaid_emulator, token)[0] == 200
    assert len(plaid_emulator.state.items) == 2


def test_update_mode(api, plaid_emulator):
    access_token, item_id, _ = link_item(api, plaid_emulator)
    plaid_emulator.state.set_item_error(item_id, "ITEM_LOGIN_REQUIRED")
    with pytest.raises(plaid.ApiException) as info:
        api.accounts_get(AccountsGetRequest(access_token=access_token))
    assert plaid_error(info.value).error_code == "ITEM_LOGIN_REQUIRED"

    before = datetime.now(timezone.utc)
    request = LinkTokenCreateRequest(
        client_name="dj-plaid tests",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        access_token=access_token,
        update=LinkTokenCreateRequestUpdate(account_selection_enabled=True),
    )
    response = api.link_token_create(request)
    assert abs((response.expiration - (before + timedelta(minutes=30))).total_seconds()) < 5
    stored = plaid_emulator.state.link_tokens[response.link_token]
    assert stored.update_mode
    assert stored.item_id == item_id
    assert stored.account_selection_enabled

    status, body = complete(plaid_emulator, response.link_token)
    assert status == 200, body
    assert body["public_token"].startswith("public-sandbox-")
    assert body["metadata"]["institution"]["institution_id"] == "ins_109508"
    # Repaired: data endpoints work again, with the same access token and accounts.
    accounts = api.accounts_get(AccountsGetRequest(access_token=access_token))
    assert [a.account_id for a in accounts.accounts] == [
        a["id"] for a in body["metadata"]["accounts"]
    ]
    assert api.item_get(ItemGetRequest(access_token=access_token)).item.error is None
    # The update-mode public token must not be exchanged.
    with pytest.raises(plaid.ApiException) as info:
        api.item_public_token_exchange(
            ItemPublicTokenExchangeRequest(public_token=body["public_token"])
        )
    error = plaid_error(info.value)
    assert error.error_code == "INVALID_PUBLIC_TOKEN"
    assert "update mode" in error.error_message


def test_update_mode_errors(api, plaid_emulator):
    access_token, item_id, _ = link_item(api, plaid_emulator)
    plaid_emulator.state.set_item_error(item_id, "ITEM_LOGIN_REQUIRED")
    request = LinkTokenCreateRequest(
        client_name="x",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="user-1"),
        access_token=access_token,
    )
    token = api.link_token_create(request).link_token
    status, body = complete(plaid_emulator, token, password="error_ITEM_LOCKED")
    assert (status, body["error_code"]) == (400, "ITEM_LOCKED")
    status, body = complete(plaid_emulator, token, username="user_transactions_dynamic")
    assert (status, body["error_code"]) == (400, "INVALID_UPDATED_USERNAME")
    assert plaid_emulator.state.items[item_id].error_code == "ITEM_LOGIN_REQUIRED"
    plaid_emulator.state.advance_time(timedelta(minutes=31))
    status, body = complete(plaid_emulator, token)
    assert (status, body["error_code"]) == (400, "INVALID_LINK_TOKEN")


def test_update_mode_account_filters_need_account_selection(plaid_emulator, api):
    access_token, _, _ = link_item(api, plaid_emulator)
    body = {
        "client_name": "x",
        "language": "en",
        "country_codes": ["US"],
        "user": {"client_user_id": "u"},
        "access_token": access_token,
        "account_filters": {"depository": {"account_subtypes": ["checking"]}},
    }
    status, _, answer = post(plaid_emulator, "/link/token/create", body)
    assert (status, answer["error_code"]) == (400, "INVALID_FIELD")
    body["update"] = {"account_selection_enabled": True}
    assert post(plaid_emulator, "/link/token/create", body)[0] == 200


def test_link_token_get_reports_the_finished_sessions(api, plaid_emulator):
    from plaid.model.link_token_get_request import LinkTokenGetRequest

    token = api.link_token_create(link_token_request(webhook="https://example.com/hook"))
    before = api.link_token_get(LinkTokenGetRequest(link_token=token.link_token))
    assert before.link_token == token.link_token
    assert before.metadata.webhook == "https://example.com/hook"
    assert before.link_sessions == []
    status, body = complete(plaid_emulator, token.link_token)
    assert status == 200, body
    # Through plaid-python's strict models: the shapes are Plaid's.
    after = api.link_token_get(LinkTokenGetRequest(link_token=token.link_token))
    (session,) = after.link_sessions
    assert session.link_session_id == body["metadata"]["link_session_id"]
    assert session.on_success.public_token == body["public_token"]
    (result,) = session.results.item_add_results
    assert result.public_token == body["public_token"]
    assert result.institution.institution_id == "ins_109508"
    assert [a.id for a in result.accounts] == [a["id"] for a in body["metadata"]["accounts"]]


def test_link_token_get_of_an_unknown_token(api):
    from plaid.model.link_token_get_request import LinkTokenGetRequest

    with pytest.raises(plaid.ApiException) as raised:
        api.link_token_get(LinkTokenGetRequest(link_token="link-sandbox-nope"))
    assert plaid_error(raised.value)["error_code"] == "INVALID_LINK_TOKEN"
