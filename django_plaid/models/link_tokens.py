"""Link tokens: which user each Link token dj-plaid created was for (``LinkToken``)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .items import Item


class LinkToken(models.Model):
    """A Link token dj-plaid created, and for whom.

    Lets the exchange check that a public token came from a Link session opened with a
    token of the same user (``PLAID["VERIFY_LINK_SESSION"]``). Only a SHA-256 of the
    token is kept: the client sends the token itself with the exchange.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="plaid_link_tokens",
        verbose_name=_("owner"),
    )
    token_sha256 = models.CharField(_("link token SHA-256"), max_length=64, unique=True)
    item = models.ForeignKey(
        Item,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="link_tokens",
        verbose_name=_("item (update mode)"),
    )
    expiration = models.DateTimeField(_("expiration"), db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("Plaid link token")
        verbose_name_plural = _("Plaid link tokens")

    def __str__(self) -> str:
        return f"link token of user {self.owner_id}"

    def __repr__(self) -> str:
        return f"<LinkToken {self.pk} owner={self.owner_id}>"
