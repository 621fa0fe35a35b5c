"""Auth data: which accounts have numbers, their verification, and the numbers themselves.

``/auth/get`` serves the Item's *auth accounts*: depository checking, savings and cash
management accounts (Plaid's rule). Their numbers depend on the institution's country:

* US: ``numbers.ach`` with Plaid's sandbox routing number ``011401533``, wire routing
  ``021000021`` and account number ``111122223333`` + the account's mask (Plaid Checking
  ``1111222233330000``, Plaid Saving ``1111222233331111``, Plaid Cash Management
  ``1111222233339002``), ``can_transfer_in``/``can_transfer_out`` true.
* Canada (ins_43): ``numbers.eft``, institution ``021``, branch ``01140``, account
  ``11112222`` + mask.
* UK (ins_116834, ins_117181, ins_117650): ``numbers.bacs`` (sort code ``601613``, account
  ``3192`` + mask) and ``numbers.international`` (an IBAN with valid check digits, BIC
  ``NWBKGB2L``).

The other arrays are always present and empty. An account's ``verification_status``
(None for instant auth) decides whether its numbers are served: ``pending_*`` statuses
make ``/auth/get`` answer PRODUCT_NOT_READY when no account has numbers yet,
``verification_expired``/``verification_failed`` accounts never get numbers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .data import Institution
    from .records import Account

__all__ = [
    "ACH_ROUTING",
    "AUTH_SUBTYPES",
    "PENDING_VERIFICATION",
    "SETTABLE_VERIFICATION_STATUSES",
    "UNUSABLE_VERIFICATION",
    "WIRE_ROUTING",
    "has_numbers",
    "iban",
    "is_auth_account",
    "numbers_for",
]

#: Plaid's sandbox ACH and wire routing numbers (the same at every US sandbox bank).
ACH_ROUTING = "011401533"
WIRE_ROUTING = "021000021"
#: Account subtypes Auth returns numbers for.
AUTH_SUBTYPES = frozenset({"checking", "savings", "cash management"})
#: Verification states that mean "numbers not known yet".
PENDING_VERIFICATION = frozenset({"pending_automatic_verification", "pending_manual_verification"})
#: Verification states that mean "no numbers, ever".
UNUSABLE_VERIFICATION = frozenset({"verification_expired", "verification_failed"})
#: What ``/sandbox/item/set_verification_status`` accepts.
SETTABLE_VERIFICATION_STATUSES = ("automatically_verified", "verification_expired")

_EFT_INSTITUTION = "021"
_EFT_BRANCH = "01140"
_SORT_CODE = "601613"
_BANK_CODE = "NWBK"
_BIC = "NWBKGB2L"


def is_auth_account(account: Account) -> bool:
    """Whether Auth covers the account (depository checking, savings, cash management)."""
    return account.type == "depository" and account.subtype in AUTH_SUBTYPES


def has_numbers(account: Account) -> bool:
    """Whether the account's numbers can be served (verified, or instant auth)."""
    status = account.verification_status
    return status not in PENDING_VERIFICATION and status not in UNUSABLE_VERIFICATION


def _mask(account: Account) -> str:
    return (account.mask or "0000")[-4:].rjust(4, "0")


def iban(sort_code: str, account_number: str, bank_code: str = _BANK_CODE) -> str:
    """A GB IBAN for a sort code and 8-digit account number, with ISO 13616 check digits."""
    bban = f"{bank_code}{sort_code}{account_number}"
    # Letters count as 10..35; the country code and "00" move to the end for the check.
    digits = "".join(str(int(char, 36)) for char in bban + "GB00")
    return f"GB{98 - int(digits) % 97:02d}{bban}"


def numbers_for(institution: Institution, accounts: Iterable[Account]) -> dict[str, Any]:
    """``AuthGetNumbers`` for the accounts (all four arrays, by the institution's country)."""
    numbers: dict[str, list[dict[str, Any]]] = {
        "ach": [],
        "eft": [],
        "international": [],
        "bacs": [],
    }
    countries = set(institution.country_codes)
    for account in accounts:
        mask = _mask(account)
        if "US" in countries:
            numbers["ach"].append(
                {
                    "account_id": account.account_id,
                    "account": f"111122223333{mask}",
                    "routing": ACH_ROUTING,
                    "wire_routing": WIRE_ROUTING,
                    "can_transfer_in": True,
                    "can_transfer_out": True,
                }
            )
        elif "CA" in countries:
            numbers["eft"].append(
                {
                    "account_id": account.account_id,
                    "account": f"11112222{mask}",
                    "institution": _EFT_INSTITUTION,
                    "branch": _EFT_BRANCH,
                }
            )
        elif "GB" in countries:
            account_number = f"3192{mask}"
            numbers["bacs"].append(
                {
                    "account_id": account.account_id,
                    "account": account_number,
                    "sort_code": _SORT_CODE,
                }
            )
            numbers["international"].append(
                {
                    "account_id": account.account_id,
                    "iban": iban(_SORT_CODE, account_number),
                    "bic": _BIC,
                }
            )
    return numbers
