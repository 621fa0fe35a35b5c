"""Fault injection: make chosen API calls fail, slow down, or hit a sync mid-pagination.

A ``Fault`` names a ``kind`` and optional filters (``path``, ``item_id``), and fires either
``times`` times (default 1) or with probability ``rate`` on each matching request (the
RNG is seeded, so a run is reproducible). Kinds:

* ``http_500``: HTTP 500 ``API_ERROR``/``INTERNAL_SERVER_ERROR``.
* ``rate_limit``: HTTP 429 ``RATE_LIMIT_EXCEEDED`` with the endpoint's code
  (``TRANSACTIONS_SYNC_LIMIT`` for ``/transactions/sync``, ``BALANCE_LIMIT`` for
  ``/accounts/balance/get``, ...; ``RATE_LIMIT`` otherwise; ``error_code`` overrides).
* ``slow``: wait ``seconds`` (default 1) before answering normally. The wait happens
  outside the state lock, so other requests are served meanwhile.
* ``error``: answer the catalogue error ``error_code`` (e.g. ``PRODUCT_NOT_READY``,
  ``ITEM_LOGIN_REQUIRED``, ``INSTITUTION_DOWN``) with its HTTP status.
* ``mutation_during_pagination``: ``/transactions/sync`` only. Counts the Item's sync
  requests from the moment the fault is added; from the ``at_page``-th one (default 2) on,
  the first request whose cursor is *mid-pagination* (it came from a page with
  ``has_more: true``) appends a real change to the Item's log (a new transaction) and
  answers 400 ``TRANSACTIONS_ERROR``/``TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION``.
  Every mid-pagination cursor issued before the change stays refused, as with Plaid, so
  only a restart from the loop's first cursor gets through.

Faults never touch the emulator's own ``/emulator/*`` routes. ``reset()`` removes them all
and re-seeds the RNG.
"""

from __future__ import annotations

import dataclasses
import itertools
import random
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from .errors import CATALOGUE, PlaidErrorResponse
from .ledger import decode_cursor

if TYPE_CHECKING:
    from .records import Item

__all__ = ["FAULT_KINDS", "RATE_LIMIT_CODES", "Fault", "FaultRegistry"]

FAULT_KINDS = frozenset({"http_500", "rate_limit", "slow", "error", "mutation_during_pagination"})

#: The per-Item rate-limit code of each endpoint (Plaid's rate-limit table); others get
#: ``RATE_LIMIT``.
RATE_LIMIT_CODES: dict[str, str] = {
    "/transactions/sync": "TRANSACTIONS_SYNC_LIMIT",
    "/transactions/get": "TRANSACTIONS_LIMIT",
    "/transactions/refresh": "TRANSACTIONS_REFRESH_LIMIT",
    "/accounts/balance/get": "BALANCE_LIMIT",
    "/accounts/get": "ACCOUNTS_LIMIT",
    "/auth/get": "AUTH_LIMIT",
    "/identity/get": "IDENTITY_LIMIT",
    "/item/get": "ITEM_GET_LIMIT",
    "/investments/holdings/get": "INVESTMENT_HOLDINGS_GET_LIMIT",
    "/investments/transactions/get": "INVESTMENT_TRANSACTIONS_LIMIT",
    "/institutions/get": "INSTITUTIONS_GET_LIMIT",
    "/institutions/get_by_id": "INSTITUTIONS_GET_BY_ID_LIMIT",
}

_SYNC_PATH = "/transactions/sync"


