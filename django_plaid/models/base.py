"""What the models share: the owner querysets (the isolation rule)."""

from __future__ import annotations

from typing import Any

from django.db import models


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
