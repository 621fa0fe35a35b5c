"""A separate verifying process with its own per-process cache, for multi-process tests.

Run as ``python -m tests.webhooks.verifier_process`` with ``DJ_PLAID_TEST_PLAID`` naming
the emulator. Reads one JSON line per delivery (``{"body": ..., "token": ...}``) and
answers one line each: ``{"ok": true}`` or ``{"reason": "<refusal reason>"}``.
"""

from __future__ import annotations

import json
import os
import sys


def main() -> None:
    """Verify deliveries from stdin, one per line, as a web worker process would."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "tests.settings")
    import django

    django.setup()
    from django_plaid.exceptions import PlaidWebhookVerificationError
    from django_plaid.webhooks.verification import verify_webhook

    print(json.dumps({"ready": True}), flush=True)
    for line in sys.stdin:
        request = json.loads(line)
        try:
            verify_webhook(request["body"].encode(), request["token"])
        except PlaidWebhookVerificationError as e:
            answer: dict[str, object] = {"reason": e.reason}
        else:
            answer = {"ok": True}
        print(json.dumps(answer), flush=True)


if __name__ == "__main__":
    main()
