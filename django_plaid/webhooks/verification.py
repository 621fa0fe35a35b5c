"""Verification of Plaid's ``Plaid-Verification`` JWT, exactly as Plaid documents it.

1. The header is a JWT whose ``alg`` must be ES256 (never ``none``, never HMAC).
2. Its ``kid`` names a key fetched through ``/webhook_verification_key/get`` and kept in
   Django's cache; a key whose ``expired_at`` is set is refused.
3. The signature is checked with that key (PyJWT and cryptography, no crypto by hand).
4. ``iat`` must be at most ``PLAID["WEBHOOK_MAX_AGE"]`` seconds old and not in the future.
5. ``request_body_sha256`` must equal the SHA-256 of the raw body, compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import re
import threading
import time
from typing import Any

import jwt
from django.core.cache import caches

from ..client import get_client
from ..conf import plaid_settings
from ..exceptions import PlaidAPIError, PlaidWebhookVerificationError

logger = logging.getLogger("django_plaid.webhooks")

#: How long a fetched key is trusted before it is fetched again (rotation shows up as
#: ``expired_at`` on the old key).
KEY_CACHE_SECONDS = 3600
#: How long "Plaid does not know this kid" is remembered, so a flood of forged tokens
#: with one made-up kid costs one call to Plaid, not one per request.
UNKNOWN_KEY_CACHE_SECONDS = 60
#: Seconds of clock skew tolerated for an ``iat`` in the future.
FUTURE_IAT_LEEWAY = 5
#: Plaid's key ids are UUIDs; anything else is refused before any call to Plaid.
KID_PATTERN = re.compile(r"[A-Za-z0-9-]{1,64}")

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

    cached = get_verification_key(kid)
    if cached.expired:
        raise PlaidWebhookVerificationError("expired_key", "The JWT's key has been rotated out.")
    try:
        claims = jwt.decode(
            header,
            key=cached.public_key,
            algorithms=["ES256"],
            options={"require": ["iat"], "verify_aud": False},
            leeway=FUTURE_IAT_LEEWAY,
        )
    except jwt.ImmatureSignatureError:
        raise PlaidWebhookVerificationError(
            "future_iat", "The JWT is issued in the future."
        ) from None
    except jwt.PyJWTError:
        raise PlaidWebhookVerificationError(
            "bad_signature", "The JWT signature is invalid."
        ) from None

    now = time.time() if now is None else now
    iat = claims["iat"]
    if now - iat > int(plaid_settings.WEBHOOK_MAX_AGE):
        raise PlaidWebhookVerificationError("stale", "The JWT is older than WEBHOOK_MAX_AGE.")
    if iat > now + FUTURE_IAT_LEEWAY:
        raise PlaidWebhookVerificationError("future_iat", "The JWT is issued in the future.")

    claimed = claims.get("request_body_sha256")
    actual = hashlib.sha256(body).hexdigest()
    # Constant time, so the comparison leaks nothing about how much of the hash matched.
    if not isinstance(claimed, str) or not hmac.compare_digest(claimed, actual):
        raise PlaidWebhookVerificationError("body_mismatch", "The body does not match the JWT.")
    return claims


def _cache() -> Any:
    return caches[plaid_settings.WEBHOOK_KEY_CACHE]


def _cache_key(kid: str) -> str:
    return f"django_plaid:webhook_key:{plaid_settings.ENVIRONMENT}:{kid}"


def _index_key() -> str:
    return f"django_plaid:webhook_keys:{plaid_settings.ENVIRONMENT}"


class VerificationKey:
    """A JWK from Plaid, parsed once into a public key."""

    def __init__(self, jwk: dict[str, Any]) -> None:
        self.jwk = jwk
        self.expired = jwk.get("expired_at") is not None
        # Building the key object costs more than a cache hit; see _parsed_keys.
        self.public_key = jwt.PyJWK(jwk, algorithm="ES256").key


#: Parsed keys by their cached JSON text: the shared cache stays the source of truth
#: (rotation changes the text), this only skips parsing the same text again.
_parsed_keys: dict[str, VerificationKey] = {}


def get_verification_key(kid: str) -> VerificationKey:
    """The key for ``kid``: from the cache, else fetched once from Plaid."""
    cache = _cache()
    cached = cache.get(_cache_key(kid))
    if cached is None:
        # One fetch per kid at a time in this process: a burst of deliveries signed
        # with a new key waits for the first one's fetch instead of each calling Plaid.
        with _fetch_lock(kid):
            cached = cache.get(_cache_key(kid))
            if cached is None:
                cached = _fetch_once_across_processes(kid)
    if cached == _UNKNOWN:
        raise PlaidWebhookVerificationError("unknown_kid", "Plaid does not know the JWT's key.")
    parsed = _parsed_keys.get(cached)
    if parsed is None:
        try:
            parsed = VerificationKey(json.loads(cached))
        except (ValueError, jwt.PyJWTError):
            raise PlaidWebhookVerificationError(
                "bad_key", "Plaid's key for the JWT cannot be used."
            ) from None
        if len(_parsed_keys) > 100:
            _parsed_keys.clear()
        _parsed_keys[cached] = parsed
    return parsed


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
        cached = cache.get(_cache_key(kid))
        if cached is not None:
            return str(cached)
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


def _fetch_and_store(kid: str) -> str:
    cache = _cache()
    jwk = _fetch(kid)
    if jwk is None:
        cache.set(_cache_key(kid), _UNKNOWN, UNKNOWN_KEY_CACHE_SECONDS)
        return _UNKNOWN
    value = json.dumps(jwk)
    cache.set(_cache_key(kid), value, KEY_CACHE_SECONDS)
    # A new kid usually means a rotation: refresh the other keys still believed
    # current, so a rotated-out key is refused from now on (Plaid's reference does this).
    known = [k for k in (cache.get(_index_key()) or []) if k != kid]
    for other in known:
        current = cache.get(_cache_key(other))
        if current and current != _UNKNOWN and json.loads(current).get("expired_at") is None:
            try:
                refreshed = _fetch(other)
            except PlaidWebhookVerificationError:
                continue  # best effort: it must not refuse a delivery signed with `kid`
            if refreshed is not None:
                cache.set(_cache_key(other), json.dumps(refreshed), KEY_CACHE_SECONDS)
    cache.set(_index_key(), [*known[-20:], kid], KEY_CACHE_SECONDS)
    return value
