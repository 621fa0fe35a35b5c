"""``{% load plaid %}``: template tags for host pages that open Plaid Link.

``{% plaid_link_script %}`` renders the ``<script>`` tag of Plaid Link's web SDK: Plaid's
CDN, or ``PLAID["LINK_SCRIPT_URL"]`` when set (the emulator's Link simulator offline), so
one page runs unchanged online and offline.
"""

from __future__ import annotations

from django import template
from django.utils.html import format_html
from django.utils.safestring import SafeString

from ..conf import plaid_settings

register = template.Library()


@register.simple_tag
def plaid_link_script(nonce: str | None = None) -> SafeString:
    """``<script src="...">`` of the Link script, escaped; ``nonce=`` for a CSP nonce."""
    if nonce:
        return format_html(
            '<script src="{}" nonce="{}"></script>', plaid_settings.link_script_url, nonce
        )
    return format_html('<script src="{}"></script>', plaid_settings.link_script_url)


@register.simple_tag
def plaid_link_script_url() -> str:
    """The URL of the Link script, for a page that loads it itself (autoescaped)."""
    return plaid_settings.link_script_url
