"""dj-plaid's models, one module per concept, all importable from ``django_plaid.models``.

``base`` holds what they share (the owner querysets, ``MoneyField``); ``items``,
``accounts``, ``transactions``, ``link_tokens`` and ``webhooks`` hold Plaid's core
objects and webhook deliveries; ``link_events`` what Link reported in the browser;
``auth``, ``identity``, ``investments``, ``liabilities`` and ``income`` hold the other
products' data.

Plaid's identifiers keep Plaid's names (``item_id``, ``account_id``) and are unique;
columns people query are promoted from the payload, and the last payload Plaid sent is
kept whole in ``raw``.
"""

from __future__ import annotations

# isort: off
# In the order the models have always been defined, which is the order Django registers
# them in (and so creates their content types and permissions, and cascades deletes).
from .items import Item, ItemQuerySet, ItemStatus
from .accounts import Account, AccountQuerySet
from .transactions import Transaction, TransactionQuerySet
from .link_tokens import LinkToken
from .webhooks import WebhookDrain, WebhookEvent, WebhookEventStatus
from .auth import AuthNumbers
from .identity import AccountOwner
from .investments import Holding, InvestmentTransaction, Security
from .liabilities import Liability, LiabilityKind
from .income import PayrollIncome, PlaidUser
from .link_events import LinkEvent, LinkEventQuerySet

# isort: on
from .base import OwnedQuerySet

__all__ = [
    "Account",
    "AccountOwner",
    "AccountQuerySet",
    "AuthNumbers",
    "Holding",
    "InvestmentTransaction",
    "Item",
    "ItemQuerySet",
    "ItemStatus",
    "Liability",
    "LiabilityKind",
    "LinkEvent",
    "LinkEventQuerySet",
    "LinkToken",
    "OwnedQuerySet",
    "PayrollIncome",
    "PlaidUser",
    "Security",
    "Transaction",
    "TransactionQuerySet",
    "WebhookDrain",
    "WebhookEvent",
    "WebhookEventStatus",
]
