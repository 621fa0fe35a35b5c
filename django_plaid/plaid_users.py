"""A host user's Plaid user (Income) at its end: removed at Plaid (``/user/remove``), then here.

A Plaid user is billed at Plaid as long as it exists there, and its payroll Items with
it. Deleting the row alone would orphan it: the user token dies with the row. So:

* :func:`remove_plaid_user` (the admin's action) calls ``/user/remove`` first and deletes
  the row (and its payroll income) only once Plaid agreed, or said the user was gone;
* :func:`remove_at_plaid_before_delete` is the ``pre_delete`` receiver for every other
  way a row goes (the host deletes the Django user, a cascade, the shell): best effort,
  as for Items, since a delete must not fail because Plaid is unreachable.
"""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.views.decorators.debug import sensitive_variables

from .client import get_client
from .exceptions import PlaidAPIError
from .models import PlaidUser

logger = logging.getLogger("django_plaid")

#: Error codes that mean the user no longer exists at Plaid.
USER_GONE_CODES = frozenset({"INVALID_USER_TOKEN", "INVALID_USER_ID"})


@sensitive_variables("fields")
def remove_at_plaid(plaid_user: PlaidUser) -> None:
    """Call ``/user/remove`` for ``plaid_user`` (a user already gone at Plaid is fine).

    Marks the instance, so that deleting it afterwards does not call Plaid again.
    """
    fields = (
        {"user_token": plaid_user.user_token}
        if plaid_user.user_token
        else {"user_id": plaid_user.user_id}
    )
    try:
        get_client().call("user_remove", **fields)
    except PlaidAPIError as e:
        if e.error_code not in USER_GONE_CODES:
            raise
        logger.info(
            "Plaid user %s was already gone at Plaid (%s)", plaid_user.user_id, e.error_code
        )
    plaid_user.removed_at_plaid = True


def remove_plaid_user(plaid_user: PlaidUser) -> None:
    """Remove ``plaid_user`` at Plaid, then delete it and its payroll income here.

    Raises ``PlaidAPIError`` (and keeps the row) when Plaid refuses. The host user's next
    payroll-income Link creates a new Plaid user (``/user/create``).
    """
    remove_at_plaid(plaid_user)
    with transaction.atomic():
        plaid_user.delete()
    logger.info("Plaid user %s removed at Plaid and deleted", plaid_user.user_id)


def remove_at_plaid_on_delete(sender: type, instance: PlaidUser, **kwargs: Any) -> None:
    """The ``pre_delete`` receiver of Plaid users (connected by the app)."""
    remove_at_plaid_before_delete(instance)


def remove_at_plaid_before_delete(plaid_user: PlaidUser) -> None:
    """Before a Plaid user row is deleted some other way: remove it at Plaid, best effort."""
    if plaid_user.removed_at_plaid:
        return
    try:
        remove_at_plaid(plaid_user)
    except Exception as e:  # a delete must not fail because Plaid is unreachable
        logger.error(
            "Plaid user %s deleted here but not removed at Plaid (%s); remove it with "
            "/user/remove or ask Plaid support",
            plaid_user.user_id,
            getattr(e, "error_code", type(e).__name__),
        )
