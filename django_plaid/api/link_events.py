"""``link-events/``: Link's outcomes and errors as the browser saw them, kept per user.

The Link helper (``django_plaid/static/django_plaid/link.js``) posts ``onExit`` and
``ERROR`` events here, so the ``link_session_id`` and ``request_id`` Plaid support asks
for are on record. Bodies are checked like every endpoint's; Link's metadata keys are
read in the web SDK's snake_case or the mobile SDKs' camelCase, and keys Link may add
later are allowed and dropped.
"""

from __future__ import annotations

from typing import Any

from django.core.validators import RegexValidator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from rest_framework import mixins, permissions, serializers, status, viewsets
from rest_framework.request import Request
from rest_framework.response import Response

from ..linking import record_link_event
from ..models import Item, LinkEvent
from ..models.link_events import MAX_METADATA_STRING
from .base import PlaidErrorsMixin
from .pagination import CreatedKeysetPagination
from .serializers import _InstitutionSerializer
from .validation import IdField, StrictCharField, TextField, item_id_field, max_length

#: Link's event names: ``OPEN``, ``TRANSITION_VIEW``, ``ERROR``, ``EXIT``... (letters,
#: digits and underscores; the mobile SDKs' own spellings pass too).
EVENT_NAME_PATTERN = r"^[A-Za-z0-9_]+$"


def _id(length: int) -> StrictCharField:
    return IdField(max_length=length, required=False, allow_null=True, allow_blank=True)


def _text(length: int) -> StrictCharField:
    return TextField(max_length=length, required=False, allow_null=True, allow_blank=True)


class TextOrBooleanField(serializers.Field):
    """A string (free text, bounded) or a boolean: ``is_update_mode`` comes as either."""

    default_error_messages = {"invalid": "Must be a string or a boolean."}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, bool):
            return data
        if isinstance(data, str):
            return TextField(max_length=16, allow_blank=True).run_validation(data)
        self.fail("invalid")

    def to_representation(self, value: Any) -> Any:
        return value


class _SpellingsSerializer(serializers.Serializer):
    """Reads each field under its snake_case name, or else under another spelling."""

    #: snake_case name -> the other spellings (the mobile SDKs' camelCase).
    spellings: dict[str, tuple[str, ...]] = {}

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, dict):
            data = dict(data)
            for snake, others in self.spellings.items():
                for other in others:
                    if snake not in data and other in data:
                        data[snake] = data[other]
        return super().to_internal_value(data)


class LinkErrorSerializer(_SpellingsSerializer):
    """Link's ``onExit`` error (Plaid's error object); its other keys are dropped."""

    spellings = {
        "error_type": ("errorType",),
        "error_code": ("errorCode",),
        "error_message": ("errorMessage",),
        "display_message": ("displayMessage", "errorDisplayMessage"),
        "request_id": ("requestId",),
    }

    error_type = _id(max_length(LinkEvent, "error_type"))
    error_code = _id(max_length(LinkEvent, "error_code"))
    error_message = _text(max_length(LinkEvent, "error_message"))
    display_message = _text(max_length(LinkEvent, "display_message"))
    request_id = _id(max_length(LinkEvent, "request_id"))


class LinkEventMetadataSerializer(_SpellingsSerializer):
    """Link's ``onExit`` or ``onEvent`` metadata: the keys a LinkEvent keeps
    (:data:`~django_plaid.models.link_events.METADATA_KEYS`), each checked."""

    spellings = {
        "link_session_id": ("linkSessionId",),
        "request_id": ("requestId",),
        "view_name": ("viewName",),
        "exit_status": ("exitStatus",),
        "institution_id": ("institutionId",),
        "institution_name": ("institutionName",),
        "institution_search_query": ("institutionSearchQuery",),
        "mfa_type": ("mfaType",),
        "error_type": ("errorType",),
        "error_code": ("errorCode",),
        "error_message": ("errorMessage",),
        "brand_name": ("brandName",),
        "match_reason": ("matchReason",),
        "is_update_mode": ("isUpdateMode",),
    }

    link_session_id = _id(max_length(LinkEvent, "link_session_id"))
    request_id = _id(max_length(LinkEvent, "request_id"))
    timestamp = _id(64)
    view_name = _id(max_length(LinkEvent, "view_name"))
    status = _id(max_length(LinkEvent, "status"))
    exit_status = _id(max_length(LinkEvent, "status"))
    institution = _InstitutionSerializer(required=False, allow_null=True)
    institution_id = _id(max_length(LinkEvent, "institution_id"))
    institution_name = _text(max_length(LinkEvent, "institution_name"))
    institution_search_query = _text(255)
    mfa_type = _id(64)
    error_type = _id(max_length(LinkEvent, "error_type"))
    error_code = _id(max_length(LinkEvent, "error_code"))
    error_message = _text(MAX_METADATA_STRING)
    selection = _text(255)
    brand_name = _text(255)
    match_reason = _text(255)
    is_update_mode = TextOrBooleanField(required=False, allow_null=True)


