"""Income (payroll): users, payroll Links, the INCOME webhook and ``/credit/payroll_income/get``."""

from __future__ import annotations

import json
import re
from datetime import date

from plaid.model.country_code import CountryCode
from plaid.model.credit_payroll_income_get_request import CreditPayrollIncomeGetRequest
from plaid.model.credit_payroll_income_get_request_options import (
    CreditPayrollIncomeGetRequestOptions,
)
from plaid.model.income_verification_source_type import IncomeVerificationSourceType
from plaid.model.item_get_request import ItemGetRequest
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_income_verification import (
    LinkTokenCreateRequestIncomeVerification,
)
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.products import Products
from plaid.model.sandbox_income_fire_webhook_request import SandboxIncomeFireWebhookRequest
from plaid.model.sandbox_income_webhook_fire_request_webhook_code import (
    SandboxIncomeWebhookFireRequestWebhookCode,
)
from plaid.model.sandbox_public_token_create_request import SandboxPublicTokenCreateRequest
from plaid.model.sandbox_public_token_create_request_options import (
    SandboxPublicTokenCreateRequestOptions,
)
from plaid.model.user_create_request import UserCreateRequest

from django_plaid.emulator.income import pay_dates
from django_plaid.emulator.notifications import notify_income_verification

from . import plaid_failure, post
from .test_webhooks import verify

USER_TOKEN = re.compile(
    r"^user-sandbox-[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
)


def income_link_token(api, webhook=None, **user):
    request = LinkTokenCreateRequest(
        client_name="income",
        language="en",
        country_codes=[CountryCode("US")],
        user=LinkTokenCreateRequestUser(client_user_id="app-user-1"),
        products=[Products("income_verification")],
        income_verification=LinkTokenCreateRequestIncomeVerification(
            income_source_types=[IncomeVerificationSourceType("payroll")]
        ),
        **user,
    )
    if webhook is not None:
        request.webhook = webhook
    return api.link_token_create(request).link_token


def complete(plaid_emulator, link_token, **fields):
    status, _, answer = post(
        plaid_emulator,
        "/emulator/link/complete",
        {"link_token": link_token, **fields},
        credentials=False,
    )
    return status, answer


def test_user_create(api, plaid_emulator):
    user = api.user_create(UserCreateRequest(client_user_id="app-user-1"))
    assert re.fullmatch(r"usr_[A-Za-z0-9]{14}", user.user_id)
    assert USER_TOKEN.match(user.user_token)
    assert plaid_emulator.state.users[user.user_id].client_user_id == "app-user-1"
    # Plaid: the first call succeeds, the rest fail.
    assert plaid_failure(
        lambda: api.user_create(UserCreateRequest(client_user_id="app-user-1"))
    ).codes == (
        400,
        "INVALID_REQUEST",
        "INVALID_FIELD",
    )
    other = api.user_create(UserCreateRequest(client_user_id="app-user-2"))
    assert other.user_id != user.user_id
    for body, code in (
        ({}, "MISSING_FIELDS"),
        ({"client_user_id": ""}, "INVALID_FIELD"),
        ({"client_user_id": "x" * 129}, "INVALID_FIELD"),
        ({"client_user_id": 7}, "INVALID_FIELD"),
    ):
        status, _, answer = post(plaid_emulator, "/user/create", body)
        assert (status, answer["error_code"]) == (400, code)


