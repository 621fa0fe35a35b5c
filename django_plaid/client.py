"""The one module that talks to Plaid, through the unmodified plaid-python SDK.

Two paths per operation:

* :meth:`PlaidClient.call` builds plaid-python's typed request model (so bad input is
  caught before it leaves), and deserializes the answer into the SDK's typed response
  model, strictly. Returned as JSON-ready ``dict`` (dates as ISO strings) so callers
  can store it. Right for small answers.
* :meth:`PlaidClient.call_raw` sends the same typed request but reads the raw bytes of
  the answer and parses them with :func:`json.loads`. plaid-python's typed models cost
  about 2.6 ms per transaction; the raw path costs about 0.01 ms. Right for big answers
  (``/transactions/sync``, investments).

Every call has a timeout (plaid-python sets none), and every failure, whether Plaid's
error body or a network failure, is raised as a :class:`~django_plaid.exceptions.PlaidAPIError`.
Nothing logged here contains a request body, an access token or a key.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from typing import Any

import plaid
import urllib3
from django.views.decorators.debug import sensitive_variables
from plaid import model_utils
from plaid.api import plaid_api

from .conf import plaid_settings
from .exceptions import (
    PlaidAPIError,
    PlaidConfigurationError,
    PlaidConnectionError,
    PlaidInvalidRequestError,
    PlaidServerError,
    PlaidTimeoutError,
)

logger = logging.getLogger("django_plaid.client")

#: The API version every request announces (plaid-python 46 is generated for it).
PLAID_VERSION = "2020-09-14"


class PlaidClient:
    """A configured plaid-python client with timeouts and one exception tree.

    Every method that holds the keys or a request's fields is marked with
    ``sensitive_variables``: Django's error reports (500 e-mails) then show none of the
    locals of these frames, nor of the plaid-python and urllib3 frames below them
    (headers with the secret, bodies with access tokens).
    """

    @sensitive_variables("client_id", "secret", "configuration")
    def __init__(
        self,
        *,
        client_id: str,
        secret: str,
        base_url: str,
        timeout: float = 30.0,
    ) -> None:
        configuration = plaid.Configuration(
            host=base_url,
            api_key={"clientId": client_id, "secret": secret, "plaidVersion": PLAID_VERSION},
        )
        # Connection failures are retried by urllib3 (nothing was sent); reads and
        # status codes never are, since Plaid's POSTs are not idempotent.
        configuration.retries = urllib3.Retry(total=2, connect=2, read=0, status=0, redirect=0)
        self._configuration = configuration
        self._api = plaid_api.PlaidApi(plaid.ApiClient(configuration))
        self.base_url = base_url
        self.timeout = timeout

    def __repr__(self) -> str:
        return f"<PlaidClient {self.base_url}>"

    # -- public paths -------------------------------------------------------------

    @sensitive_variables()
    def call(self, operation: str, **fields: Any) -> dict[str, Any]:
        """Call ``operation`` (e.g. ``"accounts_get"``) and return Plaid's typed-checked answer."""
        response = self._send(operation, fields, raw=False)
        return plaid.ApiClient.sanitize_for_serialization(response)

    @sensitive_variables()
    def call_raw(self, operation: str, **fields: Any) -> dict[str, Any]:
        """Call ``operation`` and parse the raw answer bytes with ``json.loads`` (fast path)."""
        response = self._send(operation, fields, raw=True)
        try:
            data = json.loads(response.data)
        except ValueError:
            raise PlaidServerError(
                "API_ERROR",
                "INVALID_RESPONSE",
                f"Plaid answered {operation} with a body that is not JSON",
                status=response.status,
            ) from None
        if not isinstance(data, dict):
            raise PlaidServerError(
                "API_ERROR", "INVALID_RESPONSE", f"Plaid answered {operation} with {type(data)}"
            )
        return data

    # -- plumbing ---------------------------------------------------------------------

    def _endpoint(self, operation: str) -> Any:
        endpoint = getattr(self._api, f"{operation}_endpoint", None)
        if endpoint is None:
            raise PlaidConfigurationError(f"plaid-python has no operation {operation!r}")
        return endpoint

    @sensitive_variables()
    def _build_request(self, operation: str, fields: dict[str, Any]) -> tuple[str, Any]:
        endpoint = self._endpoint(operation)
        (param,) = endpoint.params_map["required"]
        model_class = endpoint.openapi_types[param]
        try:
            model = model_utils.validate_and_convert_types(
                fields,
                model_class,
                [param],
                True,
                True,
                configuration=self._configuration,
            )
        except (plaid.ApiTypeError, plaid.ApiValueError, plaid.ApiAttributeError, TypeError) as e:
            # The SDK's messages name fields and types, but `from None` keeps the
            # offending input values (possibly a token) out of any traceback.
            raise PlaidInvalidRequestError(
                "INVALID_REQUEST",
                "INVALID_FIELD",
                f"Invalid request for {operation}: {_first_line(e)}",
            ) from None
        return param, model

    @sensitive_variables()
    def _send(self, operation: str, fields: dict[str, Any], *, raw: bool) -> Any:
        param, request = self._build_request(operation, fields)
        method = getattr(self._api, operation)
        started = time.monotonic()
        try:
            response = method(
                **{param: request},
                _request_timeout=self.timeout,
                _preload_content=not raw,
                _check_return_type=True,
            )
        except plaid.ApiException as e:
            error = _error_from_api_exception(e)
            logger.warning(
                "Plaid %s failed: HTTP %s %s/%s request_id=%s (%.0f ms)",
                operation,
                error.status,
                error.error_type,
                error.error_code,
                error.request_id,
                (time.monotonic() - started) * 1000,
            )
            raise error from None
        except urllib3.exceptions.HTTPError as e:
            error = _error_from_transport(e, operation, self.timeout)
            logger.warning("Plaid %s failed: %s", operation, error.error_message)
            raise error from None
        except (plaid.ApiTypeError, plaid.ApiValueError, plaid.ApiAttributeError, TypeError) as e:
            # Typed path only: Plaid's answer did not match plaid-python's models.
            logger.error("Plaid %s answered a body plaid-python rejects", operation)
            raise PlaidServerError(
                "API_ERROR",
                "INVALID_RESPONSE",
                f"Plaid's answer to {operation} does not match plaid-python's model: "
                f"{_first_line(e)}",
            ) from None
        if raw and response.status >= 300:  # pragma: no cover - the SDK raises on these
            raise PlaidServerError("API_ERROR", "INVALID_RESPONSE", f"HTTP {response.status}")
        logger.debug("Plaid %s ok (%.0f ms)", operation, (time.monotonic() - started) * 1000)
        return response