@dataclass
class Fault:
    """One injected fault and its counters (see the module docstring for the kinds)."""

    kind: str
    path: str | None = None
    item_id: str | None = None
    #: Fire this many more times (None: no limit, for ``rate`` faults).
    times: int | None = 1
    #: Probability of firing on each matching request (None: always).
    rate: float | None = None
    seconds: float = 1.0
    error_code: str | None = None
    error_message: str | None = None
    at_page: int = 2
    id: str = ""
    #: How often it fired so far.
    fired: int = 0
    #: ``mutation_during_pagination``: sync requests seen per Item since it was added.
    seen: dict[str, int] = field(default_factory=dict)

    @property
    def active(self) -> bool:
        """Whether the fault can still fire."""
        return self.times is None or self.times > 0

    def to_dict(self) -> dict[str, Any]:
        """The fault as ``/emulator/faults`` reports it."""
        return {
            "id": self.id,
            "kind": self.kind,
            "path": self.path,
            "item_id": self.item_id,
            "times": self.times,
            "rate": self.rate,
            "seconds": self.seconds,
            "error_code": self.error_code,
            "at_page": self.at_page,
            "fired": self.fired,
            "active": self.active,
        }

    def error(self, path: str) -> PlaidErrorResponse:
        """The error an ``http_500``, ``rate_limit`` or ``error`` fault answers with."""
        if self.kind == "http_500":
            return PlaidErrorResponse("INTERNAL_SERVER_ERROR", self.error_message)
        if self.kind == "rate_limit":
            code = self.error_code or RATE_LIMIT_CODES.get(path, "RATE_LIMIT")
            return PlaidErrorResponse(code, self.error_message)
        assert self.kind == "error"
        assert self.error_code is not None
        return PlaidErrorResponse(self.error_code, self.error_message)


class FaultTarget(Protocol):
    """What the registry needs of ``state.EmulatorState`` (this module never imports it)."""

    def item_for_access_token(self, access_token: str) -> Item: ...

    def mutate_during_pagination(self, item: str | Item) -> str: ...


class FaultedCall(Protocol):
    """What the hook reads of ``app.RequestContext`` (this module never imports it)."""

    @property
    def path(self) -> str: ...

    @property
    def body(self) -> dict[str, Any]: ...


