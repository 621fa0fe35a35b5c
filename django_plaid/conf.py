"""The ``PLAID`` setting: defaults, and ``plaid_settings``, the one lazy accessor.

Every part of dj-plaid reads configuration as ``plaid_settings.KEY``; nothing else
reads ``django.conf.settings.PLAID``. Values are read at call time and the cache is
dropped whenever Django's ``setting_changed`` fires, so ``override_settings(PLAID=...)``
takes effect at once.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

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

#: Plaid's environments and their hosts (plaid-python's ``plaid.Environment``).
ENVIRONMENTS: dict[str, str] = {
    "sandbox": "https://sandbox.plaid.com",
    "production": "https://production.plaid.com",
}

#: Keys that existed in Plaid's own vocabulary but are gone, with what to do instead.
RETIRED_ENVIRONMENTS: dict[str, str] = {
    "development": (
        'Plaid retired the "development" environment in 2024: use "sandbox" for test '
        'data or "production" (free for a limited number of Items) for real banks.'
    ),
}


class PlaidSettings:
    """Attribute access to the ``PLAID`` dict, falling back to ``DEFAULTS``."""

    def __init__(self) -> None:
        self._cache: dict[str, Any] = {}

    @property
    def user_settings(self) -> dict[str, Any]:
        """The host project's ``PLAID`` dict as given (empty when unset or not a dict)."""
        value = getattr(settings, "PLAID", None)
        return value if isinstance(value, dict) else {}

    def __getattr__(self, name: str) -> Any:
        if name not in DEFAULTS:
            raise AttributeError(f"Invalid PLAID setting: {name!r}")
        cache = self.__dict__["_cache"]
        if name not in cache:
            cache[name] = self.user_settings.get(name, DEFAULTS[name])
        return cache[name]

    @property
    def base_url(self) -> str:
        """The Plaid base URL requests go to: ``HOST`` if set, else the environment's."""
        host = self.HOST
        if host:
            return str(host).rstrip("/")
        return ENVIRONMENTS.get(self.ENVIRONMENT, ENVIRONMENTS["sandbox"])

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
