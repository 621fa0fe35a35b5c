"""The Django app configuration of dj-plaid."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DjangoPlaidConfig(AppConfig):
    """Registers dj-plaid's system checks."""

    name = "django_plaid"
    label = "django_plaid"
    verbose_name = _("Plaid")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the checks)
