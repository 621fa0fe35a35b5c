"""``Emulator``: the Plaid emulator served by werkzeug's threaded WSGI server on loopback."""

from __future__ import annotations

import errno
import os
import socket
import threading
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from types import TracebackType
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec
from werkzeug.serving import (
    BaseWSGIServer,
    WSGIRequestHandler,
    get_sockaddr,
    make_server,
    select_address_family,
)

from .app import EmulatorApp
from .faults import FaultRegistry
from .ledger import MAX_DAYS, TransactionLedger
from .records import Account, Item, User
from .state import EmulatorState
from .state_file import StateFile, StateFileError
from .webhooks import DEFAULT_RETRY_DELAYS, DEFAULT_TIMEOUT, Delivery

__all__ = [
    "DEFAULT_CLIENT_ID",
    "DEFAULT_SECRET",
    "Emulator",
    "EmulatorPortError",
    "StateFileError",
]

#: Credentials the emulator accepts unless told otherwise (test values, not secrets).
DEFAULT_CLIENT_ID = "test_client_id"
DEFAULT_SECRET = "test_secret"


class EmulatorPortError(OSError):
    """The emulator could not listen on its address (``in_use``: another program has it)."""

    def __init__(self, host: str, port: int, reason: str, *, in_use: bool) -> None:
        super().__init__(f"Plaid emulator could not listen on {host}:{port}: {reason}")
        self.host = host
        self.port = port
        self.in_use = in_use


def _listen(host: str, port: int) -> socket.socket:
    """A listening socket on host:port, or EmulatorPortError saying why not."""
    family = select_address_family(host, port)
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        # As werkzeug's server does: rebinding a port in TIME_WAIT is fine, one in use is not.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(get_sockaddr(host, port, family))
        sock.listen(128)
    except OSError as exc:
        sock.close()
        in_use = exc.errno == errno.EADDRINUSE
        if in_use:
            reason = f"port {port} is already in use by another program"
        elif exc.errno == errno.EACCES:
            reason = f"not allowed to use port {port}"
        else:
            reason = exc.strerror or str(exc)
        raise EmulatorPortError(host, port, reason, in_use=in_use) from None
    return sock


class _RequestHandler(WSGIRequestHandler):
    """werkzeug's request handler, silent unless the emulator is verbose."""

    # werkzeug answers every request with "Connection: close"; urllib3 (inside
    # plaid-python) simply reconnects, and the Content-Length we send is always exact.
    server: Any

    def log(self, type: str, message: str, *args: Any) -> None:
        # Request lines carry only method and path (no tokens), but stay silent by default
        # so test output is clean.
        if not self.server.emulator_quiet:
            super().log(type, message, *args)


