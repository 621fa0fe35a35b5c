"""How errors look to API clients: Plaid's fields, a fitting HTTP status."""

from __future__ import annotations

import logging

from django.db import InterfaceError, OperationalError
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import set_rollback

from ..exceptions import (
    DuplicateItemError,
    LinkSessionMismatchError,
    PlaidAPIError,
    PlaidConfigurationError,
    PlaidConnectionError,
)

logger = logging.getLogger("django_plaid.api")

#: Codes the person at the app can act on (relink, try another token): the caller's 4xx.
CLIENT_ERROR_CODES = frozenset(
    {
        "INVALID_PUBLIC_TOKEN",
        "INVALID_LINK_TOKEN",
        "INVALID_INSTITUTION",
        "INVALID_PRODUCT",
        "PRODUCTS_NOT_SUPPORTED",
        "NO_ACCOUNTS",
    }
)


def http_status_for(error: PlaidAPIError) -> int:
    """The HTTP status dj-plaid answers for a Plaid error."""
    if isinstance(error, PlaidConnectionError):
        # Unreachable or too slow (PlaidTimeoutError): a passing outage, retry later.
        return status.HTTP_503_SERVICE_UNAVAILABLE
    if error.error_code in CLIENT_ERROR_CODES or error.error_type == "ITEM_ERROR":
        return status.HTTP_400_BAD_REQUEST
    if error.error_type == "RATE_LIMIT_EXCEEDED":
        return status.HTTP_429_TOO_MANY_REQUESTS
    if error.error_type == "INSTITUTION_ERROR":
        # The bank is down (try later) or gone (link another): the user's problem either way.
        return status.HTTP_503_SERVICE_UNAVAILABLE if error.retryable else 400
    if error.error_code == "PLANNED_MAINTENANCE":
        return status.HTTP_503_SERVICE_UNAVAILABLE
    # Plaid's 5xx, and errors in this server's own requests or keys: the caller
    # cannot fix those, so they are a bad gateway, not the caller's 400.
    return status.HTTP_502_BAD_GATEWAY


#: The earlier name of :func:`http_status_for`.
status_for = http_status_for


def plaid_error_response(error: PlaidAPIError | PlaidConfigurationError) -> Response:
    """A JSON response with Plaid's error fields."""
    if isinstance(error, PlaidConfigurationError):
        # The server's configuration is at fault; its details belong in `manage.py check`.
        body = {
            "error_type": "API_ERROR",
            "error_code": "PLAID_NOT_CONFIGURED",
            "error_message": "Plaid is not configured on this server.",
            "display_message": None,
            "request_id": None,
        }
        return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)
    body = {
        "error_type": error.error_type,
        "error_code": error.error_code,
        "error_message": error.error_message,
        "display_message": error.display_message,
        "request_id": error.request_id,
    }
    return Response(body, status=http_status_for(error))


def duplicate_item_response(error: DuplicateItemError) -> Response:
    """409: the user already linked this institution with these accounts."""
    body = {
        "error_type": "INVALID_INPUT",
        "error_code": "DUPLICATE_ITEM",
        "error_message": "This bank login is already linked.",
        "display_message": "You have already linked these accounts.",
        "request_id": None,
        "item_id": error.existing_item_id,
    }
    return Response(body, status=status.HTTP_409_CONFLICT)


def link_session_mismatch_response(error: LinkSessionMismatchError) -> Response:
    """400: the public token was not shown to come from a Link session of this user."""
    body = {
        "error_type": "INVALID_INPUT",
        "error_code": "LINK_SESSION_MISMATCH",
        "error_message": str(error),
        "display_message": None,
        "request_id": None,
        "reason": error.reason,
    }
    return Response(body, status=status.HTTP_400_BAD_REQUEST)


def queue_unavailable_response() -> Response:
    """503: the work could not be queued (the broker is down) and nothing records it."""
    body = {
        "error_type": "API_ERROR",
        "error_code": "QUEUE_UNAVAILABLE",
        "error_message": "The background queue cannot be reached; nothing was queued.",
        "display_message": "This is temporarily unavailable. Please try again later.",
        "request_id": None,
    }
    return Response(body, status=status.HTTP_503_SERVICE_UNAVAILABLE)


#: What the database raises when it cannot serve a request for now: a locked SQLite
#: file, a lost or refused connection, a deadlock or serialization failure.
DATABASE_ERRORS: tuple[type[Exception], ...] = (OperationalError, InterfaceError)

#: Seconds a client is asked to wait (``Retry-After``) after a database error.
DATABASE_RETRY_AFTER = 5


def database_error_summary(error: BaseException) -> str:
    """The error's class and the first line of its message, bounded: what is logged.

    Database messages name the problem (``database is locked``, the host that refused
    the connection), never a query's parameters; later lines (PostgreSQL's DETAIL or
    CONTEXT) are left out all the same.
    """
    first_line = (str(error).strip().splitlines() or [""])[0]
    return f"{type(error).__name__}: {first_line[:200]}"


def database_unavailable_response(error: BaseException, *, item_id: str | None = None) -> Response:
    """503 with ``Retry-After``: the database could not serve the request (locked, its
    connection lost); the client tries again. Logged once, without SQL or secrets.

    ``item_id`` names an Item that was linked all the same (``exchange/``): the client
    must not link it again.
    """
    logger.error("The database could not serve an API request (%s)", database_error_summary(error))
    # Under ATOMIC_REQUESTS the request's transaction is rolled back, not committed.
    set_rollback()
    body: dict[str, str | None] = {
        "error_type": "API_ERROR",
        "error_code": "DATABASE_UNAVAILABLE",
        "error_message": "The database is busy or cannot be reached; try again in a few seconds.",
        "display_message": "This is temporarily unavailable. Please try again in a moment.",
        "request_id": None,
    }
    if item_id is not None:
        body["error_message"] = (
            "The Item is linked, but the database could not read it back; it appears in "
            "items/ shortly. Do not link it again."
        )
        body["item_id"] = item_id
    return Response(
        body,
        status=status.HTTP_503_SERVICE_UNAVAILABLE,
        headers={"Retry-After": str(DATABASE_RETRY_AFTER)},
    )
