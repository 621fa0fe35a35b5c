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
