"""Admin screens for support and operations staff, one module per concept.

Mirrored Plaid data is read-only here (Plaid is its source of truth); the access token
is never listed, shown or editable. Importing this package registers every screen.
"""

from . import items, link_events, products, transactions, webhooks  # noqa: F401  (registers the screens)
