"""Income (payroll) data: the payroll provider, and the pay stubs and W-2 of a payroll Item.

A payroll Item is what a user's Link session with ``products: ["income_verification"]``
and payroll as the income source creates: an Item at a payroll provider (ADP,
``ins_92``, as in Plaid's examples; not one of the bank institutions) with one account
of type ``other``/``payroll``. Its ``/credit/payroll_income/get`` entry (``PayrollItem``)
is built here, every key of plaid-python's models present:

* employer Plaid Inc. (1098 Harrison St, San Francisco CA 94111), employee Alberta
  Bobbeth Charleson (the identity owner, 2992 Cameron Road, Malakoff NY 14236, SSN mask
  1234), salaried at $95,000 a year, paid biweekly on Fridays by direct deposit into
  Plaid Checking (mask 0000) at First Platypus Bank;
* ``rate_of_pay`` ``{"pay_rate": "ANNUAL", "pay_amount": 95000.0}``, ``pay_frequency``
  ``BIWEEKLY``;
* three pay stubs (the last three paydays on or before the Item's creation day), each
  with earnings, deductions (federal, Social Security, Medicare, NY state, 401(k)), net
  pay, year-to-date amounts and ``document_metadata`` (``PAYSTUB``,
  ``PROCESSING_COMPLETE``, ``download_url`` null: there is no file to download);
* one W-2 for the previous tax year (amounts as strings, as in the SDK model), box 12
  code D for the 401(k) deferral; ``form1099s`` and ``i20s`` empty.

Everything is derived from the item_id and creation day, so repeated calls agree.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from . import ids
from .data import Institution
from .identity import OWNER_NAME, PRIMARY_ADDRESS

if TYPE_CHECKING:
    from .records import Item

__all__ = [
    "ANNUAL_SALARY",
    "DEFAULT_PAYROLL_INSTITUTION_ID",
    "INCOME_PRODUCTS",
    "PAYROLL_INSTITUTIONS",
    "VERIFICATION_STATUSES",
    "pay_dates",
    "payroll_item",
]

#: Products a payroll Link may ask for (anything else is a bank product).
INCOME_PRODUCTS = frozenset({"income_verification", "employment"})

DEFAULT_PAYROLL_INSTITUTION_ID = "ins_92"
#: Payroll providers a payroll Item can be at (not bank institutions: no routing numbers,
#: no balance, so they stay out of ``data.INSTITUTIONS``).
PAYROLL_INSTITUTIONS: dict[str, Institution] = {
    DEFAULT_PAYROLL_INSTITUTION_ID: Institution(
        DEFAULT_PAYROLL_INSTITUTION_ID,
        "ADP",
        ("employment", "income_verification"),
        ("US",),
        url="https://www.adp.com",
    ),
}

#: ``verification_status`` values of the ``INCOME_VERIFICATION`` webhook.
VERIFICATION_STATUSES = (
    "VERIFICATION_STATUS_PROCESSING_COMPLETE",
    "VERIFICATION_STATUS_PROCESSING_FAILED",
    "VERIFICATION_STATUS_PENDING_APPROVAL",
)

ANNUAL_SALARY = 95000.0
_PERIODS = 26
_HOURS = 80.0
#: Deductions as shares of gross pay (canonical description, share).
_DEDUCTIONS = (
    ("Federal Income Tax", 0.12),
    ("Social Security Tax", 0.062),
    ("Medicare Tax", 0.0145),
    ("NY State Income Tax", 0.05),
    ("401(k)", 0.05),
)
_EMPLOYER: dict[str, Any] = {
    "name": "Plaid Inc.",
    "address": {
        "city": "San Francisco",
        "country": "US",
        "postal_code": "94111",
        "region": "CA",
        "street": "1098 Harrison St",
    },
}


def _money(value: float) -> float:
    return round(value, 2) + 0.0


def _employee() -> dict[str, Any]:
    return {
        "name": OWNER_NAME,
        "address": {
            "city": PRIMARY_ADDRESS["city"],
            "country": PRIMARY_ADDRESS["country"],
            "postal_code": PRIMARY_ADDRESS["postal_code"],
            "region": PRIMARY_ADDRESS["region"],
            "street": PRIMARY_ADDRESS["street"],
        },
        "marital_status": "SINGLE",
        "taxpayer_id": {"id_type": "SSN", "id_mask": "1234"},
    }


def pay_dates(until: date, count: int = 3) -> list[date]:
    """The last ``count`` biweekly Friday paydays on or before ``until``, newest first."""
    last = until - timedelta(days=(until.weekday() - 4) % 7)
    return [last - timedelta(days=14 * n) for n in range(count)]


def _periods_this_year(payday: date) -> int:
    """How many biweekly paydays the year of ``payday`` has had up to and including it."""
    return (payday.timetuple().tm_yday - 1) // 14 + 1


def _amount(current: float, ytd: float, description: str | None = None) -> dict[str, Any]:
    row: dict[str, Any] = {}
    if description is not None:
        row["description"] = description
    row.update(
        {
            "current_amount": current,
            "iso_currency_code": "USD",
            "unofficial_currency_code": None,
            "ytd_amount": ytd,
        }
    )
    return row


def _pay_stub(item_id: str, payday: date) -> dict[str, Any]:
    gross = _money(ANNUAL_SALARY / _PERIODS)
    periods = _periods_this_year(payday)
    deductions = [(name, _money(gross * share)) for name, share in _DEDUCTIONS]
    total_deductions = _money(sum(amount for _, amount in deductions))
    net = _money(gross - total_deductions)
    start = payday - timedelta(days=18)
    name = f"paystub_{payday.isoformat()}.pdf"
    return {
        "document_id": ids.stable_id(f"paystub:{item_id}:{payday}", 10),
        "document_metadata": {
            "name": name,
            "document_type": "PAYSTUB",
            "download_url": None,
            "status": "PROCESSING_COMPLETE",
        },
        "employer": {**_EMPLOYER, "address": dict(_EMPLOYER["address"])},
        "employee": _employee(),
        "earnings": {
            "breakdown": [
                {
                    "canonical_description": "REGULAR_PAY",
                    "current_amount": gross,
                    "description": "Regular Pay",
                    "hours": _HOURS,
                    "iso_currency_code": "USD",
                    "rate": _money(gross / _HOURS),
                    "unofficial_currency_code": None,
                    "ytd_amount": _money(gross * periods),
                }
            ],
            "total": {
                "current_amount": gross,
                "hours": _HOURS,
                "iso_currency_code": "USD",
                "unofficial_currency_code": None,
                "ytd_amount": _money(gross * periods),
            },
        },
        "deductions": {
            "breakdown": [
                _amount(amount, _money(amount * periods), description)
                for description, amount in deductions
            ],
            "total": _amount(total_deductions, _money(total_deductions * periods)),
        },
        "net_pay": _amount(net, _money(net * periods), "TOTAL NET PAY"),
        "pay_period_details": {
            "pay_amount": net,
            "distribution_breakdown": [
                {
                    "account_name": "Plaid Checking",
                    "bank_name": "First Platypus Bank",
                    "current_amount": net,
                    "iso_currency_code": "USD",
                    "mask": "0000",
                    "type": "checking",
                    "unofficial_currency_code": None,
                }
            ],
            "start_date": start.isoformat(),
            "end_date": (start + timedelta(days=13)).isoformat(),
            "gross_earnings": gross,
            "iso_currency_code": "USD",
            "pay_date": payday.isoformat(),
            "pay_frequency": "BIWEEKLY",
            "pay_basis": "SALARY",
            "unofficial_currency_code": None,
        },
    }


def _w2(item_id: str, tax_year: int) -> dict[str, Any]:
    def text(value: float) -> str:
        return f"{value:.2f}"

    gross = ANNUAL_SALARY
    deferral = gross * 0.05
    shares = dict(_DEDUCTIONS)
    return {
        "document_id": ids.stable_id(f"w2:{item_id}:{tax_year}", 10),
        "document_metadata": {
            "name": f"w2_{tax_year}.pdf",
            "document_type": "US_TAX_W2",
            "download_url": None,
            "status": "PROCESSING_COMPLETE",
        },
        "employer": {**_EMPLOYER, "address": dict(_EMPLOYER["address"])},
        "employee": _employee(),
        "tax_year": str(tax_year),
        "employer_id_number": "12-3456789",
        "wages_tips_other_comp": text(gross - deferral),
        "federal_income_tax_withheld": text(gross * shares["Federal Income Tax"]),
        "social_security_wages": text(gross),
        "social_security_tax_withheld": text(gross * shares["Social Security Tax"]),
        "medicare_wages_and_tips": text(gross),
        "medicare_tax_withheld": text(gross * shares["Medicare Tax"]),
        "social_security_tips": "0.00",
        "allocated_tips": "0.00",
        "box_9": None,
        "dependent_care_benefits": "0.00",
        "nonqualified_plans": "0.00",
        "box_12": [{"code": "D", "amount": text(deferral)}],
        "statutory_employee": "NOT CHECKED",
        "retirement_plan": "CHECKED",
        "third_party_sick_pay": "NOT CHECKED",
        "other": None,
        "state_and_local_wages": [
            {
                "state": "NY",
                "employer_state_id_number": "12-3456789-NY",
                "state_wages_tips": text(gross - deferral),
                "state_income_tax": text(gross * shares["NY State Income Tax"]),
                "local_wages_tips": None,
                "local_income_tax": None,
                "locality_name": None,
            }
        ],
    }


def payroll_item(item: Item, *, updated_at: datetime) -> dict[str, Any]:
    """The Item's ``PayrollItem`` as ``/credit/payroll_income/get`` lists it."""
    created = item.created_at.date()
    account_id = item.accounts[0].account_id if item.accounts else None
    return {
        "item_id": item.item_id,
        "institution_id": item.institution.institution_id,
        "institution_name": item.institution.name,
        "accounts": [
            {
                "account_id": account_id,
                "rate_of_pay": {"pay_rate": "ANNUAL", "pay_amount": ANNUAL_SALARY},
                "pay_frequency": "BIWEEKLY",
            }
        ],
        "payroll_income": [
            {
                "account_id": account_id,
                "pay_stubs": [_pay_stub(item.item_id, day) for day in pay_dates(created)],
                "w2s": [_w2(item.item_id, created.year - 1)],
                "form1099s": [],
                "i20s": [],
            }
        ],
        "status": {"processing_status": "PROCESSING_COMPLETE"},
        "updated_at": ids.format_datetime(updated_at),
    }
