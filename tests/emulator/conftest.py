"""The emulator tests' fixtures: the SDK client, scripted webhook receivers, a fast emulator."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from werkzeug.serving import BaseWSGIServer, WSGIRequestHandler, make_server
from werkzeug.wrappers import Request, Response

from django_plaid.emulator import Emulator

from . import make_api


@pytest.fixture
def api(plaid_emulator: Emulator, request: pytest.FixtureRequest) -> Any:
    """The unmodified plaid-python client, pointed at ``plaid_emulator``.

    A test module with ``API_SENDS_WEBHOOKS = False`` gets it with the emulator's webhooks
    switched off (``reset()`` before the next test switches them back on).
    """
    if not getattr(request.module, "API_SENDS_WEBHOOKS", True):
        plaid_emulator.send_webhooks = False
    return make_api(plaid_emulator)


@dataclass
class Received:
    """One request a Receiver got."""

    path: str
    headers: dict[str, str]
    body: bytes


class _QuietHandler(WSGIRequestHandler):
    def log(self, type: str, message: str, *args: Any) -> None:
        pass


class Receiver:
    """A webhook endpoint on 127.0.0.1:0 answering from a script of status codes."""

    def __init__(self, statuses: Iterable[int] = (), default: int = 200) -> None:
        self.statuses = list(statuses)
        self.default = default
        self.received: list[Received] = []
        self._lock = threading.Lock()
        self._server: BaseWSGIServer = make_server(
            "127.0.0.1", 0, self._app, threaded=True, request_handler=_QuietHandler
        )
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def url(self, path: str = "/plaid/webhook") -> str:
        return f"http://127.0.0.1:{self._server.port}{path}"

    def _app(self, environ: Any, start_response: Any) -> Any:
        request = Request(environ)
        received = Received(
            path=request.full_path.rstrip("?"),
            headers={k.lower(): v for k, v in request.headers.items()},
            body=request.get_data(),
        )
        with self._lock:
            self.received.append(received)
            status = self.statuses.pop(0) if self.statuses else self.default
        return Response(b"", status=status)(environ, start_response)

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(5)


@pytest.fixture
def receivers() -> Iterator[Any]:
    """A factory: ``receivers(statuses=(500,), default=200)`` starts a Receiver."""
    started: list[Receiver] = []

    def start(statuses: Iterable[int] = (), default: int = 200) -> Receiver:
        receiver = Receiver(statuses, default)
        started.append(receiver)
        return receiver

    yield start
    for receiver in started:
        receiver.stop()


@pytest.fixture
def receiver(receivers: Any) -> Receiver:
    """A receiver that answers 200 to everything."""
    return receivers()


@pytest.fixture
def fast_emulator() -> Iterator[Emulator]:
    """A private emulator whose failed deliveries retry within milliseconds."""
    with Emulator(webhook_retry_delays=(0.01, 0.02, 0.03)) as emulator:
        yield emulator
