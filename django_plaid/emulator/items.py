"""Items: creating them (the Link shortcut), removing them, access tokens and Item errors."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from . import ids
from .data import DEFAULT_INSTITUTION_ID, accounts_for, get_institution
from .errors import PlaidErrorResponse
from .records import READINESS_PRODUCTS, Account, Item
from .store import Store
from .transaction_changes import new_history

__all__ = ["ItemState"]


class ItemState(Store):
    """``EmulatorState``'s Items: create, remove, rotate the access token, set the error."""

    # -- items ------------------------------------------------------------------------------

    def create_item(
        self,
        institution_id: str = DEFAULT_INSTITUTION_ID,
        products: Iterable[str] = ("transactions",),
        *,
        webhook: str | None = None,
        username: str = "user_good",
        client_user_id: str | None = None,
        account_filters: Mapping[str, Any] | None = None,
        days_requested: int = 90,
        transactions_ready: bool = True,
        not_ready: Iterable[str] = (),
        automated_microdeposits: bool = False,
    ) -> Item:
        """Create an Item directly (no Link, no credentials); tests may use it as a shortcut.

        With ``transactions``, the Item gets its history over ``days_requested`` days
        (``user_transactions_dynamic``: about 50 transactions, a few pending).
        ``transactions_ready=False`` makes ``/transactions/sync`` answer NOT_READY until
        ``set_transactions_ready()``; ``not_ready`` names other products whose data is
        still being prepared (see ``set_product_ready``). ``automated_microdeposits`` makes
        the automated micro-deposits Item Plaid's sandbox creates for ``microdeposits_good``:
        only Plaid Checking, ``pending_automatic_verification``, auth_method
        AUTOMATED_MICRODEPOSITS. Raises INVALID_INSTITUTION for an unknown institution and
        NO_ACCOUNTS when the products and filters leave no account.
        """
        institution = get_institution(institution_id)
        if institution is None:
            raise PlaidErrorResponse("INVALID_INSTITUTION")
        products = sorted(set(products))
        not_ready = set(not_ready)
        unknown = not_ready - set(READINESS_PRODUCTS)
        if unknown:
            raise ValueError(f"not_ready: no readiness for {sorted(unknown)}")
        if "transactions" in not_ready:
            transactions_ready = False
            not_ready.discard("transactions")
        templates = accounts_for(products, account_filters)
        if automated_microdeposits:
            # The user verifies one account by micro-deposits instead of logging in.
            templates = [t for t in templates if t.subtype == "checking"][:1]
        if not templates:
            raise PlaidErrorResponse("NO_ACCOUNTS")
        with self.lock:
            now = self.now()
            item = Item(
                item_id=ids.item_id(),
                access_token=ids.access_token(),
                institution=institution,
                products=products,
                accounts=[Account.from_template(t) for t in templates],
                created_at=now,
                webhook=webhook,
                username=username,
                client_user_id=client_user_id,
                days_requested=days_requested,
                last_successful_update=now if "transactions" in products else None,
                transactions_ready=transactions_ready,
                not_ready=not_ready,
                last_investments_update=now if "investments" in products else None,
            )
            if automated_microdeposits:
                item.auth_method = "AUTOMATED_MICRODEPOSITS"
                for account in item.accounts:
                    account.verification_status = "pending_automatic_verification"
            if "transactions" in products:
                item.ledger = new_history(item, self.now().date(), days_requested)
            self.items[item.item_id] = item
            self._access_tokens[item.access_token] = item.item_id
            return item

    def remove_item(self, item_id: str) -> None:
        """Delete an Item: its access token and unexchanged public tokens stop working."""
        with self.lock:
            item = self.items.pop(item_id, None)
            if item is None:
                raise PlaidErrorResponse("ITEM_NOT_FOUND")
            self._access_tokens.pop(item.access_token, None)
            user = self.users.get(item.user_id or "")
            if user is not None and item_id in user.item_ids:
                user.item_ids.remove(item_id)
            for token, public in list(self.public_tokens.items()):
                if public.item_id == item_id:
                    del self.public_tokens[token]

    def rotate_access_token(self, access_token: str) -> Item:
        """Give the Item behind ``access_token`` a new one; the old one is invalid at once."""
        with self.lock:
            item = self.item_for_access_token(access_token)
            del self._access_tokens[item.access_token]
            item.access_token = ids.access_token()
            self._access_tokens[item.access_token] = item.item_id
            return item

    def set_item_error(self, item_id: str, error_code: str | None) -> Item:
        """Put an Item into an error state (e.g. ITEM_LOGIN_REQUIRED); None clears it."""
        with self.lock:
            item = self.get_item(item_id)
            item.error_code = error_code
            return item

    def clear_item_error(self, item_id: str) -> Item:
        """Make an Item healthy again (what a successful update-mode Link does)."""
        return self.set_item_error(item_id, None)