class LinkEventRequestSerializer(serializers.Serializer):
    """Body of ``POST link-events/``: what Link's callback gave, and the Item in update mode."""

    event_name = IdField(
        max_length=max_length(LinkEvent, "event_name"),
        validators=[
            RegexValidator(
                EVENT_NAME_PATTERN, "Letters, digits and underscores only, as Link names events."
            )
        ],
    )
    error = LinkErrorSerializer(required=False, allow_null=True)
    metadata = LinkEventMetadataSerializer(required=False, allow_null=True)
    item_id = item_id_field(required=False)


class LinkEventSerializer(serializers.ModelSerializer):
    """A stored Link event: the promoted columns and the cleaned metadata."""

    item_id = serializers.CharField(source="item.item_id", read_only=True, allow_null=True)

    class Meta:
        model = LinkEvent
        # Every column, derived from the model: the owner is implied, the Item named by
        # its item_id, the row id internal.
        fields = (
            "event_name",
            "item_id",
            *(
                f.name
                for f in LinkEvent._meta.concrete_fields
                if f.name not in {"id", "owner", "item", "event_name"}
            ),
        )
        read_only_fields = fields


class LinkEventFilters(serializers.Serializer):
    """``?item_id=``, ``?link_session_id=``, ``?event_name=``: narrow the list."""

    item_id = item_id_field(required=False)
    link_session_id = IdField(max_length=max_length(LinkEvent, "link_session_id"), required=False)
    event_name = IdField(max_length=max_length(LinkEvent, "event_name"), required=False)


class LinkEventViewSet(
    PlaidErrorsMixin, mixins.ListModelMixin, mixins.CreateModelMixin, viewsets.GenericViewSet
):
    """``link-events/``: ``POST`` stores one of Link's events (201); ``GET`` lists the
    user's own, newest first, in keyset pages (``page_size``, ``cursor``)."""

    serializer_class = LinkEventSerializer
    permission_classes = (permissions.IsAuthenticated,)
    pagination_class = CreatedKeysetPagination
    filter_class = LinkEventFilters

    def get_queryset(self) -> QuerySet[LinkEvent]:
        queryset = (
            LinkEvent.objects.for_owner(self.request.user)
            .select_related("item")
            .only(*_LINK_EVENT_COLUMNS)
        )
        filters = self.filters
        if filters.get("item_id"):
            queryset = queryset.filter(item__item_id=filters["item_id"])
        if filters.get("link_session_id"):
            queryset = queryset.filter(link_session_id=filters["link_session_id"])
        if filters.get("event_name"):
            queryset = queryset.filter(event_name=filters["event_name"])
        return queryset

    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        body = LinkEventRequestSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item = None
        if data.get("item_id"):
            item = get_object_or_404(Item.objects.for_owner(request.user), item_id=data["item_id"])
        event = record_link_event(
            request.user,
            data["event_name"],
            error=_plain(data.get("error")),
            metadata=_plain(data.get("metadata")),
            item=item,
        )
        return Response(LinkEventSerializer(event).data, status=status.HTTP_201_CREATED)


def _plain(data: Any) -> Any:
    # DRF's validated nested data is made of OrderedDicts: plain dicts for the JSON column.
    if isinstance(data, dict):
        return {key: _plain(value) for key, value in data.items()}
    return data


# What the list reads: never the Item's token nor its payload.
_LINK_EVENT_COLUMNS = (
    *(f.name for f in LinkEvent._meta.concrete_fields if f.name != "owner"),
    "item__item_id",
)
