"""The base every dj-plaid view shares: one validation layer, Plaid's errors as JSON."""

from __future__ import annotations

from rest_framework import permissions
from rest_framework.response import Response
from rest_framework.views import APIView

from ..exceptions import (
    DuplicateItemError,
    LinkSessionMismatchError,
    PlaidAPIError,
    PlaidConfigurationError,
)
from .errors import (
    DATABASE_ERRORS,
    database_unavailable_response,
    duplicate_item_response,
    link_session_mismatch_response,
    plaid_error_response,
)
from .validation import ValidatedRequestMixin


class PlaidErrorsMixin(ValidatedRequestMixin):
    """Answers Plaid's errors as clean JSON with a fitting status, never a 500, and the
    database's passing errors (a locked SQLite file, a lost connection) as a 503.

    Every dj-plaid view has it, and with it the one validation layer of the API
    (:class:`~django_plaid.api.validation.ValidatedRequestMixin`).
    """

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, (PlaidAPIError, PlaidConfigurationError)):
            return plaid_error_response(exc)
        if isinstance(exc, DuplicateItemError):
            return duplicate_item_response(exc)
        if isinstance(exc, LinkSessionMismatchError):
            return link_session_mismatch_response(exc)
        if isinstance(exc, DATABASE_ERRORS):
            return database_unavailable_response(exc)
        return super().handle_exception(exc)


class PlaidAPIView(PlaidErrorsMixin, APIView):
    """Base of dj-plaid's plain views: authenticated users only."""

    permission_classes = (permissions.IsAuthenticated,)
