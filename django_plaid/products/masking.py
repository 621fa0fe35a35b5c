"""Masking of sensitive data (account numbers, identity, pay stubs) and who may see it unmasked.

By default every API response and admin page shows these values masked: every field of
the product's Plaid object except those its ``CLEAR_FIELDS`` list. A host opts in,
per request, with the permission ``django_plaid.view_unmasked_numbers``, or replaces the
policy with ``PLAID["SENSITIVE_DATA_ACCESS"]``: the dotted path of a function
``(request) -> bool``.
"""

from __future__ import annotations

import re
from typing import Any

from ..conf import plaid_settings

#: Per product, the fields of Plaid's object shown in clear when masked; every other field
#: is masked. An allow-list: a field Plaid adds later, or one forgotten here, comes out
#: masked rather than leaked. A path joins keys with ``.``; ``[]`` stands for any element
#: of a list (``ach[].account_id``). Only leaves are listed: a listed path keeps its value
#: as Plaid sent it, and an object or list is never kept whole.
CLEAR_FIELDS: dict[str, frozenset[str]] = {
    # AuthNumbers.numbers: {"ach": [...], "eft": [...], "international": [...], "bacs": [...]}
    "auth": frozenset(
        {
            "ach[].account_id",
            "ach[].can_transfer_in",
            "ach[].can_transfer_out",
            "eft[].account_id",
            "international[].account_id",
            "bacs[].account_id",
        }
    ),
    # AccountOwner.data: one owner (names, phone numbers, emails, addresses).
    "identity": frozenset(
        {
            "phone_numbers[].type",
            "phone_numbers[].primary",
            "emails[].type",
            "emails[].primary",
            "addresses[].primary",
        }
    ),
    # Liability.data: a credit card, mortgage or student loan. The amounts, dates and
    # rates are the loan's, and the promoted columns show them in clear anyway; the
    # account and reference numbers, and every address, are masked.
    "liabilities": frozenset(
        {
            "account_id",
            "aprs[].apr_percentage",
            "aprs[].apr_type",
            "aprs[].balance_subject_to_apr",
            "aprs[].interest_charge_amount",
            "is_overdue",
            "last_payment_amount",
            "last_payment_date",
            "last_statement_issue_date",
            "last_statement_balance",
            "minimum_payment_amount",
            "next_payment_due_date",
            "cash_advance_limit",
            "current_late_fee",
            "escrow_balance",
            "has_pmi",
            "has_prepayment_penalty",
            "interest_rate.percentage",
            "interest_rate.type",
            "loan_type_description",
            "loan_term",
            "maturity_date",
            "next_monthly_payment",
            "origination_date",
            "origination_principal_amount",
            "past_due_amount",
            "ytd_interest_paid",
            "ytd_principal_paid",
            "disbursement_dates[]",
            "expected_payoff_date",
            "guarantor",
            "interest_rate_percentage",
            "loan_name",
            "loan_status.end_date",
            "loan_status.type",
            "outstanding_interest_amount",
            "pslf_status.estimated_eligibility_date",
            "pslf_status.payments_made",
            "pslf_status.payments_remaining",
            "repayment_plan.description",
            "repayment_plan.type",
            "sequence_number",
        }
    ),
    # PayrollIncome.data: pay stubs and W-2s say who the person is, where they live and
    # work, and what they earn; only ids, kinds, statuses, currencies and dates stay.
    "income": frozenset(
        {
            "item_id",
            "institution_id",
            "institution_name",
            "updated_at",
            "status.processing_status",
            "accounts[].account_id",
            "accounts[].pay_frequency",
            "accounts[].rate_of_pay.pay_rate",
            "payroll_income[].account_id",
            *(
                f"payroll_income[].{document}[].{field}"
                for document in ("pay_stubs", "w2s")
                for field in (
                    "document_id",
                    "document_metadata.name",
                    "document_metadata.document_type",
                    "document_metadata.status",
                    "employee.taxpayer_id.id_type",
                )
            ),
            *(
                f"payroll_income[].pay_stubs[].{field}"
                for field in (
                    "earnings.breakdown[].canonical_description",
                    "earnings.breakdown[].iso_currency_code",
                    "earnings.breakdown[].unofficial_currency_code",
                    "earnings.total.iso_currency_code",
                    "earnings.total.unofficial_currency_code",
                    "deductions.breakdown[].iso_currency_code",
                    "deductions.breakdown[].unofficial_currency_code",
                    "deductions.total.iso_currency_code",
                    "deductions.total.unofficial_currency_code",
                    "net_pay.iso_currency_code",
                    "net_pay.unofficial_currency_code",
                    "pay_period_details.start_date",
                    "pay_period_details.end_date",
                    "pay_period_details.pay_date",
                    "pay_period_details.pay_frequency",
                    "pay_period_details.pay_basis",
                    "pay_period_details.iso_currency_code",
                    "pay_period_details.unofficial_currency_code",
                    "pay_period_details.distribution_breakdown[].type",
                    "pay_period_details.distribution_breakdown[].mask",
                    "pay_period_details.distribution_breakdown[].iso_currency_code",
                    "pay_period_details.distribution_breakdown[].unofficial_currency_code",
                )
            ),
            "payroll_income[].w2s[].tax_year",
            "payroll_income[].w2s[].box_12[].code",
        }
    ),
}

#: An amount written as a string (W-2 boxes: ``"90250.00"``): masked whole, like a number.
_AMOUNT = re.compile(r"-?\d+\.\d+")
#: Only numbers this long keep their last 4 digits.
_KEEP_LAST4_FROM = 8


def can_view_sensitive(request: Any) -> bool:
    """The default policy: users with ``django_plaid.view_unmasked_numbers`` see clear values."""
    user = getattr(request, "user", None)
    return bool(user is not None and user.has_perm("django_plaid.view_unmasked_numbers"))


def sensitive_visible(request: Any) -> bool:
    """Whether ``request`` may see sensitive values unmasked (``SENSITIVE_DATA_ACCESS``)."""
    policy = plaid_settings.SENSITIVE_DATA_ACCESS
    return bool(policy(request))


def mask_value(value: Any) -> Any:
    """Mask one value: keep the last 4 digits of long numbers, the first letter of words."""
    if value is None:
        return value
    if isinstance(value, (bool, int, float)) or _AMOUNT.fullmatch(str(value)):
        return "••••"
    text = str(value)
    digits = "".join(ch for ch in text if ch.isdigit())
    if digits and len(digits) >= len(text.replace(" ", "").replace("-", "")) / 2:
        # The last 4 of an account, routing or phone number tell which one it is; those
        # of a short number (a postal code, a last-4 already) would tell most of it.
        return "••••" + digits[-4:] if len(digits) >= _KEEP_LAST4_FROM else "••••"
    if "@" in text:
        local, _, domain = text.partition("@")
        return f"{local[:1]}•••@{domain}"
    return " ".join(f"{word[:1]}•••" for word in text.split()) or "•••"


def mask(data: Any, product: str) -> Any:
    """``product``'s Plaid object with every field masked but its ``CLEAR_FIELDS``."""
    return _mask(data, "", CLEAR_FIELDS[product])


def _mask(value: Any, path: str, clear: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: _mask(entry, f"{path}.{key}" if path else str(key), clear)
            for key, entry in value.items()
        }
    if isinstance(value, list):
        return [_mask(entry, f"{path}[]", clear) for entry in value]
    # null says only that Plaid has no value, so it stays.
    return value if path in clear else mask_value(value)


def last4(value: Any) -> str:
    """The last four characters of a number, for the clear ``*_mask`` columns."""
    return str(value or "")[-4:]
