"""Endpoint handlers, one module per area; ``default_routes()`` is the emulator's table."""

from __future__ import annotations

from ..routes import Route
from . import (
    accounts,
    auth,
    emulator,
    identity,
    income,
    institutions,
    investments,
    items,
    liabilities,
    link,
    link_session,
    sandbox,
    transactions,
    webhooks,
)

__all__ = ["default_routes"]

_MODULES = (
    link,
    items,
    accounts,
    auth,
    identity,
    investments,
    liabilities,
    income,
    institutions,
    transactions,
    sandbox,
    webhooks,
    emulator,
    link_session,
)


def default_routes() -> list[Route]:
    """Return every built-in route (Plaid's endpoints, then ``/emulator/*`` controls)."""
    return [route for module in _MODULES for route in module.ROUTES]
