"""The ``PLAID`` setting: defaults, and ``plaid_settings``, the one lazy accessor.

Every part of dj-plaid reads configuration as ``plaid_settings.KEY``; nothing else
reads ``django.conf.settings.PLAID``. Each key has a type: numbers come back as
``int`` or ``float`` and dotted paths (``IMPORT_STRINGS``) as the object they name, as
DRF's ``api_settings`` does, so callers never cast nor import. ``plaid_settings.raw()``
gives a value as the host wrote it (the system checks judge that). Values are read at
call time and the cache is dropped whenever Django's ``setting_changed`` fires, so
``override_settings(PLAID=...)`` takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed
from django.utils.module_loading import import_string
from django.views.decorators.debug import sensitive_variables

#: Every key of the ``PLAID`` dict and its default, in the order of docs/settings.md.
DEFAULTS: dict[str, Any] = {
    # Credentials (required).
    "CLIENT_ID": None,
    "SECRET": None,
    # Where Plaid is.
    "ENVIRONMENT": "sandbox",
    "HOST": None,
    "REQUEST_TIMEOUT": 30.0,
    # Link.
    "CLIENT_NAME": "",
    "PRODUCTS": ["transactions"],
    "COUNTRY_CODES": ["US"],
    "LANGUAGE": "en",
    "WEBHOOK_URL": None,
    "REDIRECT_URI": None,
    "ANDROID_PACKAGE_NAME": None,
    "VERIFY_LINK_SESSION": None,
    "LINK_SCRIPT_URL": None,
    "LINK_EVENT_MAX_AGE": 7_776_000,
    # Webhooks.
    "WEBHOOK_VERIFY": True,
    "WEBHOOK_MAX_AGE": 300,
    "WEBHOOK_MAX_BODY_BYTES": 262_144,
    "WEBHOOK_KEY_CACHE": "default",
    "WEBHOOK_KEY_RECHECK_SECONDS": 60,
    "WEBHOOK_KEY_FETCHES_PER_MINUTE": 5,
    "WEBHOOK_HANDLER_CLASS": "django_plaid.webhooks.handlers.WebhookHandler",
    # Sync and balances.
    "TRANSACTIONS_PAGE_SIZE": 500,
    "SYNC_LEASE_SECONDS": 60,
    "SYNC_STALE_AFTER": 21600,
    "BALANCE_MAX_AGE": 14400,
    "BALANCE_REFRESHES_PER_MINUTE": 5,
    # Other products.
    "ALLOWED_PRODUCTS": None,
    "PRODUCT_REFRESH_AFTER": 86400,
    "SENSITIVE_DATA_ACCESS": "django_plaid.products.masking.can_view_sensitive",
}

#: Keys whose value is a whole number (of seconds, bytes, calls...).
INTEGER_SETTINGS = frozenset(
    {
        "WEBHOOK_MAX_AGE",
        "WEBHOOK_MAX_BODY_BYTES",
        "WEBHOOK_KEY_RECHECK_SECONDS",
        "WEBHOOK_KEY_FETCHES_PER_MINUTE",
        "TRANSACTIONS_PAGE_SIZE",
        "SYNC_LEASE_SECONDS",
        "SYNC_STALE_AFTER",
        "BALANCE_MAX_AGE",
        "BALANCE_REFRESHES_PER_MINUTE",
        "PRODUCT_REFRESH_AFTER",
        "LINK_EVENT_MAX_AGE",
    }
)

#: Keys whose value is a number of seconds that may have a fraction.
FLOAT_SETTINGS = frozenset({"REQUEST_TIMEOUT"})

#: Keys whose value is a switch.
FLAG_SETTINGS = frozenset({"WEBHOOK_VERIFY"})

#: Keys whose value is a dotted path, read as the object it names.
IMPORT_STRINGS = frozenset({"WEBHOOK_HANDLER_CLASS", "SENSITIVE_DATA_ACCESS"})


def _convert(name: str) -> Callable[[Any], Any] | None:
    if name in INTEGER_SETTINGS:
        return int
    if name in FLOAT_SETTINGS:
        return float
    if name in FLAG_SETTINGS:
        return bool
    if name in IMPORT_STRINGS:
        return lambda value: import_string(value) if isinstance(value, str) else value
    return None


#: Plaid's environments and their hosts (plaid-python's ``plaid.Environment``).
ENVIRONMENTS: dict[str, str] = {
    "sandbox": "https://sandbox.plaid.com",
    "production": "https://production.plaid.com",
}

#: Plaid Link's web SDK on Plaid's CDN: what ``{% plaid_link_script %}`` loads by default.
PLAID_LINK_SCRIPT_URL = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"

#: Keys that existed in Plaid's own vocabulary but are gone, with what to do instead.
RETIRED_ENVIRONMENTS: dict[str, str] = {
    "development": (
        'Plaid retired the "development" environment in 2024: use "sandbox" for test '
        'data or "production" (free for a limited number of Items) for real banks.'
    ),
}


class PlaidSettings:
    """Typed attribute access to the ``PLAID`` dict, falling back to ``DEFAULTS``."""

    CLIENT_ID: str | None
    SECRET: str | None
    ENVIRONMENT: str
    HOST: str | None
    REQUEST_TIMEOUT: float
    CLIENT_NAME: str
    PRODUCTS: list[str]
    COUNTRY_CODES: list[str]
    LANGUAGE: str
    WEBHOOK_URL: str | None
    REDIRECT_URI: str | None
    ANDROID_PACKAGE_NAME: str | None
    VERIFY_LINK_SESSION: bool | None
    LINK_SCRIPT_URL: str | None
    LINK_EVENT_MAX_AGE: int
    WEBHOOK_VERIFY: bool
    WEBHOOK_MAX_AGE: int
    WEBHOOK_MAX_BODY_BYTES: int
    WEBHOOK_KEY_CACHE: str
    WEBHOOK_KEY_RECHECK_SECONDS: int
    WEBHOOK_KEY_FETCHES_PER_MINUTE: int
    WEBHOOK_HANDLER_CLASS: type[Any]
    TRANSACTIONS_PAGE_SIZE: int
    SYNC_LEASE_SECONDS: int
    SYNC_STALE_AFTER: int
    BALANCE_MAX_AGE: int
    BALANCE_REFRESHES_PER_MINUTE: int
    ALLOWED_PRODUCTS: list[str] | None
    PRODUCT_REFRESH_AFTER: int
    SENSITIVE_DATA_ACCESS: Callable[[Any], bool]

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        """The host project's ``PLAID`` dict as given (empty when unset or not a dict)."""
        value = getattr(settings, "PLAID", None)
        return value if isinstance(value, dict) else {}

    # The cache holds the keys and the secret: no error report shows these frames' locals.
    @sensitive_variables()
    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid PLAID setting: {name!r}")
        cache = self.__dict__["_cache"]
        if name not in cache:
            value = self.raw(name)
            convert = _convert(name)
            cache[name] = value if convert is None or value is None else convert(value)
        return cache[name]

    @sensitive_variables()
    def raw(self, name: str) -> Any:
        """The value of ``name`` as the host wrote it (or its default), unconverted."""
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid PLAID setting: {name!r}")
        return self.user_settings.get(name, DEFAULTS[name])

    def seconds(self, name: str) -> timedelta:
        """A setting that counts seconds, as a ``timedelta``."""
        return timedelta(seconds=getattr(self, name))

    @property
    def base_url(self) -> str:
        """The Plaid base URL requests go to: ``HOST`` if set, else the environment's."""
        host = self.HOST
        if host:
            return str(host).rstrip("/")
        return ENVIRONMENTS.get(self.ENVIRONMENT, ENVIRONMENTS["sandbox"])

    @property
    def link_script_url(self) -> str:
        """The Link script pages load: ``LINK_SCRIPT_URL`` if set, else Plaid's CDN."""
        return str(self.LINK_SCRIPT_URL or PLAID_LINK_SCRIPT_URL)

    @property
    def allowed_products(self) -> list[str]:
        """Products a link-token request may ask for: ``ALLOWED_PRODUCTS``, else ``PRODUCTS``."""
        allowed = self.ALLOWED_PRODUCTS
        return list(allowed if allowed is not None else self.PRODUCTS)

    def reload(self) -> None:
        """Forget cached values (called when ``settings.PLAID`` changes)."""
        self._cache.clear()


plaid_settings = PlaidSettings()


def _reload_plaid_settings(*, setting: str, **kwargs: Any) -> None:
    if setting == "PLAID":
        plaid_settings.reload()


setting_changed.connect(_reload_plaid_settings)
