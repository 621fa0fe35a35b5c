import pickle

import pytest

from django_plaid.exceptions import (
    PlaidAPIError,
    PlaidConnectionError,
    PlaidInstitutionError,
    PlaidInvalidInputError,
    PlaidItemError,
    PlaidRateLimitError,
    PlaidServerError,
    PlaidTimeoutError,
)

BODY = {
    "error_type": "ITEM_ERROR",
    "error_code": "ITEM_LOGIN_REQUIRED",
    "error_message": "the login details of this item have changed",
    "display_message": "Please log in again.",
    "request_id": "abcDEF123456789",
}


def test_error_body_becomes_the_right_subclass():
    error = PlaidAPIError.from_error_body(BODY, 400)
    assert isinstance(error, PlaidItemError)
    assert error.as_dict()["error_code"] == "ITEM_LOGIN_REQUIRED"
    assert error.status == 400
    assert "ITEM_ERROR/ITEM_LOGIN_REQUIRED" in str(error)
    assert "abcDEF123456789" in str(error)


@pytest.mark.parametrize(
    ("error_type", "error_code", "status", "cls", "retryable"),
    [
        ("RATE_LIMIT_EXCEEDED", "BALANCE_LIMIT", 429, PlaidRateLimitError, True),
        ("RATE_LIMIT_EXCEEDED", "CREDITS_EXHAUSTED", 429, PlaidRateLimitError, False),
        ("API_ERROR", "INTERNAL_SERVER_ERROR", 500, PlaidServerError, True),
        ("INSTITUTION_ERROR", "INSTITUTION_DOWN", 400, PlaidInstitutionError, True),
        ("INSTITUTION_ERROR", "INSTITUTION_NO_LONGER_SUPPORTED", 400, PlaidInstitutionError, False),
        ("ITEM_ERROR", "PRODUCT_NOT_READY", 400, PlaidItemError, True),
        ("ITEM_ERROR", "ITEM_LOGIN_REQUIRED", 400, PlaidItemError, False),
        ("INVALID_INPUT", "INVALID_ACCESS_TOKEN", 400, PlaidInvalidInputError, False),
    ],
)
def test_retry_policy(error_type, error_code, status, cls, retryable):
    error = PlaidAPIError.from_error_body(
        {"error_type": error_type, "error_code": error_code}, status
    )
    assert isinstance(error, cls)
    assert error.retryable is retryable


def test_transport_errors_are_in_the_same_tree_and_retryable():
    for error in (PlaidConnectionError("refused"), PlaidTimeoutError("slow")):
        assert isinstance(error, PlaidAPIError)
        assert error.retryable
    assert PlaidTimeoutError("slow").error_code == "PLAID_TIMEOUT"


def test_errors_survive_pickling():
    error = PlaidAPIError.from_error_body(BODY, 400)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is PlaidItemError
    assert copy.as_dict() == error.as_dict()
    assert copy.status == 400
