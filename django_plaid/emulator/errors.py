"""Plaid's error catalogue (type, code, HTTP status, messages) and ``PlaidErrorResponse``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = [
    "CATALOGUE",
    "ErrorSpec",
    "PlaidErrorResponse",
    "documentation_url",
    "error_for_code",
    "lookup",
]


@dataclass(frozen=True)
class ErrorSpec:
    """One entry of Plaid's error catalogue."""

    error_type: str
    error_code: str
    http_status: int
    error_message: str
    display_message: str | None = None
    suggested_action: str | None = None


# Slugs of https://plaid.com/docs/errors/<slug>/#<code>, Plaid's documentation_url scheme.
_DOC_SLUGS = {
    "ITEM_ERROR": "item",
    "INVALID_INPUT": "invalid-input",
    "INVALID_REQUEST": "invalid-request",
    "INVALID_RESULT": "invalid-result",
    "RATE_LIMIT_EXCEEDED": "rate-limit-exceeded",
    "API_ERROR": "api",
    "INSTITUTION_ERROR": "institution",
    "TRANSACTIONS_ERROR": "transactions",
    "SANDBOX_ERROR": "sandbox",
    "ASSET_REPORT_ERROR": "assets",
    "USER_ERROR": "user",
}

_RATE_LIMIT_MESSAGE = "rate limit exceeded for attempts to access this item. please try again later"
_RATE_LIMIT_DISPLAY = "Too many attempts. Please try again later."


