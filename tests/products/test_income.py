import pytest

from django_plaid.models import PayrollIncome, PlaidUser
from tests.helpers import complete_link, raw_column

pytestmark = pytest.mark.django_db


@pytest.fixture
def income_allowed(settings):
    settings.PLAID = {
        **settings.PLAID,
        "ALLOWED_PRODUCTS": ["transactions", "income_verification"],
        "WEBHOOK_URL": "https://app.example.com/plaid/webhook/",
    }


def test_payroll_income_end_to_end(api, trust, user, emulator, income_allowed, deliver):
    emulator.send_webhooks = False  # recorded; this test delivers them through the endpoint
    response = api.post("/plaid/link-token/", {"products": ["income_verification"]}, format="json")
    assert response.status_code == 200, response.content
    plaid_user = PlaidUser.objects.get(owner=user)
    request = emulator.state.link_tokens[response.json()["link_token"]].request
    assert request["products"] == ["income_verification"]
    assert request.get("user_token") == plaid_user.user_token or request.get("user_id")
    assert plaid_user.user_token not in str(raw_column("django_plaid_plaiduser", "user_token"))

    complete_link(emulator, response.json()["link_token"])
    (income,) = [d for d in emulator.deliveries if d.webhook_type == "INCOME"]
    assert income.payload["user_id"] == plaid_user.user_id
    assert deliver(income.body).status_code == 200

    payroll = PayrollIncome.objects.get(plaid_user=plaid_user)
    assert payroll.processing_status
    assert payroll.data["payroll_income"]
    stored = raw_column("django_plaid_payrollincome", "data")
    assert all(value.startswith("gAAAA") for value in stored)

    rows = api.get("/plaid/income/").json()
    assert [r["item_id"] for r in rows] == [payroll.item_id]
    employee = payroll.data["payroll_income"][0]["pay_stubs"][0]["employee"]
    assert employee["name"] not in str(rows)
    assert employee["name"] in str(trust().get("/plaid/income/").json())


def test_income_refresh_endpoint(
    api, user, emulator, income_allowed, django_capture_on_commit_callbacks
):
    assert api.post("/plaid/income/refresh/").status_code == 404  # nothing linked yet
    token = api.post("/plaid/link-token/", {"products": ["income_verification"]}, format="json")
    complete_link(emulator, token.json()["link_token"])
    with django_capture_on_commit_callbacks(execute=True):
        assert api.post("/plaid/income/refresh/").status_code == 202
    assert PayrollIncome.objects.filter(plaid_user__owner=user).exists()


def test_other_users_see_no_income(other_api, api, emulator, income_allowed):
    token = api.post("/plaid/link-token/", {"products": ["income_verification"]}, format="json")
    complete_link(emulator, token.json()["link_token"])
    assert other_api.get("/plaid/income/").json() == []


def test_products_outside_the_allowed_list_are_a_400(api, emulator):
    response = api.post("/plaid/link-token/", {"products": ["income_verification"]}, format="json")
    assert response.status_code == 400
    assert "income_verification" in str(response.json()["products"])
    response = api.post("/plaid/link-token/", {"products": ["transactoins"]}, format="json")
    assert response.status_code == 400
    assert response.json()["products"]


def test_a_link_token_with_allowed_products(api, emulator, settings):
    settings.PLAID = {**settings.PLAID, "ALLOWED_PRODUCTS": ["transactions", "auth", "identity"]}
    response = api.post("/plaid/link-token/", {"products": ["auth", "identity"]}, format="json")
    assert response.status_code == 200
    request = emulator.state.link_tokens[response.json()["link_token"]].request
    assert request["products"] == ["auth", "identity"]


def test_income_is_asked_for_alone(api, emulator, income_allowed, settings):
    settings.PLAID = {
        **settings.PLAID,
        "ALLOWED_PRODUCTS": ["transactions", "income_verification"],
    }
    response = api.post(
        "/plaid/link-token/", {"products": ["transactions", "income_verification"]}, format="json"
    )
    assert response.status_code == 400
    assert "alone" in str(response.json())


def test_an_income_webhook_without_status_is_fine(deliver, emulator):
    payload = {
        "webhook_type": "INCOME",
        "webhook_code": "INCOME_VERIFICATION",
        "item_id": "x",
        "user_id": "usr_unknown",
        "verification_status": None,
        "environment": "sandbox",
    }
    assert deliver(payload).status_code == 200
    from django_plaid.models import WebhookEvent

    assert WebhookEvent.objects.get().status == "processed"
