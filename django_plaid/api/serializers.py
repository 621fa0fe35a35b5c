"""Serializers of the REST API: what clients send and what they get back.

No serializer has a field for the access token: it cannot leak by accident.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..conf import plaid_settings
from ..models import Account, Item, Transaction


class LinkTokenRequestSerializer(serializers.Serializer):
    """Body of ``POST link-token/``: empty for a new Item, ``item_id`` for update mode."""

    item_id = serializers.CharField(required=False, max_length=100)
    platform = serializers.ChoiceField(
        choices=["web", "ios", "android"], required=False, default="web"
    )
    products = serializers.ListField(
        child=serializers.CharField(max_length=64), required=False, allow_empty=False
    )

    def validate_products(self, value: list[str]) -> list[str]:
        allowed = plaid_settings.allowed_products
        unknown = [p for p in value if p not in allowed]
        if unknown:
            raise serializers.ValidationError(
                f"Not allowed here: {', '.join(unknown)}. Allowed: {', '.join(allowed)}."
            )
        return list(dict.fromkeys(value))

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        products = attrs.get("products") or []
        if attrs.get("item_id") and products:
            raise serializers.ValidationError(
                {"products": ["Update mode (item_id) takes no products."]}
            )
        if "income_verification" in products and len(products) > 1:
            raise serializers.ValidationError(
                {"products": ["income_verification links payroll, not a bank: ask for it alone."]}
            )
        return attrs


class LinkTokenSerializer(serializers.Serializer):
    """Answer of ``POST link-token/``."""

    link_token = serializers.CharField()
    expiration = serializers.CharField()


class _InstitutionSerializer(serializers.Serializer):
    institution_id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    id = serializers.CharField(required=False, allow_null=True, allow_blank=True)
    name = serializers.CharField(required=False, allow_null=True, allow_blank=True)


class ExchangeSerializer(serializers.Serializer):
    """Body of ``POST exchange/``: Link's ``onSuccess`` public token and metadata.

    Accepts the web SDK's snake_case and the mobile SDKs' camelCase spellings.
    """

    public_token = serializers.CharField(max_length=200, required=False)
    publicToken = serializers.CharField(max_length=200, required=False)
    metadata = serializers.DictField(required=False, default=dict)
    #: The token the app opened Link with: lets the server check the public token came
    #: from this user's Link session (``PLAID["VERIFY_LINK_SESSION"]``).
    link_token = serializers.CharField(max_length=200, required=False)
    linkToken = serializers.CharField(max_length=200, required=False)

    def validate_metadata(self, value: dict[str, Any]) -> dict[str, Any]:
        institution = value.get("institution")
        if institution is not None:
            check = _InstitutionSerializer(data=institution)
            if not isinstance(institution, dict) or not check.is_valid():
                raise serializers.ValidationError(
                    {"institution": "Expected an object with institution_id and name."}
                )
        return value

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        token = attrs.get("public_token") or attrs.get("publicToken")
        if not token:
            raise serializers.ValidationError({"public_token": ["This field is required."]})
        return {
            "public_token": token,
            "metadata": attrs.get("metadata") or {},
            "link_token": attrs.get("link_token") or attrs.get("linkToken"),
        }


#: The keys of an Item's ``error`` object in the API (Plaid's names).
ITEM_ERROR_FIELDS = ("error_type", "error_code", "error_message", "display_message", "request_id")


class BalancesSerializer(serializers.Serializer):
    """An Account's cached balances, in Plaid's shape."""

    available = serializers.DecimalField(
        source="balance_available", max_digits=28, decimal_places=10, coerce_to_string=False
    )
    current = serializers.DecimalField(
        source="balance_current", max_digits=28, decimal_places=10, coerce_to_string=False
    )
    limit = serializers.DecimalField(
        source="balance_limit", max_digits=28, decimal_places=10, coerce_to_string=False
    )
    iso_currency_code = serializers.CharField(allow_null=True)
    unofficial_currency_code = serializers.CharField(allow_null=True)


class AccountSerializer(serializers.ModelSerializer):
    """An Account with its cached balances (``balances_updated_at`` tells their age)."""

    item_id = serializers.CharField(source="item.item_id", read_only=True)
    balances = BalancesSerializer(source="*", read_only=True)

    class Meta:
        model = Account
        fields = (
            "account_id",
            "item_id",
            "name",
            "official_name",
            "mask",
            "type",
            "subtype",
            "balances",
            "balances_updated_at",
        )
        read_only_fields = fields


class ItemSerializer(serializers.ModelSerializer):
    """An Item with its status, error (``null`` while healthy) and Accounts."""

    error = serializers.SerializerMethodField()
    accounts = AccountSerializer(many=True, read_only=True)

    class Meta:
        model = Item
        fields = (
            "item_id",
            "institution_id",
            "institution_name",
            "environment",
            "products",
            "status",
            "error",
            "new_accounts_available",
            "consent_expiration_time",
            "created_at",
            "updated_at",
            "accounts",
        )
        read_only_fields = fields

    def get_error(self, item: Item) -> dict[str, Any] | None:
        if not item.error:
            return None
        return {field: item.error.get(field) for field in ITEM_ERROR_FIELDS}


class TransactionFilterSerializer(serializers.Serializer):
    """Query parameters of ``GET transactions/``."""

    account_id = serializers.CharField(required=False, max_length=100)
    item_id = serializers.CharField(required=False, max_length=100)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False)
    pending = serializers.BooleanField(required=False, allow_null=True, default=None)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        start, end = attrs.get("start_date"), attrs.get("end_date")
        if start and end and start > end:
            raise serializers.ValidationError({"end_date": ["Must not be before start_date."]})
        return attrs


class TransactionSerializer(serializers.ModelSerializer):
    """A transaction; ``amount`` is positive when money leaves the account (Plaid's sign)."""

    account_id = serializers.CharField(source="account.account_id", read_only=True)
    item_id = serializers.CharField(source="item.item_id", read_only=True)
    amount = serializers.DecimalField(max_digits=28, decimal_places=10, coerce_to_string=False)
    personal_finance_category = serializers.SerializerMethodField()

    class Meta:
        model = Transaction
        fields = (
            "transaction_id",
            "account_id",
            "item_id",
            "amount",
            "iso_currency_code",
            "unofficial_currency_code",
            "date",
            "authorized_date",
            "datetime",
            "authorized_datetime",
            "name",
            "merchant_name",
            "payment_channel",
            "pending",
            "pending_transaction_id",
            "personal_finance_category",
            "location",
            "counterparties",
        )
        read_only_fields = fields

    def get_personal_finance_category(self, txn: Transaction) -> dict[str, str] | None:
        if not txn.category_primary:
            return None
        return {"primary": txn.category_primary, "detailed": txn.category_detailed}
