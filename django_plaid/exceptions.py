"""dj-plaid's exception tree.

Every error that comes from talking to Plaid is a :class:`PlaidAPIError` carrying
Plaid's own fields (``error_type``, ``error_code``, ``error_message``,
``display_message``, ``request_id``) and the HTTP status. Network failures land in the
same tree (:class:`PlaidConnectionError`, :class:`PlaidTimeoutError`) with local codes,
so callers branch on one hierarchy. No exception here ever carries a request body, an
access token or a key: only what Plaid said back.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ImproperlyConfigured, SuspiciousOperation


class PlaidError(Exception):
    """Base class of every dj-plaid exception."""


class PlaidConfigurationError(PlaidError, ImproperlyConfigured):
    """The ``PLAID`` setting (or ``FIELD_ENCRYPTION_KEY``) is missing or wrong."""


#: Plaid ``error_type``s whose errors are worth retrying later (with backoff).
RETRYABLE_ERROR_TYPES = frozenset({"RATE_LIMIT_EXCEEDED", "API_ERROR", "INSTITUTION_ERROR"})
#: ``error_code``s worth retrying whatever their type.
RETRYABLE_ERROR_CODES = frozenset(
    {
        "PRODUCT_NOT_READY",
        "INTERNAL_SERVER_ERROR",
        "PLANNED_MAINTENANCE",
        "INSTITUTION_DOWN",
        "INSTITUTION_NOT_RESPONDING",
        "INSTITUTION_NOT_AVAILABLE",
        "INSTITUTION_RATE_LIMIT",
        "PLAID_UNREACHABLE",
        "PLAID_TIMEOUT",
    }
)
#: ``INSTITUTION_ERROR`` codes that are permanent, despite their type.
PERMANENT_INSTITUTION_CODES = frozenset(
    {
        "INSTITUTION_NO_LONGER_SUPPORTED",
        "UNAUTHORIZED_INSTITUTION",
        "INSTITUTION_REGISTRATION_REQUIRED",
        "INSTITUTION_NOT_ENABLED_IN_ENVIRONMENT",
        "UNSUPPORTED_RESPONSE",
    }
)


class PlaidAPIError(PlaidError):
    """Plaid answered with an error (or could not be reached)."""

    #: Fields of Plaid's error object that this exception carries, in Plaid's names.
    FIELDS = (
        "error_type",
        "error_code",
        "error_message",
        "display_message",
        "request_id",
        "error_code_reason",
    )

    def __init__(
        self,
        error_type: str,
        error_code: str,
        error_message: str = "",
        *,
        display_message: str | None = None,
        request_id: str | None = None,
        error_code_reason: str | None = None,
        status: int | None = None,
    ) -> None:
        self.error_type = error_type
        self.error_code = error_code
        self.error_message = error_message
        self.display_message = display_message
        self.request_id = request_id
        self.error_code_reason = error_code_reason
        self.status = status
        super().__init__(str(self))

    def __str__(self) -> str:
        text = f"{self.error_type}/{self.error_code}: {self.error_message}"
        if self.request_id:
            text += f" (request_id {self.request_id})"
        return text

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(error_type={self.error_type!r}, "
            f"error_code={self.error_code!r}, status={self.status!r}, "
            f"request_id={self.request_id!r})"
        )

    def __reduce__(self) -> tuple[Any, ...]:
        # Picklable (Celery results, multiprocessing) with every field intact.
        return (_rebuild_error, (type(self), self.as_dict(), self.status))

    @property
    def retryable(self) -> bool:
        """Whether the same call may succeed later without anyone changing anything."""
        if self.error_code in PERMANENT_INSTITUTION_CODES:
            return False
        return (
            self.error_type in RETRYABLE_ERROR_TYPES and self.error_code != "CREDITS_EXHAUSTED"
        ) or self.error_code in RETRYABLE_ERROR_CODES

    def as_dict(self) -> dict[str, Any]:
        """Plaid's error object: the fields an API response or the database keeps."""
        return {field: getattr(self, field) for field in self.FIELDS}

    @classmethod
    def from_error_body(cls, body: dict[str, Any], status: int | None = None) -> PlaidAPIError:
        """Build the right subclass from Plaid's error JSON."""
        error_type = str(body.get("error_type") or "API_ERROR")
        error_code = str(body.get("error_code") or "UNKNOWN_ERROR")
        subclass = _subclass_for(error_type, error_code, status)
        return subclass(
            error_type,
            error_code,
            str(body.get("error_message") or ""),
            display_message=body.get("display_message"),
            request_id=body.get("request_id"),
            error_code_reason=body.get("error_code_reason"),
            status=status,
        )


