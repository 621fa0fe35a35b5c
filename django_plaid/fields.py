"""Model fields that keep secrets (access tokens, account numbers, PII) encrypted at rest.

The ciphertext is a Fernet token under ``settings.FIELD_ENCRYPTION_KEY`` (one key, or a
list with the newest first for rotation: ``MultiFernet``), the same setting and format as
django-encrypted-model-fields, so data written by either can be read by the other.

Unlike that package, the key is read lazily (importing the models never needs it, so
a missing key is reported by a system check with a hint instead of an import error),
``override_settings`` is honoured, and a value that cannot be decrypted raises instead of
silently handing the ciphertext back as if it were the token.
"""

from __future__ import annotations

import json
import threading
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.core.signals import setting_changed
from django.db import models
from django.views.decorators.debug import sensitive_variables

from .exceptions import PlaidConfigurationError

_lock = threading.Lock()
_crypter: MultiFernet | None = None


def get_crypter() -> MultiFernet:
    """The ``MultiFernet`` built from ``settings.FIELD_ENCRYPTION_KEY``."""
    global _crypter
    with _lock:
        if _crypter is None:
            _crypter = build_crypter(getattr(settings, "FIELD_ENCRYPTION_KEY", None))
        return _crypter


@sensitive_variables()
def build_crypter(configured: Any) -> MultiFernet:
    """Validate a ``FIELD_ENCRYPTION_KEY`` value and build its ``MultiFernet``."""
    if not configured:
        raise PlaidConfigurationError(
            "settings.FIELD_ENCRYPTION_KEY must be set to store Plaid tokens and bank data; "
            "make one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    keys = configured if isinstance(configured, (list, tuple)) else [configured]
    try:
        return MultiFernet([Fernet(key) for key in keys])
    except (ValueError, TypeError) as e:
        raise PlaidConfigurationError(
            "settings.FIELD_ENCRYPTION_KEY must be a url-safe base64 Fernet key "
            f"(32 bytes), or a list of them: {type(e).__name__}"
        ) from None


def _reset_crypter(*, setting: str, **kwargs: Any) -> None:
    global _crypter
    if setting == "FIELD_ENCRYPTION_KEY":
        with _lock:
            _crypter = None


setting_changed.connect(_reset_crypter)


class SensitiveSaveMixin:
    """For models with encrypted fields: a failing ``save()`` reports none of their values.

    Django's ``save()`` frames hold each field's clear value (the update's ``values``,
    the insert's objects) until the SQL is built, and its error reports show every frame's
    locals. Wrapping ``save()`` in ``sensitive_variables`` hides the locals of all the
    frames below it in those reports.
    """

    @sensitive_variables()
    def save(self, *args: Any, **kwargs: Any) -> None:
        super().save(*args, **kwargs)  # type: ignore[misc]


class EncryptedTextField(models.TextField):
    """A ``TextField`` stored as Fernet ciphertext and decrypted on load."""

    @sensitive_variables("value")
    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value = super().get_db_prep_save(value, connection)
        if value is None or value == "":
            return value
        return get_crypter().encrypt(str(value).encode("utf-8")).decode("ascii")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            return get_crypter().decrypt(value.encode("ascii")).decode("utf-8")
        except (InvalidToken, UnicodeError):
            raise PlaidConfigurationError(
                f"Could not decrypt {self.model.__name__}.{self.name}: "
                "settings.FIELD_ENCRYPTION_KEY does not hold the key it was written with."
            ) from None


class EncryptedJSONField(models.TextField):
    """JSON kept as Fernet ciphertext (account numbers, identity data, pay stubs).

    Stored as encrypted text, so the database can neither read nor query inside it.
    """

    # For django-stubs: the attribute holds JSON values, not the column's text.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    @sensitive_variables("value", "text")
    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        if value is None:
            return None
        text = json.dumps(value, separators=(",", ":"), cls=DjangoJSONEncoder)
        return get_crypter().encrypt(text.encode("utf-8")).decode("ascii")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        try:
            return json.loads(get_crypter().decrypt(value.encode("ascii")))
        except (InvalidToken, UnicodeError, ValueError):
            raise PlaidConfigurationError(
                f"Could not decrypt {self.model.__name__}.{self.name}: "
                "settings.FIELD_ENCRYPTION_KEY does not hold the key it was written with."
            ) from None

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)
