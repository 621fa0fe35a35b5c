"""Sign webhooks the way Plaid does, for tests: ES256 keys, their JWKs and the JWT header.

Plaid signs each webhook with an EC P-256 key and sends the JWT in ``Plaid-Verification``;
receivers fetch the public key (a JWK) from ``/webhook_verification_key/get`` by the JWT's
``kid``. These helpers produce both halves without running the emulator::

    key = WebhookSigningKey.generate()
    body = webhook_body({"webhook_type": "ITEM", "webhook_code": "ERROR", ...})
    headers = {"Plaid-Verification": sign_webhook(body, key)}
    # ... and make /webhook_verification_key/get return key.jwk() for key.kid

The code lives in the emulator (``django_plaid.emulator.signing``), which signs its own
deliveries with it; importing it needs neither Django nor werkzeug, only PyJWT and
cryptography (dj-plaid's own dependencies).
"""

from __future__ import annotations

from django_plaid.emulator.signing import WebhookSigningKey, sign_webhook, webhook_body

__all__ = ["WebhookSigningKey", "sign_webhook", "webhook_body"]
