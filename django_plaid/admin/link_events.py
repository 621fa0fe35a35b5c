"""The Link events screen: what Link reported in users' browsers, for support."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ..models import LinkEvent
from .base import PlaidAdmin, breakable_column, model_fields, pretty


@admin.register(LinkEvent)
class LinkEventAdmin(PlaidAdmin):
    """Link's exits and errors; Plaid support asks for the link session and request ids."""

    list_display = (
        "created_at",
        "event_name",
        "owner_name",
        "institution_name",
        "error_label",
        "link_session_id",
    )  # the exit status and the request id (searchable) are on the page
    owner_name = breakable_column("owner", _("owner"))
    error_label = breakable_column("error_code", _("error code"))
    list_filter = ("event_name", "error_code", "error_type", "status")
    list_select_related = ("owner",)
    search_fields = ("=link_session_id", "=request_id")
    date_hierarchy = "created_at"
    raw_id_fields = ("owner", "item")
    readonly_fields = (*model_fields(LinkEvent, exclude=("metadata",)), "pretty_metadata")
    fields = readonly_fields
    show_full_result_count = False  # events pile up: no COUNT(*) per page view

    @admin.display(description=_("metadata"))
    def pretty_metadata(self, event: LinkEvent) -> str:
        return pretty(event.metadata)
