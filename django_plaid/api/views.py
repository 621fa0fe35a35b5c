"""REST endpoints for mobile and web apps.

They work with whatever authentication the host project configures for DRF. Every
queryset is filtered by owner, so another user's ids answer 404, never 403. Plaid's
errors answer a JSON body with Plaid's fields and a fitting status, never a 500.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.db.models import Prefetch, QuerySet
from django.shortcuts import get_object_or_404
from django.utils.decorators import method_decorator
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables
from rest_framework import mixins, permissions, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import jobs
from ..lifecycle import remove_item, request_refresh
from ..linking import create_link_token, exchange_public_token
from ..models import Account, Item, Transaction
from ..syncing import request_sync
from .base import PlaidAPIView, PlaidErrorsMixin
from .errors import DATABASE_ERRORS, database_unavailable_response, queue_unavailable_response
from .pagination import DateKeysetPagination
from .products import refresh_products_response
from .serializers import (
    AccountSerializer,
    ExchangeSerializer,
    ItemSerializer,
    LinkTokenRequestSerializer,
    LinkTokenSerializer,
    TransactionFilterSerializer,
    TransactionSerializer,
)
from .validation import ItemFilters


class LinkTokenView(PlaidAPIView):
    """``POST link-token/``: a Link token for a new Item, or update mode with ``item_id``."""

    def post(self, request: Request) -> Response:
        body = LinkTokenRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = None
        if body.validated_data.get("item_id"):
            item = get_object_or_404(
                Item.objects.for_owner(request.user), item_id=body.validated_data["item_id"]
            )
        token = create_link_token(
            request.user,
            item=item,
            platform=body.validated_data["platform"],
            products=body.validated_data.get("products"),
        )
        return Response(LinkTokenSerializer(token).data)


def _items(user: Any) -> QuerySet[Item]:
    # The access token is deferred: listing Items never decrypts it.
    accounts = Account.objects.select_related("item").defer("item__access_token")
    return (
        Item.objects.for_owner(user)
        .defer("access_token")
        .prefetch_related(Prefetch("accounts", queryset=accounts.order_by("name", "id")))
    )


# The public token arrives as a form field or in a JSON body: neither may reach Django's
# error reports (the form fields are listed there, and the frames' locals hold the body).
@method_decorator(sensitive_post_parameters("public_token", "publicToken"), name="dispatch")
class ExchangeView(PlaidAPIView):
    """``POST exchange/``: exchange Link's public token; 201 with the Item and its Accounts."""

    @classmethod
    def as_view(cls, **initkwargs: Any) -> Any:
        # The Item row commits as soon as it is stored, even under ATOMIC_REQUESTS: a
        # later error rolling the whole request back would orphan the Item at Plaid.
        return transaction.non_atomic_requests(super().as_view(**initkwargs))

    @sensitive_variables()
    def post(self, request: Request) -> Response:
        body = ExchangeSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        item = exchange_public_token(
            request.user,
            body.validated_data["public_token"],
            body.validated_data["metadata"],
            link_token=body.validated_data.get("link_token"),
            request=request,
        )
        try:
            data = ItemSerializer(_items(request.user).get(pk=item.pk)).data
        except DATABASE_ERRORS as e:
            # Linked and stored: the answer must say so, or the user would link again.
            return database_unavailable_response(e, item_id=item.item_id)
        return Response(data, status=status.HTTP_201_CREATED)


class ItemViewSet(
    PlaidErrorsMixin,
    mixins.ListModelMixin,
    mixins.RetrieveModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """``items/``: the user's Items; ``DELETE`` removes one at Plaid and here."""

    serializer_class = ItemSerializer
    permission_classes = (permissions.IsAuthenticated,)
    lookup_field = "item_id"
    lookup_value_regex = "[^/]+"

    def get_queryset(self) -> QuerySet[Item]:
        return _items(self.request.user)

    def perform_destroy(self, instance: Item) -> None:
        remove_item(instance)

    @action(detail=True, methods=["post"], url_path="update-complete")
    def update_complete(self, request: Request, item_id: str | None = None) -> Response:
        """After Link's update mode succeeds: the server confirms the Item with Plaid.

        Answers 202 at once; the status changes only on what ``/item/get`` says.
        """
        item = self.get_object()
        request_refresh(item.pk)
        return _queued(item)

    @action(detail=True, methods=["post"])
    def sync(self, request: Request, item_id: str | None = None) -> Response:
        """Queue a sync of the Item (merged with one already running); 202 at once."""
        item = self.get_object()
        request_sync(item.pk)
        return _queued(item)

    @action(detail=True, methods=["post"], url_path="refresh-balances")
    def refresh_balances(self, request: Request, item_id: str | None = None) -> Response:
        """Queue a live balance fetch (throttled per Item); 202 at once.

        The balances are served from the database; ``balances_updated_at`` tells when.
        """
        item = self.get_object()
        if not jobs.send_refresh_balances(item.pk):
            return queue_unavailable_response()
        return _queued(item)

    @action(detail=True, methods=["post"], url_path="refresh-products")
    def refresh_products(self, request: Request, item_id: str | None = None) -> Response:
        """Queue fetches of the Item's other products (auth, identity...); 202 at once."""
        return refresh_products_response(self.get_object(), request)


def _queued(item: Item) -> Response:
    return Response({"item_id": item.item_id, "queued": True}, status=status.HTTP_202_ACCEPTED)


class AccountViewSet(
    PlaidErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """``accounts/``: the user's Accounts with cached balances (``?item_id=`` filters)."""

    serializer_class = AccountSerializer
    permission_classes = (permissions.IsAuthenticated,)
    lookup_field = "account_id"
    lookup_value_regex = "[^/]+"
    filter_class = ItemFilters

    def get_queryset(self) -> QuerySet[Account]:
        queryset = (
            Account.objects.for_owner(self.request.user)
            .select_related("item")
            .defer("item__access_token")
        )
        if "item_id" in self.filters:
            queryset = queryset.filter(item__item_id=self.filters["item_id"])
        # Newest Item first, as items/ lists them.
        return queryset.order_by("-item__created_at", "-item__id", "name", "id")


class TransactionViewSet(
    PlaidErrorsMixin, mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet
):
    """``transactions/``: the user's transactions, newest first, served from the database.

    Filters: ``account_id``, ``item_id``, ``start_date``, ``end_date`` (inclusive),
    ``pending``. Keyset pagination: ``page_size`` (at most 500) and ``cursor``.
    """

    serializer_class = TransactionSerializer
    permission_classes = (permissions.IsAuthenticated,)
    pagination_class = DateKeysetPagination
    lookup_field = "transaction_id"
    lookup_value_regex = "[^/]+"
    filter_class = TransactionFilterSerializer

    def get_queryset(self) -> QuerySet[Transaction]:
        queryset = (
            Transaction.objects.for_owner(self.request.user)
            .select_related("account", "item")
            .only(*_TRANSACTION_COLUMNS)
        )
        filters = self.filters
        if filters.get("account_id"):
            queryset = queryset.filter(account__account_id=filters["account_id"])
        if filters.get("item_id"):
            queryset = queryset.filter(item__item_id=filters["item_id"])
        if filters.get("start_date"):
            queryset = queryset.filter(date__gte=filters["start_date"])
        if filters.get("end_date"):
            queryset = queryset.filter(date__lte=filters["end_date"])
        if filters.get("pending") is not None:
            queryset = queryset.filter(pending=filters["pending"])
        return queryset


# What the API reads: never the raw payload, never the Item's token.
_TRANSACTION_COLUMNS = (
    *(
        f.name
        for f in Transaction._meta.concrete_fields
        if f.name not in ("raw", "created_at", "updated_at")
    ),
    "account__account_id",
    "item__item_id",
)
