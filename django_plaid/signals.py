"""Signals dj-plaid sends, for host projects to connect receivers to.

Each is sent with ``sender`` set to the model class concerned; the keyword arguments
are listed beside each signal.
"""

from __future__ import annotations

from django.dispatch import Signal

#: An Item was linked (public token exchanged, Item and Accounts stored).
#: Sent after the database transaction commits. kwargs: ``item``, ``request`` (or None).
item_linked = Signal()

#: An Item was removed at Plaid and deleted here. Sent after commit.
#: kwargs: ``item`` (the deleted instance; its ``pk`` is None), ``item_id``.
item_removed = Signal()

#: An Item's ``status`` changed. kwargs: ``item``, ``old_status``, ``new_status``.
item_status_changed = Signal()

#: Plaid reported an error on an Item (``ITEM``/``ERROR`` and friends).
#: kwargs: ``item``, ``error`` (Plaid's error object as a dict).
item_error = Signal()

#: A verified webhook was received and is being processed (for every type and code,
#: known or not). kwargs: ``event`` (the :class:`~django_plaid.models.WebhookEvent`),
#: ``payload`` (its parsed JSON), ``item`` (the Item, or None when unknown here).
webhook_received = Signal()

#: One signal per ``(webhook_type, webhook_code)``, created on first use, with the same
#: kwargs as ``webhook_received``. Connect with :func:`webhook_signal`.
WEBHOOK_SIGNALS: dict[tuple[str, str], Signal] = {}


def webhook_signal(webhook_type: str, webhook_code: str) -> Signal:
    """The signal sent for one ``(webhook_type, webhook_code)``, e.g. ``("ITEM", "ERROR")``."""
    key = (webhook_type.upper(), webhook_code.upper())
    return WEBHOOK_SIGNALS.setdefault(key, Signal())


#: An Item's transactions were synced. Sent after commit.
#: kwargs: ``item``, ``added``, ``modified``, ``removed`` (counts).
transactions_synced = Signal()

#: Live balances were fetched for an Item (``/accounts/balance/get``). Sent after commit.
#: kwargs: ``item``, ``accounts`` (the updated Account instances).
balances_refreshed = Signal()

#: A product's data was fetched and stored for an Item (Auth, Identity, Investments,
#: Liabilities). Sent after commit. kwargs: ``item``, ``product`` (``"auth"``,
#: ``"identity"``, ``"investments"``, ``"holdings"``, ``"investments_transactions"``,
#: ``"liabilities"``), ``count`` (rows stored).
product_refreshed = Signal()

#: A Plaid user's payroll income was fetched and stored. Sent after commit.
#: kwargs: ``plaid_user``, ``count`` (payroll Items stored).
payroll_income_refreshed = Signal()
