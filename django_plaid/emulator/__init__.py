"""An offline Plaid API emulator that the unmodified plaid-python SDK can talk to.

Needs the ``emulator`` extra (werkzeug) to serve; imports neither Django nor the app. The app
imports it only from ``django_plaid.testing``.

Served: Link (``/link/token/create``, ``/emulator/link/complete``), Items, accounts and
balances, institutions, Transactions (sync, get, refresh), Auth (``/auth/get``,
``/sandbox/item/set_verification_status``), Identity (``/identity/get``), Investments
(``/investments/holdings/get``, ``/investments/transactions/get``), Liabilities
(``/liabilities/get``), Income (``/user/create``, ``/credit/payroll_income/get``,
``/sandbox/income/fire_webhook``), the sandbox endpoints and signed webhooks. Each module
documents its part: ``endpoints/*`` the routes and their errors, ``account_numbers``,
``identity``, ``investments``, ``liabilities`` and ``income`` the sandbox data,
``notifications`` the webhooks, ``endpoints/emulator`` the ``/emulator/*`` controls.

Dependencies run one way: ``records`` (plain data) under the state parts (``store``,
``tokens``, ``items``, ``users``, ``products``, ``readiness``, ``transaction_changes``),
which ``state.EmulatorState`` composes; ``notifications`` needs only ``records``, and
``endpoints`` sit on top. ``snapshot`` renders the state as JSON and back, and
``state_file`` keeps it in a file across restarts (``Emulator(state_file=...)``).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .errors import CATALOGUE, PlaidErrorResponse
    from .faults import Fault, FaultRegistry
    from .ledger import TransactionLedger
    from .server import Emulator
    from .state import EmulatorState
    from .state_file import StateFileError
    from .webhooks import Delivery

#: What to tell someone who runs the emulator without werkzeug (the CLI and the pytest
#: fixtures say the same).
MISSING_EXTRA = (
    'the Plaid emulator needs werkzeug, which the "emulator" extra installs: '
    'pip install "dj-plaid[emulator]"'
)

__all__ = [
    "CATALOGUE",
    "MISSING_EXTRA",
    "Delivery",
    "Emulator",
    "EmulatorState",
    "Fault",
    "FaultRegistry",
    "PlaidErrorResponse",
    "StateFileError",
    "TransactionLedger",
]

# Each public name and the module that defines it. They load on first use (PEP 562), so
# ``django_plaid.emulator.signing`` (which ``django_plaid.testing.webhooks`` re-exports)
# imports without the ``emulator`` extra: only ``server`` needs werkzeug.
_HOMES = {
    "CATALOGUE": "errors",
    "Delivery": "webhooks",
    "Emulator": "server",
    "EmulatorState": "state",
    "Fault": "faults",
    "FaultRegistry": "faults",
    "PlaidErrorResponse": "errors",
    "StateFileError": "state_file",
    "TransactionLedger": "ledger",
}


def __getattr__(name: str) -> Any:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(import_module(f"{__name__}.{home}"), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
