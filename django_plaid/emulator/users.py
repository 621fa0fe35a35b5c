"""Users (``/user/create``) and the payroll Items they own, for Income."""

from __future__ import annotations

from collections.abc import Iterable

from . import ids
from .errors import PlaidErrorResponse
from .income import DEFAULT_PAYROLL_INSTITUTION_ID, PAYROLL_INSTITUTIONS
from .records import Account, Item, User
from .store import Store

__all__ = ["UserState"]


class UserState(Store):
    """``EmulatorState``'s users and their payroll Items."""

    # -- users and payroll Items ------------------------------------------------------------

    def create_user(self, client_user_id: str) -> User:
        """Create a ``/user/create`` user; INVALID_FIELD if ``client_user_id`` has one."""
        with self.lock:
            if client_user_id in self._client_user_ids:
                raise PlaidErrorResponse(
                    "INVALID_FIELD",
                    "a user has already been created for the given client_user_id; store "
                    "and reuse the user_id (and user_token) from the first /user/create call",
                )
            user = User(
                user_id=ids.user_id(),
                user_token=ids.user_token(),
                client_user_id=client_user_id,
                created_at=self.now(),
            )
            self.users[user.user_id] = user
            self._user_tokens[user.user_token] = user.user_id
            self._client_user_ids[client_user_id] = user.user_id
            return user

    def get_user(self, *, user_id: str | None = None, user_token: str | None = None) -> User:
        """The user named by ``user_token`` or ``user_id``.

        INVALID_USER_TOKEN / INVALID_USER_ID when unknown (a removed user or another
        environment's); ValueError when neither is given.
        """
        with self.lock:
            if user_token is not None:
                found_id = self._user_tokens.get(user_token)
                if found_id is None or found_id not in self.users:
                    raise PlaidErrorResponse("INVALID_USER_TOKEN")
                if user_id is not None and user_id != found_id:
                    raise PlaidErrorResponse(
                        "INVALID_USER_ID", "user_id and user_token name different users"
                    )
                return self.users[found_id]
            if user_id is None:
                raise ValueError("pass user_id or user_token")
            user = self.users.get(user_id)
            if user is None:
                raise PlaidErrorResponse("INVALID_USER_ID")
            return user

    def remove_user(self, user: str | User) -> None:
        """Delete a user (``/user/remove``) and its payroll Items; its client_user_id is free
        for a new ``/user/create``."""
        with self.lock:
            owner = self.resolve_user(user)
            for item_id in list(owner.item_ids):
                if item_id in self.items:
                    self.remove_item(item_id)  # type: ignore[attr-defined]
            self.users.pop(owner.user_id, None)
            self._user_tokens.pop(owner.user_token, None)
            self._client_user_ids.pop(owner.client_user_id, None)

    def resolve_user(self, user: str | User) -> User:
        """A user from itself, its user_id or its user token."""
        if isinstance(user, User):
            return user
        if ids.is_user_token(user):
            return self.get_user(user_token=user)
        return self.get_user(user_id=user)

    def create_payroll_item(
        self,
        user: str | User,
        *,
        institution_id: str | None = None,
        products: Iterable[str] = ("income_verification",),
        webhook: str | None = None,
        username: str = "user_good",
        income_ready: bool = True,
    ) -> Item:
        """Create the user's payroll Item, as a completed payroll-income Link does.

        The Item is at a payroll provider (``income.PAYROLL_INSTITUTIONS``; unknown or bank
        institution ids mean the default, ADP) with one ``other``/``payroll`` account.
        ``income_ready=False`` keeps its payroll data PRODUCT_NOT_READY until
        ``set_product_ready(item, "income_verification")``. No webhook is sent here:
        ``notifications.notify_income_verification`` does that.
        """
        with self.lock:
            owner = self.resolve_user(user)
            institution = PAYROLL_INSTITUTIONS.get(
                institution_id or "", PAYROLL_INSTITUTIONS[DEFAULT_PAYROLL_INSTITUTION_ID]
            )
            account = Account(
                account_id=ids.account_id(),
                name="Plaid Inc. Payroll",
                mask=None,
                type="other",
                subtype="payroll",
                official_name=None,
                available=None,
                current=None,
                limit=None,
            )
            item = Item(
                item_id=ids.item_id(),
                access_token=ids.access_token(),
                institution=institution,
                products=sorted(set(products) | {"income_verification"}),
                accounts=[account],
                created_at=self.now(),
                webhook=webhook,
                username=username,
                client_user_id=owner.client_user_id,
                user_id=owner.user_id,
                not_ready=set() if income_ready else {"income_verification"},
            )
            self.items[item.item_id] = item
            self._access_tokens[item.access_token] = item.item_id
            owner.item_ids.append(item.item_id)
            return item