def test_income_flow_end_to_end(api, plaid_emulator, receiver):
    """/user/create -> link token -> Link -> INCOME webhook -> /credit/payroll_income/get."""
    user = api.user_create(UserCreateRequest(client_user_id="app-user-1"))
    link_token = income_link_token(api, receiver.url(), user_token=user.user_token)
    status, answer = complete(plaid_emulator, link_token)
    assert status == 200, answer
    assert answer["public_token"].startswith("public-sandbox-")
    assert answer["metadata"]["institution"] == {"name": "ADP", "institution_id": "ins_92"}
    [delivery] = plaid_emulator.wait_for_webhooks()
    assert delivery.delivered
    item_id = delivery.payload["item_id"]
    assert delivery.payload == {
        "webhook_type": "INCOME",
        "webhook_code": "INCOME_VERIFICATION",
        "item_id": item_id,
        "user_id": user.user_id,
        "verification_status": "VERIFICATION_STATUS_PROCESSING_COMPLETE",
        "environment": "sandbox",
    }
    verify(api, receiver.received[-1])
    assert json.loads(receiver.received[-1].body) == delivery.payload

    payroll = api.credit_payroll_income_get(
        CreditPayrollIncomeGetRequest(user_token=user.user_token)
    )
    [item] = payroll.items
    assert (item.item_id, item.institution_id, item.institution_name) == (item_id, "ins_92", "ADP")
    assert item.status.processing_status == "PROCESSING_COMPLETE"
    [account] = item.accounts
    assert (account.rate_of_pay.pay_rate, account.rate_of_pay.pay_amount) == ("ANNUAL", 95000.0)
    assert account.pay_frequency == "BIWEEKLY"
    [income] = item.payroll_income
    assert income.account_id == account.account_id
    assert (income.form1099s, income.i20s) == ([], [])
    created = plaid_emulator.state.items[item_id].created_at.date()
    stubs = income.pay_stubs
    assert [s.pay_period_details.pay_date for s in stubs] == pay_dates(created)
    for stub in stubs:
        details = stub.pay_period_details
        assert details.pay_date <= created
        assert details.pay_date.weekday() == 4  # Fridays
        assert details.start_date < details.end_date <= details.pay_date
        assert details.gross_earnings == stub.earnings.total.current_amount == 3653.85
        assert round(details.gross_earnings - stub.deductions.total.current_amount, 2) == (
            stub.net_pay.current_amount
        )
        assert details.pay_amount == stub.net_pay.current_amount
        assert details.distribution_breakdown[0].current_amount == stub.net_pay.current_amount
        assert stub.employee.name == "Alberta Bobbeth Charleson"
        assert stub.employee.address.street == "2992 Cameron Road"
        assert stub.employer.name == "Plaid Inc."
        assert stub.document_metadata.document_type == "PAYSTUB"
        assert stub.document_metadata.status == "PROCESSING_COMPLETE"
        breakdown = {d.description: d.current_amount for d in stub.deductions.breakdown}
        assert set(breakdown) >= {"Federal Income Tax", "Social Security Tax", "Medicare Tax"}
        assert stub.earnings.total.ytd_amount >= stub.earnings.total.current_amount
    [w2] = income.w2s
    assert w2.tax_year == str(created.year - 1)
    assert w2.document_metadata.document_type == "US_TAX_W2"
    assert w2.social_security_wages == "95000.00"
    assert [(b.code, b.amount) for b in w2.box_12] == [("D", "4750.00")]
    assert w2.state_and_local_wages[0].state == "NY"
    # The same data by user_id, and the Item is a real Item.
    by_id = api.credit_payroll_income_get(CreditPayrollIncomeGetRequest(user_id=user.user_id))
    assert by_id.to_dict()["items"] == payroll.to_dict()["items"]
    assert plaid_emulator.state.users[user.user_id].item_ids == [item_id]


def test_sandbox_public_token_creates_payroll_items(api, plaid_emulator, receiver):
    user = api.user_create(UserCreateRequest(client_user_id="app-user-1"))
    item_ids = []
    for user_field in ({"user_id": user.user_id}, {"user_token": user.user_token}):
        public = api.sandbox_public_token_create(
            SandboxPublicTokenCreateRequest(
                institution_id="ins_109508",
                initial_products=[Products("income_verification")],
                options=SandboxPublicTokenCreateRequestOptions(webhook=receiver.url()),
                **user_field,
            )
        ).public_token
        item_ids.append(plaid_emulator.wait_for_webhooks()[-1].payload["item_id"])
        assert public.startswith("public-sandbox-")
    payroll = api.credit_payroll_income_get(CreditPayrollIncomeGetRequest(user_id=user.user_id))
    assert [i.item_id for i in payroll.items] == item_ids
    only = api.credit_payroll_income_get(
        CreditPayrollIncomeGetRequest(
            user_id=user.user_id,
            options=CreditPayrollIncomeGetRequestOptions(item_ids=[item_ids[1]]),
        )
    )
    assert [i.item_id for i in only.items] == [item_ids[1]]


