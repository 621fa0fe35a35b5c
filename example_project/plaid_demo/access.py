"""The example project's policy for sensitive product data (``SENSITIVE_DATA_ACCESS``)."""

from __future__ import annotations

from typing import Any


def masked_for_everyone(request: Any) -> bool:
    """Nobody sees account numbers, identity or payroll data in clear through the API.

    The demo's user is a superuser, whom the default policy would show clear values; the
    page shows what a client should: masks such as ``••••0000``. A host that starts
    transfers would allow a service account instead (docs/products.md#seeing-clear-values).
    """
    return False
