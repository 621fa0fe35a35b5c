"""Auth, Identity, Investments and Liabilities: data, product gating, readiness, webhooks."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from plaid.model.accounts_get_request import AccountsGetRequest
from plaid.model.auth_get_request import AuthGetRequest
from plaid.model.auth_get_request_options import AuthGetRequestOptions
from plaid.model.identity_get_request import IdentityGetRequest
from plaid.model.identity_get_request_options import IdentityGetRequestOptions
from plaid.model.investment_holdings_get_request_options import (
    InvestmentHoldingsGetRequestOptions,
)
from plaid.model.investments_holdings_get_request import InvestmentsHoldingsGetRequest
from plaid.model.investments_transactions_get_request import InvestmentsTransactionsGetRequest
from plaid.model.investments_transactions_get_request_options import (
    InvestmentsTransactionsGetRequestOptions,
)
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.liabilities_get_request import LiabilitiesGetRequest
from plaid.model.liabilities_get_request_options import LiabilitiesGetRequestOptions
from plaid.model.products import Products
from plaid.model.sandbox_item_fire_webhook_request import SandboxItemFireWebhookRequest
from plaid.model.sandbox_item_set_verification_status_request import (
    SandboxItemSetVerificationStatusRequest,
)
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.webhook_type import WebhookType

from django_plaid.emulator.investments import SECURITIES, isin_for

from . import plaid_failure, post

FULL = ("transactions", "auth", "identity", "investments", "liabilities")


def new_item(api, products=FULL, institution_id="ins_109508", **options):
    """Create and exchange an Item through the SDK; return (access_token, item_id)."""
    request = SandboxPublicTokenCreateRequest(
        institution_id=institution_id, initial_products=[Products(p) for p in products]
    )
    if options:
        request.options = SandboxPublicTokenCreateRequestOptions(**options)
    public = api.sandbox_public_token_create(request).public_token
    exchanged = api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public))
    return exchanged.access_token, exchanged.item_id


def billed(api, access_token):
    item = api.item_get(ItemGetRequest(access_token=access_token)).item
    return {p.value for p in item.billed_products}


def accounts_by_mask(plaid_emulator, access_token):
    item = plaid_emulator.state.item_for_access_token(access_token)
    return {a.mask: a.account_id for a in item.accounts}


def window(plaid_emulator, days=730):
    today = plaid_emulator.state.now().date()
    return {"start_date": today - timedelta(days=days), "end_date": today}


# -- auth ---------------------------------------------------------------------------------------


def test_auth_numbers_for_user_good(api):
    token, _ = new_item(api, ("auth",))
    answer = api.auth_get(AuthGetRequest(access_token=token))
    names = {a.account_id: a.name for a in answer.accounts}
    assert sorted(names.values()) == ["Plaid Cash Management", "Plaid Checking", "Plaid Saving"]
    assert all(a.type.value == "depository" for a in answer.accounts)
    ach = {names[n.account_id]: n for n in answer.numbers.ach}
    assert ach["Plaid Checking"].account == "1111222233330000"
    assert ach["Plaid Saving"].account == "1111222233331111"
    assert ach["Plaid Cash Management"].account == "1111222233339002"
    assert {(n.routing, n.wire_routing) for n in ach.values()} == {("011401533", "021000021")}
    assert all(n.can_transfer_in and n.can_transfer_out for n in ach.values())
    assert (answer.numbers.eft, answer.numbers.international, answer.numbers.bacs) == ([], [], [])
    assert answer.item.auth_method.value == "INSTANT_AUTH"


def test_auth_numbers_in_canada_and_the_uk(api, plaid_emulator):
    ca, _ = new_item(api, ("auth",), institution_id="ins_43")
    numbers = api.auth_get(AuthGetRequest(access_token=ca)).numbers
    assert (numbers.ach, numbers.international, numbers.bacs) == ([], [], [])
    assert {(n.institution, n.branch) for n in numbers.eft} == {("021", "01140")}
    assert len(numbers.eft) == 3
    for institution_id in ("ins_117650", "ins_116834"):
        uk, _ = new_item(api, ("auth",), institution_id=institution_id)
        numbers = api.auth_get(AuthGetRequest(access_token=uk)).numbers
        assert (numbers.ach, numbers.eft) == ([], [])
        assert len(numbers.bacs) == len(numbers.international) == 3
        for bacs, international in zip(numbers.bacs, numbers.international, strict=True):
            assert bacs.account_id == international.account_id
            assert (bacs.sort_code, len(bacs.account)) == ("601613", 8)
            iban = international.iban
            assert iban.endswith(bacs.sort_code + bacs.account)
            # ISO 13616: the rearranged IBAN, letters as numbers, is 1 modulo 97.
            rearranged = iban[4:] + iban[:4]
            assert int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def test_auth_account_ids_filter(api, plaid_emulator):
    token, _ = new_item(api)
    masks = accounts_by_mask(plaid_emulator, token)
    answer = api.auth_get(
        AuthGetRequest(
            access_token=token,
            # The credit card is the Item's but has no numbers: it is simply not selected.
            options=AuthGetRequestOptions(account_ids=[masks["1111"], masks["3333"]]),
        )
    )
    assert [a.account_id for a in answer.accounts] == [masks["1111"]]
    assert [n.account_id for n in answer.numbers.ach] == [masks["1111"]]
    assert plaid_failure(
        lambda: api.auth_get(
            AuthGetRequest(access_token=token, options=AuthGetRequestOptions(account_ids=["nope"]))
        )
    ).codes == (400, "INVALID_INPUT", "INVALID_ACCOUNT_ID")


def test_calling_a_product_endpoint_bills_the_product(api):
    token, _ = new_item(api, ("transactions",))
    assert billed(api, token) == {"transactions"}
    api.auth_get(AuthGetRequest(access_token=token))
    api.identity_get(IdentityGetRequest(access_token=token))
    api.liabilities_get(LiabilitiesGetRequest(access_token=token))
    api.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=token))
    assert billed(api, token) == set(FULL)
    item = api.item_get(ItemGetRequest(access_token=token))
    assert "investments" not in {p.value for p in item.item.available_products}
    assert item.status.investments.last_successful_update is not None


@pytest.mark.parametrize(
    ("institution_id", "products", "call", "code"),
    [
        # First Platypus Balance Bank has no investments or liabilities.
        ("ins_130016", ("transactions",), "holdings", "PRODUCTS_NOT_SUPPORTED"),
        ("ins_130016", ("transactions",), "investment_transactions", "PRODUCTS_NOT_SUPPORTED"),
        ("ins_130016", ("transactions",), "liabilities", "PRODUCTS_NOT_SUPPORTED"),
        # Platypus Bank RUX Auth has Auth only.
        ("ins_133502", ("auth",), "identity", "PRODUCTS_NOT_SUPPORTED"),
        # An auth-only Item holds checking, savings and cash management accounts only.
        ("ins_109508", ("auth",), "holdings", "NO_INVESTMENT_ACCOUNTS"),
        ("ins_109508", ("auth",), "investment_transactions", "NO_INVESTMENT_ACCOUNTS"),
        ("ins_109508", ("auth",), "liabilities", "NO_LIABILITY_ACCOUNTS"),
        ("ins_109508", ("investments",), "auth", "NO_AUTH_ACCOUNTS"),
        ("ins_109508", ("liabilities",), "auth", "NO_AUTH_ACCOUNTS"),
    ],
)
def test_product_errors(api, plaid_emulator, institution_id, products, call, code):
    token, _ = new_item(api, products, institution_id=institution_id)
    calls = {
        "auth": lambda: api.auth_get(AuthGetRequest(access_token=token)),
        "identity": lambda: api.identity_get(IdentityGetRequest(access_token=token)),
        "holdings": lambda: api.investments_holdings_get(
            InvestmentsHoldingsGetRequest(access_token=token)
        ),
        "investment_transactions": lambda: api.investments_transactions_get(
            InvestmentsTransactionsGetRequest(access_token=token, **window(plaid_emulator))
        ),
        "liabilities": lambda: api.liabilities_get(LiabilitiesGetRequest(access_token=token)),
    }
    assert plaid_failure(calls[call]).codes == (400, "ITEM_ERROR", code)
    # A refused product is not billed.
    assert billed(api, token) == set(products)


@pytest.mark.parametrize("product", ["auth", "identity", "investments", "liabilities"])
def test_product_not_ready_until_set_ready(api, plaid_emulator, product):
    token, item_id = new_item(api)
    calls = {
        "auth": [lambda: api.auth_get(AuthGetRequest(access_token=token))],
        "identity": [lambda: api.identity_get(IdentityGetRequest(access_token=token))],
        "investments": [
            lambda: api.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=token)),
            lambda: api.investments_transactions_get(
                InvestmentsTransactionsGetRequest(access_token=token, **window(plaid_emulator))
            ),
        ],
        "liabilities": [lambda: api.liabilities_get(LiabilitiesGetRequest(access_token=token))],
    }
    status, _, answer = post(
        plaid_emulator,
        "/emulator/item/set_product_ready",
        {"access_token": token, "product": product, "ready": False},
        credentials=False,
    )
    assert (status, answer["ready"], answer["item_id"]) == (200, False, item_id)
    for call in calls[product]:
        assert plaid_failure(call).codes == (400, "ITEM_ERROR", "PRODUCT_NOT_READY")
    # Other products are unaffected.
    other = "identity" if product != "identity" else "auth"
    calls[other][0]()
    plaid_emulator.set_product_ready(item_id, product)
    for call in calls[product]:
        call()


def test_set_product_ready_validation(plaid_emulator):
    item = plaid_emulator.state.create_item()
    for body, code in (
        ({"item_id": item.item_id, "product": "balance"}, "INVALID_FIELD"),
        ({"item_id": item.item_id}, "MISSING_FIELDS"),
        ({"item_id": "missing", "product": "auth"}, "ITEM_NOT_FOUND"),
    ):
        status, _, answer = post(
            plaid_emulator, "/emulator/item/set_product_ready", body, credentials=False
        )
        assert (status, answer["error_code"]) == (400, code)
    # transactions readiness is /transactions/sync's NOT_READY.
    post(
        plaid_emulator,
        "/emulator/item/set_product_ready",
        {"item_id": item.item_id, "product": "transactions", "ready": False},
        credentials=False,
    )
    assert not item.transactions_ready
    with pytest.raises(ValueError, match="product must be one of"):
        plaid_emulator.state.set_product_ready(item, "assets")


def test_item_errors_and_faults_apply(api, plaid_emulator):
    token, item_id = new_item(api)
    plaid_emulator.state.set_item_error(item_id, "ITEM_LOGIN_REQUIRED")
    for call in (
        lambda: api.auth_get(AuthGetRequest(access_token=token)),
        lambda: api.identity_get(IdentityGetRequest(access_token=token)),
        lambda: api.liabilities_get(LiabilitiesGetRequest(access_token=token)),
        lambda: api.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=token)),
    ):
        assert plaid_failure(call).codes == (400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    plaid_emulator.state.clear_item_error(item_id)
    plaid_emulator.faults.add("rate_limit", path="/identity/get")
    plaid_emulator.faults.add("rate_limit", path="/investments/holdings/get")
    plaid_emulator.faults.add("http_500", path="/liabilities/get")
    assert plaid_failure(
        lambda: api.identity_get(IdentityGetRequest(access_token=token))
    ).codes == (
        429,
        "RATE_LIMIT_EXCEEDED",
        "IDENTITY_LIMIT",
    )
    assert plaid_failure(
        lambda: api.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=token))
    ).codes == (429, "RATE_LIMIT_EXCEEDED", "INVESTMENT_HOLDINGS_GET_LIMIT")
    assert plaid_failure(
        lambda: api.liabilities_get(LiabilitiesGetRequest(access_token=token))
    ).codes == (
        500,
        "API_ERROR",
        "INTERNAL_SERVER_ERROR",
    )
    api.identity_get(IdentityGetRequest(access_token=token))


# -- micro-deposits and verification webhooks ---------------------------------------------------


def microdeposit_item(api, receiver):
    return new_item(
        api,
        ("auth",),
        institution_id="ins_109512",
        webhook=receiver.url(),
        override_password="microdeposits_good",
    )


def set_status(api, token, account_id, status):
    return api.sandbox_item_set_verification_status(
        SandboxItemSetVerificationStatusRequest(
            access_token=token, account_id=account_id, verification_status=status
        )
    )


def test_automated_microdeposits_verified(api, plaid_emulator, receiver):
    token, item_id = microdeposit_item(api, receiver)
    accounts = api.accounts_get(AccountsGetRequest(access_token=token))
    [account] = accounts.accounts
    assert (account.name, account.verification_status) == (
        "Plaid Checking",
        "pending_automatic_verification",
    )
    assert accounts.item.auth_method.value == "AUTOMATED_MICRODEPOSITS"
    assert plaid_failure(lambda: api.auth_get(AuthGetRequest(access_token=token))).codes == (
        400,
        "ITEM_ERROR",
        "PRODUCT_NOT_READY",
    )
    set_status(api, token, account.account_id, "automatically_verified")
    delivery = plaid_emulator.wait_for_webhooks()[-1]
    assert delivery.delivered
    assert delivery.payload == {
        "webhook_type": "AUTH",
        "webhook_code": "AUTOMATICALLY_VERIFIED",
        "item_id": item_id,
        "account_id": account.account_id,
        "environment": "sandbox",
    }
    assert json.loads(receiver.received[-1].body) == delivery.payload
    answer = api.auth_get(AuthGetRequest(access_token=token))
    assert answer.accounts[0].verification_status == "automatically_verified"
    assert answer.numbers.ach[0].account == "1111222233330000"


def test_automated_microdeposits_expired(api, plaid_emulator, receiver):
    token, item_id = microdeposit_item(api, receiver)
    account_id = plaid_emulator.state.items[item_id].accounts[0].account_id
    set_status(api, token, account_id, "verification_expired")
    payload = plaid_emulator.wait_for_webhooks()[-1].payload
    assert (payload["webhook_code"], payload["account_id"]) == ("VERIFICATION_EXPIRED", account_id)
    assert plaid_failure(lambda: api.auth_get(AuthGetRequest(access_token=token))).codes == (
        400,
        "ITEM_ERROR",
        "NO_AUTH_ACCOUNTS",
    )


def test_set_verification_status_on_an_instant_auth_item(api, plaid_emulator, receiver):
    token, _ = new_item(api, ("auth",), webhook=receiver.url())
    masks = accounts_by_mask(plaid_emulator, token)
    set_status(api, token, masks["1111"], "verification_expired")
    assert plaid_emulator.wait_for_webhooks()[-1].payload["account_id"] == masks["1111"]
    answer = api.auth_get(AuthGetRequest(access_token=token))
    # The expired savings account is listed but has no numbers any more.
    assert masks["1111"] in {a.account_id for a in answer.accounts}
    assert masks["1111"] not in {n.account_id for n in answer.numbers.ach}


def test_set_verification_status_errors(api, plaid_emulator):
    token, _ = new_item(api, ("auth", "liabilities"))
    masks = accounts_by_mask(plaid_emulator, token)
    assert plaid_failure(
        lambda: set_status(api, token, masks["3333"], "automatically_verified")
    ).codes == (
        400,
        "INVALID_INPUT",
        "INVALID_ACCOUNT_ID",
    )
    assert plaid_failure(
        lambda: set_status(api, token, masks["0000"], "manually_verified")
    ).codes == (
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    )
    plain, _ = new_item(api, ("transactions",))
    checking = accounts_by_mask(plaid_emulator, plain)["0000"]
    assert plaid_failure(
        lambda: set_status(api, plain, checking, "automatically_verified")
    ).codes == (
        400,
        "SANDBOX_ERROR",
        "SANDBOX_PRODUCT_NOT_ENABLED",
    )


# -- identity -----------------------------------------------------------------------------------


def test_identity_owners(api, plaid_emulator):
    token, _ = new_item(api, ("identity",))
    answer = api.identity_get(IdentityGetRequest(access_token=token))
    assert len(answer.accounts) == 12
    for account in answer.accounts:
        [owner] = account.owners
        assert owner.names == ["Alberta Bobbeth Charleson"]
        assert [(p.data, p.type) for p in owner.phone_numbers] == [
            ("1112223333", "home"),
            ("1112224444", "work"),
            ("1112225555", "mobile"),
        ]
        primary_email = [e.data for e in owner.emails if e.primary]
        assert primary_email == ["accountholder0@example.com"]
        primary, other = owner.addresses
        assert primary.primary
        assert not other.primary
        assert primary.data.to_dict() == {
            "city": "Malakoff",
            "region": "NY",
            "street": "2992 Cameron Road",
            "postal_code": "14236",
            "country": "US",
        }
        assert (other.data.street, other.data.postal_code) == ("2493 Leisure Lane", "93405-2255")
    masks = accounts_by_mask(plaid_emulator, token)
    one = api.identity_get(
        IdentityGetRequest(
            access_token=token, options=IdentityGetRequestOptions(account_ids=[masks["8888"]])
        )
    )
    assert [a.name for a in one.accounts] == ["Plaid Mortgage"]


def test_identity_default_update_webhook(api, plaid_emulator, receiver):
    token, _ = new_item(api, ("identity",), webhook=receiver.url())
    api.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(
            access_token=token, webhook_code="DEFAULT_UPDATE", webhook_type=WebhookType("IDENTITY")
        )
    )
    payload = plaid_emulator.wait_for_webhooks()[-1].payload
    [(account_id, changed)] = payload["account_ids_with_updated_identity"].items()
    assert account_id in accounts_by_mask(plaid_emulator, token).values()
    assert changed == ["addresses"]


# -- investments --------------------------------------------------------------------------------


def test_holdings_add_up_and_securities_are_complete(api, plaid_emulator):
    token, _ = new_item(api, ("investments",))
    answer = api.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=token))
    assert sorted(a.name for a in answer.accounts) == ["Plaid 401k", "Plaid IRA"]
    securities = {s.security_id: s for s in answer.securities}
    for account in answer.accounts:
        # plaid-python 46 cannot read ``account.balances`` of an InvestmentAccount (its
        # allOf parts disagree on the balance class): to_dict() is the way in.
        balances = account.to_dict()["balances"]
        assert balances["margin_loan_amount"] is None
        values = [
            h.institution_value for h in answer.holdings if h.account_id == account.account_id
        ]
        assert round(sum(values), 4) == balances["current"]
    assert {h.security_id for h in answer.holdings} == set(securities)
    by_type = {s.type: s for s in securities.values()}
    assert set(by_type) == {
        "cash",
        "equity",
        "etf",
        "mutual fund",
        "fixed income",
        "derivative",
        "cryptocurrency",
    }
    assert by_type["cash"].is_cash_equivalent
    assert by_type["cash"].ticker_symbol == "CUR:USD"
    assert by_type["fixed income"].fixed_income.yield_rate.percentage == 4.25
    assert by_type["derivative"].option_contract.underlying_security_ticker == "NFLX"
    assert by_type["equity"].option_contract is None
    assert by_type["equity"].fixed_income is None
    achn = next(s for s in securities.values() if s.ticker_symbol == "ACHN")
    assert (achn.name, achn.cusip, achn.isin) == (
        "Achillion Pharmaceuticals Inc.",
        "00448Q201",
        "US00448Q2012",
    )
    # Security ids are global, as at Plaid.
    other, _ = new_item(api, ("investments",))
    again = api.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=other))
    assert {s.security_id for s in again.securities} == set(securities)
    ira = accounts_by_mask(plaid_emulator, token)["5555"]
    only_ira = api.investments_holdings_get(
        InvestmentsHoldingsGetRequest(
            access_token=token, options=InvestmentHoldingsGetRequestOptions(account_ids=[ira])
        )
    )
    assert {h.account_id for h in only_ira.holdings} == {ira}
    assert len(only_ira.securities) == 4


def test_isin_check_digits():
    assert isin_for("037833100") == "US0378331005"  # Apple
    for security in SECURITIES.values():
        if security.cusip:
            assert isin_for(security.cusip)[-1].isdigit()


def get_page(api, token, plaid_emulator, **options):
    return api.investments_transactions_get(
        InvestmentsTransactionsGetRequest(
            access_token=token,
            **window(plaid_emulator),
            options=InvestmentsTransactionsGetRequestOptions(**options),
        ),
        _check_return_type=False,
    )


def test_investment_transactions_offset_pagination(api, plaid_emulator):
    token, _ = new_item(api, ("investments",))
    first = get_page(api, token, plaid_emulator)
    total = first["total_investment_transactions"]
    assert total >= 150
    assert len(first["investment_transactions"]) == 100
    seen = []
    offset = 0
    while offset < total:
        page = get_page(api, token, plaid_emulator, offset=offset, count=60)
        assert page["total_investment_transactions"] == total
        seen.extend(page["investment_transactions"])
        offset += 60
    ids = [t["investment_transaction_id"] for t in seen]
    assert len(ids) == len(set(ids)) == total
    dates = [t["date"] for t in seen]
    assert dates == sorted(dates, reverse=True)
    today = plaid_emulator.state.now().date()
    assert dates[-1] >= (today - timedelta(days=730)).isoformat()
    # The referenced securities come with every page.
    for page_start in (0, 100):
        page = get_page(api, token, plaid_emulator, offset=page_start)
        referenced = {t["security_id"] for t in page["investment_transactions"]} - {None}
        assert {s["security_id"] for s in page["securities"]} == referenced
    assert get_page(api, token, plaid_emulator, offset=total)["investment_transactions"] == []
    # Deterministic per Item.
    again = get_page(api, token, plaid_emulator, count=500)
    assert [t["investment_transaction_id"] for t in again["investment_transactions"]] == ids


def test_investment_transaction_kinds_and_signs(api, plaid_emulator):
    token, _ = new_item(api, ("investments",))
    rows = get_page(api, token, plaid_emulator, count=500)["investment_transactions"]
    kinds = {(t["type"], t["subtype"]) for t in rows}
    assert {
        ("buy", "buy"),
        ("sell", "sell"),
        ("cash", "dividend"),
        ("cash", "contribution"),
        ("fee", "account fee"),
        ("transfer", "transfer"),
    } <= kinds
    for row in rows:
        if row["type"] == "buy":
            assert row["quantity"] > 0
            assert row["amount"] > 0
        if row["type"] == "sell":
            assert row["quantity"] < 0
            assert row["amount"] < 0
        if row["subtype"] in ("dividend", "contribution", "interest"):
            assert row["amount"] < 0
        if row["type"] == "fee":
            assert row["amount"] > 0


def test_investment_transactions_filters_and_validation(api, plaid_emulator):
    token, _ = new_item(api, ("investments",))
    masks = accounts_by_mask(plaid_emulator, token)
    total = get_page(api, token, plaid_emulator)["total_investment_transactions"]
    ira = get_page(api, token, plaid_emulator, account_ids=[masks["5555"]])
    assert 0 < ira["total_investment_transactions"] < total
    assert {a["account_id"] for a in ira["accounts"]} == {masks["5555"]}
    today = plaid_emulator.state.now().date()
    recent = api.investments_transactions_get(
        InvestmentsTransactionsGetRequest(
            access_token=token, start_date=today - timedelta(days=30), end_date=today
        )
    )
    assert 0 < recent.total_investment_transactions < total
    for body, code in (
        ({"options": {"count": 0}}, "INVALID_FIELD"),
        ({"options": {"count": 501}}, "INVALID_FIELD"),
        ({"options": {"offset": -1}}, "INVALID_FIELD"),
        ({"start_date": today.isoformat(), "end_date": "2000-01-01"}, "INVALID_FIELD"),
        ({"end_date": None}, "MISSING_FIELDS"),
        ({"options": {"account_ids": ["nope"]}}, "INVALID_ACCOUNT_ID"),
    ):
        request = {
            "access_token": token,
            "start_date": (today - timedelta(days=30)).isoformat(),
            "end_date": today.isoformat(),
            **body,
        }
        status, _, answer = post(plaid_emulator, "/investments/transactions/get", request)
        assert (status, answer["error_code"]) == (400, code), body


def test_historical_update_after_exchange(api, plaid_emulator, receiver):
    token, item_id = new_item(api, ("investments",), webhook=receiver.url())
    [delivery] = plaid_emulator.wait_for_webhooks()
    total = get_page(api, token, plaid_emulator)["total_investment_transactions"]
    assert delivery.payload == {
        "webhook_type": "INVESTMENTS_TRANSACTIONS",
        "webhook_code": "HISTORICAL_UPDATE",
        "item_id": item_id,
        "new_investments_transactions": total,
        "cancelled_investments_transactions": 0,
        "error": None,
        "environment": "sandbox",
    }


def test_historical_update_waits_for_readiness(api, plaid_emulator, receiver):
    item = plaid_emulator.state.create_item(
        products=("investments",), webhook=receiver.url(), not_ready=("investments",)
    )
    public = plaid_emulator.state.create_public_token(item.item_id).public_token
    api.item_public_token_exchange(ItemPublicTokenExchangeRequest(public_token=public))
    assert plaid_emulator.wait_for_webhooks() == []
    plaid_emulator.set_product_ready(item.item_id, "investments")
    [delivery] = plaid_emulator.wait_for_webhooks()
    assert delivery.webhook_code == "HISTORICAL_UPDATE"
    # Ready twice sends nothing more.
    plaid_emulator.set_product_ready(item.item_id, "investments")
    assert len(plaid_emulator.wait_for_webhooks()) == 1


def test_async_update_adds_investments_later(api, plaid_emulator, receiver):
    token, _ = new_item(api, ("transactions",), webhook=receiver.url())
    plaid_emulator.wait_for_webhooks()
    before = len(plaid_emulator.deliveries)
    assert plaid_failure(lambda: get_page(api, token, plaid_emulator, async_update=True)).codes == (
        400,
        "ITEM_ERROR",
        "PRODUCT_NOT_READY",
    )
    [delivery] = plaid_emulator.wait_for_webhooks()[before:]
    assert (delivery.webhook_type, delivery.webhook_code) == (
        "INVESTMENTS_TRANSACTIONS",
        "HISTORICAL_UPDATE",
    )
    assert "investments" in billed(api, token)
    assert get_page(api, token, plaid_emulator, async_update=True)["total_investment_transactions"]
    # Without async_update a first call answers at once.
    other, _ = new_item(api, ("transactions",))
    assert get_page(api, other, plaid_emulator)["total_investment_transactions"] >= 150


def test_investments_default_update_webhooks_tell_the_truth(api, plaid_emulator, receiver):
    token, _ = new_item(api, ("investments",), webhook=receiver.url())
    total = get_page(api, token, plaid_emulator)["total_investment_transactions"]
    api.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(
            access_token=token,
            webhook_code="DEFAULT_UPDATE",
            webhook_type=WebhookType("INVESTMENTS_TRANSACTIONS"),
        )
    )
    payload = plaid_emulator.wait_for_webhooks()[-1].payload
    assert payload["new_investments_transactions"] == 1
    page = get_page(api, token, plaid_emulator)
    assert page["total_investment_transactions"] == total + 1
    newest = page["investment_transactions"][0]
    assert (newest["subtype"], newest["date"]) == (
        "dividend",
        plaid_emulator.state.now().date().isoformat(),
    )
    api.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(
            access_token=token, webhook_code="DEFAULT_UPDATE", webhook_type=WebhookType("HOLDINGS")
        )
    )
    holdings = api.investments_holdings_get(InvestmentsHoldingsGetRequest(access_token=token))
    payload = plaid_emulator.wait_for_webhooks()[-1].payload
    assert (payload["new_holdings"], payload["updated_holdings"]) == (0, len(holdings.holdings))


# -- liabilities --------------------------------------------------------------------------------


def test_liabilities(api, plaid_emulator):
    token, item_id = new_item(api, ("liabilities",))
    created = plaid_emulator.state.items[item_id].created_at.date()
    masks = accounts_by_mask(plaid_emulator, token)
    answer = api.liabilities_get(LiabilitiesGetRequest(access_token=token))
    assert sorted(a.mask for a in answer.accounts) == ["3333", "7777", "8888", "9999"]
    credit = {c.account_id: c for c in answer.liabilities.credit}
    card = credit[masks["3333"]]
    aprs = {a.apr_type: a.apr_percentage for a in card.aprs}
    assert aprs == {"purchase_apr": 12.5, "cash_apr": 27.95, "balance_transfer_apr": 15.24}
    assert card.last_statement_balance == 410.0
    assert card.is_overdue is False
    assert card.next_payment_due_date > created > card.last_statement_issue_date
    assert masks["9999"] in credit
    [mortgage] = answer.liabilities.mortgage
    assert mortgage.account_id == masks["8888"]
    assert (mortgage.interest_rate.percentage, mortgage.interest_rate.type) == (3.99, "fixed")
    assert mortgage.property_address.street == "2992 Cameron Road"
    assert mortgage.maturity_date > created > mortgage.origination_date
    [student] = answer.liabilities.student
    assert student.account_id == masks["7777"]
    assert student.loan_status.type == "repayment"
    assert student.repayment_plan.type == "extended standard"
    assert student.pslf_status.payments_made + student.pslf_status.payments_remaining == 120
    assert student.servicer_address.city == "San Matias"
    assert student.disbursement_dates == [student.origination_date]
    only = api.liabilities_get(
        LiabilitiesGetRequest(
            access_token=token, options=LiabilitiesGetRequestOptions(account_ids=[masks["8888"]])
        )
    )
    assert [a.mask for a in only.accounts] == ["8888"]
    assert only.liabilities.credit is None
    assert only.liabilities.student is None
    assert len(only.liabilities.mortgage) == 1


def test_liabilities_default_update_webhook(api, plaid_emulator, receiver):
    token, _ = new_item(api, ("liabilities",), webhook=receiver.url())
    api.sandbox_item_fire_webhook(
        SandboxItemFireWebhookRequest(
            access_token=token,
            webhook_code="DEFAULT_UPDATE",
            webhook_type=WebhookType("LIABILITIES"),
        )
    )
    payload = plaid_emulator.wait_for_webhooks()[-1].payload
    masks = accounts_by_mask(plaid_emulator, token)
    assert set(payload["account_ids_with_updated_liabilities"]) <= {
        masks[m] for m in ("3333", "7777", "8888", "9999")
    }
    assert payload["account_ids_with_new_liabilities"] == []