class FaultRegistry:
    """The active faults and the ``app.hooks`` hook that fires them (thread-safe)."""

    def __init__(self, state: FaultTarget, *, seed: int = 0) -> None:
        self._state = state
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._ids = itertools.count(1)
        self._initial_seed = seed
        # Reproducible draws for tests, not secrets.
        self._rng = random.Random(seed)  # noqa: S311

    # -- management ---------------------------------------------------------------------------

    def add(
        self,
        kind: str,
        *,
        path: str | None = None,
        item_id: str | None = None,
        times: int | None = None,
        rate: float | None = None,
        seconds: float | None = None,
        error_code: str | None = None,
        error_message: str | None = None,
        at_page: int | None = None,
    ) -> Fault:
        """Add a fault and return it; ValueError for an unknown kind or bad parameter.

        ``times`` defaults to 1, or to no limit when ``rate`` is given.
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; use one of {sorted(FAULT_KINDS)}")
        if times is not None and (isinstance(times, bool) or times < 1):
            raise ValueError("times must be a positive integer")
        if rate is not None and not 0 < rate <= 1:
            raise ValueError("rate must be in (0, 1]")
        if seconds is not None and seconds < 0:
            raise ValueError("seconds must not be negative")
        if at_page is not None and at_page < 1:
            raise ValueError("at_page must be at least 1")
        if kind == "error" and error_code is None:
            raise ValueError("an error fault needs error_code")
        if error_code is not None and error_code not in CATALOGUE:
            raise ValueError(f"unknown error_code {error_code!r} (not in the catalogue)")
        if path is not None and not path.startswith("/"):
            raise ValueError("path must start with /")
        if kind == "mutation_during_pagination":
            if path not in (None, _SYNC_PATH):
                raise ValueError("mutation_during_pagination only applies to /transactions/sync")
            path = _SYNC_PATH
        fault = Fault(
            kind=kind,
            path=path,
            item_id=item_id,
            times=times if times is not None else (None if rate is not None else 1),
            rate=rate,
            seconds=1.0 if seconds is None else float(seconds),
            error_code=error_code,
            error_message=error_message,
            at_page=2 if at_page is None else at_page,
        )
        with self._lock:
            fault.id = f"fault-{next(self._ids)}"
            self._faults.append(fault)
        return fault

    def list(self) -> list[Fault]:
        """Every fault added since the last clear (spent ones too), oldest first."""
        with self._lock:
            return list(self._faults)

    def clear(self, fault_id: str | None = None) -> int:
        """Remove one fault by id, or all of them; return how many were removed."""
        with self._lock:
            before = len(self._faults)
            if fault_id is None:
                self._faults.clear()
            else:
                self._faults = [f for f in self._faults if f.id != fault_id]
            return before - len(self._faults)

    def seed(self, seed: int) -> None:
        """Re-seed the RNG that ``rate`` faults draw from (until the next ``reset()``)."""
        with self._lock:
            self._rng = random.Random(seed)  # noqa: S311

    def export(self) -> dict[str, Any]:
        """The faults, the next fault id and the RNG's state (for the state file)."""
        with self._lock:
            next_id = next(self._ids)
            self._ids = itertools.count(next_id)
            return {
                "faults": [dataclasses.asdict(f) for f in self._faults],
                "next_id": next_id,
                "rng": self._rng.getstate(),
            }

    def restore(self, data: Mapping[str, Any]) -> None:
        """Take back what ``export()`` gave (TypeError/ValueError/KeyError if malformed).

        ``rng`` is ``random.Random.getstate()``'s tuple.
        """
        faults = [Fault(**dict(entry)) for entry in data["faults"]]
        for fault in faults:
            if fault.kind not in FAULT_KINDS:
                raise ValueError(f"unknown fault kind {fault.kind!r}")
        rng = random.Random()  # noqa: S311
        rng.setstate(data["rng"])
        with self._lock:
            self._faults = faults
            self._ids = itertools.count(int(data["next_id"]))
            self._rng = rng

    def reset(self) -> None:
        """Remove every fault and re-seed the RNG with the constructor's seed."""
        with self._lock:
            self._faults.clear()
            self._rng = random.Random(self._initial_seed)  # noqa: S311

    def __len__(self) -> int:
        with self._lock:
            return sum(1 for f in self._faults if f.active)

    # -- the hook -----------------------------------------------------------------------------

    def __call__(self, context: FaultedCall) -> None:
        """``app.hooks`` entry: fire the faults that match this request (by raising)."""
        path = context.path
        if path.startswith("/emulator/"):
            return None
        with self._lock:
            if not any(f.active for f in self._faults):
                return None
        item_id = self._item_id(context.body)
        mutation_cursor = None
        if path == _SYNC_PATH:
            cursor_text = context.body.get("cursor")
            cursor = decode_cursor(cursor_text) if isinstance(cursor_text, str) else None
            if cursor is not None and cursor.item_id == item_id and cursor.mid_pagination:
                mutation_cursor = cursor
        delay = 0.0
        answer: Fault | None = None
        with self._lock:
            for fault in self._faults:
                if not fault.active:
                    continue
                if fault.path is not None and fault.path != path:
                    continue
                if fault.item_id is not None and fault.item_id != item_id:
                    continue
                if fault.kind == "mutation_during_pagination":
                    if item_id is None:
                        continue
                    seen = fault.seen[item_id] = fault.seen.get(item_id, 0) + 1
                    if seen < fault.at_page or mutation_cursor is None:
                        continue
                if fault.rate is not None and self._rng.random() >= fault.rate:
                    continue
                fault.fired += 1
                if fault.times is not None:
                    fault.times -= 1
                if fault.kind == "slow":
                    delay += fault.seconds
                    continue
                answer = fault
                break
        if delay:
            # Outside every lock: the emulator keeps serving other requests meanwhile.
            time.sleep(delay)
        if answer is None:
            return None
        if answer.kind == "mutation_during_pagination":
            assert item_id is not None
            self._state.mutate_during_pagination(item_id)
            raise PlaidErrorResponse(
                "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION", answer.error_message
            )
        raise answer.error(path)

    def _item_id(self, body: Mapping[str, Any]) -> str | None:
        access_token = body.get("access_token")
        if not isinstance(access_token, str):
            return None
        try:
            return self._state.item_for_access_token(access_token).item_id
        except PlaidErrorResponse:
            return None