def _first_line(error: BaseException) -> str:
    return str(error).strip().splitlines()[0][:300] if str(error).strip() else type(error).__name__


def _error_from_api_exception(e: plaid.ApiException) -> PlaidAPIError:
    status = e.status or None
    body = e.body
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None
    if isinstance(data, dict) and data.get("error_code"):
        return PlaidAPIError.from_error_body(data, status)
    # Not Plaid's JSON (an HTML page from a proxy, an empty body).
    return PlaidServerError(
        "API_ERROR",
        "INTERNAL_SERVER_ERROR",
        f"Plaid answered HTTP {status} without an error body",
        status=status,
    )


def _error_from_transport(
    e: urllib3.exceptions.HTTPError, operation: str, timeout: float
) -> PlaidConnectionError:
    reason = getattr(e, "reason", None) or e
    # NewConnectionError subclasses ConnectTimeoutError in urllib3 2 (for history's
    # sake), but a refused connection is not a timeout.
    if not isinstance(reason, urllib3.exceptions.NewConnectionError) and isinstance(
        reason, urllib3.exceptions.TimeoutError
    ):
        return PlaidTimeoutError(f"Plaid did not answer {operation} within {timeout:g} s")
    return PlaidConnectionError(f"Could not reach Plaid for {operation}: {type(reason).__name__}")


_clients: dict[tuple[Any, ...], PlaidClient] = {}
_clients_lock = threading.Lock()


@sensitive_variables("client_id", "secret", "key")
def get_client() -> PlaidClient:
    """The client for the current ``PLAID`` setting (built once per configuration)."""
    client_id = plaid_settings.CLIENT_ID
    secret = plaid_settings.SECRET
    if not client_id or not secret:
        raise PlaidConfigurationError(
            'PLAID["CLIENT_ID"] and PLAID["SECRET"] must be set to call Plaid '
            "(run `manage.py check` for details)."
        )
    timeout = plaid_settings.REQUEST_TIMEOUT
    # The secret enters the key only as a digest, so no repr of this cache shows it.
    key = (
        client_id,
        hashlib.sha256(str(secret).encode()).hexdigest(),
        plaid_settings.base_url,
        timeout,
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            client = PlaidClient(
                client_id=client_id,
                secret=secret,
                base_url=plaid_settings.base_url,
                timeout=timeout,
            )
            _clients.clear()  # keep only the current configuration's pools
            _clients[key] = client
        return client
