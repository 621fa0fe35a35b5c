import os
import socket

import django
import pytest
from celery import Celery
from django.conf import settings as django_settings
from django.core.checks import run_checks
from django.db import connection
from django.test import override_settings

from tests.celery import app as celery_app
from tests.helpers import forget_broker_connections

# Django's own model checks may ask SQLite whether it supports JSON (a query).
pytestmark = pytest.mark.django_db

#: What the suite's own database gives: SQLite on Django < 5.1 cannot take the write lock
#: up front (W005, a warning); on 5.1+ tests/settings.py sets IMMEDIATE, so nothing.
ENVIRONMENT_IDS = (
    ["django_plaid.W005"] if connection.vendor == "sqlite" and django.VERSION < (5, 1) else []
)

VALID = {
    "CLIENT_ID": "id",
    "SECRET": "secret",
    "ENVIRONMENT": "sandbox",
    "CLIENT_NAME": "App",
}


def all_ids(**plaid):
    with override_settings(PLAID={**VALID, **plaid}):
        return [m.id for m in run_checks() if m.id and m.id.startswith("django_plaid")]


def ids(**plaid):
    """The ids the PLAID settings give, less what the suite's database gives anyway
    (asserted on its own in test_valid_settings_pass)."""
    found = all_ids(**plaid)
    for expected in ENVIRONMENT_IDS:
        found.remove(expected)
    return found


def messages_for(check_id, **plaid):
    with override_settings(PLAID={**VALID, **plaid}):
        return [m for m in run_checks() if m.id == check_id]


def test_valid_settings_pass():
    assert all_ids() == ENVIRONMENT_IDS


def test_plaid_not_a_dict():
    with override_settings(PLAID=None):
        assert [m.id for m in run_checks() if m.id.startswith("django_plaid")] == [
            "django_plaid.E001",
            *ENVIRONMENT_IDS,
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


# -- The host project: rest_framework, the database, Celery -------------------------------


def test_rest_framework_must_be_installed(settings):
    settings.INSTALLED_APPS = [app for app in settings.INSTALLED_APPS if app != "rest_framework"]
    (message,) = messages_for("django_plaid.E011")
    assert '"rest_framework"' in message.hint


SQLITE = {"ENGINE": "django.db.backends.sqlite3", "NAME": "db.sqlite3"}
POSTGRES = {"ENGINE": "django.db.backends.postgresql", "NAME": "app", "PASSWORD": "hunter2"}


def database_messages(databases, *, routers=()):
    """The database checks' messages for these DATABASES (and DATABASE_ROUTERS)."""
    # The checks read the settings, never the connections: overriding DATABASES is safe.
    with override_settings(DATABASES=databases, DATABASE_ROUTERS=list(routers)):
        return [m for m in run_checks() if m.id in ("django_plaid.E012", "django_plaid.W005")]


needs_transaction_mode = pytest.mark.skipif(
    django.VERSION < (5, 1), reason="transaction_mode is Django 5.1+"
)
overrides_databases = pytest.mark.filterwarnings("ignore:Overriding setting DATABASES")


@needs_transaction_mode
@overrides_databases
@pytest.mark.parametrize("options", [{}, {"timeout": 20}, {"transaction_mode": "DEFERRED"}])
def test_sqlite_without_immediate_transactions_is_an_error(options):
    (message,) = database_messages({"default": {**SQLITE, "OPTIONS": options}})
    assert message.id == "django_plaid.E012"
    assert message.obj == "DATABASES['default']"
    assert "database is locked" in message.msg
    assert "{'transaction_mode': 'IMMEDIATE', 'timeout': 20, " in message.hint
    assert "'init_command': 'PRAGMA journal_mode=WAL;'}" in message.hint
    assert "PostgreSQL in production" in message.hint
    assert message.hint.endswith("installation.md#databases")


@needs_transaction_mode
@overrides_databases
@pytest.mark.parametrize("mode", ["IMMEDIATE", "EXCLUSIVE", "immediate"])
def test_sqlite_that_takes_the_write_lock_up_front_passes(mode):
    assert database_messages({"default": {**SQLITE, "OPTIONS": {"transaction_mode": mode}}}) == []


@overrides_databases
def test_other_databases_are_not_sqlite_business():
    assert database_messages({"default": POSTGRES}) == []


class KeepPlaidOffReports:
    """A router that keeps dj-plaid's models off the ``reports`` database."""

    def allow_migrate(self, db, app_label, **hints):
        return False if db == "reports" and app_label == "django_plaid" else None


@needs_transaction_mode
@overrides_databases
def test_every_database_dj_plaid_may_write_to_is_checked():
    databases = {"default": POSTGRES, "reports": SQLITE, "plaid": SQLITE}
    messages = database_messages(databases, routers=[f"{__name__}.KeepPlaidOffReports"])
    assert [(m.id, m.obj) for m in messages] == [("django_plaid.E012", "DATABASES['plaid']")]
    # Without the router, dj-plaid may write to both SQLite files.
    assert [m.obj for m in database_messages(databases)] == [
        "DATABASES['reports']",
        "DATABASES['plaid']",
    ]


@overrides_databases
def test_sqlite_before_django_5_1_is_a_warning(monkeypatch):
    # The check reads django.VERSION when it runs: a 4.2 project's view of the same settings.
    monkeypatch.setattr(django, "VERSION", (4, 2, 17, "final", 0))
    for options in ({}, {"timeout": 20}):
        (message,) = database_messages({"default": {**SQLITE, "OPTIONS": options}})
        assert message.id == "django_plaid.W005"
        assert "Django 4.2.17" in message.msg
        assert "database is locked" in message.msg
        assert "PostgreSQL" in message.hint
        assert "Django 5.1+" in message.hint
    assert database_messages({"default": POSTGRES}) == []


@pytest.fixture
def celery_state():
    """Celery's app state (default app, this thread's current app), restored after."""
    from celery import _state

    saved = (_state.default_app, getattr(_state._tls, "current_app", None))
    yield _state
    _state.default_app, _state._tls.current_app = saved


def celery_messages(check_id):
    return [m for m in run_checks(tags=["celery"]) if m.id == check_id]


def test_the_suites_celery_app_is_the_one_tasks_use():
    from django_plaid.checks import tasks_app

    assert tasks_app() is celery_app
    assert celery_messages("django_plaid.W006") == []


def test_celery_settings_without_an_app_that_reads_them(celery_state):
    # A project without celery.py: Celery's fallback app, as celery._state creates it.
    celery_state.default_app = None
    celery_state._tls.current_app = None
    (message,) = celery_messages("django_plaid.W006")
    assert "CELERY_BROKER_TRANSPORT_OPTIONS, CELERY_BROKER_URL, CELERY_TASK_ALWAYS_EAGER" in (
        message.msg
    )
    assert "no Celery app reads them" in message.msg
    assert 'config_from_object("django.conf:settings", namespace="CELERY")' in message.hint
    assert "installation.md#celery" in message.hint
    celery_state.default_app = Celery("default", fixups=[], set_as_current=False)
    assert [m.msg for m in celery_messages("django_plaid.W006")] == [message.msg]
    # Nor is there a broker to try: W006 says what is wrong.
    assert celery_messages("django_plaid.W007") == []


def test_no_celery_configuration_at_all(celery_state, settings):
    celery_state.default_app = None
    celery_state._tls.current_app = None
    for key in [key for key in dir(django_settings) if key.startswith("CELERY_")]:
        delattr(settings, key)
    (message,) = celery_messages("django_plaid.W006")
    assert message.msg.startswith("No Celery app is configured")
    assert "amqp://guest@localhost//" in message.msg
    assert "CELERY_TASK_ALWAYS_EAGER = True" in message.hint


def test_an_app_of_the_host_set_as_default_passes(celery_state):
    celery_state.default_app = None
    celery_state._tls.current_app = None
    host = Celery("mysite", set_as_current=False)
    host.set_default()
    assert celery_messages("django_plaid.W006") == []


@pytest.fixture
def broker_at():
    """Point the suite's Celery app at a broker URL, not eager; restored after."""
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}

    def point(url):
        celery_app.conf.update(task_always_eager=False, broker_url=url)
        forget_broker_connections()

    yield point
    celery_app.conf.update(saved)
    forget_broker_connections()


