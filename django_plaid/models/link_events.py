"""Link analytics: what Plaid Link reported in a user's browser (``LinkEvent``).

Link's ``onExit`` outcomes and ``ERROR`` events, with the ``link_session_id`` and
``request_id`` Plaid support asks for. Only the metadata keys Link documents are kept
(:data:`METADATA_KEYS`), every string bounded and any token redacted
(:func:`clean_metadata`): nothing here is a secret.
"""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import OwnedQuerySet
from .items import Item

#: The keys of Link's metadata a LinkEvent keeps, snake_case: ``onExit``'s
#: (``LinkSessionExitMetadata``) and ``onEvent``'s (``LinkEventMetadata``, plus what the
#: web SDK adds: ``link_session_id``, ``timestamp``, ``is_update_mode``). Left out on
#: purpose: ``routing_number`` and ``account_number_mask`` (bank account numbers).
METADATA_KEYS = frozenset(
    {
        "link_session_id",
        "request_id",
        "timestamp",
        "view_name",
        "status",
        "exit_status",
        "institution",
        "institution_id",
        "institution_name",
        "institution_search_query",
        "mfa_type",
        "error_type",
        "error_code",
        "error_message",
        "selection",
        "brand_name",
        "match_reason",
        "is_update_mode",
    }
)

#: The keys of Link's ``institution`` object kept (web: ``institution_id``; mobile: ``id``).
INSTITUTION_KEYS = frozenset({"institution_id", "id", "name"})

#: The longest string a LinkEvent stores in its metadata.
MAX_METADATA_STRING = 1024

#: Plaid's tokens (``public-sandbox-...``, ``access-production-...``, ``link-...``).
TOKEN_PATTERN = re.compile(
    r"\b(?:public|access|link|processor|user)-(?:sandbox|development|production)-[\w-]+",
    re.IGNORECASE,
)


def redact_tokens(value: str) -> str:
    """``value`` with every Plaid token in it replaced by ``[redacted]``."""
    return TOKEN_PATTERN.sub("[redacted]", value)


def _clean_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, str):
        return redact_tokens(value)[:MAX_METADATA_STRING]
    return None


def clean_metadata(metadata: Any) -> dict[str, Any]:
    """Link's metadata as a LinkEvent keeps it: the known keys with scalar values (and
    ``institution``'s own keys), tokens redacted, strings bounded; the rest dropped."""
    if not isinstance(metadata, dict):
        return {}
    cleaned: dict[str, Any] = {}
    for key in sorted(METADATA_KEYS & metadata.keys()):
        value = metadata[key]
        if key == "institution":
            if isinstance(value, dict):
                cleaned[key] = {
                    k: _clean_value(value[k]) for k in sorted(INSTITUTION_KEYS & value.keys())
                }
            elif value is None:
                cleaned[key] = None
            continue
        if isinstance(value, (str, bool)) or value is None:
            cleaned[key] = _clean_value(value)
    return cleaned


class LinkEventQuerySet(OwnedQuerySet):
    """Link events; ``for_owner(user)`` gives one user's."""


class LinkEvent(models.Model):
    """One outcome or event Plaid Link reported in a user's browser.

    Columns people query (the session, the request, the error, the institution, the
    exit status, the pane) are promoted from the metadata; the cleaned metadata is kept
    whole in ``metadata``. Public tokens are never stored.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plaid_link_events",
        verbose_name=_("owner"),
    )
    item = models.ForeignKey(
        Item,
        # An Item removed later leaves its Link history for support.
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="link_events",
        verbose_name=_("item (update mode)"),
    )
    event_name = models.CharField(_("event name"), max_length=64, db_index=True)
    link_session_id = models.CharField(
        _("link session id"), max_length=100, blank=True, db_index=True
    )
    request_id = models.CharField(_("request id"), max_length=100, blank=True, db_index=True)
    error_type = models.CharField(_("error type"), max_length=64, blank=True)
    error_code = models.CharField(_("error code"), max_length=64, blank=True, db_index=True)
    error_message = models.CharField(_("error message"), max_length=MAX_METADATA_STRING, blank=True)
    display_message = models.CharField(
        _("display message"), max_length=MAX_METADATA_STRING, blank=True
    )
    institution_id = models.CharField(_("institution id"), max_length=100, blank=True)
    institution_name = models.CharField(_("institution name"), max_length=255, blank=True)
    status = models.CharField(
        _("exit status"),
        max_length=64,
        blank=True,
        help_text=_("Where the user left Link (onExit's status, or the event's exit_status)."),
    )
    view_name = models.CharField(_("view name"), max_length=64, blank=True)
    metadata = models.JSONField(_("metadata"), default=dict, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)

    objects = LinkEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("Plaid Link event")
        verbose_name_plural = _("Plaid Link events")
        indexes = [
            # GET link-events/: one user's events, newest first (keyset pages).
            models.Index(fields=["owner", "-created_at", "-id"], name="djp_linkevent_owner_new"),
        ]

    def __str__(self) -> str:
        return f"{self.event_name} {self.error_code or self.status or ''}".strip()

    def __repr__(self) -> str:
        return f"<LinkEvent {self.pk} {self.event_name} owner={self.owner_id}>"