def test_income_needs_a_user(api, plaid_emulator):
    assert plaid_failure(lambda: income_link_token(api)).codes == (
        400,
        "INVALID_REQUEST",
        "MISSING_FIELDS",
    )
    assert plaid_failure(
        lambda: income_link_token(
            api, user_token="user-sandbox-00000000-0000-4000-8000-000000000000"
        )
    ).codes == (400, "INVALID_INPUT", "INVALID_USER_TOKEN")
    assert plaid_failure(lambda: income_link_token(api, user_id="usr_nobody")).codes == (
        400,
        "INVALID_INPUT",
        "INVALID_USER_ID",
    )
    status, _, answer = post(
        plaid_emulator,
        "/sandbox/public_token/create",
        {"institution_id": "ins_109508", "initial_products": ["income_verification"]},
    )
    assert (status, answer["error_code"]) == (400, "MISSING_FIELDS")
    for body, code in (
        ({}, "MISSING_FIELDS"),
        ({"user_token": "user-sandbox-00000000-0000-4000-8000-000000000000"}, "INVALID_USER_TOKEN"),
        ({"user_id": "usr_nobody"}, "INVALID_USER_ID"),
    ):
        status, _, answer = post(plaid_emulator, "/credit/payroll_income/get", body)
        assert (status, answer["error_code"]) == (400, code)
    assert not plaid_emulator.state.items


def test_payroll_link_errors(api, plaid_emulator):
    user = plaid_emulator.create_user("app-user-1")
    token = income_link_token(api, user_id=user.user_id)
    status, answer = complete(plaid_emulator, token, password="error_ITEM_LOCKED")
    assert (status, answer["error_code"]) == (400, "ITEM_LOCKED")
    status, _, answer = post(
        plaid_emulator,
        "/sandbox/public_token/create",
        {
            "institution_id": "ins_109508",
            "initial_products": ["income_verification"],
            "user_id": user.user_id,
            "options": {"income_verification": {"income_source_types": ["bank"]}},
        },
    )
    assert (status, answer["error_code"]) == (400, "INVALID_FIELD")
    status, _, answer = post(
        plaid_emulator,
        "/sandbox/public_token/create",
        {
            "institution_id": "ins_109508",
            "initial_products": ["income_verification", "transactions"],
            "user_id": user.user_id,
        },
    )
    assert (status, answer["error_code"]) == (400, "INVALID_FIELD")
    status, _, answer = post(
        plaid_emulator,
        "/link/token/create",
        {
            "client_name": "x",
            "language": "en",
            "country_codes": ["US"],
            "user_id": user.user_id,
            "products": ["income_verification"],
            "income_verification": {"income_source_types": ["salary"]},
        },
    )
    assert (status, answer["error_code"]) == (400, "INVALID_FIELD")
    assert not plaid_emulator.state.items
    payroll = api.credit_payroll_income_get(CreditPayrollIncomeGetRequest(user_id=user.user_id))
    assert payroll.items == []


