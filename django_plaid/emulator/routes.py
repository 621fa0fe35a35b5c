"""The route table's building blocks: a handler type, the ``Route`` record, ``RawJSON``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from .state import EmulatorState

__all__ = ["Handler", "RawJSON", "Route"]


@dataclass(frozen=True)
class RawJSON:
    """A handler's answer serialized already: a JSON object's text, without ``request_id``.

    Large answers (transaction pages) are built by joining pre-rendered strings; this
    spares them a ``json.dumps`` of thousands of dicts.
    """

    text: str

    def with_request_id(self, request_id: str) -> bytes:
        """The body bytes with ``request_id`` added as the last key."""
        head = self.text.rstrip()
        if not head.endswith("}"):
            raise ValueError("RawJSON must hold a JSON object")
        head = head[:-1].rstrip()
        separator = "" if head.endswith("{") else ","
        return f'{head}{separator}"request_id":"{request_id}"}}'.encode()


#: An endpoint: takes the state and the parsed JSON body, returns the response dict (the
#: dispatcher adds ``request_id``) or a ``RawJSON``, or raises ``PlaidErrorResponse``.
Handler = Callable[[EmulatorState, dict[str, Any]], "dict[str, Any] | RawJSON"]


@dataclass(frozen=True)
class Route:
    """A POST path, its handler, and whether it needs the client_id/secret pair."""

    path: str
    handler: Handler
    authenticated: bool = True
