"""One validation layer for everything a client sends to dj-plaid's REST API.

Every dj-plaid view gets it through :class:`ValidatedRequestMixin`, before its handler runs:

- **Bodies** are parsed by :class:`PlaidJSONParser` (or as a flat form): a JSON object, at most
  :data:`MAX_JSON_DEPTH` levels deep, with finite numbers and no lone surrogates. Every
  ``POST`` and ``DELETE`` body is parsed, even by actions that take none, so a malformed
  one answers 400 everywhere.
- **Ids in the path** (``item_id``, ``account_id``, ``transaction_id``) are checked like
  the model field they are looked up in (its ``max_length``, no NUL or control characters).
- **Query parameters** of a list are validated by the view's ``filter_class`` serializer
  (ids, dates, booleans), and the view reads them from ``self.filters``.
- Django's refusals of the request itself (a body over ``DATA_UPLOAD_MAX_MEMORY_SIZE``, a
  query string over ``DATA_UPLOAD_MAX_NUMBER_FIELDS``) answer JSON too, not an HTML page.

Malformed input answers 400 (413 for a body too large) in DRF's shape: a field's or
parameter's name mapped to its messages, or ``{"detail": "..."}`` for the request as a
whole. An id that is well formed but unknown answers 404.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.db import models
from rest_framework import exceptions, serializers, status
from rest_framework.parsers import BaseParser, FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from ..models import Account, Item, Transaction
from ..models.base import MoneyField

#: Bodies nested deeper than this are refused; Link's metadata needs four levels.
MAX_JSON_DEPTH = 32


def max_length(model: type[models.Model], field: str) -> int:
    """The ``max_length`` of a model's field: input is checked against what can be stored."""
    length = model._meta.get_field(field).max_length  # type: ignore[union-attr]
    assert length is not None, f"{model.__name__}.{field} has no max_length"
    return int(length)


def _is_clean_text(value: str) -> bool:
    # Control characters, NUL included (PostgreSQL refuses NUL in text), and lone
    # surrogates (no encoder writes them).
    return not any(
        ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 or 0xD800 <= ord(c) <= 0xDFFF for c in value
    )


def _has_lone_surrogate(value: str) -> bool:
    try:
        value.encode("utf-8")  # at C speed; only a lone surrogate cannot be encoded
    except UnicodeEncodeError:
        return True
    return False


class StrictCharField(serializers.CharField):
    """A string, and only a string: ``123`` or ``true`` is refused, not turned into text.

    DRF's own ``CharField`` also refuses NUL and lone surrogates.
    """

    def to_internal_value(self, data: Any) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return super().to_internal_value(data)


class TextField(StrictCharField):
    """A string of free text (a name): no control characters, at most ``max_length``."""

    default_error_messages = {"control": "Control characters are not allowed."}

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not _is_clean_text(value):
            self.fail("control")
        return value


class IdField(StrictCharField):
    """An id or token from Plaid: printable, without spaces, at most ``max_length``."""

    default_error_messages = {"id": "Not a valid id: no spaces or control characters."}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        value = super().to_internal_value(data)
        if not value.isprintable() or " " in value:
            self.fail("id")
        return value


def item_id_field(**kwargs: Any) -> IdField:
    """An ``item_id``, as long as :attr:`Item.item_id` can store."""
    return IdField(max_length=max_length(Item, "item_id"), **kwargs)


def account_id_field(**kwargs: Any) -> IdField:
    """An ``account_id``, as long as :attr:`Account.account_id` can store."""
    return IdField(max_length=max_length(Account, "account_id"), **kwargs)


#: The ids dj-plaid's URLs take, each checked against the model field it is looked up in.
PATH_IDS: dict[str, tuple[type[models.Model], str]] = {
    "item_id": (Item, "item_id"),
    "account_id": (Account, "account_id"),
    "transaction_id": (Transaction, "transaction_id"),
}


def validate_path_ids(kwargs: Mapping[str, Any]) -> None:
    """Raise a 400 ``ValidationError`` if an id in the URL is malformed."""
    errors: dict[str, list[str]] = {}
    for name, value in kwargs.items():
        if name not in PATH_IDS:
            continue
        model, field = PATH_IDS[name]
        try:
            IdField(max_length=max_length(model, field)).run_validation(value)
        except serializers.ValidationError as error:
            errors[name] = list(error.detail)  # type: ignore[arg-type]
    if errors:
        raise serializers.ValidationError(errors)


class ItemFilters(serializers.Serializer):
    """``?item_id=``: only the rows of one Item."""

    item_id = item_id_field(required=False)


class AccountFilters(ItemFilters):
    """``?item_id=``, ``?account_id=``: only the rows of one Item, or one Account."""

    account_id = account_id_field(required=False)


class DatedFilters(AccountFilters):
    """The account filters, and ``?start_date=``, ``?end_date=`` (inclusive, ``YYYY-MM-DD``)."""

    start_date = serializers.DateField(required=False, input_formats=["iso-8601"])
    end_date = serializers.DateField(required=False, input_formats=["iso-8601"])

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and start > end:
            raise serializers.ValidationError({"end_date": ["Must not be before start_date."]})
        return attrs


class RequestTooLarge(exceptions.APIException):
    """413: the body is over Django's ``DATA_UPLOAD_MAX_MEMORY_SIZE``."""

    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "request_too_large"