def test_payroll_not_ready_then_ready(api, plaid_emulator, receiver):
    user = plaid_emulator.create_user("app-user-1")
    item = plaid_emulator.state.create_payroll_item(
        user, webhook=receiver.url(), income_ready=False
    )
    notify_income_verification(plaid_emulator.state, item)
    assert plaid_emulator.wait_for_webhooks() == []
    assert plaid_failure(
        lambda: api.credit_payroll_income_get(CreditPayrollIncomeGetRequest(user_id=user.user_id))
    ).codes == (400, "ITEM_ERROR", "PRODUCT_NOT_READY")
    status, _, _ = post(
        plaid_emulator,
        "/emulator/item/set_product_ready",
        {"item_id": item.item_id, "product": "income_verification"},
        credentials=False,
    )
    assert status == 200
    [delivery] = plaid_emulator.wait_for_webhooks()
    assert delivery.payload["verification_status"] == "VERIFICATION_STATUS_PROCESSING_COMPLETE"
    [got] = api.credit_payroll_income_get(CreditPayrollIncomeGetRequest(user_id=user.user_id)).items
    assert got.item_id == item.item_id
    # A payroll Item in error answers its error; a removed one disappears.
    plaid_emulator.state.set_item_error(item.item_id, "ITEM_LOGIN_REQUIRED")
    assert plaid_failure(
        lambda: api.credit_payroll_income_get(CreditPayrollIncomeGetRequest(user_id=user.user_id))
    ).codes == (400, "ITEM_ERROR", "ITEM_LOGIN_REQUIRED")
    plaid_emulator.state.remove_item(item.item_id)
    assert (
        api.credit_payroll_income_get(CreditPayrollIncomeGetRequest(user_id=user.user_id)).items
        == []
    )


def test_payroll_item_is_an_item(api, plaid_emulator):
    user = plaid_emulator.create_user("app-user-1")
    token = income_link_token(api, user_id=user.user_id)
    _, answer = complete(plaid_emulator, token)
    exchanged = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=answer["public_token"])
    )
    item = api.item_get(ItemGetRequest(access_token=exchanged.access_token)).item
    assert [p.value for p in item.billed_products] == ["income_verification"]
    assert item.institution_id == "ins_92"


def test_sandbox_income_fire_webhook(api, plaid_emulator, receiver):
    user = plaid_emulator.create_user("app-user-1")
    item = plaid_emulator.state.create_payroll_item(user)
    for code in ("INCOME_VERIFICATION", "USER_INCOME_VERIFICATION"):
        api.sandbox_income_fire_webhook(
            SandboxIncomeFireWebhookRequest(
                item_id=item.item_id,
                user_id=user.user_id,
                webhook=receiver.url("/income"),
                webhook_code=SandboxIncomeWebhookFireRequestWebhookCode(code),
                verification_status="VERIFICATION_STATUS_PROCESSING_FAILED",
            )
        )
        delivery = plaid_emulator.wait_for_webhooks()[-1]
        assert delivery.url == receiver.url("/income")
        assert delivery.payload["webhook_code"] == code
        assert delivery.payload["verification_status"] == "VERIFICATION_STATUS_PROCESSING_FAILED"
    bank = plaid_emulator.state.create_item()
    for body, code in (
        ({"item_id": "missing"}, "ITEM_NOT_FOUND"),
        ({"item_id": bank.item_id}, "SANDBOX_PRODUCT_NOT_ENABLED"),
        ({"user_id": "usr_other"}, "INVALID_USER_ID"),
        ({"webhook_code": "INCOME_VERIFICATION_RISK_SIGNALS"}, "INVALID_FIELD"),
        ({"verification_status": "DONE"}, "INVALID_FIELD"),
        ({"webhook": "ftp://x"}, "INVALID_FIELD"),
    ):
        request = {
            "item_id": item.item_id,
            "webhook": receiver.url(),
            "webhook_code": "INCOME_VERIFICATION",
            **body,
        }
        status, _, answer = post(plaid_emulator, "/sandbox/income/fire_webhook", request)
        assert (status, answer["error_code"]) == (400, code), body


def test_pay_dates_are_biweekly_fridays():
    dates = pay_dates(date(2026, 11, 28))  # a Saturday
    assert dates == [date(2026, 11, 27), date(2026, 11, 13), date(2026, 10, 30)]
    assert pay_dates(date(2026, 11, 27))[0] == date(2026, 11, 27)
