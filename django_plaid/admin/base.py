"""What every dj-plaid admin screen shares: read-only pages, derived field lists, the
uncounted paginator and the stylesheet that fits the pages at 1280 px."""

from __future__ import annotations

import json
import re
from typing import Any

from django.contrib import admin
from django.contrib.auth import get_user_model
from django.http import HttpRequest
from django.utils.html import escape, format_html
from django.utils.safestring import mark_safe

from .paging import ListChangeList, ListPaginator

#: What a missing value shows as, in lists and on detail pages.
EMPTY = "\u2014"


def model_fields(model: Any, *, exclude: tuple[str, ...] = ()) -> tuple[str, ...]:
    """A mirror model's fields in declaration order, for read-only admin pages."""
    return tuple(
        f.name for f in model._meta.concrete_fields if not f.primary_key and f.name not in exclude
    )


def replaced(names: tuple[str, ...], columns: dict[str, str]) -> tuple[str, ...]:
    """``names`` with some fields replaced by their display columns (``amount`` by
    ``money_amount``...), in place."""
    return tuple(columns.get(name, name) for name in names)


class ReadOnlyMixin:
    """Plaid's data is changed through Plaid, not typed in here."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


class PlaidAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """A read-only dj-plaid screen: never a full count of its table, money right-aligned.

    ``show_full_result_count`` is off and :class:`~.paging.ListPaginator` counts at most
    ten thousand rows (or takes PostgreSQL's estimate): a changelist costs the same at a
    million rows as at a thousand.
    """

    paginator = ListPaginator
    show_full_result_count = False
    empty_value_display = EMPTY

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[ListChangeList]:
        return ListChangeList

    class Media:
        css = {"all": ("django_plaid/admin.css",)}


#: Where a code or an address may wrap: after these characters (no spaces in them).
_BREAK_AFTER = re.compile(r"([_@./-])")


def breakable(text: Any) -> str:
    """``text`` escaped, with a line-break opportunity after ``_ @ . / -``: an error code
    (``ITEM_LOGIN_REQUIRED``) or an e-mail address wraps there, not mid-word."""
    if text is None or text == "":
        return ""
    return mark_safe(_BREAK_AFTER.sub(r"\1<wbr>", str(escape(text))))  # noqa: S308  (escaped)


def breakable_column(field: str, description: Any) -> Any:
    """A list column showing ``field`` (a code, an address, a related row) :func:`breakable`."""

    @admin.display(description=description, ordering=field)
    def column(model_admin: Any, obj: Any) -> str | None:
        value = getattr(obj, field)
        return breakable(value) if value not in (None, "") else None

    return column


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