class PlaidJSONParser(JSONParser):
    """JSON bodies, refusing what DRF's ``JSONParser`` lets through or fails on.

    Refused with a 400 ``ParseError``: a top level that is not an object, nesting deeper
    than :data:`MAX_JSON_DEPTH` (DRF's parser answers a 500 ``RecursionError``), ``NaN``
    and ``Infinity`` and numbers too large for a float (``1e999``), lone surrogates
    (``"\\ud800"``) in strings or keys, and bytes that are not the declared charset.
    """

    # A subclass of DRF's JSONParser: DRF then reads the body through Django's
    # ``request.body``, which enforces DATA_UPLOAD_MAX_MEMORY_SIZE.

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        charset = dict(_media_params(media_type)).get("charset") or "utf-8"
        raw = stream.read()
        try:
            text = raw.decode(charset)
        except (LookupError, UnicodeDecodeError):
            raise exceptions.ParseError(f"The body is not valid {charset} text.") from None
        try:
            data = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
        except RecursionError:
            raise exceptions.ParseError(_too_deep()) from None
        except ValueError as error:
            raise exceptions.ParseError(f"JSON parse error - {error}") from None
        if not isinstance(data, dict):
            raise exceptions.ParseError("The body must be a JSON object.")
        if _too_deep_text(text):
            raise exceptions.ParseError(_too_deep())
        # Only an escape can make a surrogate (the bytes were decoded strictly), and
        # json.loads joins the pairs: what is left after it is a lone one.
        if _SURROGATE_ESCAPE.search(text) and _lone_surrogate_in(data):
            raise exceptions.ParseError(
                "JSON strings must not contain lone surrogates (\\ud800 to \\udfff)."
            )
        return data


def _media_params(media_type: str | None) -> list[tuple[str, str]]:
    params = []
    for part in (media_type or "").split(";")[1:]:
        key, _, value = part.partition("=")
        params.append((key.strip().lower(), value.strip().strip('"')))
    return params


def _too_deep() -> str:
    return f"JSON nested too deeply: at most {MAX_JSON_DEPTH} levels."


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise ValueError(f"number out of range: {text[:20]}")
    return value


#: JSON strings (the text is valid JSON by now), brackets, innermost pairs of brackets.
_STRINGS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"')
_NOT_BRACKETS = re.compile(r"[^\[\]{}]+")
_INNERMOST = re.compile(r"\[\]|\{\}")
#: The escape of a surrogate (paired or not): ``\ud800`` to ``\udfff``.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _too_deep_text(text: str) -> bool:
    # Each pass of the regex (C speed) removes one level of nesting, everywhere at once.
    brackets = _NOT_BRACKETS.sub("", _STRINGS.sub("", text))
    for _ in range(MAX_JSON_DEPTH):
        if not brackets:
            return False
        brackets = _INNERMOST.sub("", brackets)
    return bool(brackets)


def _lone_surrogate_in(data: Any) -> bool:
    # Iterative, so a deep body cannot exhaust the stack here either.
    stack = [data]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            stack.extend(node.keys())
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
        elif isinstance(node, str) and _has_lone_surrogate(node):
            return True
    return False


class ValidatedRequestMixin:
    """Checks a request's path ids, query parameters and body before the handler runs.

    A view sets ``filter_class`` to validate its list's query parameters; the handler
    reads them from ``self.filters``.
    """

    # JSON, and the flat forms DRF takes by default (its test client's default format,
    # HTML forms): their fields cannot nest, and each is validated like JSON's.
    parser_classes: Sequence[type[BaseParser]] = (PlaidJSONParser, FormParser, MultiPartParser)
    filter_class: type[serializers.Serializer] | None = None
    filters: dict[str, Any]

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Authentication and permissions first: an anonymous caller learns nothing here.
        super().initial(request, *args, **kwargs)  # type: ignore[misc]
        validate_path_ids(kwargs)
        self.filters = {}
        if self.filter_class is not None and getattr(self, "action", "list") == "list":
            params = self.filter_class(data=request.query_params)
            params.is_valid(raise_exception=True)
            self.filters = dict(params.validated_data)
        method = (request.method or "").lower()
        if method in ("post", "put", "patch", "delete") and hasattr(self, method):
            # Parsed now, even where the action takes no body: a malformed one is a 400
            # everywhere, never ignored by one endpoint and refused by another.
            request.data  # noqa: B018

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RequestDataTooBig):
            limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
            exc = RequestTooLarge(f"The body is too large: at most {limit} bytes.")
        elif isinstance(exc, TooManyFieldsSent):
            limit = settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
            exc = exceptions.ParseError(f"Too many parameters: at most {limit}.")
        return super().handle_exception(exc)  # type: ignore[misc]


__all__ = [
    "MAX_JSON_DEPTH",
    "AccountFilters",
    "DatedFilters",
    "IdField",
    "ItemFilters",
    "PlaidJSONParser",
    "StrictCharField",
    "TextField",
    "ValidatedRequestMixin",
    "account_id_field",
    "item_id_field",
    "max_length",
    "validate_path_ids",
]


class AmountField(serializers.DecimalField):
    """An amount as the API shows it: a JSON number with the models' precision
    (``MoneyField``: 28 digits, 10 after the point), never a string."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", MoneyField.MAX_DIGITS)
        kwargs.setdefault("decimal_places", MoneyField.DECIMAL_PLACES)
        kwargs.setdefault("coerce_to_string", False)
        super().__init__(**kwargs)
