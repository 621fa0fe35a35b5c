"""Webhook signing keys and delivery: what Plaid does after deciding to send a webhook.

* ``WebhookKeyStore``: the emulator's ES256 keys (one current, older ones rotated out but
  still published with ``expired_at``), and signing of bodies with them.
* ``WebhookDispatcher``: queues deliveries and POSTs them from background threads, signed at
  send time and re-signed on every retry, with short configurable retry delays; records
  every delivery as a ``Delivery``.

Key times (``created_at``, ``expired_at``, JWT ``iat``) use the real clock, not the
emulator's adjustable one: receivers check them against their own real clock.
"""

from __future__ import annotations

import heapq
import http.client
import itertools
import json
import logging
import ssl
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .signing import WebhookSigningKey, sign_webhook, webhook_body

__all__ = [
    "DEFAULT_RETRY_DELAYS",
    "DEFAULT_TIMEOUT",
    "Delivery",
    "WebhookDispatcher",
    "WebhookKeyStore",
]

logger = logging.getLogger("django_plaid.emulator.webhooks")

#: Seconds between attempts. Plaid waits 30 s and multiplies by 4 each time (for up to a
#: day); the emulator keeps the shape (4 retries, growing) but not the wait.
DEFAULT_RETRY_DELAYS: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0)
#: Plaid gives a receiver 10 seconds to answer.
DEFAULT_TIMEOUT = 10.0


class WebhookKeyStore:
    """The emulator's webhook signing keys: one current key, plus every rotated-out key.

    Rotated-out keys stay fetchable (with ``expired_at`` set) and can still sign, so tests
    can check that a receiver refuses them.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._keys: dict[str, WebhookSigningKey] = {}
        self._expired_at: dict[str, int] = {}
        self._current = self._add_key()

    def _add_key(self) -> WebhookSigningKey:
        key = WebhookSigningKey.generate(created_at=int(self._clock()))
        self._keys[key.kid] = key
        return key

    @property
    def current_kid(self) -> str:
        """The ``kid`` that signs new deliveries."""
        with self._lock:
            return self._current.kid

    @property
    def kids(self) -> list[str]:
        """Every key id, oldest first (the last one is current)."""
        with self._lock:
            return list(self._keys)

    def get(self, kid: str | None = None) -> WebhookSigningKey:
        """Return a key (the current one by default); KeyError for an unknown ``kid``."""
        with self._lock:
            return self._current if kid is None else self._keys[kid]

    def jwk(self, kid: str | None = None) -> dict[str, Any]:
        """Return a key's public JWK (with its ``expired_at``); KeyError when unknown."""
        with self._lock:
            key = self._current if kid is None else self._keys[kid]
            return key.jwk(expired_at=self._expired_at.get(key.kid))

    def reset(self) -> None:
        """Forget every key and start over with one fresh current key (a new kid)."""
        with self._lock:
            self._keys.clear()
            self._expired_at.clear()
            self._current = self._add_key()

    def export(self) -> list[dict[str, Any]]:
        """Every key, oldest first (the last is current), private half included (PEM).

        For the emulator's state file; ``restore()`` takes it back.
        """
        with self._lock:
            return [
                {
                    "kid": key.kid,
                    "created_at": key.created_at,
                    "expired_at": self._expired_at.get(key.kid),
                    "private_key": key.private_key.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption(),
                    ).decode("ascii"),
                }
                for key in self._keys.values()
            ]

    def restore(self, keys: Sequence[Mapping[str, Any]]) -> None:
        """Replace every key with ``export()``'s list (the last one becomes current).

        ValueError (or KeyError/TypeError) for a malformed list.
        """
        restored: dict[str, WebhookSigningKey] = {}
        expired: dict[str, int] = {}
        for entry in keys:
            private = serialization.load_pem_private_key(
                str(entry["private_key"]).encode("ascii"), password=None
            )
            if not isinstance(private, ec.EllipticCurvePrivateKey):
                raise ValueError("a webhook key is not an EC key")
            key = WebhookSigningKey(str(entry["kid"]), private, int(entry["created_at"]))
            restored[key.kid] = key
            if entry.get("expired_at") is not None:
                expired[key.kid] = int(entry["expired_at"])
        if not restored:
            raise ValueError("no webhook keys")
        with self._lock:
            self._keys = restored
            self._expired_at = expired
            self._current = list(restored.values())[-1]

    def rotate(self) -> str:
        """Make a new current key; the old one gets ``expired_at`` = now. Return the new kid."""
        with self._lock:
            old = self._current
            self._expired_at[old.kid] = int(self._clock())
            self._current = self._add_key()
            return self._current.kid

    def sign(self, body: bytes, *, iat: int | None = None, kid: str | None = None) -> str:
        """Return the ``Plaid-Verification`` JWT for ``body`` (current key unless ``kid``)."""
        return sign_webhook(body, self.get(kid), iat=iat)