def _specs() -> list[ErrorSpec]:
    # Messages follow Plaid's own wording (docs and observed responses) where known, so that
    # logs in the app look like the real thing; apps must branch on the codes, never on text.
    s = ErrorSpec
    return [
        # INVALID_REQUEST: the request itself is malformed.
        s("INVALID_REQUEST", "MISSING_FIELDS", 400, "the following required fields are missing"),
        s("INVALID_REQUEST", "UNKNOWN_FIELDS", 400, "the following fields are not recognized"),
        s("INVALID_REQUEST", "INVALID_FIELD", 400, "one or more fields are invalid"),
        s("INVALID_REQUEST", "INVALID_BODY", 400, "body could not be parsed as JSON"),
        s("INVALID_REQUEST", "INVALID_HEADERS", 400, "some headers are missing or invalid"),
        s("INVALID_REQUEST", "INVALID_CONFIGURATION", 400, "the configuration is invalid"),
        s(
            "INVALID_REQUEST",
            "INCOMPATIBLE_API_VERSION",
            400,
            "the request uses an API version that is not compatible with this endpoint",
        ),
        s("INVALID_REQUEST", "SANDBOX_ONLY", 400, "this endpoint is only available in sandbox"),
        s("INVALID_REQUEST", "NOT_FOUND", 404, "not found"),
        s("INVALID_REQUEST", "NO_LONGER_AVAILABLE", 404, "this endpoint is no longer available"),
        # INVALID_INPUT: well-formed, but refers to something that does not exist or fit.
        s("INVALID_INPUT", "INVALID_API_KEYS", 400, "invalid client_id or secret provided"),
        s(
            "INVALID_INPUT",
            "INVALID_ACCESS_TOKEN",
            400,
            "could not find matching access token",
        ),
        s(
            "INVALID_INPUT",
            "INVALID_PUBLIC_TOKEN",
            400,
            "could not find matching public token",
        ),
        s("INVALID_INPUT", "INVALID_LINK_TOKEN", 400, "invalid link_token provided"),
        s("INVALID_INPUT", "INVALID_INSTITUTION", 400, "invalid institution_id provided"),
        s("INVALID_INPUT", "INVALID_PRODUCT", 400, "invalid product names"),
        s(
            "INVALID_INPUT",
            "INVALID_ACCOUNT_ID",
            400,
            "one or more of the account IDs is invalid",
        ),
        s("INVALID_INPUT", "INVALID_USER_TOKEN", 400, "could not find matching user token"),
        s("INVALID_INPUT", "INVALID_USER_ID", 400, "could not find matching user_id"),
        s(
            "INVALID_INPUT",
            "INVALID_WEBHOOK_VERIFICATION_KEY_ID",
            400,
            "invalid key_id provided",
        ),
        s(
            "INVALID_INPUT",
            "ADDITIONAL_CONSENT_REQUIRED",
            400,
            "client does not have user consent to access the requested product",
        ),
        s(
            "INVALID_INPUT",
            "UNAUTHORIZED_ENVIRONMENT",
            400,
            "you are not authorized to create items for this environment",
        ),
        s(
            "INVALID_INPUT",
            "UNAUTHORIZED_ROUTE_ACCESS",
            400,
            "you are not authorized to access this route",
        ),
        s(
            "INVALID_INPUT",
            "USER_PERMISSION_REVOKED",
            400,
            "the holder of this account has revoked their permission for your application to "
            "access it",
        ),
        # ITEM_ERROR: the Item (the bank login) is not in a usable state.
        s(
            "ITEM_ERROR",
            "ITEM_LOGIN_REQUIRED",
            400,
            "the login details of this item have changed (credentials, MFA, or required user "
            "action) and a user login is required to update this information. use Link's "
            "update mode to restore the item to a good state",
            None,
            "Prompt the user to re-authenticate their account.",
        ),
        s(
            "ITEM_ERROR",
            "ITEM_NOT_FOUND",
            400,
            "the Item you requested cannot be found. This Item does not exist, has been "
            "previously removed via /item/remove, or has had access removed by the user.",
        ),
        s(
            "ITEM_ERROR",
            "INVALID_CREDENTIALS",
            400,
            "the provided credentials were not correct",
            "The credentials you provided were incorrect. Check that your credentials are "
            "the same that you use for this institution",
        ),
        s(
            "ITEM_ERROR",
            "INVALID_MFA",
            400,
            "the provided MFA response(s) were not correct",
            "The provided MFA responses were not correct. Please try again",
        ),
        s(
            "ITEM_ERROR",
            "INVALID_SEND_METHOD",
            400,
            "the provided MFA send_method was invalid",
            "The method you selected to receive a code is not available. Please try another",
        ),
        s(
            "ITEM_ERROR",
            "INVALID_UPDATED_USERNAME",
            400,
            "the username entered during update mode did not match the original username",
            "Try entering your bank account username again.",
        ),
        s(
            "ITEM_ERROR",
            "ITEM_LOCKED",
            400,
            "the account is locked. prompt the user to visit the institution's site and "
            "unlock their account",
            "The given account has been locked by the financial institution. Please visit "
            "your financial institution's website to unlock your account.",
        ),
        s(
            "ITEM_ERROR",
            "ITEM_NOT_SUPPORTED",
            400,
            "this account is currently not supported",
            "The given account is not currently supported for this financial institution. "
            "We apologize for the inconvenience.",
        ),
        s(
            "ITEM_ERROR",
            "INSUFFICIENT_CREDENTIALS",
            400,
            "insufficient authorization was provided to complete the request",
            "The account login was not completed. Please try again.",
        ),
        s(
            "ITEM_ERROR",
            "MFA_NOT_SUPPORTED",
            400,
            "this account requires a software-based MFA method that is not currently supported",
            "Your account settings require a MFA method that is not currently supported.",
        ),
        s(
            "ITEM_ERROR",
            "USER_SETUP_REQUIRED",
            400,
            "the account has not been fully set up. prompt the user to visit the issuing "
            "institution's site and finish the setup process",
            "The given account requires additional setup at the institution.",
        ),
        s(
            "ITEM_ERROR",
            "PASSWORD_RESET_REQUIRED",
            400,
            "the user must log into their financial institution and reset their password",
            "Please reset your password on your financial institution's website.",
        ),
        s(
            "ITEM_ERROR",
            "USER_INPUT_TIMEOUT",
            400,
            "user must retry this operation",
            "The application timed out waiting for user input",
        ),
        s(
            "ITEM_ERROR",
            "COUNTRY_NOT_SUPPORTED",
            400,
            "this institution is not supported in the given country",
            "This financial institution is not supported in your country.",
        ),
        s(
            "ITEM_ERROR",
            "NO_ACCOUNTS",
            400,
            "no valid accounts were found for this item",
            "No valid accounts were found at the financial institution. Please visit your "
            "financial institution's website to confirm accounts are available.",
        ),
        s(
            "ITEM_ERROR",
            "NO_AUTH_ACCOUNTS",
            400,
            "no valid checking or savings account(s) found",
            "None of your accounts are supported for this application.",
        ),
        s(
            "ITEM_ERROR",
            "NO_INVESTMENT_ACCOUNTS",
            400,
            "no investment accounts were found for this item",
            "No investment accounts were found at the financial institution.",
        ),
        s(
            "ITEM_ERROR",
            "NO_INVESTMENT_AUTH_ACCOUNTS",
            400,
            "no investment accounts eligible for investments_auth were found for this item",
        ),
        s(
            "ITEM_ERROR",
            "NO_LIABILITY_ACCOUNTS",
            400,
            "no liability accounts were found for this item",
            "No liability accounts were found at the financial institution.",
        ),
        s(
            "ITEM_ERROR",
            "PRODUCT_NOT_READY",
            400,
            "the requested product is not yet ready. please provide a webhook or try the "
            "request again later",
        ),
        s(
            "ITEM_ERROR",
            "PRODUCTS_NOT_SUPPORTED",
            400,
            "the following products are not supported by this institution",
        ),
        s(
            "ITEM_ERROR",
            "PRODUCT_NOT_ENABLED",
            400,
            "the requested product is not enabled for this item",
        ),
        s(
            "ITEM_ERROR",
            "ACCESS_NOT_GRANTED",
            400,
            "the user did not grant the necessary permissions for their account",
            "This application does not have access to the requested data.",
        ),
        s(
            "ITEM_ERROR",
            "ITEM_CONCURRENTLY_DELETED",
            400,
            "this item was deleted while the operation was in progress",
        ),
        # INSTITUTION_ERROR: the bank side is failing; often transient.
        s(
            "INSTITUTION_ERROR",
            "INSTITUTION_DOWN",
            400,
            "this institution is not currently responding to this request. please try again soon",
            "This financial institution is not currently responding to requests. We "
            "apologize for the inconvenience.",
        ),
        s(
            "INSTITUTION_ERROR",
            "INSTITUTION_NOT_RESPONDING",
            400,
            "this institution is not currently responding to this request. please try again soon",
            "This financial institution is not currently responding to requests. We "
            "apologize for the inconvenience.",
        ),
        s(
            "INSTITUTION_ERROR",
            "INSTITUTION_NOT_AVAILABLE",
            400,
            "this institution is not available at this time",
            "This financial institution is not currently available. We apologize for the "
            "inconvenience.",
        ),
        s(
            "INSTITUTION_ERROR",
            "INSTITUTION_NO_LONGER_SUPPORTED",
            400,
            "this institution is no longer supported",
            "This financial institution is no longer supported. We apologize for the "
            "inconvenience.",
        ),
        s(
            "INSTITUTION_ERROR",
            "UNAUTHORIZED_INSTITUTION",
            400,
            "you are not authorized to create items for this institution",
            "You are not authorized to create items for this institution at this time.",
        ),
        s(
            "INSTITUTION_ERROR",
            "INSTITUTION_REGISTRATION_REQUIRED",
            400,
            "you must register your application with this institution before you can create "
            "items for it",
            "This institution requires registration before accounts can be linked.",
        ),
        s(
            "INSTITUTION_ERROR",
            "INSTITUTION_NOT_ENABLED_IN_ENVIRONMENT",
            400,
            "this institution is not enabled in this environment",
        ),
        s(
            "INSTITUTION_ERROR",
            "UNSUPPORTED_RESPONSE",
            400,
            "the response from the institution could not be processed",
        ),
        # RATE_LIMIT_EXCEEDED: 429; retry with backoff (except CREDITS_EXHAUSTED).
        *(
            s("RATE_LIMIT_EXCEEDED", code, 429, _RATE_LIMIT_MESSAGE, _RATE_LIMIT_DISPLAY)
            for code in (
                "ACCOUNTS_LIMIT",
                "ACCOUNTS_BALANCE_GET_LIMIT",
                "BALANCE_LIMIT",
                "AUTH_LIMIT",
                "IDENTITY_LIMIT",
                "ITEM_GET_LIMIT",
                "TRANSACTIONS_LIMIT",
                "TRANSACTIONS_SYNC_LIMIT",
                "TRANSACTIONS_REFRESH_LIMIT",
                "INVESTMENT_HOLDINGS_GET_LIMIT",
                "INVESTMENT_TRANSACTIONS_LIMIT",
                "INSTITUTIONS_GET_LIMIT",
                "INSTITUTIONS_GET_BY_ID_LIMIT",
                "INSTITUTION_RATE_LIMIT",
                "RATE_LIMIT",
            )
        ),
        s(
            "RATE_LIMIT_EXCEEDED",
            "CREDITS_EXHAUSTED",
            429,
            "you have exhausted the credits available for this product",
        ),
        # API_ERROR: Plaid itself failed; retry with backoff.
        s(
            "API_ERROR",
            "INTERNAL_SERVER_ERROR",
            500,
            "an unexpected error occurred",
            "Something went wrong. Please try again later.",
        ),
        s(
            "API_ERROR",
            "PLANNED_MAINTENANCE",
            503,
            "the Plaid API is temporarily unavailable due to planned maintenance. visit "
            "https://status.plaid.com/ for more information",
            "Plaid is undergoing planned maintenance. Please try again later.",
        ),
        # TRANSACTIONS_ERROR.
        s(
            "TRANSACTIONS_ERROR",
            "TRANSACTIONS_SYNC_MUTATION_DURING_PAGINATION",
            400,
            "Underlying transaction data changed since last page was fetched. Please restart "
            "pagination from last update.",
        ),
        # ASSET_REPORT_ERROR: what the sandbox's Assets ERROR webhook carries.
        s(
            "ASSET_REPORT_ERROR",
            "ASSET_REPORT_GENERATION_FAILED",
            400,
            "Asset Report generation failed. Please try again.",
        ),
        # SANDBOX_ERROR.
        s(
            "SANDBOX_ERROR",
            "SANDBOX_PRODUCT_NOT_ENABLED",
            400,
            "the requested product is not enabled for this item",
        ),
        s(
            "SANDBOX_ERROR",
            "SANDBOX_WEBHOOK_INVALID",
            400,
            "the webhook for this item is invalid or not set",
        ),
        # USER_ERROR.
        s(
            "USER_ERROR",
            "INVALID_USER_IDENTITY_DATA",
            403,
            "the identity data provided for the user is invalid",
        ),
    ]


