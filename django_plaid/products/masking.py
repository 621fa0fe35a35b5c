"""Masking of sensitive data (account numbers, identity, pay stubs) and who may see it unmasked.

By default every API response and admin page shows these values masked. A host opts in,
per request, with the permission ``django_plaid.view_unmasked_numbers``, or replaces the
policy with ``PLAID["SENSITIVE_DATA_ACCESS"]``: the dotted path of a function
``(request) -> bool``.
"""

from __future__ import annotations

from typing import Any

from django.utils.module_loading import import_string

from ..conf import plaid_settings

#: Keys whose values are masked wherever they appear in a product's data.
SENSITIVE_KEYS = frozenset(
    {
        "account",
        "account_number",
        "routing",
        "wire_routing",
        "iban",
        "bic",
        "sort_code",
        "branch",
        "institution",
        "names",
        "name",
        "first_name",
        "last_name",
        "middle_name",
        "full_name",
        "emails",
        "phone_numbers",
        "addresses",
        "street",
        "postal_code",
        "ssn",
        "taxpayer_id",
        "ein",
        "employer_id_number",
        "employer_state_id_number",
        "payment_reference_number",
        "data",
    }
)

#: Keys that look sensitive by name but are not personal in the objects that carry them.
_PLAIN_UNDER = {"document_metadata": {"name"}, "securities": {"name"}}


def can_view_sensitive(request: Any) -> bool:
    """The default policy: users with ``django_plaid.view_unmasked_numbers`` see clear values."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.has_perm("django_plaid.view_unmasked_numbers"))


def sensitive_visible(request: Any) -> bool:
    """Whether ``request`` may see sensitive values unmasked (``SENSITIVE_DATA_ACCESS``)."""
    policy = import_string(plaid_settings.SENSITIVE_DATA_ACCESS)
    return bool(policy(request))


def mask_value(value: Any) -> Any:
    """Mask one value: keep the last 4 characters of numbers, the first letter of words."""
    if value is None or isinstance(value, bool):
        return value
    if isinstance(value, (int, float)):
        return "••••"
    text = str(value)
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) >= len(text.replace(" ", "").replace("-", "")) / 2:
        return "••••" + digits[-4:] if len(digits) > 4 else "••••"
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}•••@{domain}"
    return " ".join(f"{word[:1]}•••" for word in text.split()) or "•••"


def mask(data: Any, *, parent: str = "") -> Any:
    """Mask every sensitive value in a Plaid object (dicts and lists, recursively)."""
    if isinstance(data, list):
        return [mask(entry, parent=parent) for entry in data]
    if not isinstance(data, dict):
        return data
    plain = _PLAIN_UNDER.get(parent, set())
    masked: dict[str, Any] = {}
    for key, value in data.items():
        if key in SENSITIVE_KEYS and key not in plain:
            masked[key] = _mask_all(value)
        else:
            masked[key] = mask(value, parent=key)
    return masked


def _mask_all(value: Any) -> Any:
    if isinstance(value, list):
        return [_mask_all(entry) for entry in value]
    if isinstance(value, dict):
        # Types and flags say nothing about the person; the values do.
        return {
            k: v if k in ("type", "primary", "kind", "document_type") else _mask_all(v)
            for k, v in value.items()
        }
    return mask_value(value)


def last4(value: Any) -> str:
    """The last four characters of a number, for the clear ``*_mask`` columns."""
    return str(value or "")[-4:]
