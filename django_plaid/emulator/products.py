"""An Item's products: billing for one on first use, and Auth's account verification."""

from __future__ import annotations

from .account_numbers import SETTABLE_VERIFICATION_STATUSES, is_auth_account
from .errors import PlaidErrorResponse
from .notifications import notify_verification_status
from .records import Account, Item
from .store import Store

__all__ = ["ProductState"]


class ProductState(Store):
    """``EmulatorState``'s product billing and account verification statuses."""

    # -- products ---------------------------------------------------------------------------

    def add_product(self, item: str | Item, product: str) -> bool:
        """Bill the Item for ``product`` unless it has it; return whether it was added.

        What Plaid does when ``/auth/get``, ``/identity/get``, ``/investments/*`` or
        ``/liabilities/get`` is called for a product the Item was not linked with.
        PRODUCTS_NOT_SUPPORTED when the Item's institution does not offer the product.
        """
        with self.lock:
            found = self.resolve_item(item)
            if product in found.products:
                return False
            if product not in found.institution.products:
                raise PlaidErrorResponse(
                    "PRODUCTS_NOT_SUPPORTED",
                    f"the following products are not supported by this institution: {product}",
                )
            found.products = sorted({*found.products, product})
            if product == "investments":
                found.last_investments_update = self.now()
            return True

    def set_verification_status(
        self, item: str | Item, account_id: str, verification_status: str
    ) -> Account:
        """Set an auth account's verification status and send the matching AUTH webhook.

        ``automatically_verified`` sends AUTOMATICALLY_VERIFIED and the account's numbers
        are served from then on; ``verification_expired`` sends VERIFICATION_EXPIRED and
        they never will be. INVALID_ACCOUNT_ID unless the account is a checking, savings or
        cash management account of the Item; ValueError for another status.
        """
        if verification_status not in SETTABLE_VERIFICATION_STATUSES:
            raise ValueError(
                "verification_status must be one of " + ", ".join(SETTABLE_VERIFICATION_STATUSES)
            )
        with self.lock:
            found = self.resolve_item(item)
            account = next((a for a in found.accounts if a.account_id == account_id), None)
            if account is None or not is_auth_account(account):
                raise PlaidErrorResponse(
                    "INVALID_ACCOUNT_ID",
                    f"account_id {account_id} is not a checking, savings or cash management "
                    "account of this Item",
                )
            account.verification_status = verification_status
            notify_verification_status(self, found, account)
            return account