#: Every known error code, keyed by ``error_code``.
CATALOGUE: dict[str, ErrorSpec] = {spec.error_code: spec for spec in _specs()}


def lookup(error_code: str) -> ErrorSpec | None:
    """Return the catalogue entry for ``error_code``, or None."""
    return CATALOGUE.get(error_code)


def documentation_url(error_type: str, error_code: str) -> str:
    """Return the Plaid docs URL for an error, in Plaid's own format."""
    slug = _DOC_SLUGS.get(error_type, error_type.lower().replace("_", "-"))
    return f"https://plaid.com/docs/errors/{slug}/#{error_code.lower()}"


class PlaidErrorResponse(Exception):
    """The Plaid error the emulator answers with: handlers raise it, the dispatcher renders
    Plaid's error body (not the app's ``django_plaid.exceptions.PlaidAPIError``)."""

    def __init__(
        self,
        error_code: str,
        error_message: str | None = None,
        *,
        error_type: str | None = None,
        http_status: int | None = None,
        display_message: str | None = None,
        error_code_reason: str | None = None,
        suggested_action: str | None = None,
    ) -> None:
        spec = CATALOGUE.get(error_code)
        if spec is None and error_type is None:
            # An unknown code without a type is a bug in the emulator, not a client error.
            raise ValueError(f"unknown Plaid error code {error_code!r}: pass error_type")
        self.error_code = error_code
        self.error_type = error_type or spec.error_type  # type: ignore[union-attr]
        self.http_status = http_status or (spec.http_status if spec else 400)
        self.error_message = error_message or (spec.error_message if spec else error_code)
        self.display_message = display_message or (spec.display_message if spec else None)
        self.error_code_reason = error_code_reason
        self.suggested_action = suggested_action or (spec.suggested_action if spec else None)
        super().__init__(f"{self.error_type}/{self.error_code}: {self.error_message}")

    def to_webhook_dict(self) -> dict[str, Any]:
        """Render the error as webhooks embed it: no request_id, with ``status``."""
        return {
            "error_type": self.error_type,
            "error_code": self.error_code,
            "error_code_reason": self.error_code_reason,
            "error_message": self.error_message,
            "display_message": self.display_message,
            "status": self.http_status,
        }

    def to_dict(self, request_id: str | None = None, *, status: bool = False) -> dict[str, Any]:
        """Render Plaid's error object; ``request_id`` for API answers, ``status`` for Items."""
        body: dict[str, Any] = {
            "error_type": self.error_type,
            "error_code": self.error_code,
            "error_message": self.error_message,
            "display_message": self.display_message,
        }
        if request_id is not None:
            body["request_id"] = request_id
        body.update(
            {
                "error_code_reason": self.error_code_reason,
                "documentation_url": documentation_url(self.error_type, self.error_code),
                "suggested_action": self.suggested_action,
                "causes": [],
            }
        )
        if status:
            # Plaid fills `status` only where the error is embedded (Item.error, webhooks).
            body["status"] = self.http_status
        return body


def error_for_code(error_code: str, default_type: str = "ITEM_ERROR") -> PlaidErrorResponse:
    """Return the catalogue error for a code; unknown codes become ``default_type`` (400).

    Used for codes chosen by a test (``error_<CODE>`` passwords, ``set_item_error``), so a
    test can exercise a code the catalogue does not list yet.
    """
    if error_code in CATALOGUE:
        return PlaidErrorResponse(error_code)
    return PlaidErrorResponse(
        error_code, f"the sandbox requested the error {error_code}", error_type=default_type
    )
