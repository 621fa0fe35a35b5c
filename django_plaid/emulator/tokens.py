"""Link tokens and public tokens: minting, lifetimes, lookup and the single-use exchange."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from . import ids
from .errors import PlaidErrorResponse
from .records import Item, LinkToken, PublicToken
from .store import Store

__all__ = ["LINK_TOKEN_TTL", "PUBLIC_TOKEN_TTL", "UPDATE_LINK_TOKEN_TTL", "TokenState"]

LINK_TOKEN_TTL = timedelta(hours=4)
UPDATE_LINK_TOKEN_TTL = timedelta(minutes=30)
PUBLIC_TOKEN_TTL = timedelta(minutes=30)


class TokenState(Store):
    """``EmulatorState``'s link and public tokens."""

    # -- link tokens ------------------------------------------------------------------------

    def create_link_token(self, **fields: Any) -> LinkToken:
        """Mint a link token; pass ``item_id`` for update mode (30-minute lifetime)."""
        with self.lock:
            now = self.now()
            ttl = UPDATE_LINK_TOKEN_TTL if fields.get("item_id") else LINK_TOKEN_TTL
            token = LinkToken(
                link_token=ids.link_token(), created_at=now, expires_at=now + ttl, **fields
            )
            self.link_tokens[token.link_token] = token
            return token

    def find_link_token(self, link_token: str) -> LinkToken:
        """Return a link token, expired or not (``/link/token/get`` reports both), or raise
        INVALID_LINK_TOKEN for an unknown one."""
        with self.lock:
            token = self.link_tokens.get(link_token)
            if token is None:
                raise PlaidErrorResponse("INVALID_LINK_TOKEN")
            return token

    def get_link_token(self, link_token: str) -> LinkToken:
        """Return a live link token or raise INVALID_LINK_TOKEN (unknown or expired)."""
        with self.lock:
            token = self.link_tokens.get(link_token)
            if token is None:
                raise PlaidErrorResponse("INVALID_LINK_TOKEN")
            if self.now() >= token.expires_at:
                raise PlaidErrorResponse(
                    "INVALID_LINK_TOKEN",
                    "link token has expired",
                    display_message="Your session has expired. Please try again.",
                )
            return token

    # -- public tokens ----------------------------------------------------------------------

    def create_public_token(self, item_id: str, *, update_mode: bool = False) -> PublicToken:
        """Mint a 30-minute, single-use public token for an Item."""
        with self.lock:
            self.get_item(item_id)
            now = self.now()
            token = PublicToken(
                public_token=ids.public_token(),
                item_id=item_id,
                created_at=now,
                expires_at=now + PUBLIC_TOKEN_TTL,
                update_mode=update_mode,
            )
            self.public_tokens[token.public_token] = token
            return token

    def exchange_public_token(self, public_token: str) -> Item:
        """Spend a public token and return its Item; reuse, expiry or unknown raise."""
        with self.lock:
            token = self.public_tokens.get(public_token)
            if token is None or token.item_id not in self.items:
                raise PlaidErrorResponse("INVALID_PUBLIC_TOKEN")
            if token.exchanged_at is not None:
                raise PlaidErrorResponse(
                    "INVALID_PUBLIC_TOKEN",
                    "provided public token has already been exchanged; public tokens are "
                    "single-use",
                )
            if self.now() >= token.expires_at:
                raise PlaidErrorResponse(
                    "INVALID_PUBLIC_TOKEN",
                    "provided public token is expired. Public tokens expire 30 minutes after "
                    "creation at which point they can no longer be exchanged",
                )
            if token.update_mode:
                # Plaid's update mode keeps the access token; exchanging is an app bug.
                raise PlaidErrorResponse(
                    "INVALID_PUBLIC_TOKEN",
                    "this public token comes from Link update mode and cannot be exchanged; "
                    "the Item's access token is unchanged",
                )
            token.exchanged_at = self.now()
            return self.items[token.item_id]
