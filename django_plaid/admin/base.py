"""What every dj-plaid admin screen shares: read-only pages, derived field lists."""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.html import format_html


def model_fields(model: Any, *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A mirror model's fields in declaration order, for read-only admin pages."""
    return tuple(
        f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude
    )


class ReadOnlyMixin:
    """Plaid's data is changed through Plaid, not typed in here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


def owner_search_fields() -> tuple[str, ...]:
    user_model = get_user_model()
    fields = [f"owner__{user_model.USERNAME_FIELD}"]
    email_field = getattr(user_model, "EMAIL_FIELD", None)
    if email_field and email_field != user_model.USERNAME_FIELD:
        fields.append(f"owner__{email_field}")
    return ("=item_id", *fields)


def pretty(data: Any) -> str:
    """JSON for reading: indented, wrapped."""
    return format_html(
        "<pre style='white-space:pre-wrap'>{}</pre>",
        json.dumps(data, indent=2, default=str, ensure_ascii=False),
    )
