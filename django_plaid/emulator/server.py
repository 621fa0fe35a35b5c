"""``Emulator``: the Plaid emulator served by werkzeug's threaded WSGI server on loopback."""

from __future__ import annotations

import threading
from types import TracebackType
from typing import Any

from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server

from .app import EmulatorApp
from .state import EmulatorState

__all__ = ["DEFAULT_CLIENT_ID", "DEFAULT_SECRET", "Emulator"]

#: Credentials the emulator accepts unless told otherwise (test values, not secrets).
DEFAULT_CLIENT_ID = "test_client_id"
DEFAULT_SECRET = "test_secret"


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
    ) -> None:
        self.host = host
        self.client_id = client_id
        self.secret = secret
        self.quiet = quiet
        self.state = state or EmulatorState()
        self.app = EmulatorApp(self.state, client_id=client_id, secret=secret)
        self._requested_port = port
        self._server: BaseWSGIServer | None = None
        self._thread: threading.Thread | None = None

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

    def start(self) -> Emulator:
        """Bind the port and serve in a background daemon thread; return self."""
        if self._server is not None:
            return self
        try:
            server = make_server(
                self.host,
                self._requested_port,
                self.app,
                threaded=True,
                request_handler=_RequestHandler,
            )
        except SystemExit as exc:
            # werkzeug reports bind failures with sys.exit(1); a library must not exit.
            raise OSError(f"Plaid emulator could not listen on {self.host}:{self.port}") from exc
        server.emulator_quiet = self.quiet  # type: ignore[attr-defined]
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.1},
            name=f"plaid-emulator-{server.port}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and release the port."""
        server, thread = self._server, self._thread
        if server is None:
            return
        self._requested_port = int(server.port)
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout=5)
        self._server = None
        self._thread = None

    def reset(self) -> None:
        """Forget every token and Item (the server keeps running)."""
        self.state.reset()

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
