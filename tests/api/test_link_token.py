import pytest
from django.test import override_settings

from django_plaid.conf import plaid_settings

pytestmark = pytest.mark.django_db


def test_link_token_for_a_new_item(api, emulator):
    response = api.post("/plaid/link-token/", {}, format="json")
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"link_token", "expiration"}
    assert body["link_token"].startswith("link-sandbox-")


def test_link_token_carries_settings_and_user_id(api, user, emulator):
    with override_settings(PLAID={**_plaid(), "WEBHOOK_URL": "https://example.com/plaid/webhook/"}):
        token = api.post("/plaid/link-token/", {}, format="json").json()["link_token"]
    stored = emulator.state.link_tokens[token]
    assert stored.request["user"]["client_user_id"] == str(user.pk)
    assert stored.request["products"] == ["transactions"]
    assert stored.request["webhook"] == "https://example.com/plaid/webhook/"
    assert stored.request["client_name"] == "dj-plaid tests"


def test_update_mode_link_token(api, item, emulator):
    response = api.post("/plaid/link-token/", {"item_id": item.item_id}, format="json")
    assert response.status_code == 200, response.content
    stored = emulator.state.link_tokens[response.json()["link_token"]]
    assert stored.request["access_token"] == item.access_token
    assert "products" not in stored.request


def test_update_mode_for_another_users_item_is_404(other_api, item, emulator):
    response = other_api.post("/plaid/link-token/", {"item_id": item.item_id}, format="json")
    assert response.status_code == 404
    assert item.access_token not in response.content.decode()


def test_android_gets_package_name_instead_of_redirect_uri(api, emulator):
    settings = {
        **_plaid(),
        "REDIRECT_URI": "https://example.com/oauth",
        "ANDROID_PACKAGE_NAME": "com.example.app",
    }
    with override_settings(PLAID=settings):
        web = api.post("/plaid/link-token/", {}, format="json").json()["link_token"]
        android = api.post("/plaid/link-token/", {"platform": "android"}, format="json")
    assert emulator.state.link_tokens[web].request["redirect_uri"] == "https://example.com/oauth"
    request = emulator.state.link_tokens[android.json()["link_token"]].request
    assert request["android_package_name"] == "com.example.app"
    assert "redirect_uri" not in request


def test_bad_input_is_a_400_with_field_errors(api, emulator):
    response = api.post("/plaid/link-token/", {"platform": "windows"}, format="json")
    assert response.status_code == 400
    assert "platform" in response.json()


def test_anonymous_is_refused(client, emulator):
    response = client.post("/plaid/link-token/", {}, content_type="application/json")
    assert response.status_code == 403


def test_plaid_rejecting_our_keys_is_a_clean_502(api, emulator):
    with override_settings(PLAID={**_plaid(), "SECRET": "wrong"}):
        response = api.post("/plaid/link-token/", {}, format="json")
    assert response.status_code == 502
    body = response.json()
    assert body["error_code"] == "INVALID_API_KEYS"
    assert body["error_type"] == "INVALID_INPUT"
    assert body["request_id"]
    assert "wrong" not in response.content.decode()


def _plaid():
    return dict(plaid_settings.user_settings)
