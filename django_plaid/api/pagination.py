"""Keyset pagination for transactions: newest first, stable under inserts, any depth.

The cursor names the last row of the page (its date and id), so the next page is one
index range scan (owner, date, id) below it: the cost does not grow with depth, unlike
offsets, and rows inserted meanwhile do not shift the pages.
"""

from __future__ import annotations

import base64
import binascii
from datetime import date
from typing import Any

from django.db.models import Q
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.urls import replace_query_param


class DateKeysetPagination(BasePagination):
    """Pages of ``page_size`` (default 100, at most 500) ordered by ``-date, -id``."""

    page_size = 100
    max_page_size = 500

    def paginate_queryset(self, queryset: Any, request: Request, view: Any = None) -> list[Any]:
        self.request = request
        size = self._page_size(request)
        position = self._decode(request.query_params.get("cursor"))
        queryset = queryset.order_by("-date", "-id")
        if position is not None:
            last_date, last_id = position
            # The redundant `date <= last_date` bounds the index range scan.
            queryset = queryset.filter(date__lte=last_date).filter(
                Q(date__lt=last_date) | Q(id__lt=last_id)
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
        token = base64.urlsafe_b64encode(f"{last.date.isoformat()}|{last.pk}".encode()).decode()
        return replace_query_param(self.request.build_absolute_uri(), "cursor", token)

    @staticmethod
    def _decode(token: str | None) -> tuple[date, int] | None:
        if not token:
            return None
        try:
            text = base64.urlsafe_b64decode(token.encode()).decode()
            day, pk = text.split("|")
            return date.fromisoformat(day), int(pk)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise ValidationError({"cursor": ["Invalid cursor."]}) from None