@dataclass(eq=False)
class Delivery:
    """One webhook the emulator sent (or is sending) and what happened to it."""

    url: str
    #: The payload as the receiver parses it from ``body``.
    payload: dict[str, Any]
    #: The exact bytes POSTed (and hashed into the JWT): JSON with 2-space indentation.
    body: bytes
    attempts: int = 0
    #: One entry per attempt: the HTTP status, or None when no answer came (connection
    #: refused, timeout, ...; ``errors`` says what).
    status_codes: list[int | None] = field(default_factory=list)
    #: What went wrong for each attempt that got no HTTP answer.
    errors: list[str] = field(default_factory=list)
    #: The ``Plaid-Verification`` JWT of each attempt (re-signed every time).
    signatures: list[str] = field(default_factory=list)
    #: A receiver answered 2xx.
    delivered: bool = False
    #: No more attempts: the retries ran out, or ``reset()`` cancelled the delivery.
    gave_up: bool = False
    #: Recorded but never sent, because delivery was switched off (``send_webhooks``).
    suppressed: bool = False
    #: Unix time of queueing.
    queued_at: float = field(default_factory=time.time)

    @property
    def webhook_type(self) -> str | None:
        """The payload's ``webhook_type``."""
        return self.payload.get("webhook_type")

    @property
    def webhook_code(self) -> str | None:
        """The payload's ``webhook_code``."""
        return self.payload.get("webhook_code")

    @property
    def pending(self) -> bool:
        """Whether an attempt is still due (not delivered, not given up, not suppressed)."""
        return not (self.delivered or self.gave_up or self.suppressed)

    def __repr__(self) -> str:
        if self.delivered:
            outcome = "delivered"
        elif self.gave_up:
            outcome = "gave up"
        elif self.suppressed:
            outcome = "suppressed"
        else:
            outcome = "pending"
        return (
            f"<Delivery {self.webhook_type}/{self.webhook_code} to {self.url}: {outcome}, "
            f"attempts={self.attempts} status_codes={self.status_codes}>"
        )


@dataclass
class _Lane:
    """Deliveries to one origin, attempted in order by one thread (None while idle)."""

    heap: list[tuple[float, int, Delivery, int]] = field(default_factory=list)
    thread: threading.Thread | None = None


