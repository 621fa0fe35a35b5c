"""Request-body field readers that raise Plaid's MISSING_FIELDS / INVALID_FIELD errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from .errors import PlaidErrorResponse
from .ids import parse_datetime

__all__ = [
    "get_bool",
    "get_date",
    "get_datetime",
    "get_int",
    "get_number",
    "get_object",
    "get_str",
    "get_str_list",
    "invalid_field",
    "require",
]

_ABSENT = object()


def _lookup(body: Mapping[str, Any], path: str) -> Any:
    """Return the value at a dotted path, or ``_ABSENT``; a non-object parent is invalid."""
    node: Any = body
    walked: list[str] = []
    for part in path.split("."):
        if node is None:
            return _ABSENT
        if not isinstance(node, Mapping):
            raise invalid_field(".".join(walked), "must be an object")
        walked.append(part)
        node = node.get(part, _ABSENT)
        if node is _ABSENT:
            return _ABSENT
    return node


def _present(value: Any) -> bool:
    # Plaid treats an explicit null like an absent key for required fields.
    return value is not _ABSENT and value is not None


def invalid_field(path: str, problem: str) -> PlaidErrorResponse:
    """Build an INVALID_FIELD error for ``path``."""
    return PlaidErrorResponse("INVALID_FIELD", f"{path} {problem}")


def require(body: Mapping[str, Any], *paths: str) -> None:
    """Raise MISSING_FIELDS naming every absent (or null) dotted path, all at once."""
    missing = [path for path in paths if not _present(_lookup(body, path))]
    if missing:
        raise PlaidErrorResponse(
            "MISSING_FIELDS",
            "the following required fields are missing: " + ", ".join(missing),
        )


def get_str(
    body: Mapping[str, Any],
    path: str,
    *,
    required: bool = False,
    allow_empty: bool = False,
    choices: Iterable[str] | None = None,
) -> str | None:
    """Return a string field (None when absent and optional)."""
    value = _lookup(body, path)
    if not _present(value):
        if required:
            require(body, path)
        return None
    if not isinstance(value, str):
        raise invalid_field(path, "must be a string")
    if not value and not allow_empty:
        raise invalid_field(path, "must be a non-empty string")
    if choices is not None:
        allowed = sorted(choices)
        if value not in allowed:
            raise invalid_field(path, "must be one of " + ", ".join(allowed))
    return value


def get_bool(body: Mapping[str, Any], path: str, *, default: bool = False) -> bool:
    """Return a boolean field, or ``default`` when absent."""
    value = _lookup(body, path)
    if not _present(value):
        return default
    if not isinstance(value, bool):
        raise invalid_field(path, "must be a boolean")
    return value


def get_int(
    body: Mapping[str, Any],
    path: str,
    *,
    default: int | None = None,
    minimum: int | None = None,
    maximum: int | None = None,
) -> int | None:
    """Return an integer field within bounds, or ``default`` when absent."""
    value = _lookup(body, path)
    if not _present(value):
        return default
    # bool is an int subclass in Python but not an integer in JSON.
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid_field(path, "must be an integer")
    if minimum is not None and value < minimum:
        raise invalid_field(path, f"must be at least {minimum}")
    if maximum is not None and value > maximum:
        raise invalid_field(path, f"must be at most {maximum}")
    return value


def get_datetime(body: Mapping[str, Any], path: str) -> datetime | None:
    """Return an ISO-8601 datetime field as an aware datetime, or None when absent."""
    value = _lookup(body, path)
    if not _present(value):
        return None
    if not isinstance(value, str):
        raise invalid_field(path, "must be an ISO-8601 datetime string")
    try:
        return parse_datetime(value)
    except ValueError:
        raise invalid_field(path, "must be an ISO-8601 datetime string") from None


def get_date(body: Mapping[str, Any], path: str, *, required: bool = False) -> date | None:
    """Return a ``YYYY-MM-DD`` date field, or None when absent and optional."""
    value = _lookup(body, path)
    if not _present(value):
        if required:
            require(body, path)
        return None
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            pass
    raise invalid_field(path, "must be a date in YYYY-MM-DD format")


def get_number(body: Mapping[str, Any], path: str, *, required: bool = False) -> float | None:
    """Return a numeric field as a float (None when absent and optional)."""
    value = _lookup(body, path)
    if not _present(value):
        if required:
            require(body, path)
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise invalid_field(path, "must be a number")
    return float(value)


def get_str_list(
    body: Mapping[str, Any],
    path: str,
    *,
    required: bool = False,
    min_items: int = 0,
) -> list[str] | None:
    """Return a list-of-strings field (None when absent and optional)."""
    value = _lookup(body, path)
    if not _present(value):
        if required:
            require(body, path)
        return None
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise invalid_field(path, "must be an array of strings")
    if len(value) < min_items:
        raise invalid_field(path, f"must contain at least {min_items} item(s)")
    return list(value)


def get_object(body: Mapping[str, Any], path: str) -> dict[str, Any]:
    """Return an object field, or an empty dict when absent."""
    value = _lookup(body, path)
    if not _present(value):
        return {}
    if not isinstance(value, dict):
        raise invalid_field(path, "must be an object")
    return value
