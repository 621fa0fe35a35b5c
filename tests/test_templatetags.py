"""``{% load plaid %}``: the Link script tag, Plaid's CDN or LINK_SCRIPT_URL, escaped."""

from __future__ import annotations

import pytest
from django.template import Context, Template

from django_plaid.conf import PLAID_LINK_SCRIPT_URL

CDN = "https://cdn.plaid.com/link/v2/stable/link-initialize.js"


def render(source: str, **context: object) -> str:
    return Template("{% load plaid %}" + source).render(Context(context))


def test_the_default_is_plaids_cdn():
    assert PLAID_LINK_SCRIPT_URL == CDN
    assert render("{% plaid_link_script %}") == f'<script src="{CDN}"></script>'


def test_link_script_url_replaces_it(settings):
    url = "http://127.0.0.1:8765/link/v2/stable/link-initialize.js"
    settings.PLAID = {**settings.PLAID, "LINK_SCRIPT_URL": url}
    assert render("{% plaid_link_script %}") == f'<script src="{url}"></script>'
    assert render("{% plaid_link_script_url %}") == url


def test_none_is_the_cdn(settings):
    settings.PLAID = {**settings.PLAID, "LINK_SCRIPT_URL": None}
    assert render("{% plaid_link_script %}") == f'<script src="{CDN}"></script>'


def test_the_url_is_escaped(settings):
    settings.PLAID = {**settings.PLAID, "LINK_SCRIPT_URL": 'https://x.test/a.js?a=1&b="><b>'}
    html = render("{% plaid_link_script %}")
    assert html == '<script src="https://x.test/a.js?a=1&amp;b=&quot;&gt;&lt;b&gt;"></script>'
    assert (
        render("{% plaid_link_script_url %}") == "https://x.test/a.js?a=1&amp;b=&quot;&gt;&lt;b&gt;"
    )


def test_a_csp_nonce(settings):
    html = render("{% plaid_link_script nonce=nonce %}", nonce='n0"nce')
    assert html == f'<script src="{CDN}" nonce="n0&quot;nce"></script>'
    assert render("{% plaid_link_script nonce=missing %}") == f'<script src="{CDN}"></script>'


@pytest.mark.parametrize("source", ["{% plaid_link_script %}", "{% plaid_link_script_url %}"])
def test_the_tag_reads_the_setting_at_render_time(settings, source):
    template = Template("{% load plaid %}" + source)
    first = template.render(Context())
    settings.PLAID = {**settings.PLAID, "LINK_SCRIPT_URL": "https://example.test/link.js"}
    assert "https://example.test/link.js" in template.render(Context())
    assert CDN in first


def test_the_helper_is_a_static_file():
    from django.contrib.staticfiles import finders

    assert finders.find("django_plaid/link.js")
