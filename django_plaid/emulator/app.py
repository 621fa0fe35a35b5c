"""The emulator's WSGI application: routing, JSON bodies, credentials, Plaid error bodies.

Plaid's API is ``POST`` only; ``GET`` serves the Link simulator's static files
(``link_ui.ASSETS``, a separate table) and nothing else.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import TYPE_CHECKING, Any

from . import ids
from .endpoints import default_routes
from .errors import PlaidErrorResponse
from .link_ui import ASSETS, Asset
from .routes import RawJSON, Route
from .state import EmulatorState

if TYPE_CHECKING:
    from wsgiref.types import StartResponse, WSGIEnvironment

__all__ = ["EmulatorApp", "Hook", "RequestContext", "Response"]

logger = logging.getLogger("django_plaid.emulator")


@dataclass
class Response:
    """An answer before it goes on the wire: a JSON dict, or raw bytes for odd cases."""

    status: int
    body: dict[str, Any] | bytes
    headers: list[tuple[str, str]] = field(default_factory=list)
    content_type: str = "application/json; charset=utf-8"

    def encode(self) -> bytes:
        """Return the body bytes (compact JSON, as Plaid sends)."""
        if isinstance(self.body, bytes):
            return self.body
        return json.dumps(self.body).encode()


@dataclass
class RequestContext:
    """One API call as hooks see it (credentials already checked and stripped)."""

    method: str
    path: str
    headers: Mapping[str, str]
    body: dict[str, Any]
    route: Route
    state: EmulatorState
    request_id: str
    client_id: str | None


#: Runs after routing, parsing and the credential check, before the handler. It may return
#: a Response (answer that instead), raise PlaidErrorResponse (answer that error), sleep (a slow
#: Plaid), or return None (carry on). This is where fault injection plugs in.
Hook = Callable[[RequestContext], "Response | None"]


def error_response(error: PlaidErrorResponse, request_id: str) -> Response:
    """Render a PlaidErrorResponse as Plaid's error body with its HTTP status."""
    return Response(error.http_status, error.to_dict(request_id))


