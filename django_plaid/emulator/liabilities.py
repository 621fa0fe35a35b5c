"""Liabilities data: credit cards, the mortgage and the student loan of ``user_good``.

``/liabilities/get`` covers credit accounts of subtype ``credit card`` and loan accounts of
subtype ``mortgage`` or ``student`` (Plaid's rule). Each gets a record with every key of
its plaid-python model:

* ``CreditCardLiability``: purchase, cash and balance-transfer APRs (the Plaid Credit
  Card's purchase APR is the 12.5% of its official name), last payment and statement,
  minimum payment, next due date, ``cash_advance_limit``; the statement balance equals
  the card's current balance.
* ``MortgageLiability`` (all 20 keys): a 30-year fixed 3.99% conventional loan of
  $97,000 taken out about 17 years before the Item, whose amortised balance is close to
  the account's 56,302.06; the property is the account holder's primary address.
* ``StudentLoan`` (all 24 keys): a Department of Education consolidation loan at 5.25%
  on a 25-year extended standard plan, with ``loan_status``, ``pslf_status``, ``repayment_plan``,
  ``servicer_address`` and ``disbursement_dates``.

Dates are relative to the Item's creation day (last statement 8 days before, next payment
due 17 days after, ...), so the same Item always answers the same and due dates stay in
the future for a fresh Item.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from .identity import PRIMARY_ADDRESS

if TYPE_CHECKING:
    from .records import Account

__all__ = ["is_liability_account", "liabilities_for"]

_CREDIT_SUBTYPES = frozenset({"credit card"})
_LOAN_SUBTYPES = frozenset({"mortgage", "student"})


def is_liability_account(account: Account) -> bool:
    """Whether Liabilities covers the account (credit cards, mortgages, student loans)."""
    if account.type == "credit":
        return account.subtype in _CREDIT_SUBTYPES
    return account.type == "loan" and account.subtype in _LOAN_SUBTYPES


def _iso(day: date) -> str:
    return day.isoformat()


def _shift_years(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes the 28th in common years)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def _credit(account: Account, created: date) -> dict[str, Any]:
    business = account.mask == "9999"
    balance = float(account.current or 0.0)
    purchase_apr = 17.99 if business else 12.5
    # Most of the balance is purchases; a little is a cash advance.
    cash_part = round(min(balance, 56.22), 2)
    purchase_part = round(balance - cash_part, 2)
    return {
        "account_id": account.account_id,
        "aprs": [
            {
                "apr_percentage": purchase_apr,
                "apr_type": "purchase_apr",
                "balance_subject_to_apr": purchase_part,
                "interest_charge_amount": round(purchase_part * purchase_apr / 100 / 12, 2),
            },
            {
                "apr_percentage": 27.95 if not business else 29.99,
                "apr_type": "cash_apr",
                "balance_subject_to_apr": cash_part,
                "interest_charge_amount": round(cash_part * 0.2795 / 12, 2),
            },
            {
                "apr_percentage": 15.24 if not business else 17.99,
                "apr_type": "balance_transfer_apr",
                "balance_subject_to_apr": 0.0,
                "interest_charge_amount": 0.0,
            },
        ],
        "is_overdue": False,
        "last_payment_amount": 1250.0 if business else 168.25,
        "last_payment_date": _iso(created - timedelta(days=20)),
        "last_statement_issue_date": _iso(created - timedelta(days=8)),
        "last_statement_balance": balance,
        "minimum_payment_amount": round(max(25.0, balance * 0.03), 2),
        "next_payment_due_date": _iso(created + timedelta(days=17)),
        "cash_advance_limit": 2500.0 if business else 500.0,
    }


def _mortgage(account: Account, created: date) -> dict[str, Any]:
    origination = _shift_years(created, -17) - timedelta(days=45)
    # Interest paid this year so far: the balance at 3.99% for the months elapsed.
    balance = float(account.current or 0.0)
    months = created.month - 1
    ytd_interest = round(balance * 0.0399 / 12 * months, 2)
    return {
        "account_id": account.account_id,
        "account_number": "3120194154",
        "current_late_fee": 0.0,
        "escrow_balance": 3141.54,
        "has_pmi": False,
        "has_prepayment_penalty": False,
        "interest_rate": {"percentage": 3.99, "type": "fixed"},
        "last_payment_amount": 712.53,
        "last_payment_date": _iso(created - timedelta(days=12)),
        "loan_type_description": "conventional",
        "loan_term": "30 year",
        "maturity_date": _iso(_shift_years(origination, 30)),
        "next_monthly_payment": 712.53,
        "next_payment_due_date": _iso(created + timedelta(days=19)),
        "origination_date": _iso(origination),
        "origination_principal_amount": 97000.0,
        "past_due_amount": 0.0,
        "property_address": dict(PRIMARY_ADDRESS),
        "ytd_interest_paid": ytd_interest,
        "ytd_principal_paid": round(462.53 * months - ytd_interest, 2) if months else 0.0,
    }


def _student(account: Account, created: date) -> dict[str, Any]:
    origination = _shift_years(created, -6)
    payoff = _shift_years(origination, 25)
    months = created.month - 1
    return {
        "account_id": account.account_id,
        "account_number": "4277075694",
        "disbursement_dates": [_iso(origination)],
        "expected_payoff_date": _iso(payoff),
        "guarantor": "DEPT OF ED",
        "interest_rate_percentage": 5.25,
        "is_overdue": False,
        "last_payment_amount": 407.48,
        "last_payment_date": _iso(created - timedelta(days=6)),
        "last_statement_balance": float(account.current or 0.0),
        "last_statement_issue_date": _iso(created - timedelta(days=9)),
        "loan_name": "Consolidation",
        "loan_status": {"end_date": _iso(payoff), "type": "repayment"},
        "minimum_payment_amount": 407.48,
        "next_payment_due_date": _iso(created + timedelta(days=22)),
        "origination_date": _iso(origination),
        "origination_principal_amount": 68000.0,
        "outstanding_interest_amount": 285.52,
        "payment_reference_number": "4277075694",
        "pslf_status": {
            "estimated_eligibility_date": _iso(_shift_years(origination, 10)),
            "payments_made": 72,
            "payments_remaining": 48,
        },
        "repayment_plan": {
            "description": "Extended Standard Repayment",
            "type": "extended standard",
        },
        "sequence_number": "1",
        "servicer_address": {
            "city": "San Matias",
            "region": "CA",
            "street": "123 Relaxation Road",
            "postal_code": "99415",
            "country": "US",
        },
        "ytd_interest_paid": round(285.52 * months, 2),
        "ytd_principal_paid": round((407.48 - 285.52) * months, 2),
    }


def liabilities_for(accounts: list[Account], created: date) -> dict[str, Any]:
    """``LiabilitiesObject`` for the accounts: ``credit``, ``mortgage``, ``student`` lists.

    A list is null when none of the accounts is of its kind (Plaid's convention).
    """
    credit = [_credit(a, created) for a in accounts if a.type == "credit"]
    mortgage = [_mortgage(a, created) for a in accounts if a.subtype == "mortgage"]
    student = [_student(a, created) for a in accounts if a.subtype == "student"]
    return {
        "credit": credit or None,
        "mortgage": mortgage or None,
        "student": student or None,
    }
