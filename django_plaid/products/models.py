"""Compatibility module: the products' models, now in ``django_plaid.models``, re-exported."""

from __future__ import annotations

from ..models import (
    AccountOwner,
    AuthNumbers,
    Holding,
    InvestmentTransaction,
    Liability,
    LiabilityKind,
    PayrollIncome,
    PlaidUser,
    Security,
)
from ..models.base import OwnedByAccountQuerySet as OwnedByAccountQuerySet

__all__ = [
    "AccountOwner",
    "AuthNumbers",
    "Holding",
    "InvestmentTransaction",
    "Liability",
    "LiabilityKind",
    "PayrollIncome",
    "PlaidUser",
    "Security",
]
