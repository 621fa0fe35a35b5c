"""The Django app configuration of dj-plaid."""

from __future__ import annotations

from django.apps import AppConfig
from django.db.models.signals import pre_delete
from django.utils.translation import gettext_lazy as _


class DjangoPlaidConfig(AppConfig):
    """Registers dj-plaid's system checks and its receivers."""

    name = "django_plaid"
    label = "django_plaid"
    verbose_name = _("Plaid")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Django imports this module before the models exist: what needs them is
        # imported once they do (the one place the contracts allow it, besides jobs).
        from . import checks  # noqa: F401  (registers the checks)
        from .lifecycle import remove_at_plaid_on_delete
        from .models import Item, PlaidUser
        from .plaid_users import remove_at_plaid_on_delete as remove_user_at_plaid_on_delete

        pre_delete.connect(
            remove_at_plaid_on_delete, sender=Item, dispatch_uid="django_plaid.remove"
        )
        pre_delete.connect(
            remove_user_at_plaid_on_delete,
            sender=PlaidUser,
            dispatch_uid="django_plaid.remove_user",
        )
