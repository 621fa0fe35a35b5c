"""URLs of dj-plaid: include them with ``path("plaid/", include("django_plaid.urls"))``."""

from __future__ import annotations

from django.urls import include, path
from rest_framework.routers import SimpleRouter

from .api import link_events, products, views
from .webhooks.views import PlaidWebhookView

app_name = "django_plaid"

router = SimpleRouter()
router.register("items", views.ItemViewSet, basename="item")
router.register("accounts", views.AccountViewSet, basename="account")
router.register("transactions", views.TransactionViewSet, basename="transaction")
router.register("auth", products.AuthViewSet, basename="auth")
router.register("identity", products.IdentityViewSet, basename="identity")
router.register("investments/holdings", products.HoldingViewSet, basename="holding")
router.register(
    "investments/transactions",
    products.InvestmentTransactionViewSet,
    basename="investment-transaction",
)
router.register("liabilities", products.LiabilityViewSet, basename="liability")
router.register("income", products.IncomeViewSet, basename="income")
router.register("link-events", link_events.LinkEventViewSet, basename="link-event")

urlpatterns = [
    path("link-token/", views.LinkTokenView.as_view(), name="link-token"),
    path("exchange/", views.ExchangeView.as_view(), name="exchange"),
    path("webhook/", PlaidWebhookView.as_view(), name="webhook"),
    path("", include(router.urls)),
]
