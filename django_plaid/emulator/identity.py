"""Identity data: the account holder Plaid's sandbox reports for every ``user_good`` account.

``/identity/get`` adds ``owners`` to each account: one owner, "Alberta Bobbeth Charleson",
with three emails (``accountholder0@example.com`` primary), three phone numbers
(``1112223333`` home, ``1112224444`` work, ``1112225555`` mobile, none primary, as in
Plaid's sandbox) and two addresses (2992 Cameron Road, Malakoff NY 14236, primary; 2493
Leisure Lane, San Matias CA 93405-2255). Every key of plaid-python's ``Owner`` model is
present. The same person is the employee of the payroll data and the mortgage's property
address, so the sandbox world stays consistent.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = ["OWNER_NAME", "PRIMARY_ADDRESS", "owners"]

OWNER_NAME = "Alberta Bobbeth Charleson"

#: The owner's primary address (``AddressData``: all five keys).
PRIMARY_ADDRESS: dict[str, str | None] = {
    "city": "Malakoff",
    "region": "NY",
    "street": "2992 Cameron Road",
    "postal_code": "14236",
    "country": "US",
}

_OWNER: dict[str, Any] = {
    "names": [OWNER_NAME],
    "phone_numbers": [
        {"data": "1112223333", "primary": False, "type": "home"},
        {"data": "1112224444", "primary": False, "type": "work"},
        {"data": "1112225555", "primary": False, "type": "mobile"},
    ],
    "emails": [
        {"data": "accountholder0@example.com", "primary": True, "type": "primary"},
        {"data": "accountholder1@example.com", "primary": False, "type": "secondary"},
        {
            "data": "extraordinarily.long.email.username.123456@reallylonghostname.com",
            "primary": False,
            "type": "other",
        },
    ],
    "addresses": [
        {"data": PRIMARY_ADDRESS, "primary": True},
        {
            "data": {
                "city": "San Matias",
                "region": "CA",
                "street": "2493 Leisure Lane",
                "postal_code": "93405-2255",
                "country": "US",
            },
            "primary": False,
        },
    ],
}


def owners() -> list[dict[str, Any]]:
    """A fresh copy of the ``owners`` list (callers may change it freely)."""
    return [copy.deepcopy(_OWNER)]
