"""Plaid's webhooks: verification, storage, and the handlers that act on them."""
