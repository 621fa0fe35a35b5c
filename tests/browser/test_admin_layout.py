"""Every dj-plaid admin page fits a 1400 px (and a 1280 px) window with realistic data.

Long institution and account names, twelve accounts per Item, ids without spaces: no
page scrolls sideways, no list's (or inline's) table is wider than its box, and no box
clips or scrolls what it holds (a read-only value, a row).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse

from tests.admin.data import make_bank, registered_models

WIDTHS = (1400, 1280)
#: A folder to save every page's screenshot in, for a person to look at them.
SHOTS = os.environ.get("DJ_PLAID_LAYOUT_SHOTS")
MODELS = [model._meta.model_name for model in registered_models()]

MEASURE = """() => {
    const doc = document.documentElement;
    const tables = [...document.querySelectorAll("#result_list, .inline-group table")].map(
        (table) => {
            const box = table.closest(".results, .tabular, fieldset") || table.parentElement;
            return {table: table.id || table.closest(".inline-group").id,
                    width: table.getBoundingClientRect().width,
                    box: box.clientWidth};
        });
    // Boxes that clip or scroll what is too wide (a page's rows, a list's box): none may.
    const clipped = [...document.querySelectorAll("#content *")].filter((element) => {
        const overflow = getComputedStyle(element).overflowX;
        return overflow !== "visible" && element.scrollWidth > element.clientWidth + 1;
    }).map((element) => element.className + ": " + element.textContent.trim().slice(0, 80));
    return {scrollWidth: doc.scrollWidth, clientWidth: doc.clientWidth, tables, clipped};
}"""


@pytest.fixture
def admin_page(logged_in_page: Any, link_server: Any, django_user_model: Any) -> Any:
    make_bank(items=2, accounts=12, transactions=3)
    admin = django_user_model.objects.create_superuser("support", "support@example.com", "pw")
    return logged_in_page(admin)


@pytest.mark.parametrize("model_name", MODELS)
def test_pages_fit_without_sideways_scrolling(admin_page, link_server, model_name):
    from django.apps import apps

    model = apps.get_model("django_plaid", model_name)
    pages = {
        "list": reverse(f"admin:django_plaid_{model_name}_changelist"),
        "page": reverse(
            f"admin:django_plaid_{model_name}_change", args=[model.objects.order_by("pk")[0].pk]
        ),
    }
    for width in WIDTHS:
        admin_page.set_viewport_size({"width": width, "height": 900})
        for kind, url in pages.items():
            admin_page.goto(link_server.url + url)
            found = admin_page.evaluate(MEASURE)
            where = f"{model_name} {kind} at {width} px: {found}"
            assert found["scrollWidth"] <= found["clientWidth"], where
            assert not found["clipped"], where
            if kind == "list":
                assert found["tables"], where  # the list has rows
            if SHOTS:
                Path(SHOTS).mkdir(parents=True, exist_ok=True)
                admin_page.screenshot(path=f"{SHOTS}/{model_name}-{kind}-{width}.png")
            for table in found["tables"]:
                assert table["width"] <= table["box"] + 1, where
