"""The route table's building blocks: a handler type and the ``Route`` record."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .state import EmulatorState

__all__ = ["Handler", "Route"]

#: An endpoint: takes the state and the parsed JSON body, returns the response dict (the
#: dispatcher adds ``request_id``) or raises ``PlaidAPIError``.
Handler = Callable[[EmulatorState, dict[str, Any]], dict[str, Any]]


@dataclass(frozen=True)
class Route:
    """A POST path, its handler, and whether it needs the client_id/secret pair."""

    path: str
    handler: Handler
    authenticated: bool = True
