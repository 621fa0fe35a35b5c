"""An offline Plaid API emulator that the unmodified plaid-python SDK can talk to.

Needs the ``emulator`` extra (werkzeug). Nothing in the Django app imports this package.

Served: Link (``/link/token/create``, ``/emulator/link/complete``), Items, accounts and
balances, institutions, Transactions (sync, get, refresh), Auth (``/auth/get``,
``/sandbox/item/set_verification_status``), Identity (``/identity/get``), Investments
(``/investments/holdings/get``, ``/investments/transactions/get``), Liabilities
(``/liabilities/get``), Income (``/user/create``, ``/credit/payroll_income/get``,
``/sandbox/income/fire_webhook``), the sandbox endpoints and signed webhooks. Each module
documents its part: ``endpoints/*`` the routes and their errors, ``account_numbers``,
``identity``, ``investments``, ``liabilities`` and ``income`` the sandbox data,
``notifications`` the webhooks, ``endpoints/emulator`` the ``/emulator/*`` controls.
"""

from __future__ import annotations

from .errors import CATALOGUE, PlaidAPIError
from .faults import Fault, FaultRegistry
from .server import Emulator
from .state import EmulatorState
from .transactions import TransactionLedger
from .webhooks import Delivery

__all__ = [
    "CATALOGUE",
    "Delivery",
    "Emulator",
    "EmulatorState",
    "Fault",
    "FaultRegistry",
    "PlaidAPIError",
    "TransactionLedger",
]
