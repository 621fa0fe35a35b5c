"""Items: sandbox public tokens, exchange, ``/item/get``, ``/item/remove``, accounts,
``/item/access_token/invalidate``."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
from plaid.model.accounts_balance_get_request import AccountsBalanceGetRequest
from plaid.model.accounts_balance_get_request_options import AccountsBalanceGetRequestOptions
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.accounts_get_request_options import AccountsGetRequestOptions
from plaid.model.item_access_token_invalidate_request import ItemAccessTokenInvalidateRequest
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.item_remove_request import ItemRemoveRequest
from plaid.model.products import Products
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)

from django_plaid.emulator.data import USER_GOOD_ACCOUNTS

from . import make_api, plaid_failure, post

UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}"
ID37 = re.compile(r"^[A-Za-z0-9]{37}$")


def public_token(api, institution_id="ins_109508", products=("transactions",), **options):
    request = SandboxPublicTokenCreateRequest(
        institution_id=institution_id,
        initial_products=[Products(p) for p in products],
    )
    if options:
        request.options = SandboxPublicTokenCreateRequestOptions(**options)
    return api.sandbox_public_token_create(request).public_token


def exchange(api, token):
    return api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=token))


def new_item(api, **kwargs):
    response = exchange(api, public_token(api, **kwargs))
    return response.access_token, response.item_id


def test_token_and_id_formats(api):
    token = public_token(api)
    assert re.match(rf"^public-sandbox-{UUID}$", token)
    response = exchange(api, token)
    assert re.match(rf"^access-sandbox-{UUID}$", response.access_token)
    assert ID37.match(response.item_id)
    accounts = api.accounts_get(AccountsGetRequest(access_token=response.access_token)).accounts
    assert all(ID37.match(a.account_id) for a in accounts)
    assert len({a.account_id for a in accounts}) == 12


def test_ids_are_random_per_item(api):
    first, _ = new_item(api)
    second, _ = new_item(api)
    ids = [
        {a.account_id for a in api.accounts_get(AccountsGetRequest(access_token=t)).accounts}
        for t in (first, second)
    ]
    assert not ids[0] & ids[1]


def test_public_token_is_single_use(api):
    token = public_token(api)
    exchange(api, token)
    status, error = plaid_failure(lambda: exchange(api, token))
    assert (status, error.error_type.value, error.error_code) == (
        400,
        "INVALID_INPUT",
        "INVALID_PUBLIC_TOKEN",
    )


def test_public_token_expires_after_30_minutes(api, plaid_emulator):
    fresh = public_token(api)
    stale = public_token(api)
    plaid_emulator.state.advance_time(timedelta(minutes=29, seconds=59))
    exchange(api, fresh)
    plaid_emulator.state.advance_time(timedelta(seconds=1))
    status, error = plaid_failure(lambda: exchange(api, stale))
    assert (status, error.error_code) == (400, "INVALID_PUBLIC_TOKEN")
    assert "expired" in error.error_message


def test_clock_is_injectable(plaid_emulator, api):
    from datetime import datetime, timezone

    fixed = datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc)
    plaid_emulator.state.clock = lambda: fixed
    try:
        token = public_token(api)
        assert plaid_emulator.state.public_tokens[token].expires_at == fixed + timedelta(minutes=30)
        plaid_emulator.state.clock = lambda: fixed + timedelta(minutes=31)
        assert plaid_failure(lambda: exchange(api, token))[1].error_code == "INVALID_PUBLIC_TOKEN"
    finally:
        from django_plaid.emulator.store import _utcnow

        plaid_emulator.state.clock = _utcnow


@pytest.mark.parametrize(
    "token",
    ["public-sandbox-00000000-0000-4000-8000-000000000000", "garbage", "access-sandbox-x"],
)
def test_unknown_public_token(api, token):
    status, error = plaid_failure(lambda: exchange(api, token))
    assert (status, error.error_code) == (400, "INVALID_PUBLIC_TOKEN")


def test_concurrent_exchanges_only_one_wins(plaid_emulator):
    token = public_token(make_api(plaid_emulator))
    results = []

    def attempt():
        results.append(
            post(plaid_emulator, "/item/public_token/exchange", {"public_token": token})[0]
        )

    threads = [threading.Thread(target=attempt) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] + [400] * 7


def test_sandbox_public_token_create_options(api, plaid_emulator):
    token = public_token(api, webhook="https://example.com/wh", override_username="user_good")
    item_id = exchange(api, token).item_id
    assert plaid_emulator.state.items[item_id].webhook == "https://example.com/wh"


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"override_password": "error_ITEM_LOCKED"}, 400, "ITEM_LOCKED"),
        (
            {"override_password": "error_INSTITUTION_NOT_RESPONDING"},
            400,
            "INSTITUTION_NOT_RESPONDING",
        ),
        ({"override_password": "wrong"}, 400, "INVALID_CREDENTIALS"),
        ({"override_username": "nobody"}, 400, "INVALID_CREDENTIALS"),
        ({"institution_id": "ins_999999"}, 400, "INVALID_INSTITUTION"),
        (
            {"institution_id": "ins_109512", "products": ("liabilities",)},
            400,
            "PRODUCTS_NOT_SUPPORTED",
        ),
    ],
)
def test_sandbox_public_token_create_errors(api, plaid_emulator, kwargs, status, code):
    status_got, error = plaid_failure(lambda: public_token(api, **kwargs))
    assert (status_got, error.error_code) == (status, code)
    assert not plaid_emulator.state.items


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"institution_id": "ins_109508"}, "MISSING_FIELDS"),
        ({"institution_id": "ins_109508", "initial_products": []}, "INVALID_FIELD"),
        ({"institution_id": "ins_109508", "initial_products": ["balance"]}, "INVALID_PRODUCT"),
        ({"institution_id": "ins_109508", "initial_products": ["nope"]}, "INVALID_PRODUCT"),
        (
            {
                "institution_id": "ins_109508",
                "initial_products": ["auth"],
                "options": {"webhook": "ftp://x"},
            },
            "INVALID_FIELD",
        ),
    ],
)
def test_sandbox_public_token_create_validation(plaid_emulator, body, code):
    status, _, answer = post(plaid_emulator, "/sandbox/public_token/create", body)
    assert (status, answer["error_code"]) == (400, code)


def test_null_overrides_mean_defaults(plaid_emulator):
    body = {
        "institution_id": "ins_109508",
        "initial_products": ["auth"],
        "options": {"override_username": None, "override_password": None},
    }
    assert post(plaid_emulator, "/sandbox/public_token/create", body)[0] == 200


def test_item_get(api, plaid_emulator):
    access_token, item_id = new_item(
        api, products=("auth", "transactions"), webhook="https://e.x/h"
    )
    response = api.item_get(ItemGetRequest(access_token=access_token))
    item = response.item
    assert item.item_id == item_id
    assert item.institution_id == "ins_109508"
    assert item.institution_name == "First Platypus Bank"
    assert item.webhook == "https://e.x/h"
    assert item.error is None
    assert [p.value for p in item.billed_products] == ["auth", "transactions"]
    assert "balance" in [p.value for p in item.available_products]
    assert "transactions" not in [p.value for p in item.available_products]
    assert item.update_type == "background"
    assert item.consent_expiration_time is None
    assert item.created_at.tzinfo is not None
    assert response.status.transactions.last_successful_update is not None
    assert response.status.transactions.last_failed_update is None
    # The exchange sent INITIAL_UPDATE and HISTORICAL_UPDATE to the Item's webhook.
    assert response.status.last_webhook.code_sent == "HISTORICAL_UPDATE"


def test_item_in_error_state(api, plaid_emulator):
    access_token, item_id = new_item(api)
    plaid_emulator.state.set_item_error(item_id, "ITEM_LOGIN_REQUIRED")
    for call in (
        lambda: api.accounts_get(AccountsGetRequest(access_token=access_token)),
        lambda: api.accounts_balance_get(AccountsBalanceGetRequest(access_token=access_token)),
    ):
        status, error = plaid_failure(call)
        assert (status, error.error_type.value, error.error_code) == (
            400,
            "ITEM_ERROR",
            "ITEM_LOGIN_REQUIRED",
        )
        assert error.suggested_action
    # /item/get still answers, with the error filled in.
    item = api.item_get(ItemGetRequest(access_token=access_token)).item
    assert item.error.error_code == "ITEM_LOGIN_REQUIRED"
    assert item.error.status == 400
    # /item/remove works on a broken Item.
    api.item_remove(ItemRemoveRequest(access_token=access_token))
    assert item_id not in plaid_emulator.state.items


def test_set_error_over_http_and_clear(api, plaid_emulator):
    access_token, item_id = new_item(api)
    status, _, body = post(
        plaid_emulator,
        "/emulator/item/set_error",
        {"access_token": access_token, "error_code": "ITEM_LOCKED"},
        credentials=False,
    )
    assert status == 200
    assert body["item"]["error"]["error_code"] == "ITEM_LOCKED"
    assert (
        plaid_failure(lambda: api.accounts_get(AccountsGetRequest(access_token=access_token)))[
            1
        ].error_code
        == "ITEM_LOCKED"
    )
    post(
        plaid_emulator,
        "/emulator/item/set_error",
        {"item_id": item_id, "error_code": None},
        credentials=False,
    )
    api.accounts_get(AccountsGetRequest(access_token=access_token))


def test_remove_then_reuse(api, plaid_emulator):
    access_token, item_id = new_item(api)
    unexchanged = public_token(api)
    orphan = plaid_emulator.state.create_public_token(item_id).public_token
    response = api.item_remove(ItemRemoveRequest(access_token=access_token))
    assert len(response.request_id) == 15
    for call in (
        lambda: api.accounts_get(AccountsGetRequest(access_token=access_token)),
        lambda: api.item_get(ItemGetRequest(access_token=access_token)),
        lambda: api.item_remove(ItemRemoveRequest(access_token=access_token)),
    ):
        status, error = plaid_failure(call)
        assert (status, error.error_type.value, error.error_code) == (
            400,
            "INVALID_INPUT",
            "INVALID_ACCESS_TOKEN",
        )
    assert plaid_failure(lambda: exchange(api, orphan))[1].error_code == "INVALID_PUBLIC_TOKEN"
    exchange(api, unexchanged)  # other Items are untouched


@pytest.mark.parametrize(
    "token",
    [
        "garbage",
        "access-sandbox-00000000-0000-4000-8000-000000000000",
        "access-production-00000000-0000-4000-8000-000000000000",
    ],
)
def test_invalid_access_tokens(api, token):
    status, error = plaid_failure(lambda: api.accounts_get(AccountsGetRequest(access_token=token)))
    assert (status, error.error_code) == (400, "INVALID_ACCESS_TOKEN")


def test_accounts_match_the_sandbox_table(api):
    access_token, _ = new_item(api)
    accounts = api.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert len(accounts) == len(USER_GOOD_ACCOUNTS) == 12
    for account, template in zip(accounts, USER_GOOD_ACCOUNTS, strict=True):
        assert account.name == template.name
        assert account.mask == template.mask
        assert account.type.value == template.type
        assert account.subtype.value == template.subtype
        assert account.official_name == template.official_name
        assert account.balances.available == template.available
        assert account.balances.current == template.current
        assert account.balances.limit == template.limit
        assert account.balances.iso_currency_code == "USD"
        assert account.balances.unofficial_currency_code is None
        assert "persistent_account_id" not in account
        assert "last_updated_datetime" not in account.balances
    by_name = {a.name: a for a in accounts}
    assert by_name["Plaid Credit Card"].balances.limit == 2000
    assert by_name["Plaid 401k"].balances.current == 23631.9805
    assert by_name["Plaid IRA"].official_name is None


@pytest.mark.parametrize(
    ("products", "names"),
    [
        (("auth",), ["Plaid Checking", "Plaid Saving", "Plaid Cash Management"]),
        (("investments",), ["Plaid IRA", "Plaid 401k"]),
        (
            ("liabilities",),
            [
                "Plaid Credit Card",
                "Plaid Student Loan",
                "Plaid Mortgage",
                "Plaid Business Credit Card",
            ],
        ),
        (
            ("auth", "investments"),
            ["Plaid Checking", "Plaid Saving", "Plaid IRA", "Plaid 401k", "Plaid Cash Management"],
        ),
        (("identity",), [t.name for t in USER_GOOD_ACCOUNTS]),
        (("auth", "transactions"), [t.name for t in USER_GOOD_ACCOUNTS]),
    ],
)
def test_accounts_depend_on_products(api, products, names):
    access_token, _ = new_item(api, products=products)
    accounts = api.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    assert [a.name for a in accounts] == names


def test_account_ids_option(api):
    access_token, _ = new_item(api)
    accounts = api.accounts_get(AccountsGetRequest(access_token=access_token)).accounts
    wanted = [accounts[3].account_id, accounts[0].account_id]
    request = AccountsGetRequest(
        access_token=access_token, options=AccountsGetRequestOptions(account_ids=wanted)
    )
    picked = api.accounts_get(request).accounts
    assert [a.account_id for a in picked] == [accounts[0].account_id, accounts[3].account_id]
    request = AccountsGetRequest(
        access_token=access_token, options=AccountsGetRequestOptions(account_ids=["nope"])
    )
    status, error = plaid_failure(lambda: api.accounts_get(request))
    assert (status, error.error_code) == (400, "INVALID_ACCOUNT_ID")


def test_balance_get(api, plaid_emulator):
    from datetime import datetime, timezone

    access_token, _ = new_item(api)
    request = AccountsBalanceGetRequest(
        access_token=access_token,
        options=AccountsBalanceGetRequestOptions(
            min_last_updated_datetime=datetime(2024, 1, 1, tzinfo=timezone.utc)
        ),
    )
    response = api.accounts_balance_get(request)
    assert len(response.accounts) == 12
    updated = response.accounts[0].balances.last_updated_datetime
    assert abs((updated - datetime.now(timezone.utc)).total_seconds()) < 5
    assert response.item.item_id


def test_access_token_invalidate_rotates_the_token(api, plaid_emulator):
    old, item_id = new_item(api)
    response = api.item_access_token_invalidate(ItemAccessTokenInvalidateRequest(access_token=old))
    new = response.new_access_token
    assert len(response.request_id) == 15
    assert re.fullmatch(rf"access-sandbox-{UUID}", new)
    assert new != old
    assert api.item_get(ItemGetRequest(access_token=new)).item.item_id == item_id
    for call in (
        lambda: api.accounts_get(AccountsGetRequest(access_token=old)),
        lambda: api.item_get(ItemGetRequest(access_token=old)),
        lambda: api.item_access_token_invalidate(
            ItemAccessTokenInvalidateRequest(access_token=old)
        ),
        lambda: api.item_remove(ItemRemoveRequest(access_token=old)),
    ):
        status, error = plaid_failure(call)
        assert (status, error.error_type.value, error.error_code) == (
            400,
            "INVALID_INPUT",
            "INVALID_ACCESS_TOKEN",
        )
    # The Item and its data are the same, under the new token.
    assert plaid_emulator.state.item_for_access_token(new).item_id == item_id
    newer = api.item_access_token_invalidate(
        ItemAccessTokenInvalidateRequest(access_token=new)
    ).new_access_token
    assert plaid_failure(lambda: api.item_get(ItemGetRequest(access_token=new)))[0] == 400
    api.accounts_get(AccountsGetRequest(access_token=newer))


def test_an_item_in_error_can_rotate_its_token(api, plaid_emulator):
    old, item_id = new_item(api)
    plaid_emulator.state.set_item_error(item_id, "ITEM_LOGIN_REQUIRED")
    new = api.item_access_token_invalidate(
        ItemAccessTokenInvalidateRequest(access_token=old)
    ).new_access_token
    assert api.item_get(ItemGetRequest(access_token=new)).item.error.error_code == (
        "ITEM_LOGIN_REQUIRED"
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({}, "MISSING_FIELDS"),
        ({"access_token": "garbage"}, "INVALID_ACCESS_TOKEN"),
        (
            {"access_token": "access-sandbox-00000000-0000-4000-8000-000000000000"},
            "INVALID_ACCESS_TOKEN",
        ),
        ({"access_token": 5}, "INVALID_FIELD"),
    ],
)
def test_access_token_invalidate_errors(plaid_emulator, body, code):
    status, _, error = post(plaid_emulator, "/item/access_token/invalidate", body)
    assert status == 400
    assert error["error_code"] == code


def test_tokens_are_not_in_the_state_reprs(plaid_emulator):
    state = plaid_emulator.state
    item = state.create_item()
    public = state.create_public_token(item.item_id)
    user = state.create_user("client-user-1")
    assert item.access_token not in repr(item)
    assert public.public_token not in repr(public)
    assert user.user_token not in repr(user)