class Emulator:
    """A Plaid API emulator on loopback for the unmodified plaid-python SDK.

    ``Emulator(port=0)`` picks a free port. Use ``start()``/``stop()`` or a ``with`` block;
    point plaid-python at ``url`` with ``plaid.Configuration(host=emulator.url, ...)`` and
    the ``client_id``/``secret`` given here.

    Webhooks: Items with a webhook URL get Plaid's webhooks, signed with the emulator's
    ES256 key (``/webhook_verification_key/get`` publishes it) and POSTed from background
    threads. A failed attempt (no answer or non-2xx) is retried after each of
    ``webhook_retry_delays`` seconds, then given up. ``send_webhooks=False`` records
    deliveries without sending them. ``webhook_delay`` holds each first attempt back, and
    ``webhook_timeout`` is how long a receiver may take to answer.

    Transactions: Items with ``transactions`` get a generated history (seeded from the
    item_id) served by ``/transactions/sync`` and ``/transactions/get``;
    ``transactions_truth()`` is what a full sync must produce, and ``add_transactions()``,
    ``modify_transaction()``, ``remove_transaction()``, ``post_pending()``,
    ``refresh_transactions()`` and ``generate_transactions()`` change it. Methods taking
    ``item`` accept an item_id or an access token. ``faults`` injects failures (HTTP 500,
    rate limits, slowness, any catalogue error, mutation during pagination).

    State file: with ``state_file``, the emulator loads its state from that path (a
    missing file means a fresh start; it is created), rewrites it atomically at most
    every half second while serving and the state changes, and once more at ``stop()``,
    so a new emulator on the same file continues where this one stopped. A file it
    cannot use raises ``StateFileError`` here (see ``state_file.py``).

    Other products: Auth, Identity, Investments and Liabilities serve ``user_good``'s
    sandbox data; ``set_product_ready()`` puts a product in (or out of) PRODUCT_NOT_READY,
    ``set_verification_status()`` verifies or expires an auth account (with its AUTH
    webhook). Income: ``create_user()`` stands for ``/user/create``; a payroll-income Link
    then makes the user's payroll Item (see ``endpoints/income.py``).
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        client_id: str = DEFAULT_CLIENT_ID,
        secret: str = DEFAULT_SECRET,
        *,
        quiet: bool = True,
        state: EmulatorState | None = None,
        send_webhooks: bool = True,
        webhook_retry_delays: Sequence[float] = DEFAULT_RETRY_DELAYS,
        webhook_timeout: float = DEFAULT_TIMEOUT,
        webhook_delay: float = 0.0,
        state_file: str | os.PathLike[str] | None = None,
    ) -> None:
        self.host = host
        self.client_id = client_id
        self.secret = secret
        self.quiet = quiet
        self.state = state or EmulatorState()
        self.state.webhooks.configure(
            enabled=send_webhooks,
            retry_delays=webhook_retry_delays,
            timeout=webhook_timeout,
            delay=webhook_delay,
        )
        self.app = EmulatorApp(self.state, client_id=client_id, secret=secret)
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None
        #: The state file (None without ``state_file``); ``open()`` may raise StateFileError.
        self.state_file: StateFile | None = None
        if state_file is not None:
            self.state_file = StateFile(state_file, self.state)
            self.state_file.open()

    def __repr__(self) -> str:
        where = self.url if self.running else "stopped"
        return f"<Emulator {where}>"

    @property
    def running(self) -> bool:
        """Whether the server is accepting requests."""
        return self._server is not None

    @property
    def port(self) -> int:
        """The bound port (the real one when constructed with port 0)."""
        if self._server is None:
            return self._requested_port
        return int(self._server.port)

    @property
    def url(self) -> str:
        """Base URL to pass as ``plaid.Configuration(host=...)``, e.g. http://127.0.0.1:54321."""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def link_script_url(self) -> str:
        """The Link simulator's script, for ``PLAID["LINK_SCRIPT_URL"]`` (Plaid's CDN path)."""
        return self.url + "/link/v2/stable/link-initialize.js"

    def start(self) -> Emulator:
        """Bind the port and serve in a background daemon thread; return self."""
        if self._server is not None:
            return self
        # Bound here, not by werkzeug: it prints bind failures and calls sys.exit(1).
        sock = _listen(self.host, self._requested_port)
        try:
            server = make_server(
                self.host,
                self._requested_port,
                self.app,
                threaded=True,
                request_handler=_RequestHandler,
                fd=sock.fileno(),
            )
        finally:
            # werkzeug serves on a duplicate of the descriptor.
            sock.close()
        server.emulator_quiet = self.quiet  # type: ignore[attr-defined]
        self._server = server
        self.state.webhooks.start()
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"plaid-emulator-{server.port}",
            daemon=True,
        )
        self._thread.start()
        if self.state_file is not None:
            self.state_file.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port; pending webhooks wait for the next start().

        With a state file, the final state is written to it.
        """
        server, thread = self._server, self._thread
        if server is None:
            return
        self._requested_port = int(server.port)
        self.state.webhooks.close()
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None
        if self.state_file is not None:
            self.state_file.stop()

    def reset(self) -> None:
        """Forget every token, Item, fault and webhook delivery (the server keeps running).

        Pending deliveries are cancelled, ``send_webhooks`` goes back to the constructor's
        value, and the webhook signing keys are replaced by one fresh key (a new kid, so
        keys a receiver cached in an earlier test do not carry over). A state file is
        rewritten at once with the empty state.
        """
        self.state.reset()

    # -- faults and transactions ----------------------------------------------------------------

    @property
    def faults(self) -> FaultRegistry:
        """Injected failures: ``faults.add(kind, ...)``, ``faults.list()``, ``faults.clear()``."""
        return self.state.faults

    def transactions_truth(self, item: str | Item) -> dict[str, dict[str, Any]]:
        """The Item's current transactions by id, as served (see EmulatorState)."""
        return self.state.transactions_truth(item)

    def add_transactions(self, item: str | Item, n: int = 1, *, pending: bool = False) -> list[str]:
        """Add ``n`` new transactions (posted unless ``pending``); return their ids."""
        return self.state.add_transactions(item, n, pending=pending)

    def modify_transaction(
        self,
        item: str | Item,
        transaction_id: str | None = None,
        *,
        amount: float | None = None,
        name: str | None = None,
    ) -> str:
        """Change one transaction (default: a random posted one, amount + $1.00)."""
        return self.state.modify_transaction(item, transaction_id, amount=amount, name=name)

    def remove_transaction(self, item: str | Item, transaction_id: str | None = None) -> str:
        """Remove one transaction (default: a random one); return its id."""
        return self.state.remove_transaction(item, transaction_id)

    def post_pending(self, item: str | Item) -> dict[str, str]:
        """Post every pending transaction; return {pending id: posted id}."""
        return self.state.post_pending(item)

    def refresh_transactions(self, item: str | Item) -> dict[str, Any]:
        """Do what ``/transactions/refresh`` does; return the ids added/modified/removed."""
        return self.state.refresh_transactions(item)

    def generate_transactions(
        self, item: str | Item, count: int, *, days: int = MAX_DAYS
    ) -> TransactionLedger:
        """Replace the Item's history with ``count`` transactions over ``days`` days."""
        return self.state.generate_transactions(item, count, days=days)

    def set_transactions_ready(self, item: str | Item, ready: bool = True) -> Item:
        """End (or, with ``ready=False``, start) the Item's NOT_READY phase."""
        return self.state.set_transactions_ready(item, ready)

    # -- other products -----------------------------------------------------------------------

    def set_product_ready(self, item: str | Item, product: str, ready: bool = True) -> Item:
        """End (or, with ``ready=False``, start) a product's PRODUCT_NOT_READY phase."""
        return self.state.set_product_ready(item, product, ready)

    def set_verification_status(
        self, item: str | Item, account_id: str, verification_status: str
    ) -> Account:
        """Verify (``automatically_verified``) or expire an auth account; sends the webhook."""
        return self.state.set_verification_status(item, account_id, verification_status)

    def create_user(self, client_user_id: str) -> User:
        """Create a user as ``/user/create`` does (user_id and user_token)."""
        return self.state.create_user(client_user_id)

    # -- webhooks -----------------------------------------------------------------------------

    @property
    def send_webhooks(self) -> bool:
        """Whether webhooks are sent; when False they are only recorded in ``deliveries``."""
        return self.state.webhooks.enabled

    @send_webhooks.setter
    def send_webhooks(self, value: bool) -> None:
        self.state.webhooks.enabled = value

    @property
    def deliveries(self) -> list[Delivery]:
        """Every webhook delivery since the last reset, in the order queued."""
        return self.state.webhooks.deliveries

    @property
    def webhook_key_id(self) -> str:
        """The ``kid`` of the key that signs new deliveries."""
        return self.state.webhook_keys.current_kid

    @property
    def webhook_kid(self) -> str:
        """Alias of ``webhook_key_id``."""
        return self.webhook_key_id

    @property
    def webhook_public_key(self) -> ec.EllipticCurvePublicKey:
        """The current signing key's public half (what the published JWK describes)."""
        return self.state.webhook_keys.get().public_key

    def webhook_jwk(self, kid: str | None = None) -> dict[str, Any]:
        """The public JWK ``/webhook_verification_key/get`` returns (current key by default)."""
        return self.state.webhook_keys.jwk(kid)

    def rotate_webhook_key(self) -> str:
        """Sign with a new key from now on; the old key gets ``expired_at`` = now.

        Returns the new ``kid``. Old keys stay fetchable through
        ``/webhook_verification_key/get``.
        """
        with self.state.lock:
            return self.state.webhook_keys.rotate()

    def sign_webhook(self, body: bytes, *, iat: int | None = None, kid: str | None = None) -> str:
        """Return a ``Plaid-Verification`` JWT for ``body`` (any bytes).

        Signed with the current key, or the key ``kid`` names (even an expired one);
        ``iat`` defaults to now. KeyError for an unknown ``kid``.
        """
        return self.state.webhook_keys.sign(body, iat=iat, kid=kid)

    def send_webhook(self, url: str, payload: Mapping[str, Any]) -> Delivery:
        """Queue ``payload`` for ``url``, exactly as given; return the delivery record.

        The body is ``json.dumps(payload, indent=2)``, signed at each attempt. Nothing is
        added: include ``environment`` etc. yourself to imitate Plaid.
        """
        return self.state.webhooks.send(url, payload)

    def wait_for_webhooks(self, timeout: float = 10.0) -> list[Delivery]:
        """Block until every queued delivery succeeded or gave up; return all deliveries.

        Raises TimeoutError (naming what is still pending) after ``timeout`` seconds.
        """
        return self.state.webhooks.wait(timeout)

    def hold_webhooks(self) -> AbstractContextManager[None]:
        """Queue webhooks without sending them until the ``with`` block ends.

        Useful when a webhook must not race the code that triggered it, e.g. an exchange
        whose INITIAL_UPDATE should reach the app only after it stored the Item.
        """
        return self.state.webhooks.hold()

    def serve_forever(self) -> None:
        """Start if needed and block until interrupted (used by ``python -m``)."""
        self.start()
        assert self._thread is not None
        try:
            while self._thread.is_alive():
                self._thread.join(0.5)
        finally:
            self.stop()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
