import pytest
from django.core.checks import run_checks
from django.test import override_settings

# Django's own model checks may ask SQLite whether it supports JSON (a query).
pytestmark = pytest.mark.django_db

VALID = {
    "CLIENT_ID": "id",
    "SECRET": "secret",
    "ENVIRONMENT": "sandbox",
    "CLIENT_NAME": "App",
}


def ids(**plaid):
    with override_settings(PLAID={**VALID, **plaid}):
        return [m.id for m in run_checks() if m.id and m.id.startswith("django_plaid")]


def messages_for(check_id, **plaid):
    with override_settings(PLAID={**VALID, **plaid}):
        return [m for m in run_checks() if m.id == check_id]


def test_valid_settings_pass():
    assert ids() == []


def test_plaid_not_a_dict():
    with override_settings(PLAID=None):
        assert [m.id for m in run_checks() if m.id.startswith("django_plaid")] == [
            "django_plaid.E001"
        ]


@pytest.mark.parametrize("key", ["CLIENT_ID", "SECRET"])
def test_missing_credentials(key):
    assert ids(**{key: ""}) == ["django_plaid.E002"]


def test_unknown_key_suggests_the_right_one():
    (message,) = messages_for("django_plaid.E003", PRODCTS=["transactions"])
    assert "PRODCTS" in message.msg
    assert "PRODUCTS" in message.hint


def test_retired_development_environment_is_explained():
    (message,) = messages_for("django_plaid.E004", ENVIRONMENT="development")
    assert "retired" in message.msg
    assert "sandbox" in message.hint


def test_unknown_environment():
    assert ids(ENVIRONMENT="staging") == ["django_plaid.E004"]


@pytest.mark.parametrize("products", [["transactoins"], ["balance"], [], "transactions", [1]])
def test_bad_products(products):
    assert ids(PRODUCTS=products) == ["django_plaid.E005"]


def test_product_typo_gets_a_suggestion():
    (message,) = messages_for("django_plaid.E005", PRODUCTS=["transactoins"])
    assert "'transactions'" in message.hint


@pytest.mark.parametrize("key", [None, "", "not-a-key", ["also-not-a-key"]])
def test_bad_encryption_key(key):
    with override_settings(FIELD_ENCRYPTION_KEY=key, PLAID=VALID):
        messages = [m for m in run_checks() if m.id == "django_plaid.E006"]
    assert len(messages) == 1
    assert "Fernet" in messages[0].hint


def test_encryption_key_list_for_rotation_is_fine():
    from cryptography.fernet import Fernet

    keys = [Fernet.generate_key().decode(), Fernet.generate_key().decode()]
    with override_settings(FIELD_ENCRYPTION_KEY=keys, PLAID=VALID):
        assert not [m for m in run_checks() if m.id == "django_plaid.E006"]


def test_host_with_production():
    assert ids(ENVIRONMENT="production", HOST="http://127.0.0.1:8765") == ["django_plaid.E007"]


@pytest.mark.parametrize(
    "setting",
    [
        {"COUNTRY_CODES": "US"},
        {"COUNTRY_CODES": []},
        {"LANGUAGE": ""},
        {"REQUEST_TIMEOUT": 0},
        {"REQUEST_TIMEOUT": "30"},
        {"HOST": "127.0.0.1:8765"},
        {"WEBHOOK_URL": "example.com/hook"},
        {"REDIRECT_URI": 5},
        {"ANDROID_PACKAGE_NAME": 5},
        {"VERIFY_LINK_SESSION": "yes"},
    ],
)
def test_wrong_shapes(setting):
    assert ids(**setting) == ["django_plaid.E008"]


def test_empty_client_name():
    assert ids(CLIENT_NAME="") == ["django_plaid.E009"]


def test_checks_are_tagged_security():
    with override_settings(PLAID={**VALID, "SECRET": ""}):
        assert [m.id for m in run_checks(tags=["security"])] == ["django_plaid.E002"]


def test_client_name_longer_than_link_shows():
    assert ids(CLIENT_NAME="A name much longer than thirty characters") == ["django_plaid.W002"]


@pytest.mark.parametrize("value", [["sandbox"], 5])
def test_environment_of_the_wrong_type(value):
    assert ids(ENVIRONMENT=value) == ["django_plaid.E004"]


