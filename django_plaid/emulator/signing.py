"""Webhook signing as Plaid does it: ES256 keys, their JWKs and the ``Plaid-Verification`` JWT.

Plaid signs each webhook with an EC P-256 key and sends the JWT in ``Plaid-Verification``;
receivers fetch the public key (a JWK) from ``/webhook_verification_key/get`` by the JWT's
``kid``. The emulator's ``webhooks.WebhookKeyStore`` signs its deliveries with these, and
``django_plaid.testing.webhooks`` re-exports them for tests that sign without an emulator::

    key = WebhookSigningKey.generate()
    body = webhook_body({"webhook_type": "ITEM", "webhook_code": "ERROR", ...})
    headers = {"Plaid-Verification": sign_webhook(body, key)}
    # ... and make /webhook_verification_key/get return key.jwk() for key.kid

Needs only PyJWT and cryptography (dj-plaid's own dependencies): no Django, no werkzeug.
"""

from __future__ import annotations

import base64
import hashlib
import json
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["WebhookSigningKey", "sign_webhook", "webhook_body"]


def _b64url_coordinate(value: int) -> str:
    # JWK coordinates are the 32-byte big-endian integers, base64url without padding.
    return base64.urlsafe_b64encode(value.to_bytes(32, "big")).rstrip(b"=").decode("ascii")


@dataclass
class WebhookSigningKey:
    """One ES256 (EC P-256) webhook signing key, identified by ``kid`` (a UUID4 string).

    ``kid`` may be reassigned, e.g. to forge a token that claims another key's id.
    """

    kid: str
    private_key: ec.EllipticCurvePrivateKey = field(repr=False)
    #: Unix time the key was made, as the JWK's ``created_at`` reports it.
    created_at: int

    @classmethod
    def generate(
        cls, *, kid: str | None = None, created_at: int | None = None
    ) -> WebhookSigningKey:
        """Make a fresh key pair (a new UUID4 ``kid`` and ``created_at`` = now by default)."""
        return cls(
            kid=kid or str(uuid.uuid4()),
            private_key=ec.generate_private_key(ec.SECP256R1()),
            created_at=int(time.time()) if created_at is None else created_at,
        )

    @property
    def public_key(self) -> ec.EllipticCurvePublicKey:
        """The public half, which verifies this key's signatures."""
        return self.private_key.public_key()

    def jwk(self, expired_at: int | None = None) -> dict[str, Any]:
        """Render the public key as ``/webhook_verification_key/get`` returns it.

        ``expired_at`` (unix time) marks a rotated-out key; receivers must refuse it.
        """
        numbers = self.public_key.public_numbers()
        return {
            "alg": "ES256",
            "crv": "P-256",
            "kid": self.kid,
            "kty": "EC",
            "use": "sig",
            "x": _b64url_coordinate(numbers.x),
            "y": _b64url_coordinate(numbers.y),
            "created_at": self.created_at,
            "expired_at": expired_at,
        }

    def sign(self, body: bytes, *, iat: int | None = None) -> str:
        """Shorthand for ``sign_webhook(body, self, iat=iat)``."""
        return sign_webhook(body, self, iat=iat)


def webhook_body(payload: Mapping[str, Any]) -> bytes:
    """Serialize a payload exactly as Plaid sends it: JSON pretty-printed with 2 spaces.

    The signature covers these bytes, so a receiver must hash the raw body, never a
    re-serialization.
    """
    return json.dumps(payload, indent=2).encode()


def sign_webhook(body: bytes, key: WebhookSigningKey, *, iat: int | None = None) -> str:
    """Return the ``Plaid-Verification`` JWT for ``body``, signed with ``key``.

    Claims: ``iat`` (unix seconds; now unless given, e.g. an old value to test replay
    protection) and ``request_body_sha256`` (lower-case hex SHA-256 of ``body``). The
    header carries ``alg: ES256``, ``kid`` and ``typ: JWT``.
    """
    claims = {
        "iat": int(time.time()) if iat is None else int(iat),
        "request_body_sha256": hashlib.sha256(body).hexdigest(),
    }
    return jwt.encode(claims, key.private_key, algorithm="ES256", headers={"kid": key.kid})
