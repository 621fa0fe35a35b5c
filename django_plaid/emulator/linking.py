"""What Link does between "user picks a bank" and onSuccess: credentials, products, the Item.

``link_item`` makes a bank Item (``microdeposits_good`` at Houndstooth Bank with Auth makes
an automated micro-deposits Item, pending verification); ``link_payroll_item`` makes a
user's payroll Item for Income (``products`` with ``income_verification``) and sends
``INCOME``/``INCOME_VERIFICATION``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from .data import Institution, get_institution
from .errors import PlaidErrorResponse, error_for_code
from .income import INCOME_PRODUCTS
from .notifications import notify_income_verification
from .records import Item
from .state import EmulatorState

__all__ = [
    "DEFAULT_PASSWORD",
    "DEFAULT_USERNAME",
    "MICRODEPOSITS_INSTITUTION_ID",
    "MICRODEPOSITS_PASSWORD",
    "SANDBOX_USERNAMES",
    "check_credentials",
    "check_products",
    "is_income_link",
    "link_item",
    "link_payroll_item",
    "resolve_institution",
]

DEFAULT_USERNAME = "user_good"
DEFAULT_PASSWORD = "pass_good"
#: The automated micro-deposits flow: this password at Houndstooth Bank, with ``auth``.
MICRODEPOSITS_PASSWORD = "microdeposits_good"
MICRODEPOSITS_INSTITUTION_ID = "ins_109512"

#: Sandbox personas that accept any non-blank password. They all get ``user_good``'s
#: accounts for now; later phases give them their own data.
SANDBOX_USERNAMES = frozenset(
    {
        "user_transactions_dynamic",
        "user_ewa_user",
        "user_yuppie",
        "user_small_business",
        "user_bank_income",
        "user_credit_bonus",
        "user_credit_joint_account",
        "user_credit_profile_excellent",
        "user_credit_profile_good",
        "user_credit_profile_poor",
    }
)

_ERROR_PASSWORD = re.compile(r"^error_([A-Z][A-Z0-9_]*)$")
# Passwords that make Plaid's sandbox ask for MFA or micro-deposits; the emulator has no UI,
# so it treats the challenge as answered correctly.
_GOOD_PASSWORDS = re.compile(
    r"^(pass_good|mfa_device|mfa_questions_\d+_\d+|mfa_selections(_\d+)*)$"
)
_GOOD_PASSWORDS_EXTRA = frozenset({"microdeposits_good", "credential_good"})


def check_credentials(username: str, password: str) -> None:
    """Accept or reject sandbox credentials; ``error_<CODE>`` passwords raise that error."""
    match = _ERROR_PASSWORD.match(password)
    if match:
        raise error_for_code(match.group(1))
    if username == DEFAULT_USERNAME:
        if _GOOD_PASSWORDS.match(password) or password in _GOOD_PASSWORDS_EXTRA:
            return
        raise PlaidErrorResponse("INVALID_CREDENTIALS")
    if username in SANDBOX_USERNAMES and password.strip():
        return
    raise PlaidErrorResponse("INVALID_CREDENTIALS")


def resolve_institution(institution_id: str) -> Institution:
    """Return a linkable sandbox institution, or raise INVALID_INSTITUTION / its Link error."""
    institution = get_institution(institution_id)
    if institution is None:
        raise PlaidErrorResponse("INVALID_INSTITUTION")
    if institution.link_error:
        raise PlaidErrorResponse(institution.link_error)
    return institution


def check_products(institution: Institution, products: Iterable[str]) -> None:
    """Raise PRODUCTS_NOT_SUPPORTED when the institution lacks a requested product."""
    missing = sorted(set(products) - set(institution.products))
    if missing:
        raise PlaidErrorResponse(
            "PRODUCTS_NOT_SUPPORTED",
            "the following products are not supported by this institution: " + ", ".join(missing),
        )


def link_item(
    state: EmulatorState,
    *,
    institution_id: str,
    products: Iterable[str],
    username: str,
    password: str,
    webhook: str | None = None,
    client_user_id: str | None = None,
    account_filters: Mapping[str, Any] | None = None,
    days_requested: int = 90,
) -> Item:
    """Log in at a sandbox institution and create the Item, as a successful Link would."""
    institution = resolve_institution(institution_id)
    products = sorted(set(products))
    check_products(institution, products)
    check_credentials(username, password)
    return state.create_item(
        institution.institution_id,
        products,
        webhook=webhook,
        username=username,
        client_user_id=client_user_id,
        account_filters=account_filters,
        days_requested=days_requested,
        automated_microdeposits=(
            password == MICRODEPOSITS_PASSWORD
            and institution.institution_id == MICRODEPOSITS_INSTITUTION_ID
            and "auth" in products
        ),
    )


def is_income_link(products: Iterable[str]) -> bool:
    """Whether a Link session with these products makes a payroll Item (not a bank Item)."""
    return "income_verification" in set(products)


def link_payroll_item(
    state: EmulatorState,
    *,
    user_id: str | None,
    products: Iterable[str],
    username: str,
    password: str,
    institution_id: str | None = None,
    webhook: str | None = None,
    income_source_types: Iterable[str] | None = None,
) -> Item:
    """Log in at a payroll provider and create the user's payroll Item; send INCOME webhook.

    Needs the user from ``/user/create`` (MISSING_FIELDS without one). Only payroll income
    is emulated: ``income_source_types`` without ``payroll`` (bank income) is
    INVALID_FIELD, as are products other than income_verification and employment.
    """
    if user_id is None:
        raise PlaidErrorResponse(
            "MISSING_FIELDS",
            "the following required fields are missing: user_token (or user_id); "
            "income_verification needs a user from /user/create",
        )
    extra = sorted(set(products) - INCOME_PRODUCTS)
    if extra:
        raise PlaidErrorResponse(
            "INVALID_FIELD",
            "income_verification (payroll) cannot be combined with these products in the "
            "emulator: " + ", ".join(extra),
        )
    sources = list(income_source_types) if income_source_types is not None else ["payroll"]
    if "payroll" not in sources:
        raise PlaidErrorResponse(
            "INVALID_FIELD",
            "income_verification.income_source_types: the emulator only emulates payroll "
            "income; include payroll",
        )
    check_credentials(username, password)
    item = state.create_payroll_item(
        user_id,
        institution_id=institution_id,
        products=products,
        webhook=webhook,
        username=username,
    )
    notify_income_verification(state, item)
    return item
