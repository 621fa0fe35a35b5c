"""Verification of Plaid's ``Plaid-Verification`` JWT, exactly as Plaid documents it.

1. The header is a JWT whose ``alg`` must be ES256 (never ``none``, never HMAC).
2. Its ``kid`` names a key fetched through ``/webhook_verification_key/get`` and kept in
   Django's cache; a key whose ``expired_at`` is set is refused. A cached key is asked
   about again once it is ``WEBHOOK_KEY_RECHECK_SECONDS`` old, so a key Plaid rotated out
   stops verifying within that time, in every process. Key ids Plaid has not confirmed
   are looked up at most ``WEBHOOK_KEY_FETCHES_PER_MINUTE`` times a minute.
3. The signature is checked with that key (PyJWT and cryptography, no crypto by hand).
4. ``iat`` must be a number of seconds at most ``WEBHOOK_MAX_AGE`` old and not in the
   future.
5. ``request_body_sha256`` must equal the SHA-256 of the raw body, compared in constant time.

:func:`delivery_fingerprint` then names the signed delivery, so a replay is refused.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import math
import re
import threading
import time
from typing import Any

import jwt
from django.core.cache import caches
from jwt.utils import base64url_decode

from ..client import get_client
from ..conf import plaid_settings
from ..exceptions import PlaidAPIError, PlaidWebhookVerificationError

logger = logging.getLogger("django_plaid.webhooks")

#: How long a fetched key stays in the cache at all. It is re-checked with Plaid much
#: sooner (``WEBHOOK_KEY_RECHECK_SECONDS``); this only bounds the cache's memory.
KEY_CACHE_SECONDS = 86400
#: How long "Plaid does not know this kid" is remembered, so a flood of forged tokens
#: with one made-up kid costs one call to Plaid, not one per request.
UNKNOWN_KEY_CACHE_SECONDS = 60
#: The window that ``WEBHOOK_KEY_FETCHES_PER_MINUTE`` counts key lookups in.
FETCH_WINDOW_SECONDS = 60
#: Seconds of clock skew tolerated for an ``iat`` in the future.
FUTURE_IAT_LEEWAY = 5
#: Plaid's key ids are UUIDs; anything else is refused before any call to Plaid.
KID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,64}")
#: The order of the P-256 group: an ECDSA signature (r, s) also verifies as (r, n - s).
P256_ORDER = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551

_UNKNOWN = "unknown"
_fetch_locks: dict[str, threading.Lock] = {}
_fetch_locks_guard = threading.Lock()


def verify_webhook(body: bytes, header: str | None, *, now: float | None = None) -> dict[str, Any]:
    """Verify a delivery's ``Plaid-Verification`` header against its raw ``body``.

    Returns the JWT claims, or raises
    :class:`~django_plaid.exceptions.PlaidWebhookVerificationError` with a short reason.
    """
    if not header:
        raise PlaidWebhookVerificationError("missing_header", "No Plaid-Verification header.")
    try:
        jwt_header = jwt.get_unverified_header(header)
    except jwt.PyJWTError:
        raise PlaidWebhookVerificationError("malformed_jwt", "The JWT cannot be parsed.") from None
    # Pinning the algorithm defeats `alg: none` and HS256-with-the-public-key forgeries.
    if jwt_header.get("alg") != "ES256":
        raise PlaidWebhookVerificationError("bad_algorithm", "The JWT is not signed with ES256.")
    kid = jwt_header.get("kid")
    if not isinstance(kid, str) or not KID_PATTERN.fullmatch(kid):
        raise PlaidWebhookVerificationError("bad_kid", "The JWT has no valid key id.")

    key = get_verification_key(kid)
    if key.expired:
        raise PlaidWebhookVerificationError("expired_key", "The JWT's key has been rotated out.")
    if key.public_key is None:
        raise PlaidWebhookVerificationError("bad_key", "Plaid's key for the JWT cannot be used.")
    try:
        claims = jwt.decode(
            header,
            key=key.public_key,
            algorithms=["ES256"],
            # iat is checked below: PyJWT lets a numeric string through to a comparison.
            options={"require": ["iat"], "verify_iat": False, "verify_aud": False},
        )
    except jwt.PyJWTError:
        raise PlaidWebhookVerificationError(
            "bad_signature", "The JWT signature is invalid."
        ) from None

    now = time.time() if now is None else now
    iat = claims["iat"]
    if isinstance(iat, bool) or not isinstance(iat, (int, float)) or not math.isfinite(iat):
        raise PlaidWebhookVerificationError("bad_iat", "The JWT's iat is not a time in seconds.")
    if now - iat > plaid_settings.WEBHOOK_MAX_AGE:
        raise PlaidWebhookVerificationError("stale", "The JWT is older than WEBHOOK_MAX_AGE.")
    if iat > now + FUTURE_IAT_LEEWAY:
        raise PlaidWebhookVerificationError("future_iat", "The JWT is issued in the future.")

    claimed = claims.get("request_body_sha256")
    actual = hashlib.sha256(body).hexdigest()
    # Constant time, so the comparison leaks nothing about how much of the hash matched.
    if not isinstance(claimed, str) or not hmac.compare_digest(claimed, actual):
        raise PlaidWebhookVerificationError("body_mismatch", "The body does not match the JWT.")
    return claims


def delivery_fingerprint(header: str) -> str:
    """The SHA-256 (hex) that names one signed delivery, for a JWT that verified.

    Plaid signs every delivery attempt anew (ECDSA signatures are randomised), so two
    deliveries with the same fingerprint are one delivery sent twice. The fingerprint
    covers the signed part as sent and the signature as numbers, with ``s`` in its low
    form: re-encoding the signature (padding, ``(r, n - s)``) gives no new delivery.
    """
    signing_input, _, signature = header.encode("utf-8").rpartition(b".")
    raw = base64url_decode(signature)
    half = len(raw) // 2
    r, s = raw[:half], int.from_bytes(raw[half:], "big")
    low_s = min(s, P256_ORDER - s).to_bytes(half, "big")
    return hashlib.sha256(signing_input + b"." + r + low_s).hexdigest()


def _cache() -> Any:
    return caches[plaid_settings.WEBHOOK_KEY_CACHE]


# v2: entries carry when Plaid was last asked (entries of earlier versions are ignored).
def _cache_key(kid: str) -> str:
    return f"django_plaid:webhook_key:v2:{plaid_settings.ENVIRONMENT}:{kid}"


def _index_key() -> str:
    return f"django_plaid:webhook_keys:v2:{plaid_settings.ENVIRONMENT}"


def _budget_key(window: int) -> str:
    return f"django_plaid:webhook_key_fetches:{plaid_settings.ENVIRONMENT}:{window}"


class VerificationKey:
    """A JWK from Plaid, parsed once into a public key, and when Plaid was asked for it."""

    def __init__(self, jwk: dict[str, Any], checked_at: float) -> None:
        self.jwk = jwk
        self.checked_at = checked_at
        self.expired = jwk.get("expired_at") is not None
        # Building the key object costs more than a cache hit; see _parsed_keys.
        try:
            self.public_key: Any = jwt.PyJWK(jwk, algorithm="ES256").key
        except (jwt.PyJWTError, ValueError, TypeError):
            self.public_key = None  # refused as bad_key when used; re-fetched like any key

    def is_current(self, now: float) -> bool:
        """Whether this cached answer may be used without asking Plaid again."""
        # Rotated out is final. A current key is trusted for the recheck interval only,
        # so a rotation reaches every process within it (a clock far off counts as old).
        return self.expired or abs(now - self.checked_at) < float(
            plaid_settings.WEBHOOK_KEY_RECHECK_SECONDS
        )


#: Parsed keys by their cached text. The shared cache stays the source of truth: the text
#: is read from it for every delivery, and each fetch writes a new text (``checked_at``),
#: so a parsed key is never used longer than its cache entry says.
_parsed_keys: dict[str, VerificationKey] = {}


def _parse(text: str) -> VerificationKey | str:
    """The cached entry ``text`` as a key, or ``_UNKNOWN``."""
    if text == _UNKNOWN:
        return _UNKNOWN
    parsed = _parsed_keys.get(text)
    if parsed is None:
        try:
            entry = json.loads(text)
            parsed = VerificationKey(dict(entry["jwk"]), float(entry["checked_at"]))
        except (ValueError, TypeError, KeyError):
            parsed = VerificationKey({}, 0.0)  # unreadable: stale, so fetched again
        if len(_parsed_keys) > 100:
            _parsed_keys.clear()
        _parsed_keys[text] = parsed
    return parsed


def _usable(text: Any, now: float) -> VerificationKey | str | None:
    """The cached entry if it may be used now, else None (Plaid must be asked)."""
    if not isinstance(text, str):
        return None
    parsed = _parse(text)
    if isinstance(parsed, VerificationKey) and not parsed.is_current(now):
        return None
    return parsed


def get_verification_key(kid: str) -> VerificationKey:
    """The key for ``kid``: from the cache while current, else fetched from Plaid."""
    cache = _cache()
    found = _usable(cache.get(_cache_key(kid)), time.time())
    if found is None:
        # One fetch per kid at a time in this process: a burst of deliveries signed
        # with a new key waits for the first one's fetch instead of each calling Plaid.
        with _fetch_lock(kid):
            found = _usable(cache.get(_cache_key(kid)), time.time())
            if found is None:
                found = _parse(_fetch_once_across_processes(kid))
    if not isinstance(found, VerificationKey):
        raise PlaidWebhookVerificationError("unknown_kid", "Plaid does not know the JWT's key.")
    return found


def _fetch_lock(kid: str) -> threading.Lock:
    with _fetch_locks_guard:
        if len(_fetch_locks) > 1000:
            _fetch_locks.clear()
        return _fetch_locks.setdefault(kid, threading.Lock())


def _fetch_once_across_processes(kid: str) -> str:
    # Other worker processes share the cache: the first takes a short lock and
    # fetches, the others wait for its result (and fetch themselves only if it fails).
    cache = _cache()
    lock_key = _cache_key(kid) + ":lock"
    if cache.add(lock_key, "1", 10):
        try:
            return _fetch_and_store(kid)
        finally:
            cache.delete(lock_key)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        time.sleep(0.05)
        text = cache.get(_cache_key(kid))
        if _usable(text, time.time()) is not None:
            return str(text)
    return _fetch_and_store(kid)


def _fetch(kid: str) -> dict[str, Any] | None:
    try:
        return dict(get_client().call("webhook_verification_key_get", key_id=kid)["key"])
    except PlaidAPIError as e:
        if e.error_code == "INVALID_WEBHOOK_VERIFICATION_KEY_ID":
            return None
        logger.warning("Could not fetch webhook key %s: %s", kid, e.error_code)
        raise PlaidWebhookVerificationError(
            "key_unavailable", "The verification key could not be fetched."
        ) from None


def _entry(jwk: dict[str, Any]) -> str:
    return json.dumps({"jwk": jwk, "checked_at": time.time()})


def _take_fetch_budget() -> bool:
    """Count one lookup of an unconfirmed kid; False when this window's budget is spent."""
    cache = _cache()
    key = _budget_key(int(time.time() // FETCH_WINDOW_SECONDS))
    # add + incr: atomic in Redis, Memcached and LocMemCache, so concurrent lookups
    # (threads, or processes sharing the cache) cannot both take the last unit.
    cache.add(key, 0, FETCH_WINDOW_SECONDS * 2)
    try:
        used = cache.incr(key)
    except ValueError:  # evicted between add and incr
        cache.set(key, 1, FETCH_WINDOW_SECONDS * 2)
        used = 1
    return int(used) <= plaid_settings.WEBHOOK_KEY_FETCHES_PER_MINUTE


def _fetch_and_store(kid: str) -> str:
    cache = _cache()
    previous = cache.get(_cache_key(kid))
    listed = list(cache.get(_index_key()) or [])
    known_kids = [k for k in listed if k != kid]
    # A kid Plaid confirmed before (cached, or listed) is re-checked freely: an attacker
    # cannot make up such kids. Any other kid spends the budget, so a flood of made-up
    # kids reaches Plaid a few times a minute, not once per request.
    known = (isinstance(previous, str) and previous != _UNKNOWN) or kid in listed
    if not known and not _take_fetch_budget():
        raise PlaidWebhookVerificationError(
            "key_fetch_limited", "Too many unknown key ids were looked up; try again later."
        )
    jwk = _fetch(kid)
    if jwk is None:
        cache.set(_cache_key(kid), _UNKNOWN, UNKNOWN_KEY_CACHE_SECONDS)
        return _UNKNOWN
    value = _entry(jwk)
    cache.set(_cache_key(kid), value, KEY_CACHE_SECONDS)
    if not known:
        # A new kid usually means a rotation: refresh the other keys still believed
        # current, so a rotated-out key is refused from now on, not only at its next
        # recheck (Plaid's reference does this).
        for other in known_kids:
            current = cache.get(_cache_key(other))
            parsed = _parse(current) if isinstance(current, str) else None
            if isinstance(parsed, VerificationKey) and not parsed.expired:
                try:
                    refreshed = _fetch(other)
                except PlaidWebhookVerificationError:
                    continue  # best effort: it must not refuse a delivery signed with `kid`
                if refreshed is not None:
                    cache.set(_cache_key(other), _entry(refreshed), KEY_CACHE_SECONDS)
    if kid not in listed:
        # Listed kids stay outside the lookup budget even after their entry is evicted.
        cache.set(_index_key(), [*known_kids[-19:], kid], KEY_CACHE_SECONDS)
    return value
