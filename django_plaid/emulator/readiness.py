"""Readiness: a product's "data still being prepared" phase, and the webhooks held back."""

from __future__ import annotations

from .notifications import notify_item_linked, notify_product_ready, notify_sync_updates_available
from .records import READINESS_PRODUCTS, Item
from .store import Store

__all__ = ["ReadinessState"]


class ReadinessState(Store):
    """``EmulatorState``'s PRODUCT_NOT_READY / NOT_READY switches."""

    # -- readiness --------------------------------------------------------------------------

    def product_ready(self, item: str | Item, product: str) -> bool:
        """Whether the Item's data for ``product`` is ready (no PRODUCT_NOT_READY)."""
        with self.lock:
            found = self.resolve_item(item)
            if product == "transactions":
                return found.transactions_ready
            return product not in found.not_ready

    def set_product_ready(self, item: str | Item, product: str, ready: bool = True) -> Item:
        """End (``ready``, the default) or start a product's "data being prepared" phase.

        While not ready the product's endpoints answer PRODUCT_NOT_READY (``/auth/get``,
        ``/identity/get``, ``/investments/*``, ``/liabilities/get``,
        ``/credit/payroll_income/get``; ``/transactions/sync`` answers NOT_READY). Becoming
        ready sends what was held back meanwhile: INVESTMENTS_TRANSACTIONS/HISTORICAL_UPDATE,
        INCOME/INCOME_VERIFICATION, or the transactions webhooks (``set_transactions_ready``).
        ValueError for a product without such a phase (see ``READINESS_PRODUCTS``).
        """
        if product not in READINESS_PRODUCTS:
            raise ValueError(
                f"product must be one of {', '.join(READINESS_PRODUCTS)}, not {product!r}"
            )
        if product == "transactions":
            return self.set_transactions_ready(item, ready)
        with self.lock:
            found = self.resolve_item(item)
            was_ready = product not in found.not_ready
            if ready:
                found.not_ready.discard(product)
            else:
                found.not_ready.add(product)
            if ready and not was_ready:
                if product == "investments":
                    found.last_investments_update = self.now()
                if product in found.deferred_webhooks:
                    found.deferred_webhooks.discard(product)
                    notify_product_ready(self, found, product)
            return found

    def set_transactions_ready(self, item: str | Item, ready: bool = True) -> Item:
        """Switch the Item's NOT_READY phase off (``ready``) or on.

        Becoming ready sends what was held back: INITIAL_UPDATE/HISTORICAL_UPDATE if the
        Item was exchanged meanwhile, SYNC_UPDATES_AVAILABLE if it has synced before.
        """
        with self.lock:
            found = self.resolve_item(item)
            self.ledger(found)
            was_ready, found.transactions_ready = found.transactions_ready, ready
            if ready and not was_ready:
                found.last_successful_update = self.now()
                if found.link_webhooks_deferred:
                    found.link_webhooks_deferred = False
                    notify_item_linked(self, found)
                if found.sync_activated:
                    notify_sync_updates_available(self, found)
            return found
