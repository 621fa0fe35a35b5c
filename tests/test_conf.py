import pytest
from django.test import override_settings

from django_plaid.conf import DEFAULTS, plaid_settings


def test_defaults_apply_to_unset_keys():
    with override_settings(PLAID={"CLIENT_ID": "a", "SECRET": "b"}):
        assert plaid_settings.ENVIRONMENT == "sandbox"
        assert plaid_settings.PRODUCTS == ["transactions"]
        assert plaid_settings.COUNTRY_CODES == ["US"]
        assert plaid_settings.LANGUAGE == "en"
        assert plaid_settings.WEBHOOK_URL is None


def test_override_settings_takes_effect_at_once():
    with override_settings(PLAID={"CLIENT_ID": "first", "SECRET": "s"}):
        assert plaid_settings.CLIENT_ID == "first"
        with override_settings(PLAID={"CLIENT_ID": "second", "SECRET": "s"}):
            assert plaid_settings.CLIENT_ID == "second"
        assert plaid_settings.CLIENT_ID == "first"


def test_base_url_follows_environment_and_host():
    with override_settings(PLAID={"ENVIRONMENT": "production"}):
        assert plaid_settings.base_url == "https://production.plaid.com"
    with override_settings(PLAID={"ENVIRONMENT": "sandbox"}):
        assert plaid_settings.base_url == "https://sandbox.plaid.com"
    with override_settings(PLAID={"HOST": "http://127.0.0.1:8765/"}):
        assert plaid_settings.base_url == "http://127.0.0.1:8765"


def test_unknown_attribute_raises():
    with pytest.raises(AttributeError):
        plaid_settings.NOT_A_SETTING  # noqa: B018


def test_every_default_is_documented():
    with open("docs/settings.md") as f:
        text = f.read()
    positions = [text.index(f"`{key}`") for key in DEFAULTS]
    assert positions == sorted(positions), "docs/settings.md must follow the order of DEFAULTS"
