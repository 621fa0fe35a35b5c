"""Plaid's JSON values as Python values: amounts as ``Decimal``, ``YYYY-MM-DD`` dates."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from django.utils.dateparse import parse_date


def money(value: Any) -> Decimal | None:
    """An amount Plaid may leave out (``null``) as a ``Decimal``, or None."""
    # Through str(): Decimal(0.1) would carry the float's binary noise.
    return None if value is None else Decimal(str(value))


def required_money(value: Any) -> Decimal:
    """An amount Plaid must send; a missing or malformed one is an error."""
    return Decimal(str(value))


def optional_date(value: Any) -> date | None:
    """A ``YYYY-MM-DD`` Plaid may leave out, or None."""
    return parse_date(value) if value else None


def required_date(value: str) -> date:
    """Plaid's ``YYYY-MM-DD``; a date Plaid must send, so a bad one is an error."""
    parsed = parse_date(value)
    if parsed is None:
        raise ValueError(f"not a date: {value!r}")
    return parsed