class EmulatorApp:
    """WSGI callable that answers Plaid API calls from an ``EmulatorState``."""

    def __init__(
        self,
        state: EmulatorState,
        *,
        client_id: str,
        secret: str,
        routes: Iterable[Route] | None = None,
        assets: Iterable[Asset] = ASSETS,
    ) -> None:
        if routes is None:
            routes = default_routes()
        self.state = state
        self.client_id = client_id
        self._secret = secret
        self.routes: dict[str, Route] = {}
        #: ``GET`` paths: the Link simulator's files.
        self.assets: dict[str, Asset] = {asset.path: asset for asset in assets}
        # Fault injection (state.faults) is the first hook; tests may append their own.
        self.hooks: list[Hook] = [state.faults]
        for route in routes:
            self.add_route(route)

    def add_route(self, route: Route) -> None:
        """Register (or replace) the handler for a path."""
        self.routes[route.path] = route

    # -- WSGI ---------------------------------------------------------------------------------

    def __call__(self, environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        """Serve one WSGI request."""
        headers = _headers(environ)
        method = environ.get("REQUEST_METHOD", "GET")
        path = environ.get("PATH_INFO", "/")
        asset = self.assets.get(path)
        if asset is not None and method in ("GET", "HEAD"):
            response = Response(200, asset.read(), list(asset.headers), asset.content_type)
        else:
            try:
                raw = _read_body(environ)
            except (OSError, ValueError):
                raw = b""
            response = self.handle(method, path, headers, raw)
        payload = response.encode()
        status = HTTPStatus(response.status)
        start_response(
            f"{status.value} {status.phrase}",
            [
                ("Content-Type", response.content_type),
                ("Content-Length", str(len(payload))),
                *response.headers,
            ],
        )
        return [b""] if method == "HEAD" else [payload]

    # -- dispatch -----------------------------------------------------------------------------

    def handle(self, method: str, path: str, headers: Mapping[str, str], raw: bytes) -> Response:
        """Turn one request into a Response; never raises."""
        request_id = ids.request_id()
        try:
            return self._dispatch(method, path, headers, raw, request_id)
        except PlaidErrorResponse as error:
            return error_response(error, request_id)
        except Exception:
            # Log the failure without the request body: it may hold tokens or secrets.
            logger.exception("Plaid emulator failed on %s %s", method, path)
            return error_response(PlaidErrorResponse("INTERNAL_SERVER_ERROR"), request_id)

    def _dispatch(
        self, method: str, path: str, headers: Mapping[str, str], raw: bytes, request_id: str
    ) -> Response:
        route = self.routes.get(path)
        # Plaid routes on method + path, so a GET to a POST endpoint is simply unknown.
        if route is None or method != "POST":
            raise PlaidErrorResponse("NOT_FOUND", "not found: " + path)
        body = _parse_json(raw, allow_empty=not route.authenticated)
        client_id: str | None = None
        if route.authenticated:
            client_id = self._authenticate(headers, body)
        context = RequestContext(
            method=method,
            path=path,
            headers=headers,
            body=body,
            route=route,
            state=self.state,
            request_id=request_id,
            client_id=client_id,
        )
        for hook in list(self.hooks):
            answer = hook(context)
            if answer is not None:
                return answer
        # One lock around the whole handler makes each call atomic (e.g. two concurrent
        # exchanges of one public token: exactly one wins).
        with self.state.lock:
            result = route.handler(self.state, body)
        if isinstance(result, RawJSON):
            return Response(200, result.with_request_id(request_id))
        result.setdefault("request_id", request_id)
        return Response(200, result)

    def _authenticate(self, headers: Mapping[str, str], body: dict[str, Any]) -> str:
        """Check client_id/secret from headers or body; strip them from the body."""
        client_id = headers.get("plaid-client-id")
        secret = headers.get("plaid-secret")
        body_client_id = body.pop("client_id", None)
        body_secret = body.pop("secret", None)
        if client_id is None:
            client_id = body_client_id
        if secret is None:
            secret = body_secret
        if not isinstance(client_id, str) or not isinstance(secret, str):
            raise PlaidErrorResponse(
                "INVALID_API_KEYS",
                "invalid client_id or secret provided: send them in the PLAID-CLIENT-ID and "
                "PLAID-SECRET headers or the client_id and secret body fields",
            )
        # Both comparisons always run, in constant time, so timing reveals nothing.
        good_id = hmac.compare_digest(client_id.encode(), self.client_id.encode())
        good_secret = hmac.compare_digest(secret.encode(), self._secret.encode())
        if not (good_id and good_secret):
            raise PlaidErrorResponse("INVALID_API_KEYS")
        return client_id


def _headers(environ: Mapping[str, Any]) -> dict[str, str]:
    """Collect request headers with lower-case, dash-separated names."""
    headers = {
        key[5:].replace("_", "-").lower(): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if environ.get(key):
            headers[key.replace("_", "-").lower()] = environ[key]
    return headers


def _read_body(environ: Mapping[str, Any]) -> bytes:
    stream = environ.get("wsgi.input")
    if stream is None:
        return b""
    length = environ.get("CONTENT_LENGTH")
    if length:
        return stream.read(int(length))
    # Chunked bodies: werkzeug marks the stream as terminated, so reading to EOF is safe.
    if environ.get("wsgi.input_terminated"):
        return stream.read()
    return b""


def _parse_json(raw: bytes, *, allow_empty: bool) -> dict[str, Any]:
    if not raw.strip() and allow_empty:
        return {}
    try:
        body = json.loads(raw)
    except (UnicodeDecodeError, ValueError):
        raise PlaidErrorResponse("INVALID_BODY") from None
    if not isinstance(body, dict):
        raise PlaidErrorResponse("INVALID_BODY", "body must be a JSON object")
    return body