def closed_port():
    """A port nothing listens on: bound, then closed."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.parametrize(
    "scheme", ["redis://:hunter2@127.0.0.1:{port}/0", "amqp://guest:hunter2@127.0.0.1:{port}//"]
)
def test_a_broker_that_cannot_be_reached(broker_at, scheme):
    url = scheme.format(port=closed_port())
    broker_at(url)
    (message,) = celery_messages("django_plaid.W007")
    assert message.obj == "tests"
    assert url.replace("hunter2", "**") in message.msg
    assert "Connection refused" in message.msg
    assert "hunter2" not in message.msg + message.hint
    assert "CELERY_TASK_ALWAYS_EAGER = True" in message.hint
    assert "installation.md#celery" in message.hint


def test_a_broker_that_never_answers_is_given_up_on(broker_at):
    # Connections are accepted (the backlog) and never answered: the check's timeout.
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(8)
        broker_at(f"redis://127.0.0.1:{silent.getsockname()[1]}/0")
        (message,) = celery_messages("django_plaid.W007")
    assert "Timeout" in message.msg or "no answer" in message.msg


def test_eager_tasks_and_the_memory_broker_need_no_broker(broker_at):
    broker_at(f"redis://127.0.0.1:{closed_port()}/0")
    celery_app.conf.task_always_eager = True
    assert celery_messages("django_plaid.W007") == []
    broker_at("memory://")
    assert celery_messages("django_plaid.W007") == []


def reachable(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
    except OSError:
        return False
    return True


@pytest.mark.skipif(not reachable(6379), reason="needs Redis on 127.0.0.1:6379")
def test_a_reachable_redis_passes(broker_at):
    broker_at(os.environ.get("DJ_PLAID_TEST_BROKER", "redis://127.0.0.1:6379/15"))
    assert celery_messages("django_plaid.W007") == []


@pytest.mark.skipif(not reachable(5672), reason="needs RabbitMQ on 127.0.0.1:5672")
def test_a_reachable_rabbitmq_passes(broker_at):
    broker_at("amqp://guest:guest@127.0.0.1:5672//")
    assert celery_messages("django_plaid.W007") == []


@pytest.mark.skipif(not reachable(5672), reason="needs RabbitMQ on 127.0.0.1:5672")
def test_a_broker_that_refuses_the_login_never_shows_the_password(broker_at):
    broker_at("amqp://guest:not-the-password@127.0.0.1:5672//")
    (message,) = celery_messages("django_plaid.W007")
    assert "ACCESS_REFUSED" in message.msg
    assert "amqp://guest:**@127.0.0.1:5672//" in message.msg
    assert "not-the-password" not in message.msg + message.hint


@pytest.mark.parametrize("url", ["nonsense://host", "redis://[::1/0"])
def test_a_broker_url_kombu_cannot_read_is_reported_not_raised(broker_at, url):
    broker_at(url)
    (message,) = celery_messages("django_plaid.W007")
    assert "(unreadable URL)" in message.msg
