"""Model fields that keep secrets (access tokens, account numbers, PII) encrypted at rest.

The ciphertext is a Fernet token under ``settings.FIELD_ENCRYPTION_KEY`` (one key, or a
list with the newest first for rotation: ``MultiFernet``), the same setting and format as
django-encrypted-model-fields, so data written by either can be read by the other (the
test suite proves it both ways with that package installed).

These fields are not built on that package's: its module builds the key when it is
imported (so a missing key would be an import error of dj-plaid's models, before any
system check could report it), it keeps that key for the life of the process (so
``override_settings`` and rotation need a restart), and it hands back the ciphertext as if
it were the value when decryption fails. Here the key is read lazily, ``override_settings``
is honoured, and a value that cannot be decrypted raises an error naming the field.

:func:`reencrypt` serves key rotation (``manage.py plaid_reencrypt``).
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
#: (all keys, the first key) from the current setting; reset when the setting changes.
_crypters: tuple[MultiFernet, Fernet] | None = None


def _get_crypters() -> tuple[MultiFernet, Fernet]:
    global _crypters
    with _lock:
        if _crypters is None:
            fernets = build_fernets(getattr(settings, "FIELD_ENCRYPTION_KEY", None))
            _crypters = (MultiFernet(fernets), fernets[0])
        return _crypters


def get_crypter() -> MultiFernet:
    """The ``MultiFernet`` built from ``settings.FIELD_ENCRYPTION_KEY``."""
    return _get_crypters()[0]


@sensitive_variables()
def build_crypter(configured: Any) -> MultiFernet:
    """Validate a ``FIELD_ENCRYPTION_KEY`` value and build its ``MultiFernet``."""
    return MultiFernet(build_fernets(configured))


def build_fernets(configured: Any) -> list[Fernet]:
    """Validate a ``FIELD_ENCRYPTION_KEY`` value: its ``Fernet`` keys, the first one first."""
    if not configured:
        raise PlaidConfigurationError(
            "settings.FIELD_ENCRYPTION_KEY must be set to store Plaid tokens and bank data; "
            "make one with `python -c 'from cryptography.fernet import Fernet; "
            "print(Fernet.generate_key().decode())'`."
        )
    keys = configured if isinstance(configured, (list, tuple)) else [configured]
    try:
        return [Fernet(key) for key in keys]
    except (ValueError, TypeError) as e:
        raise PlaidConfigurationError(
            "settings.FIELD_ENCRYPTION_KEY must be a url-safe base64 Fernet key "
            f"(32 bytes), or a list of them: {type(e).__name__}"
        ) from None


class Ciphertext(models.Value):
    """A value already encrypted under ``FIELD_ENCRYPTION_KEY``, written to an encrypted
    column as is: ``.update(access_token=Ciphertext(reencrypt(...)))``."""

    def __init__(self, ciphertext: str) -> None:
        super().__init__(ciphertext, output_field=models.TextField())


def _plain_or_sql(value: Any) -> tuple[Any, bool]:
    """(value, is_sql) for what an encrypted field is asked to save.

    A ``Value`` holds a plain value: it is encrypted like any other. ``Ciphertext`` and
    other expressions (``F("column")``...) are SQL: written as they are.
    """
    if isinstance(value, Ciphertext):
        return value, True
    if isinstance(value, models.Value):
        return value.value, False
    return value, hasattr(value, "as_sql")


def reencrypt(ciphertext: str) -> str | None:
    """``ciphertext`` encrypted again under the first key, or ``None`` if it already is.

    The plain value never leaves ``cryptography`` (``MultiFernet.rotate``). Raises
    ``InvalidToken`` when no listed key can decrypt it.
    """
    crypter, first = _get_crypters()
    token = ciphertext.encode("ascii")
    try:
        first.decrypt(token)
    except InvalidToken:
        return crypter.rotate(token).decode("ascii")
    return None


def _undecryptable(field: models.Field[Any, Any], why: str) -> PlaidConfigurationError:
    # Names the field only: never the ciphertext, never any part of the plain value.
    return PlaidConfigurationError(f"Could not decrypt {field.model.__name__}.{field.name}: {why}")


_WRONG_KEY = "settings.FIELD_ENCRYPTION_KEY does not hold the key it was written with."
_NOT_FERNET = "the column does not hold a Fernet token (written in clear, or damaged)."


def _reset_crypter(*, setting: str, **kwargs: Any) -> None:
    global _crypters
    if setting == "FIELD_ENCRYPTION_KEY":
        with _lock:
            _crypters = None


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
        value, is_sql = _plain_or_sql(value)
        if is_sql:
            return value
        value = super().get_db_prep_save(value, connection)
        if value is None or value == "":
            return value
        return get_crypter().encrypt(str(value).encode("utf-8")).decode("ascii")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return value
        try:
            token = value.encode("ascii")
        except UnicodeError:
            raise _undecryptable(self, _NOT_FERNET) from None
        try:
            return get_crypter().decrypt(token).decode("utf-8")
        except InvalidToken:
            raise _undecryptable(self, _WRONG_KEY) from None
        except UnicodeError:
            raise _undecryptable(self, "the decrypted value is not UTF-8 text.") from None


class EncryptedJSONField(models.TextField):
    """JSON kept as Fernet ciphertext (account numbers, identity data, pay stubs).

    Stored as encrypted text, so the database can neither read nor query inside it.
    """

    # For django-stubs: the attribute holds JSON values, not the column's text.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    @sensitive_variables("value", "text")
    def get_db_prep_save(self, value: Any, connection: Any) -> Any:
        value, is_sql = _plain_or_sql(value)
        if is_sql:
            return value
        if value is None:
            return None
        text = json.dumps(value, separators=(",", ":"), cls=DjangoJSONEncoder)
        return get_crypter().encrypt(text.encode("utf-8")).decode("ascii")

    def from_db_value(self, value: Any, expression: Any, connection: Any) -> Any:
        if value is None or value == "":
            return None
        try:
            token = value.encode("ascii")
        except UnicodeError:
            raise _undecryptable(self, _NOT_FERNET) from None
        try:
            text = get_crypter().decrypt(token)
        except InvalidToken:
            raise _undecryptable(self, _WRONG_KEY) from None
        try:
            return json.loads(text)
        except ValueError:  # UnicodeDecodeError is one
            raise _undecryptable(self, "the decrypted value is not JSON.") from None

    def to_python(self, value: Any) -> Any:
        return value

    def value_to_string(self, obj: Any) -> str:
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)
