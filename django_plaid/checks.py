"""System checks: every misconfiguration of dj-plaid, with a stable id and a hint.

| id | what |
|---|---|
| ``django_plaid.E001`` | ``PLAID`` is not a dict |
| ``django_plaid.E002`` | ``CLIENT_ID`` or ``SECRET`` missing (or not a string) |
| ``django_plaid.E003`` | unknown key in ``PLAID`` (a typo) |
| ``django_plaid.E004`` | unknown ``ENVIRONMENT`` (``"development"`` is retired) |
| ``django_plaid.E005`` | ``PRODUCTS`` or ``ALLOWED_PRODUCTS`` not a list of Plaid product names |
| ``django_plaid.E006`` | ``FIELD_ENCRYPTION_KEY`` missing or not a Fernet key |
| ``django_plaid.E007`` | ``HOST`` set together with ``ENVIRONMENT="production"`` |
| ``django_plaid.E008`` | a key has the wrong type or shape |
| ``django_plaid.E009`` | ``CLIENT_NAME`` empty |
| ``django_plaid.E010`` | ``LINK_SCRIPT_URL`` not an absolute http(s) URL |
| ``django_plaid.E011`` | ``rest_framework`` not in ``INSTALLED_APPS`` |
| ``django_plaid.E012`` | SQLite on Django 5.1+ without ``transaction_mode`` ``"IMMEDIATE"`` |
| ``django_plaid.W001`` | webhook verification off outside ``DEBUG`` (security) |
| ``django_plaid.W002`` | ``CLIENT_NAME`` longer than 30 characters |
| ``django_plaid.W003`` | ``WEBHOOK_KEY_CACHE`` is a ``DummyCache`` (keys never cached) |
| ``django_plaid.W004`` | ``LINK_SCRIPT_URL`` not Plaid's CDN with ``ENVIRONMENT="production"`` |
| ``django_plaid.W005`` | SQLite on Django < 5.1 (no way to take the write lock up front) |
| ``django_plaid.W006`` | no Celery app loads Django's settings (Celery's fallback app) |
| ``django_plaid.W007`` | tasks neither run eagerly nor reach the broker |
"""

from __future__ import annotations

import difflib
import threading
from collections.abc import Sequence
from typing import Any
from urllib.parse import unquote, urlsplit

import django
from django.apps import apps
from django.conf import settings
from django.core.checks import CheckMessage, Error, Tags, Warning, register
from django.db import router
from django.db.utils import load_backend

from .conf import (
    DEFAULTS,
    ENVIRONMENTS,
    PLAID_LINK_SCRIPT_URL,
    RETIRED_ENVIRONMENTS,
    plaid_settings,
)
from .exceptions import PlaidConfigurationError
from .fields import build_crypter
from .webhooks.handlers import WebhookHandler


def _link_products() -> frozenset[str]:
    # plaid-python's own list, so a product Plaid adds is accepted as soon as the SDK
    # knows it; less ``balance``, which Plaid rejects in ``products`` (every Item has it).
    from plaid.model.products import Products

    return frozenset(Products.allowed_values[("value",)].values()) - {"balance"}


#: Products a Link token may ask for.
LINK_PRODUCTS = _link_products()

_HINT_GENERATE_KEY = (
    'Generate one with `python -c "from cryptography.fernet import Fernet; '
    'print(Fernet.generate_key().decode())"` and keep it out of version control.'
)


