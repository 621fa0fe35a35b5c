"""Plaid identifier and token formats (link/public/access tokens, item and account ids)."""

from __future__ import annotations

import hashlib
import re
import secrets
import string
import uuid
from datetime import datetime, timezone

__all__ = [
    "ENVIRONMENT",
    "access_token",
    "account_id",
    "format_datetime",
    "is_access_token",
    "is_link_token",
    "is_public_token",
    "is_user_token",
    "item_id",
    "link_session_id",
    "link_token",
    "parse_datetime",
    "public_token",
    "random_id",
    "request_id",
    "stable_id",
    "user_id",
    "user_token",
]

# The emulator always plays Plaid's Sandbox: tokens say so, as the real ones do, which lets
# the app's "wrong environment" checks see a realistic value.
ENVIRONMENT = "sandbox"

_ALPHANUMERIC = string.ascii_letters + string.digits
_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
_TOKEN_RE = {
    kind: re.compile(rf"^{kind}-{ENVIRONMENT}-{_UUID}$")
    for kind in ("link", "public", "access", "user")
}


def random_id(length: int = 37) -> str:
    """Return a random case-sensitive alphanumeric id (Plaid's item/account/transaction ids)."""
    return "".join(secrets.choice(_ALPHANUMERIC) for _ in range(length))


def item_id() -> str:
    """Return a new 37-character item_id."""
    return random_id(37)


def account_id() -> str:
    """Return a new 37-character account_id."""
    return random_id(37)


def request_id() -> str:
    """Return a new 15-character request_id."""
    return random_id(15)


def stable_id(seed: str, length: int = 37) -> str:
    """Return an alphanumeric id derived from ``seed``: the same seed, the same id.

    For things Plaid identifies the same way for every client (security ids) and for
    generated data that must not change between calls (document ids).
    """
    number = int.from_bytes(hashlib.sha256(seed.encode()).digest(), "big")
    chars = []
    for _ in range(length):
        number, index = divmod(number, len(_ALPHANUMERIC))
        chars.append(_ALPHANUMERIC[index])
    return "".join(chars)


def user_id() -> str:
    """Return a new ``usr_<alnum>`` user id (``/user/create``)."""
    return "usr_" + random_id(14)


def user_token() -> str:
    """Return a new ``user-sandbox-<uuid4>`` user token (``/user/create``)."""
    return _token("user")


def link_session_id() -> str:
    """Return a new Link session id (a UUID, as Link reports it in onSuccess metadata)."""
    return str(uuid.uuid4())


def _token(kind: str) -> str:
    return f"{kind}-{ENVIRONMENT}-{uuid.uuid4()}"


def link_token() -> str:
    """Return a new ``link-sandbox-<uuid4>`` token."""
    return _token("link")


def public_token() -> str:
    """Return a new ``public-sandbox-<uuid4>`` token."""
    return _token("public")


def access_token() -> str:
    """Return a new ``access-sandbox-<uuid4>`` token."""
    return _token("access")


def is_link_token(value: str) -> bool:
    """Tell whether ``value`` is shaped like a sandbox link token."""
    return bool(_TOKEN_RE["link"].match(value))


def is_public_token(value: str) -> bool:
    """Tell whether ``value`` is shaped like a sandbox public token."""
    return bool(_TOKEN_RE["public"].match(value))


def is_access_token(value: str) -> bool:
    """Tell whether ``value`` is shaped like a sandbox access token."""
    return bool(_TOKEN_RE["access"].match(value))


def is_user_token(value: str) -> bool:
    """Tell whether ``value`` is shaped like a sandbox user token."""
    return bool(_TOKEN_RE["user"].match(value))


def format_datetime(value: datetime) -> str:
    """Render a datetime the way Plaid does: UTC, second precision, ``Z`` suffix."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_datetime(value: str) -> datetime:
    """Parse an ISO-8601 datetime (``Z`` or offset; naive means UTC); raise ValueError."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00").replace("z", "+00:00"))
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed
