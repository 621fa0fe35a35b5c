"""REST endpoints of Auth, Identity, Investments, Liabilities and Income.

All are served from the database (never calling Plaid in the request), filtered by owner
(another user's ids answer 404 or an empty list), and show sensitive values masked unless
:func:`~django_plaid.products.masking.sensitive_visible` allows the request to see them.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from .. import jobs
from ..models import (
    AccountOwner,
    AuthNumbers,
    Holding,
    InvestmentTransaction,
    Liability,
    PayrollIncome,
    PlaidUser,
)
from ..products.masking import mask, sensitive_visible
from ..products.services import request_product_refresh
from ..registry import FETCHED_PRODUCTS
from .base import PlaidErrorsMixin
from .errors import queue_unavailable_response
from .pagination import DateKeysetPagination
from .validation import AccountFilters, AmountField, DatedFilters


class _SensitiveMixin:
    """Gives serializers ``self.unmasked``: whether the request may see clear values."""

    @property
    def unmasked(self) -> bool:
        request = self.context.get("request")  # type: ignore[attr-defined]
        cache = self.context  # type: ignore[attr-defined]
        if "_unmasked" not in cache:
            cache["_unmasked"] = request is not None and sensitive_visible(request)
        return bool(cache["_unmasked"])

    def sensitive(self, data: Any, product: str) -> Any:
        return data if self.unmasked else mask(data, product)


class _AccountRefs(serializers.Serializer):
    account_id = serializers.CharField(source="account.account_id", read_only=True)
    item_id = serializers.CharField(source="account.item.item_id", read_only=True)


class AuthNumbersSerializer(_SensitiveMixin, _AccountRefs):
    """An account's numbers, by kind (``ach``, ``eft``, ``international``, ``bacs``)."""

    numbers = serializers.SerializerMethodField()
    verification_status = serializers.CharField(allow_null=True)
    updated_at = serializers.DateTimeField()

    def get_numbers(self, row: AuthNumbers) -> Any:
        return self.sensitive(row.numbers, "auth")


class OwnerSerializer(_SensitiveMixin, _AccountRefs):
    """One owner of an account: names, emails, phone numbers, addresses."""

    owner = serializers.SerializerMethodField()
    updated_at = serializers.DateTimeField()

    def get_owner(self, row: AccountOwner) -> Any:
        return self.sensitive(row.data, "identity")


class HoldingSerializer(_AccountRefs):
    """A position, with its security."""

    security_id = serializers.CharField(source="security.security_id")
    security_name = serializers.CharField(source="security.name", allow_null=True)
    ticker_symbol = serializers.CharField(source="security.ticker_symbol", allow_null=True)
    security_type = serializers.CharField(source="security.type", allow_null=True)
    quantity = AmountField()
    institution_price = AmountField(allow_null=True)
    institution_price_as_of = serializers.DateField(allow_null=True)
    institution_value = AmountField(allow_null=True)
    cost_basis = AmountField(allow_null=True)
    iso_currency_code = serializers.CharField(allow_null=True)


class InvestmentTransactionSerializer(_AccountRefs):
    """A buy, sell, dividend, fee or transfer."""

    investment_transaction_id = serializers.CharField()
    security_id = serializers.CharField(source="security.security_id", allow_null=True)
    date = serializers.DateField()
    name = serializers.CharField()
    type = serializers.CharField()
    subtype = serializers.CharField()
    quantity = AmountField()
    amount = AmountField()
    price = AmountField()
    fees = AmountField(allow_null=True)
    iso_currency_code = serializers.CharField(allow_null=True)


class LiabilitySerializer(_SensitiveMixin, _AccountRefs):
    """A credit card, mortgage or student loan, with Plaid's details (numbers masked)."""

    kind = serializers.CharField()
    is_overdue = serializers.BooleanField(allow_null=True)
    last_payment_amount = AmountField(allow_null=True)
    last_payment_date = serializers.DateField(allow_null=True)
    last_statement_balance = AmountField(allow_null=True)
    minimum_payment_amount = AmountField(allow_null=True)
    next_payment_due_date = serializers.DateField(allow_null=True)
    interest_rate_percentage = serializers.DecimalField(
        max_digits=12, decimal_places=6, coerce_to_string=False, allow_null=True
    )
    details = serializers.SerializerMethodField()

    def get_details(self, row: Liability) -> Any:
        return self.sensitive(row.data, "liabilities")


class PayrollIncomeSerializer(_SensitiveMixin, serializers.Serializer):
    """One payroll Item's income: pay stubs, W-2s (personal data masked)."""

    item_id = serializers.CharField()
    institution_id = serializers.CharField()
    institution_name = serializers.CharField()
    processing_status = serializers.CharField()
    plaid_updated_at = serializers.DateTimeField(allow_null=True)
    payroll = serializers.SerializerMethodField()

    def get_payroll(self, row: Any) -> Any:
        return self.sensitive(row.data, "income")


class _AccountScopedViewSet(PlaidErrorsMixin, mixins.ListModelMixin, viewsets.GenericViewSet):
    """A read-only list of rows of the user's accounts (``?item_id=``, ``?account_id=``)."""

    permission_classes = (permissions.IsAuthenticated,)
    model: Any = None
    filter_class: Any = AccountFilters

    def get_queryset(self) -> QuerySet[Any]:
        queryset = self.model.objects.for_owner(self.request.user).select_related("account__item")
        queryset = queryset.defer("account__item__access_token")
        if "item_id" in self.filters:
            queryset = queryset.filter(account__item__item_id=self.filters["item_id"])
        if "account_id" in self.filters:
            queryset = queryset.filter(account__account_id=self.filters["account_id"])
        return queryset


class AuthViewSet(_AccountScopedViewSet):
    """``auth/``: account and routing numbers, masked unless allowed."""

    serializer_class = AuthNumbersSerializer
    model = AuthNumbers

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().order_by("account__name", "pk")


class IdentityViewSet(_AccountScopedViewSet):
    """``identity/``: account owners, masked unless allowed."""

    serializer_class = OwnerSerializer
    model = AccountOwner

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().order_by("account__name", "position", "pk")


class HoldingViewSet(_AccountScopedViewSet):
    """``investments/holdings/``: positions with their securities."""

    serializer_class = HoldingSerializer
    model = Holding

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().select_related("security").order_by("account__name", "pk")


class InvestmentTransactionViewSet(_AccountScopedViewSet):
    """``investments/transactions/``: newest first; keyset pages (``page_size``, ``cursor``).

    Filters: ``item_id``, ``account_id``, ``start_date``, ``end_date`` (inclusive).
    """

    serializer_class = InvestmentTransactionSerializer
    model = InvestmentTransaction
    pagination_class = DateKeysetPagination
    filter_class = DatedFilters

    def get_queryset(self) -> QuerySet[Any]:
        queryset = super().get_queryset().select_related("security")
        if "start_date" in self.filters:
            queryset = queryset.filter(date__gte=self.filters["start_date"])
        if "end_date" in self.filters:
            queryset = queryset.filter(date__lte=self.filters["end_date"])
        return queryset


class LiabilityViewSet(_AccountScopedViewSet):
    """``liabilities/``: credit cards, mortgages, student loans."""

    serializer_class = LiabilitySerializer
    model = Liability

    def get_queryset(self) -> QuerySet[Any]:
        return super().get_queryset().order_by("next_payment_due_date", "pk")


class IncomeViewSet(PlaidErrorsMixin, viewsets.GenericViewSet):
    """``income/``: the user's payroll income; ``POST income/refresh/`` fetches it again."""

    permission_classes = (permissions.IsAuthenticated,)
    serializer_class = PayrollIncomeSerializer

    def list(self, request: Request) -> Response:
        rows = PayrollIncome.objects.filter(plaid_user__owner_id=request.user.pk)
        return Response(self.get_serializer(rows, many=True).data)

    @action(detail=False, methods=["post"])
    def refresh(self, request: Request) -> Response:
        """Queue a fetch of the user's payroll income; 202 at once (404 before any Link)."""
        plaid_user = PlaidUser.objects.filter(owner_id=request.user.pk).first()
        if plaid_user is None:
            return Response(
                {"detail": "No payroll income linked yet: open Link with income first."},
                status=status.HTTP_404_NOT_FOUND,
            )
        if not jobs.send_refresh_payroll_income(plaid_user.pk):
            return queue_unavailable_response()
        return Response({"queued": True}, status=status.HTTP_202_ACCEPTED)


class RefreshProductsSerializer(serializers.Serializer):
    """Body of ``POST items/{item_id}/refresh-products/``."""

    products = serializers.ListField(
        child=serializers.ChoiceField(choices=sorted(FETCHED_PRODUCTS)),
        required=False,
        allow_empty=False,
    )


def refresh_products_response(item: Any, request: Request) -> Response:
    """Queue fetches of the Item's products (all it has, or those named); 202."""
    body = RefreshProductsSerializer(data=request.data)
    body.is_valid(raise_exception=True)
    wanted = body.validated_data.get("products") or [
        p for p in FETCHED_PRODUCTS if p in item.products
    ]
    missing = [p for p in wanted if p not in (item.products or [])]
    if missing:
        return Response(
            {"products": [f"The Item was not linked with: {', '.join(missing)}."]},
            status=status.HTTP_400_BAD_REQUEST,
        )
    for product in wanted:
        request_product_refresh(item, product)
    return Response(
        {"item_id": item.item_id, "queued": True, "products": wanted},
        status=status.HTTP_202_ACCEPTED,
    )


__all__ = [
    "AuthViewSet",
    "HoldingViewSet",
    "IdentityViewSet",
    "IncomeViewSet",
    "InvestmentTransactionViewSet",
    "LiabilityViewSet",
    "refresh_products_response",
]
