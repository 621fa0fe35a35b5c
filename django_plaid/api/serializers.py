"""Serializers of the REST API: what clients send and what they get back.

No serializer has a field for the access token: it cannot leak by accident.
"""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from ..conf import plaid_settings
from ..models import Account, Item, Transaction
from .validation import (
    AmountField,
    DatedFilters,
    IdField,
    StrictCharField,
    TextField,
    item_id_field,
    max_length,
)


class LinkTokenRequestSerializer(serializers.Serializer):
    """Body of ``POST link-token/``: empty for a new Item, ``item_id`` for update mode."""

    item_id = item_id_field(required=False)
    platform = serializers.ChoiceField(
        choices=["web", "ios", "android"], required=False, default="web"
    )
    products = serializers.ListField(
        child=IdField(max_length=64), required=False, allow_empty=False
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


#: Plaid's public tokens are ``public-<environment>-<uuid>``: about 50 characters.
PUBLIC_TOKEN_MAX_LENGTH = 200

#: Metadata strings that are not stored are bounded all the same.
_UNSTORED_MAX_LENGTH = 255


def _optional(field: type[StrictCharField], max_length: int) -> StrictCharField:
    return field(max_length=max_length, required=False, allow_null=True, allow_blank=True)


class _CamelCaseSerializer(serializers.Serializer):
    """Reads each field under its snake_case name, or else under the camelCase one."""

    #: snake_case name -> the mobile SDKs' camelCase name.
    camel_case: dict[str, str] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for snake, camel in self.camel_case.items():
                if snake not in data and camel in data:
                    data[snake] = data[camel]
        return super().to_internal_value(data)


class _InstitutionSerializer(serializers.Serializer):
    """Link's ``institution``: ``{name, institution_id}`` (web), ``{name, id}`` (mobile)."""

    institution_id = _optional(IdField, max_length(Item, "institution_id"))
    id = _optional(IdField, max_length(Item, "institution_id"))
    name = _optional(TextField, max_length(Item, "institution_name"))


class _LinkAccountSerializer(_CamelCaseSerializer):
    """One of Link's ``accounts`` (plaid-python's ``LinkSessionSuccessMetadataAccount``)."""

    camel_case = {"verification_status": "verificationStatus", "class_type": "classType"}

    id = _optional(IdField, max_length(Account, "account_id"))
    name = _optional(TextField, max_length(Account, "name"))
    mask = _optional(TextField, max_length(Account, "mask"))
    type = _optional(TextField, max_length(Account, "type"))
    subtype = _optional(TextField, max_length(Account, "subtype"))
    verification_status = _optional(TextField, _UNSTORED_MAX_LENGTH)
    class_type = _optional(TextField, _UNSTORED_MAX_LENGTH)


class LinkMetadataSerializer(_CamelCaseSerializer):
    """Link's ``onSuccess`` metadata (plaid-python's ``LinkSessionSuccessMetadata``).

    Every key dj-plaid knows is checked (types, lengths the model can store, no NUL or
    control characters), in either spelling; other keys are allowed, since Link adds
    some over time, and dropped.
    """

    camel_case = {
        "link_session_id": "linkSessionId",
        "session_group_id": "sessionGroupId",
        "transfer_status": "transferStatus",
    }

    institution = _InstitutionSerializer(required=False, allow_null=True)
    accounts = _LinkAccountSerializer(many=True, required=False, allow_null=True)
    link_session_id = _optional(IdField, max_length(Item, "link_session_id"))
    session_group_id = _optional(IdField, _UNSTORED_MAX_LENGTH)
    transfer_status = _optional(IdField, _UNSTORED_MAX_LENGTH)


class ExchangeSerializer(serializers.Serializer):
    """Body of ``POST exchange/``: Link's ``onSuccess`` public token and metadata.

    Accepts the web SDK's snake_case and the mobile SDKs' camelCase spellings. All of it
    is checked here, before Plaid is called: once Plaid has exchanged the public token,
    it cannot be exchanged again.
    """

    public_token = IdField(max_length=PUBLIC_TOKEN_MAX_LENGTH, required=False)
    publicToken = IdField(max_length=PUBLIC_TOKEN_MAX_LENGTH, required=False)
    metadata = LinkMetadataSerializer(required=False, allow_null=True)
    #: The token the app opened Link with: lets the server check the public token came
    #: from this user's Link session (``PLAID["VERIFY_LINK_SESSION"]``).
    link_token = IdField(max_length=PUBLIC_TOKEN_MAX_LENGTH, required=False)
    linkToken = IdField(max_length=PUBLIC_TOKEN_MAX_LENGTH, required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        token = attrs.get("public_token") or attrs.get("publicToken")
        if not token:
            raise serializers.ValidationError({"public_token": ["This field is required."]})
        return {
            "public_token": token,
            "metadata": dict(attrs.get("metadata") or {}),
            "link_token": attrs.get("link_token") or attrs.get("linkToken"),
        }


#: The keys of an Item's ``error`` object in the API (Plaid's names).
ITEM_ERROR_FIELDS = ("error_type", "error_code", "error_message", "display_message", "request_id")


class BalancesSerializer(serializers.Serializer):
    """An Account's cached balances, in Plaid's shape."""

    available = AmountField(source="balance_available")
    current = AmountField(source="balance_current")
    limit = AmountField(source="balance_limit")
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
    refresh_pending = serializers.SerializerMethodField()
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
            "refresh_pending",
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

    def get_refresh_pending(self, item: Item) -> bool:
        # A check with Plaid is owed (a link whose accounts are not stored yet, an
        # update-mode Link being confirmed): status, products and accounts may change.
        return item.refresh_requested_at is not None


class TransactionFilterSerializer(DatedFilters):
    """Query parameters of ``GET transactions/``."""

    pending = serializers.BooleanField(required=False, allow_null=True, default=None)


class TransactionSerializer(serializers.ModelSerializer):
    """A transaction; ``amount`` is positive when money leaves the account (Plaid's sign)."""

    account_id = serializers.CharField(source="account.account_id", read_only=True)
    item_id = serializers.CharField(source="item.item_id", read_only=True)
    amount = AmountField()
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
