"""Keyset pagination for lists: newest first, stable under inserts, any depth.

The cursor names the last row of the page (its date, or creation time, and id), so the
next page is one index range scan (owner, date, id) below it: the cost does not grow
with depth, unlike offsets, and rows inserted meanwhile do not shift the pages.
Transactions are paged by ``date`` (:class:`DateKeysetPagination`), Link events by
``created_at`` (:class:`CreatedKeysetPagination`).
"""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime
from typing import Any, ClassVar

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class KeysetPagination(BasePagination):
    """Pages of ``page_size`` (default 100, at most 500) ordered by ``-key, -id``."""

    page_size = 100
    max_page_size = 500
    #: The column pages are ordered by, newest first (then the id).
    key: ClassVar[str]

    def parse_key(self, text: str) -> Any:
        """The key's value from its text in a cursor (``ValueError`` if malformed)."""
        raise NotImplementedError

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        size = self._page_size(request)
        position = self._decode(request.query_params.get("cursor"))
        queryset = queryset.order_by(f"-{self.key}", "-id")
        if position is not None:
            last_key, last_id = position
            # The redundant `key <= last_key` bounds the index range scan.
            queryset = queryset.filter(**{f"{self.key}__lte": last_key}).filter(
                Q(**{f"{self.key}__lt": last_key}) | Q(id__lt=last_id)
            )
        rows = list(queryset[: size + 1])
        self.has_next = len(rows) > size
        self.page = rows[:size]
        return self.page

    def get_paginated_response(self, data: Any) -> Response:
        return Response({"next": self._next_link(), "results": data})

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {
                "next": {"type": "string", "nullable": True, "format": "uri"},
                "results": schema,
            },
        }

    def _page_size(self, request: Request) -> int:
        raw = request.query_params.get("page_size")
        if raw is None:
            return self.page_size
        try:
            size = int(raw)
        except ValueError:
            raise ValidationError({"page_size": ["A whole number is required."]}) from None
        if not 1 <= size <= self.max_page_size:
            raise ValidationError({"page_size": [f"Between 1 and {self.max_page_size}."]})
        return size

    def _next_link(self) -> str | None:
        if not self.has_next or not self.page:
            return None
        last = self.page[-1]
        key = getattr(last, self.key).isoformat()
        token = base64.urlsafe_b64encode(f"{key}|{last.pk}".encode()).decode()
        return replace_query_param(self.request.build_absolute_uri(), "cursor", token)

    def _decode(self, token: str | None) -> tuple[Any, int] | None:
        if not token:
            return None
        try:
            text = base64.urlsafe_b64decode(token.encode()).decode()
            key, pk = text.split("|")
            last_id = int(pk)
            if not 0 < last_id < 2**63:  # a database's largest id; SQLite overflows past it
                raise ValueError("id out of range")
            return self.parse_key(key), last_id
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None


class DateKeysetPagination(KeysetPagination):
    """Pages ordered by ``-date, -id`` (transactions, investment transactions)."""

    key = "date"

    def parse_key(self, text: str) -> date:
        return date.fromisoformat(text)


class CreatedKeysetPagination(KeysetPagination):
    """Pages ordered by ``-created_at, -id`` (Link events)."""

    key = "created_at"

    def parse_key(self, text: str) -> datetime:
        value = datetime.fromisoformat(text)
        if value.tzinfo is None:  # cursors carry the offset; one without is not ours
            raise ValueError("naive datetime")
        return value
