import pytest

from django_plaid import signals
from django_plaid.models import Account, Item
from tests.helpers import sandbox_public_token

pytestmark = pytest.mark.django_db

METADATA = {
    "institution": {"name": "First Platypus Bank", "institution_id": "ins_109508"},
    "accounts": [{"id": "x", "name": "Plaid Checking", "mask": "0000", "type": "depository"}],
    "link_session_id": "79e772be-547d-4c9c-8b76-4ac4ed4c441a",
}


def test_exchange_stores_the_item_and_its_accounts(
    api, user, emulator, django_capture_on_commit_callbacks
):
    received = []
    signals.item_linked.connect(lambda **kw: received.append(kw), weak=False, dispatch_uid="t")
    try:
        token = sandbox_public_token()
        with django_capture_on_commit_callbacks(execute=True):
            response = api.post(
                "/plaid/exchange/", {"public_token": token, "metadata": METADATA}, format="json"
            )
    finally:
        signals.item_linked.disconnect(dispatch_uid="t")
    assert response.status_code == 201, response.content
    body = response.json()
    item = Item.objects.get(item_id=body["item_id"])
    assert item.owner == user
    assert item.institution_id == "ins_109508"
    assert item.institution_name == "First Platypus Bank"
    assert item.link_session_id == METADATA["link_session_id"]
    assert body["status"] == "healthy"
    assert body["error"] is None
    assert body["products"] == ["transactions"]
    names = {a["name"] for a in body["accounts"]}
    assert {"Plaid Checking", "Plaid Saving", "Plaid Credit Card"} <= names
    assert Account.objects.filter(item=item).count() == len(body["accounts"])
    checking = next(a for a in body["accounts"] if a["name"] == "Plaid Checking")
    assert checking["mask"] == "0000"
    assert checking["balances"]["available"] == 100
    assert checking["balances"]["current"] == 110
    assert checking["balances"]["iso_currency_code"] == "USD"
    assert checking["balances_updated_at"]
    assert [kw["item"].item_id for kw in received] == [item.item_id]
    assert "access" not in "".join(body.keys())
    assert item.access_token not in response.content.decode()


def test_mobile_camel_case_body_is_accepted(api, emulator):
    token = sandbox_public_token()
    response = api.post("/plaid/exchange/", {"publicToken": token}, format="json")
    assert response.status_code == 201


@pytest.mark.parametrize(
    "body",
    [
        {},
        {"public_token": ""},
        {"public_token": 5, "metadata": "x"},
        {"public_token": "t", "metadata": {"institution": "x"}},
    ],
)
def test_bad_input_is_400(api, emulator, body):
    response = api.post("/plaid/exchange/", body, format="json")
    assert response.status_code == 400
    assert response.json()


def test_invalid_public_token_is_a_400_in_plaids_words(api, emulator):
    response = api.post("/plaid/exchange/", {"public_token": "public-sandbox-nope"}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert body["error_code"] == "INVALID_PUBLIC_TOKEN"
    assert body["error_type"] == "INVALID_INPUT"
    assert set(body) >= {"display_message", "request_id", "error_message"}
    assert not Item.objects.exists()


def test_public_token_is_single_use(api, emulator):
    token = sandbox_public_token()
    assert api.post("/plaid/exchange/", {"public_token": token}, format="json").status_code == 201
    again = api.post("/plaid/exchange/", {"public_token": token}, format="json")
    assert again.status_code == 400
    assert again.json()["error_code"] == "INVALID_PUBLIC_TOKEN"
    assert Item.objects.count() == 1


def test_duplicate_item_is_409_and_removed_at_plaid(api, emulator, link):
    first = link(api)
    token = sandbox_public_token()
    response = api.post("/plaid/exchange/", {"public_token": token}, format="json")
    assert response.status_code == 409
    assert response.json()["error_code"] == "DUPLICATE_ITEM"
    assert response.json()["item_id"] == first["item_id"]
    assert list(Item.objects.values_list("item_id", flat=True)) == [first["item_id"]]
    # The duplicate was removed at Plaid: the emulator keeps only the first Item.
    assert list(emulator.state.items) == [first["item_id"]]


def test_same_bank_for_two_users_is_not_a_duplicate(api, other_api, emulator, link):
    link(api)
    link(other_api)
    assert Item.objects.count() == 2


def test_different_institution_is_not_a_duplicate(api, emulator, link):
    link(api, "ins_109508")
    link(api, "ins_109509")
    assert Item.objects.count() == 2


def test_plaid_unreachable_is_a_clean_503(api, emulator, settings):
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    response = api.post("/plaid/exchange/", {"public_token": "public-sandbox-x"}, format="json")
    assert response.status_code == 503
    assert response.json()["error_code"] == "PLAID_UNREACHABLE"


def test_plaid_too_slow_is_a_clean_503(api, emulator, settings):
    emulator.faults.add("slow", path="/item/public_token/exchange", seconds=1.5)
    settings.PLAID = {**settings.PLAID, "REQUEST_TIMEOUT": 0.5}
    response = api.post("/plaid/exchange/", {"public_token": "public-sandbox-x"}, format="json")
    assert response.status_code == 503
    assert response.json()["error_code"] == "PLAID_TIMEOUT"


def test_plaid_failing_is_a_clean_502(api, emulator):
    emulator.faults.add("http_500", path="/item/public_token/exchange")
    response = api.post("/plaid/exchange/", {"public_token": "public-sandbox-x"}, format="json")
    assert response.status_code == 502
    assert response.json()["error_code"] == "INTERNAL_SERVER_ERROR"
    assert response.json()["request_id"]