def test_credentials_of_the_wrong_type():
    assert ids(CLIENT_ID=123) == ["django_plaid.E002"]


def test_every_product_plaid_python_knows_is_accepted():
    assert ids(PRODUCTS=["identity_match", "cra_base_report", "transactions"]) == []


@pytest.mark.parametrize(
    "setting",
    [
        {"WEBHOOK_MAX_AGE": 0},
        {"WEBHOOK_MAX_BODY_BYTES": "1MB"},
        {"WEBHOOK_KEY_CACHE": "nope"},
        {"WEBHOOK_KEY_RECHECK_SECONDS": 0},
        {"WEBHOOK_KEY_FETCHES_PER_MINUTE": "5"},
        {"WEBHOOK_HANDLER_CLASS": "no.such.Handler"},
        {"TRANSACTIONS_PAGE_SIZE": 501},
        {"TRANSACTIONS_PAGE_SIZE": 0},
        {"SYNC_LEASE_SECONDS": -1},
        {"SYNC_STALE_AFTER": "6h"},
        {"BALANCE_MAX_AGE": 0},
        {"BALANCE_REFRESHES_PER_MINUTE": 0},
    ],
)
def test_webhook_sync_and_balance_setting_shapes(setting):
    assert ids(**setting) == ["django_plaid.E008"]


def test_webhook_verification_off_outside_debug(settings):
    settings.DEBUG = False
    assert ids(WEBHOOK_VERIFY=False) == ["django_plaid.W001"]
    settings.DEBUG = True
    assert ids(WEBHOOK_VERIFY=False) == []


def test_webhook_handler_must_be_a_webhook_handler():
    assert ids(WEBHOOK_HANDLER_CLASS="django_plaid.models.Item") == ["django_plaid.E008"]


def test_a_webhook_key_cache_that_keeps_nothing(settings):
    settings.CACHES = {
        **settings.CACHES,
        "nothing": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
    }
    (message,) = messages_for("django_plaid.W003", WEBHOOK_KEY_CACHE="nothing")
    assert "nothing" in message.msg
    assert ids(WEBHOOK_KEY_CACHE="nothing", WEBHOOK_VERIFY=False, CLIENT_NAME="App") == [
        "django_plaid.W001"
    ]


# -- LINK_SCRIPT_URL ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        "https://cdn.plaid.com/link/v2/stable/link-initialize.js",
        "http://127.0.0.1:8765/link/v2/stable/link-initialize.js",
        "http://[::1]:8765/link/v2/stable/link-initialize.js",
    ],
)
def test_a_link_script_url_is_an_absolute_http_url(url):
    assert ids(LINK_SCRIPT_URL=url) == []


@pytest.mark.parametrize(
    "url",
    [
        "",
        "/static/link.js",
        "//cdn.plaid.com/link/v2/stable/link-initialize.js",
        "cdn.plaid.com/link-initialize.js",
        "javascript:alert(1)",
        "ftp://example.com/link.js",
        "https://",
        'https://example.com/"><script>alert(1)</script>',
        "https://example.com/a b.js",
        "https://example.com/\x00.js",
        "http://[::1/link.js",
        42,
        ["https://cdn.plaid.com/link/v2/stable/link-initialize.js"],
    ],
)
def test_a_link_script_url_that_is_not_an_absolute_http_url(url):
    assert ids(LINK_SCRIPT_URL=url) == ["django_plaid.E010"]
    (message,) = messages_for("django_plaid.E010", LINK_SCRIPT_URL=url)
    assert "/link/v2/stable/link-initialize.js" in message.hint


def test_another_link_script_in_production_is_a_warning():
    production = {"ENVIRONMENT": "production"}
    assert ids(**production, LINK_SCRIPT_URL="http://127.0.0.1:8765/link.js") == [
        "django_plaid.W004"
    ]
    cdn = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"
    assert ids(**production, LINK_SCRIPT_URL=cdn) == []
    assert ids(**production) == []


@pytest.mark.parametrize("value", [0, -1, True, "90"])
def test_link_event_max_age_is_a_positive_whole_number(value):
    assert ids(LINK_EVENT_MAX_AGE=value) == ["django_plaid.E008"]
