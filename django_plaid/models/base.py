"""What the models share: the owner querysets (the isolation rule) and the money field."""

from __future__ import annotations

from typing import Any

from django.db import models


class MoneyField(models.DecimalField):
    """A ``DecimalField`` for an amount of money (or a quantity): 28 digits, 10 after the point.

    Plaid sends floats, sometimes with up to 7 decimal places. The field deconstructs as
    the ``DecimalField`` it is, so migrations (and the autodetector) see no new field type.
    """

    MAX_DIGITS = 28
    DECIMAL_PLACES = 10

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", self.MAX_DIGITS)
        kwargs.setdefault("decimal_places", self.DECIMAL_PLACES)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, _path, args, kwargs = super().deconstruct()
        return name, "django.db.models.DecimalField", args, kwargs


class OwnedQuerySet(models.QuerySet[Any]):
    """Rows that belong to one user through ``owner_path`` (the isolation rule, in one place)."""

    #: The lookup from the row to its owning user.
    owner_path = "owner"

    def for_owner(self, user: Any) -> Any:
        """The rows of ``user``'s Items (none for an anonymous user)."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(**{self.owner_path: user})


class OwnedByAccountQuerySet(OwnedQuerySet):
    """Rows that hang off an Account, filtered by the Account's Item's owner."""

    owner_path = "account__item__owner"