def _rebuild_error(cls: type[PlaidAPIError], fields: dict[str, Any], status: int | None) -> Any:
    error_type = fields.pop("error_type")
    error_code = fields.pop("error_code")
    error_message = fields.pop("error_message")
    return cls(error_type, error_code, error_message, status=status, **fields)


class PlaidInvalidRequestError(PlaidAPIError):
    """``INVALID_REQUEST``: the request was malformed (a bug on this side)."""


class PlaidInvalidInputError(PlaidAPIError):
    """``INVALID_INPUT``: a token, key or id was not accepted."""


class PlaidItemError(PlaidAPIError):
    """``ITEM_ERROR``: the Item needs attention (login required, product not ready...)."""


class PlaidInstitutionError(PlaidAPIError):
    """``INSTITUTION_ERROR``: the bank is down or unsupported."""


class PlaidRateLimitError(PlaidAPIError):
    """``RATE_LIMIT_EXCEEDED``: slow down and retry with backoff."""


class PlaidServerError(PlaidAPIError):
    """``API_ERROR`` or an HTTP 5xx: Plaid itself failed."""


class PlaidTransactionsError(PlaidAPIError):
    """``TRANSACTIONS_ERROR``: e.g. mutation during pagination of ``/transactions/sync``."""


class PlaidConnectionError(PlaidAPIError):
    """Plaid could not be reached (refused connection, DNS, TLS, broken response)."""

    def __init__(self, error_message: str, *, error_code: str = "PLAID_UNREACHABLE") -> None:
        super().__init__("API_ERROR", error_code, error_message)


class PlaidTimeoutError(PlaidConnectionError):
    """Plaid did not answer within ``PLAID["REQUEST_TIMEOUT"]``."""

    def __init__(self, error_message: str) -> None:
        super().__init__(error_message, error_code="PLAID_TIMEOUT")


_SUBCLASSES: dict[str, type[PlaidAPIError]] = {
    "INVALID_REQUEST": PlaidInvalidRequestError,
    "INVALID_INPUT": PlaidInvalidInputError,
    "ITEM_ERROR": PlaidItemError,
    "INSTITUTION_ERROR": PlaidInstitutionError,
    "RATE_LIMIT_EXCEEDED": PlaidRateLimitError,
    "API_ERROR": PlaidServerError,
    "TRANSACTIONS_ERROR": PlaidTransactionsError,
}


def _subclass_for(error_type: str, error_code: str, status: int | None) -> type[PlaidAPIError]:
    if status is not None and status >= 500:
        return PlaidServerError
    return _SUBCLASSES.get(error_type, PlaidAPIError)


class SyncLeaseLost(PlaidError):
    """A sync run's Item lease was taken over by another run: it stops, saving nothing."""


class DuplicateItemError(PlaidError):
    """The user already has an Item for this institution with the same accounts."""

    def __init__(self, existing_item_id: str) -> None:
        self.existing_item_id = existing_item_id
        super().__init__(f"Duplicate of Item {existing_item_id}")


class LinkSessionMismatchError(PlaidError):
    """The public token cannot be shown to come from a Link session of this user.

    ``reason`` is a short stable code: ``link_token_required``, ``not_your_link_token``
    or ``not_from_this_link_token``.
    """

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)


class PlaidWebhookVerificationError(PlaidError, SuspiciousOperation):
    """A webhook delivery failed verification; ``reason`` is a short stable code."""

    def __init__(self, reason: str, message: str) -> None:
        self.reason = reason
        super().__init__(message)
