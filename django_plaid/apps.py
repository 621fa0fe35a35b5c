"""The Django app configuration of dj-plaid."""

from __future__ import annotations

from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DjangoPlaidConfig(AppConfig):
    """Registers dj-plaid's system checks and its receivers."""

    name = "django_plaid"
    label = "django_plaid"
    verbose_name = _("Plaid")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import pre_delete

        from . import checks  # noqa: F401  (registers the checks)
        from .models import Item

        pre_delete.connect(_remove_at_plaid, sender=Item, dispatch_uid="django_plaid.remove")


def _remove_at_plaid(sender: type, instance: object, **kwargs: object) -> None:
    from .services import remove_at_plaid_before_delete

    remove_at_plaid_before_delete(instance)  # type: ignore[arg-type]
