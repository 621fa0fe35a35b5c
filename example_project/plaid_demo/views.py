"""The demo's home page: a shell that ``demo.js`` fills in from dj-plaid's REST API.

The view hands the page nothing but where the API is (``api_base``) and the CSRF cookie;
no Item, account or transaction is rendered on the server, so the page shows exactly what
a web or mobile client of the API would see.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.mixins import LoginRequiredMixin
from django.urls import reverse, reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import ensure_csrf_cookie
from django.views.generic import TemplateView


def api_base() -> str:
    """Where ``django_plaid.urls`` is included, such as ``/plaid/``."""
    return reverse("django_plaid:link-token").removesuffix("link-token/")


def emulator_url() -> str | None:
    """The Plaid emulator's URL when the site talks to it rather than to Plaid."""
    host = str(getattr(settings, "PLAID", {}).get("HOST") or "")
    return host.rstrip("/") if host and "plaid.com" not in host else None


@method_decorator(ensure_csrf_cookie, name="dispatch")
class HomeView(LoginRequiredMixin, TemplateView):
    template_name = "plaid_demo/home.html"
    login_url = reverse_lazy("plaid_demo:login")

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["api_base"] = api_base()
        context["site_url"] = self.request.build_absolute_uri("/").rstrip("/")
        context["emulator_url"] = emulator_url()
        return context
