"""An offline Plaid API emulator that the unmodified plaid-python SDK can talk to.

Needs the ``emulator`` extra (werkzeug). Nothing in the Django app imports this package.
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
