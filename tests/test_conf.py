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


def test_numbers_come_back_typed_and_raw_keeps_what_the_host_wrote():
    with override_settings(PLAID={"SYNC_LEASE_SECONDS": "90", "REQUEST_TIMEOUT": 2}):
        assert plaid_settings.SYNC_LEASE_SECONDS == 90
        assert plaid_settings.REQUEST_TIMEOUT == 2.0
        assert isinstance(plaid_settings.REQUEST_TIMEOUT, float)
        assert plaid_settings.seconds("SYNC_LEASE_SECONDS").total_seconds() == 90
        assert plaid_settings.raw("SYNC_LEASE_SECONDS") == "90"


def test_dotted_paths_are_read_as_the_object_they_name():
    from django_plaid.products.masking import can_view_sensitive
    from django_plaid.webhooks.handlers import WebhookHandler

    assert plaid_settings.WEBHOOK_HANDLER_CLASS is WebhookHandler
    assert plaid_settings.SENSITIVE_DATA_ACCESS is can_view_sensitive
    with (
        override_settings(PLAID={"WEBHOOK_HANDLER_CLASS": "no.such.Handler"}),
        pytest.raises(ImportError),
    ):
        plaid_settings.WEBHOOK_HANDLER_CLASS  # noqa: B018