@register(Tags.security, "django_plaid")
def check_plaid_settings(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Validate the ``PLAID`` setting."""
    raw = getattr(settings, "PLAID", None)
    if not isinstance(raw, dict):
        return [
            Error(
                "The PLAID setting is missing or is not a dict.",
                hint='Add PLAID = {"CLIENT_ID": ..., "SECRET": ..., "ENVIRONMENT": "sandbox"} '
                "to your settings.",
                id="django_plaid.E001",
            )
        ]
    errors: list[CheckMessage] = []
    errors += _check_credentials()
    errors += _check_unknown_keys(raw)
    errors += _check_environment()
    errors += _check_products()
    errors += _check_shapes()
    errors += _check_link_script_url()
    return errors


def _check_credentials() -> list[CheckMessage]:
    missing = [
        key
        for key in ("CLIENT_ID", "SECRET")
        if not isinstance(plaid_settings.raw(key), str) or not plaid_settings.raw(key)
    ]
    if not missing:
        return []
    return [
        Error(
            f"PLAID[{missing[0]!r}] is not set."
            if len(missing) == 1
            else 'PLAID["CLIENT_ID"] and PLAID["SECRET"] are not set.',
            hint="Copy them from the Plaid dashboard (Team settings > Keys), preferably "
            "from environment variables. For offline work, run the emulator "
            "(python -m django_plaid.emulator) and set HOST to its URL.",
            id="django_plaid.E002",
        )
    ]


def _check_unknown_keys(raw: dict[str, Any]) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for key in raw:
        if key in DEFAULTS:
            continue
        close = difflib.get_close_matches(str(key), DEFAULTS, n=1)
        hint = (
            f"Did you mean {close[0]!r}?" if close else ("Known keys: " + ", ".join(DEFAULTS) + ".")
        )
        errors.append(Error(f"Unknown key {key!r} in PLAID.", hint=hint, id="django_plaid.E003"))
    return errors


def _check_environment() -> list[CheckMessage]:
    environment = plaid_settings.raw("ENVIRONMENT")
    errors: list[CheckMessage] = []
    if not isinstance(environment, str):
        environment = repr(environment)
    if environment in RETIRED_ENVIRONMENTS:
        errors.append(
            Error(
                f'PLAID["ENVIRONMENT"] is {environment!r}, which Plaid retired.',
                hint=RETIRED_ENVIRONMENTS[environment],
                id="django_plaid.E004",
            )
        )
    elif environment not in ENVIRONMENTS:
        errors.append(
            Error(
                f'PLAID["ENVIRONMENT"] is {environment!r}.',
                hint='Use "sandbox" or "production".',
                id="django_plaid.E004",
            )
        )
    if environment == "production" and plaid_settings.raw("HOST"):
        errors.append(
            Error(
                'PLAID["HOST"] is set while PLAID["ENVIRONMENT"] is "production".',
                hint="HOST points dj-plaid at an emulator or proxy; production traffic must "
                "go to Plaid. Remove HOST, or use the sandbox environment.",
                id="django_plaid.E007",
            )
        )
    return errors


def _check_products() -> list[CheckMessage]:
    errors = _check_product_list("PRODUCTS", plaid_settings.raw("PRODUCTS"))
    if plaid_settings.raw("ALLOWED_PRODUCTS") is not None:
        errors += _check_product_list("ALLOWED_PRODUCTS", plaid_settings.raw("ALLOWED_PRODUCTS"))
    return errors


def _check_product_list(key: str, products: Any) -> list[CheckMessage]:
    if (
        not isinstance(products, (list, tuple))
        or not products
        or not all(isinstance(p, str) for p in products)
    ):
        return [
            Error(
                f'PLAID["{key}"] must be a non-empty list of product names.',
                hint='For example ["transactions"] or ["auth", "transactions"].',
                id="django_plaid.E005",
            )
        ]
    errors: list[CheckMessage] = []
    for product in products:
        if product in LINK_PRODUCTS:
            continue
        if product == "balance":
            hint = 'Remove "balance": every Item has it, and Plaid rejects it in products.'
        else:
            close = difflib.get_close_matches(product, LINK_PRODUCTS, n=1)
            hint = (
                f"Did you mean {close[0]!r}?"
                if close
                else ("Known products: " + ", ".join(sorted(LINK_PRODUCTS)) + ".")
            )
        errors.append(
            Error(
                f'Unknown product {product!r} in PLAID["{key}"].',
                hint=hint,
                id="django_plaid.E005",
            )
        )
    return errors


def _is_str_list(value: Any) -> bool:
    return (
        isinstance(value, (list, tuple))
        and bool(value)
        and all(isinstance(v, str) and v for v in value)
    )


def _type_name(key: str) -> str:
    return type(plaid_settings.raw(key)).__name__


def _check_shapes() -> list[CheckMessage]:
    errors: list[CheckMessage] = []

    def wrong(key: str, expected: str) -> None:
        errors.append(
            Error(
                f'PLAID["{key}"] must be {expected}; got {_type_name(key)}.',
                hint=f"See the settings reference for {key}.",
                id="django_plaid.E008",
            )
        )

    if not _is_str_list(plaid_settings.raw("COUNTRY_CODES")):
        wrong("COUNTRY_CODES", 'a non-empty list of ISO country codes such as ["US"]')
    if not isinstance(plaid_settings.raw("LANGUAGE"), str) or not plaid_settings.raw("LANGUAGE"):
        wrong("LANGUAGE", 'a language code such as "en"')
    timeout = plaid_settings.raw("REQUEST_TIMEOUT")
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        wrong("REQUEST_TIMEOUT", "a positive number of seconds")
    for key in ("HOST", "WEBHOOK_URL", "REDIRECT_URI"):
        value = plaid_settings.raw(key)
        if value is not None and not (
            isinstance(value, str) and value.startswith(("http://", "https://"))
        ):
            wrong(key, "None or an absolute http(s) URL")
    page_size = plaid_settings.raw("TRANSACTIONS_PAGE_SIZE")
    if isinstance(page_size, bool) or not isinstance(page_size, int) or not 1 <= page_size <= 500:
        wrong("TRANSACTIONS_PAGE_SIZE", "a whole number from 1 to 500 (Plaid's maximum)")
    for key in (
        "WEBHOOK_MAX_AGE",
        "WEBHOOK_MAX_BODY_BYTES",
        "WEBHOOK_KEY_RECHECK_SECONDS",
        "WEBHOOK_KEY_FETCHES_PER_MINUTE",
        "SYNC_LEASE_SECONDS",
        "SYNC_STALE_AFTER",
        "BALANCE_MAX_AGE",
        "BALANCE_REFRESHES_PER_MINUTE",
        "PRODUCT_REFRESH_AFTER",
        "LINK_EVENT_MAX_AGE",
    ):
        value = plaid_settings.raw(key)
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            wrong(key, "a positive whole number")
    if plaid_settings.raw("WEBHOOK_KEY_CACHE") not in settings.CACHES:
        wrong("WEBHOOK_KEY_CACHE", "the alias of a cache in settings.CACHES")
    try:
        handler_class = plaid_settings.WEBHOOK_HANDLER_CLASS
    except ImportError:
        handler_class = None
    if not (isinstance(handler_class, type) and issubclass(handler_class, WebhookHandler)):
        wrong("WEBHOOK_HANDLER_CLASS", "the dotted path of a WebhookHandler subclass")
    try:
        policy = plaid_settings.SENSITIVE_DATA_ACCESS
    except ImportError:
        policy = None
    if not callable(policy):
        wrong("SENSITIVE_DATA_ACCESS", "the dotted path of a function (request) -> bool")
    if plaid_settings.raw("VERIFY_LINK_SESSION") not in (None, True, False):
        wrong("VERIFY_LINK_SESSION", "None (on in production), True or False")
    if plaid_settings.raw("ANDROID_PACKAGE_NAME") is not None and not isinstance(
        plaid_settings.raw("ANDROID_PACKAGE_NAME"), str
    ):
        wrong("ANDROID_PACKAGE_NAME", "None or a package name string")
    name = plaid_settings.raw("CLIENT_NAME")
    if not isinstance(name, str) or not name.strip():
        errors.append(
            Error(
                'PLAID["CLIENT_NAME"] is empty.',
                hint="Plaid requires the app name that Link shows to the user "
                "(30 characters at most).",
                id="django_plaid.E009",
            )
        )
    elif len(name) > 30:
        errors.append(
            Warning(
                f'PLAID["CLIENT_NAME"] has {len(name)} characters; Link shows names longer '
                'than 30 as "This Application".',
                hint="Use a shorter name.",
                id="django_plaid.W002",
            )
        )
    return errors


#: Where the emulator serves its Link simulator, for the hints.
_EMULATOR_SCRIPT = "{emulator URL}/link/v2/stable/link-initialize.js"


def is_script_url(value: Any) -> bool:
    """Whether ``value`` is an absolute http(s) URL a ``<script src>`` can load as is."""
    if not isinstance(value, str) or not value.isprintable() or any(c in value for c in " \"'<>`"):
        return False
    try:
        parts = urlsplit(value)
    except ValueError:  # a malformed IPv6 host, for one
        return False
    return parts.scheme in ("http", "https") and bool(parts.hostname)


def _check_link_script_url() -> list[CheckMessage]:
    value = plaid_settings.raw("LINK_SCRIPT_URL")
    if value is None:
        return []
    if not is_script_url(value):
        return [
            Error(
                'PLAID["LINK_SCRIPT_URL"] must be None or an absolute http(s) URL; '
                f"got {value!r:.80}.",
                hint=f"Leave it unset for Plaid's CDN ({PLAID_LINK_SCRIPT_URL}). Offline, "
                f"point it at the emulator's Link simulator: {_EMULATOR_SCRIPT}.",
                id="django_plaid.E010",
            )
        ]
    if plaid_settings.raw("ENVIRONMENT") == "production" and value != PLAID_LINK_SCRIPT_URL:
        return [
            Warning(
                f'PLAID["LINK_SCRIPT_URL"] is {value!r} while PLAID["ENVIRONMENT"] is '
                '"production": pages would load Link from somewhere other than Plaid.',
                hint="Plaid serves Link only from its CDN, and the script sees your users' "
                "bank logins. LINK_SCRIPT_URL is for the emulator: remove it in production.",
                id="django_plaid.W004",
            )
        ]
    return []


@register(Tags.security, "django_plaid")
def check_encryption_key(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """``FIELD_ENCRYPTION_KEY`` encrypts tokens and bank data at rest: it must be a Fernet key."""
    try:
        build_crypter(getattr(settings, "FIELD_ENCRYPTION_KEY", None))
    except PlaidConfigurationError as e:
        return [
            Error(
                str(e).split(";")[0].split(": ")[0] + ".",
                hint=_HINT_GENERATE_KEY,
                id="django_plaid.E006",
            )
        ]
    return []


@register(Tags.security, "django_plaid")
def check_webhook_verification(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """Unverified webhooks let anyone forge Item errors and trigger syncs."""
    if plaid_settings.raw("WEBHOOK_VERIFY") or settings.DEBUG:
        return []
    return [
        Warning(
            'PLAID["WEBHOOK_VERIFY"] is False outside DEBUG: anyone can forge Plaid webhooks.',
            hint="Remove WEBHOOK_VERIFY (it defaults to True). To test webhooks offline, "
            "use the emulator: it signs deliveries the way Plaid does.",
            id="django_plaid.W001",
        )
    ]


@register(Tags.security, "django_plaid")
def check_webhook_key_cache(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """A cache that keeps nothing makes every verified delivery call Plaid for its key."""
    alias = plaid_settings.raw("WEBHOOK_KEY_CACHE")
    backend = settings.CACHES.get(alias, {}).get("BACKEND", "") if isinstance(alias, str) else ""
    if (
        not plaid_settings.raw("WEBHOOK_VERIFY")
        or backend != "django.core.cache.backends.dummy.DummyCache"
    ):
        return []
    return [
        Warning(
            f'PLAID["WEBHOOK_KEY_CACHE"] ({alias!r}) is a DummyCache: every webhook delivery '
            "would fetch its key from Plaid, and key lookups could not be counted.",
            hint="Point WEBHOOK_KEY_CACHE at a cache that stores, preferably one shared by "
            "all processes (Redis, Memcached); for example add a CACHES entry just for it.",
            id="django_plaid.W003",
        )
    ]


# -- The host project: Django REST framework, the database, Celery ------------------------

#: Where the installation guide explains what the checks below ask for.
DOCS_URL = "https://github.com/dj-plaid/dj-plaid/blob/main/docs/installation.md"


@register(Tags.compatibility, "django_plaid")
def check_rest_framework(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """dj-plaid's API is Django REST framework views, whose pages and templates need its app."""
    if apps.is_installed("rest_framework"):
        return []
    return [
        Error(
            '"rest_framework" is not in INSTALLED_APPS: dj-plaid\'s API views are Django REST '
            "framework views, and their browsable pages would fail (TemplateDoesNotExist).",
            hint='Add "rest_framework" to INSTALLED_APPS.',
            id="django_plaid.E011",
        )
    ]


#: The SQLite ``OPTIONS`` dj-plaid's checks ask for: writers take the lock when their
#: transaction begins, wait for each other up to 20 s, and readers never block writers.
SQLITE_OPTIONS = {
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
    "init_command": "PRAGMA journal_mode=WAL;",
}

#: The ``transaction_mode`` values that take the write lock when a transaction begins.
WRITE_LOCK_MODES = frozenset({"IMMEDIATE", "EXCLUSIVE"})


def plaid_databases() -> list[str]:
    """The aliases of the databases dj-plaid's rows may be written to: those where the
    routers allow one of its models (``"default"`` without routers)."""
    models = list(apps.get_app_config("django_plaid").get_models())
    return [
        alias
        for alias in settings.DATABASES
        if any(router.allow_migrate_model(alias, model) for model in models)
    ]


def _vendor(engine: Any) -> str | None:
    # The backend's own vendor, so SpatiaLite and SQLite subclasses count as SQLite.
    try:
        return str(load_backend(engine).DatabaseWrapper.vendor)
    except Exception:  # a broken ENGINE is Django's own check's business
        return None


@register(Tags.compatibility, "django_plaid")
def check_sqlite_locking(
    app_configs: Sequence[Any] | None = None, **kwargs: Any
) -> list[CheckMessage]:
    """SQLite in its default (``DEFERRED``) mode fails concurrent writers at once.

    A transaction that reads, then writes, cannot take the write lock while another
    connection writes: SQLite answers "database is locked" without waiting. Requests,
    webhook deliveries and Celery workers write at once, so exchanges and drains fail.
    """
    messages: list[CheckMessage] = []
    for alias in plaid_databases():
        config = settings.DATABASES[alias]
        if _vendor(config.get("ENGINE")) != "sqlite":
            continue
        where = f"DATABASES[{alias!r}]"
        if django.VERSION < (5, 1):
            messages.append(
                Warning(
                    "dj-plaid writes to this SQLite database, and Django "
                    f"{django.get_version()} cannot make SQLite take the write lock when a "
                    "transaction begins: concurrent requests, webhooks and Celery workers "
                    'meet "database is locked".',
                    hint="Use PostgreSQL (SQLite is for development), or Django 5.1+ with "
                    f"OPTIONS = {SQLITE_OPTIONS!r}. See {DOCS_URL}#databases",
                    obj=where,
                    id="django_plaid.W005",
                )
            )
            continue
        mode = (config.get("OPTIONS") or {}).get("transaction_mode")
        if isinstance(mode, str) and mode.upper() in WRITE_LOCK_MODES:
            continue
        messages.append(
            Error(
                "dj-plaid writes to this SQLite database with transaction_mode "
                f"{mode or 'DEFERRED'!r}: a transaction that reads, then writes, fails at "
                'once with "database is locked" while another connection (a request, a '
                "webhook, a Celery worker) writes.",
                hint=f'Set {where}["OPTIONS"] = {SQLITE_OPTIONS!r}. SQLite is for '
                f"development; use PostgreSQL in production. See {DOCS_URL}#databases",
                obj=where,
                id="django_plaid.E012",
            )
        )
    return messages


def tasks_app() -> Any | None:
    """The Celery app dj-plaid's tasks are sent with, from any thread, without creating
    one: None when no app exists (Celery would create its fallback app for the first task).

    A host's ``Celery("mysite")`` is made the default app of every thread by Celery's
    Django fix-up (or ``app.set_default()``); ``current_app`` falls back to the thread's
    current app, then to Celery's own default.
    """
    from celery import _state

    return _state.default_app or getattr(_state._tls, "current_app", None)


def is_fallback_app(app: Any) -> bool:
    """Whether ``app`` is the app Celery creates when no other exists
    (``celery._state._get_current_app``): named ``"default"``, never set as current."""
    return getattr(app, "main", None) == "default" and not getattr(app, "set_as_current", True)


_CELERY_RECIPE = (
    'Add the project\'s celery.py (app = Celery("mysite"); '
    'app.config_from_object("django.conf:settings", namespace="CELERY"); '
    "app.autodiscover_tasks()) and import its app in the project's __init__.py. "
    f"See {DOCS_URL}#celery"
)


@register("django_plaid", "celery")
def check_celery_app(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """dj-plaid sends its work as Celery tasks, with the app that reads Django's settings."""
    app = tasks_app()
    if app is not None and not is_fallback_app(app):
        return []
    keys = sorted(key for key in dir(settings) if key.startswith("CELERY_"))
    if keys:
        shown = ", ".join(keys[:3]) + (", ..." if len(keys) > 3 else "")
        message = (
            f"The settings have {shown}, but no Celery app reads them: dj-plaid's tasks "
            "would go through Celery's fallback app, which ignores them (no eager tasks, "
            "no broker of yours: amqp://guest@localhost//)."
        )
    else:
        message = (
            "No Celery app is configured: dj-plaid's tasks would go through Celery's "
            "fallback app, to its default broker (amqp://guest@localhost//), and no worker "
            "of this project would run them."
        )
    return [
        Warning(
            message,
            hint=_CELERY_RECIPE + " (for development without a broker, with "
            "CELERY_TASK_ALWAYS_EAGER = True).",
            id="django_plaid.W006",
        )
    ]


#: How long W007 waits for the broker, in seconds: ``manage.py check`` must not hang.
BROKER_CHECK_TIMEOUT = 1.0


def broker_display_url(app: Any, connection: Any) -> str:
    """The broker URL (or URLs) the app writes to, passwords masked."""
    from kombu.utils.url import maybe_sanitize_url

    url = app.conf.broker_write_url or app.conf.broker_url
    if not url:
        return str(connection.as_uri())  # Celery's default broker; as_uri masks
    urls = url.split(";") if isinstance(url, str) else list(url)
    return ";".join(str(maybe_sanitize_url(u.strip())) for u in urls)


def broker_failure(app: Any, timeout: float = BROKER_CHECK_TIMEOUT) -> str | None:
    """Why ``app``'s broker cannot be reached within about ``timeout`` seconds, or None.

    The attempt runs in a thread joined with a deadline, so a transport that ignores
    its timeouts cannot hang the caller either.
    """
    connection = app.connection_for_write(
        connect_timeout=timeout,
        transport_options={
            "socket_connect_timeout": timeout,
            "socket_timeout": timeout,
            "max_retries": 0,
        },
    )
    outcome: list[BaseException | None] = []

    def connect() -> None:
        try:
            connection.ensure_connection(
                max_retries=1, interval_start=0, interval_step=0, timeout=timeout
            )
            outcome.append(None)
        except BaseException as e:  # reported to the caller
            outcome.append(e)
        finally:
            connection.release()

    attempt = threading.Thread(target=connect, name="django_plaid.checks.broker", daemon=True)
    attempt.start()
    attempt.join(timeout + 1)
    if not outcome:
        return f"no answer within {timeout:g} s"
    error = outcome[0]
    if error is None:
        return None
    if isinstance(error, ImportError):
        return f"its transport cannot be loaded ({type(error).__name__}: {error})"
    # kombu's messages name the host and port, not the password; masked all the same.
    return _masked(app, f"{type(error).__name__}: {error}")


def _masked(app: Any, text: str) -> str:
    """``text`` with the passwords of the app's broker URLs replaced by ``**``."""
    url = app.conf.broker_write_url or app.conf.broker_url or ""
    for part in url.split(";") if isinstance(url, str) else list(url):
        try:
            password = urlsplit(str(part).strip()).password
        except ValueError:
            continue
        if password:
            text = text.replace(unquote(password), "**").replace(password, "**")
    return text[:300]


@register("django_plaid", "celery")
def check_broker(app_configs: Sequence[Any] | None = None, **kwargs: Any) -> list[CheckMessage]:
    """Tasks that neither run eagerly nor reach a broker are lost: say so before a request
    needs one."""
    app = tasks_app()
    if app is None or is_fallback_app(app):
        return []  # W006 says it
    if app.conf.task_always_eager:
        return []
    try:
        connection = app.connection_for_write()
        if connection.transport_cls == "memory":
            return []  # in-process: nothing to reach
        failure = broker_failure(app)
        shown = broker_display_url(app, connection)
    except Exception as e:  # a broker URL kombu cannot even parse
        failure, shown = _masked(app, f"{type(e).__name__}: {e}"), "(unreadable URL)"
    if failure is None:
        return []
    return [
        Warning(
            f"Celery's broker {shown} cannot be reached "
            f"({failure}), and tasks do not run eagerly: dj-plaid's background work "
            "(syncs, webhook processing, product fetches) cannot be queued.",
            hint="Start the broker (and a worker: celery -A mysite worker -l info), or, for "
            "development without one, set CELERY_TASK_ALWAYS_EAGER = True. "
            f"See {DOCS_URL}#celery",
            obj=getattr(app, "main", None),
            id="django_plaid.W007",
        )
    ]