class WebhookDispatcher:
    """Queues webhook deliveries and POSTs them in the background, with retries.

    Each destination origin (scheme, host, port) has its own lane: deliveries to one
    receiver arrive in the order they were queued (a retry waits its turn behind its delay
    and does not hold the others back), and an unreachable host never delays another.
    Lane threads are daemons that exit when their lane is empty.
    """

    def __init__(
        self,
        keys: WebhookKeyStore,
        *,
        retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        timeout: float = DEFAULT_TIMEOUT,
        enabled: bool = True,
        delay: float = 0.0,
    ) -> None:
        self.keys = keys
        #: Seconds to wait before each retry; after the last one the delivery gives up.
        self.retry_delays: tuple[float, ...] = tuple(retry_delays)
        #: Seconds a receiver has to answer one attempt.
        self.timeout = timeout
        #: Seconds between queueing and the first attempt.
        self.delay = delay
        self._enabled_default = enabled
        self._enabled = enabled
        self._cond = threading.Condition()
        self._deliveries: list[Delivery] = []
        self._lanes: dict[str, _Lane] = {}
        self._held: list[Delivery] = []
        self._holds = 0
        # Bumped by reset(): attempts started before it are not retried.
        self._generation = 0
        # Bumped by close(): lane threads of an older epoch exit.
        self._epoch = 0
        self._closed = False
        self._sequence = itertools.count()

    # -- configuration ----------------------------------------------------------------------

    def configure(
        self,
        *,
        retry_delays: Sequence[float] | None = None,
        timeout: float | None = None,
        enabled: bool | None = None,
        delay: float | None = None,
    ) -> None:
        """Change settings; ``enabled`` also becomes the value ``reset()`` restores."""
        with self._cond:
            if retry_delays is not None:
                self.retry_delays = tuple(retry_delays)
            if timeout is not None:
                self.timeout = timeout
            if delay is not None:
                self.delay = delay
            if enabled is not None:
                self._enabled_default = enabled
                self._enabled = enabled

    @property
    def enabled(self) -> bool:
        """Whether new deliveries are sent (when False they are only recorded)."""
        return self._enabled

    @enabled.setter
    def enabled(self, value: bool) -> None:
        with self._cond:
            self._enabled = bool(value)

    # -- queueing -----------------------------------------------------------------------------

    @property
    def deliveries(self) -> list[Delivery]:
        """Every delivery since the last reset, in the order queued (a snapshot list)."""
        with self._cond:
            return list(self._deliveries)

    def send(self, url: str, payload: Mapping[str, Any]) -> Delivery:
        """Queue ``payload`` for ``url`` (sent as is, pretty-printed); return its record."""
        body = webhook_body(payload)
        delivery = Delivery(url=url, payload=json.loads(body), body=body)
        with self._cond:
            self._deliveries.append(delivery)
            if not self._enabled:
                delivery.suppressed = True
                self._cond.notify_all()
            elif self._holds:
                self._held.append(delivery)
            else:
                self._schedule(delivery, time.monotonic() + self.delay)
        return delivery

    @contextmanager
    def hold(self) -> Iterator[None]:
        """Queue but do not send until the block ends (then send in order)."""
        with self._cond:
            self._holds += 1
        try:
            yield
        finally:
            with self._cond:
                self._holds = max(0, self._holds - 1)
                if not self._holds:
                    due = time.monotonic() + self.delay
                    for delivery in self._held:
                        self._schedule(delivery, due)
                    self._held.clear()

    def wait(self, timeout: float = 10.0) -> list[Delivery]:
        """Block until no delivery is pending; return every delivery since the last reset.

        Raises TimeoutError naming the pending deliveries if that takes over ``timeout``
        seconds (e.g. a receiver that keeps failing with long retry delays, or a ``hold()``).
        """
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                pending = [d for d in self._deliveries if d.pending]
                if not pending:
                    return list(self._deliveries)
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    held = " (held)" if self._held else ""
                    raise TimeoutError(
                        f"{len(pending)} webhook deliveries still pending after {timeout} s"
                        f"{held}: " + ", ".join(repr(d) for d in pending)
                    )
                self._cond.wait(remaining)

    def pending(self) -> list[Delivery]:
        """The deliveries still due (queued, held or waiting for a retry), oldest first."""
        with self._cond:
            return [d for d in self._deliveries if d.pending]

    def reset(self) -> None:
        """Forget every delivery (pending ones give up), release holds, re-enable sending."""
        with self._cond:
            self._generation += 1
            for delivery in self._deliveries:
                if delivery.pending:
                    delivery.gave_up = True
            self._deliveries.clear()
            self._held.clear()
            self._holds = 0
            for lane in self._lanes.values():
                lane.heap.clear()
            self._enabled = self._enabled_default
            self._cond.notify_all()

    # -- lifecycle ----------------------------------------------------------------------------

    def close(self, timeout: float = 1.0) -> None:
        """Stop the lane threads; queued deliveries wait for ``start()``.

        An attempt already on the wire finishes in the background (daemon thread).
        """
        with self._cond:
            self._closed = True
            self._epoch += 1
            threads = [lane.thread for lane in self._lanes.values() if lane.thread]
            for lane in self._lanes.values():
                lane.thread = None
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))

    def start(self) -> None:
        """Resume sending after ``close()`` (a new dispatcher is already started)."""
        with self._cond:
            self._closed = False
            for key, lane in self._lanes.items():
                if lane.heap:
                    self._ensure_thread(key, lane)

    # -- delivery -----------------------------------------------------------------------------

    def _schedule(self, delivery: Delivery, due: float) -> None:
        # Caller holds self._cond.
        parts = urlsplit(delivery.url)
        key = f"{parts.scheme}://{parts.netloc}".lower()
        lane = self._lanes.setdefault(key, _Lane())
        heapq.heappush(lane.heap, (due, next(self._sequence), delivery, self._generation))
        self._ensure_thread(key, lane)
        self._cond.notify_all()

    def _ensure_thread(self, key: str, lane: _Lane) -> None:
        # Caller holds self._cond.
        if self._closed or lane.thread is not None:
            return
        thread = threading.Thread(
            target=self._run_lane,
            args=(lane, self._epoch),
            name=f"plaid-emulator-webhooks {key}",
            daemon=True,
        )
        lane.thread = thread
        thread.start()

    def _run_lane(self, lane: _Lane, epoch: int) -> None:
        me = threading.current_thread()
        while True:
            with self._cond:
                while True:
                    if self._epoch != epoch or lane.thread is not me:
                        return
                    if not lane.heap:
                        lane.thread = None
                        return
                    due, _, delivery, generation = lane.heap[0]
                    wait = due - time.monotonic()
                    if wait <= 0:
                        heapq.heappop(lane.heap)
                        break
                    self._cond.wait(wait)
            self._attempt(delivery, generation)

    def _attempt(self, delivery: Delivery, generation: int) -> None:
        # Signed now, not at queueing: a retry carries a fresh iat, as Plaid's do.
        token = self.keys.sign(delivery.body)
        status, error = self._post(delivery.url, delivery.body, token)
        with self._cond:
            delivery.attempts += 1
            delivery.status_codes.append(status)
            delivery.signatures.append(token)
            if error is not None:
                delivery.errors.append(error)
            if status is not None and 200 <= status < 300:
                delivery.delivered = True
            elif generation != self._generation or delivery.attempts > len(self.retry_delays):
                delivery.gave_up = True
            else:
                retry_in = self.retry_delays[delivery.attempts - 1]
                self._schedule(delivery, time.monotonic() + retry_in)
            self._cond.notify_all()
        outcome = status if error is None else error
        # Payloads never hold access tokens; log what identifies the event, not the body.
        if delivery.delivered:
            logger.debug("Webhook %r: attempt answered %s", delivery, outcome)
        else:
            logger.info("Webhook %r: attempt failed (%s)", delivery, outcome)

    def _post(self, url: str, body: bytes, token: str) -> tuple[int | None, str | None]:
        """POST once; return (HTTP status, None) or (None, what went wrong)."""
        parts = urlsplit(url)
        connection: http.client.HTTPConnection
        try:
            if parts.scheme == "https":
                connection = http.client.HTTPSConnection(
                    parts.hostname or "",
                    parts.port,
                    timeout=self.timeout,
                    context=ssl.create_default_context(),
                )
            else:
                connection = http.client.HTTPConnection(
                    parts.hostname or "", parts.port, timeout=self.timeout
                )
        except ValueError as exc:  # e.g. a non-numeric port
            return None, f"{type(exc).__name__}: {exc}"
        target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        headers = {"Content-Type": "application/json", "Plaid-Verification": token}
        try:
            connection.request("POST", target, body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            return response.status, None
        except (OSError, http.client.HTTPException) as exc:
            return None, f"{type(exc).__name__}: {exc}"
        finally:
            connection.close()
