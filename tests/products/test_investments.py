import pytest

from django_plaid.models import Holding, InvestmentTransaction, Item, Security
from django_plaid.products.services import fetch_investments
from tests.helpers import item_webhook

pytestmark = pytest.mark.django_db


def test_linking_with_investments_stores_holdings_and_history(link_product, emulator):
    item = link_product(["investments"])
    holdings = Holding.objects.filter(account__item=item)
    assert holdings.exists()
    assert Security.objects.filter(holdings__account__item=item).exists()
    assert all(h.account.type == "investment" for h in holdings.select_related("account"))
    total = InvestmentTransaction.objects.filter(account__item=item).count()
    # Every offset page was fetched: as many rows as Plaid reports.
    from django_plaid.client import get_client

    reported = get_client().call_raw(
        "investments_transactions_get",
        access_token=item.access_token,
        start_date=_days_ago(730),
        end_date=_days_ago(0),
        options={"count": 1},
    )["total_investment_transactions"]
    assert total == reported > 100


def _days_ago(days):
    from datetime import timedelta

    from django.utils import timezone

    return timezone.now().date() - timedelta(days=days)


def test_fetching_twice_changes_nothing(link_product):
    item = link_product(["investments"])
    before = (
        Holding.objects.filter(account__item=item).count(),
        InvestmentTransaction.objects.filter(account__item=item).count(),
    )
    fetch_investments(Item.objects.get(pk=item.pk))
    after = (
        Holding.objects.filter(account__item=item).count(),
        InvestmentTransaction.objects.filter(account__item=item).count(),
    )
    assert before == after


def test_the_api_lists_holdings_and_pages_transactions(api, link_product):
    item = link_product(["investments"])
    holdings = api.get("/plaid/investments/holdings/").json()
    assert len(holdings) == Holding.objects.filter(account__item=item).count()
    assert {"security_id", "ticker_symbol", "quantity", "institution_value"} <= set(holdings[0])
    rows, url = [], "/plaid/investments/transactions/?page_size=40"
    while url:
        body = api.get(url).json()
        rows += body["results"]
        url = body["next"]
    assert len(rows) == InvestmentTransaction.objects.filter(account__item=item).count()
    assert len({r["investment_transaction_id"] for r in rows}) == len(rows)


def test_holdings_webhook_refetches(deliver, link_product):
    item = link_product(["investments"])
    Holding.objects.filter(account__item=item).delete()
    deliver(
        item_webhook(
            item, "DEFAULT_UPDATE", webhook_type="HOLDINGS", new_holdings=1, updated_holdings=0
        )
    )
    assert Holding.objects.filter(account__item=item).exists()


def test_investment_transactions_webhook_refetches(deliver, link_product):
    item = link_product(["investments"])
    InvestmentTransaction.objects.filter(account__item=item).delete()
    deliver(
        item_webhook(
            item,
            "DEFAULT_UPDATE",
            webhook_type="INVESTMENTS_TRANSACTIONS",
            new_investments_transactions=1,
            cancelled_investments_transactions=0,
        )
    )
    assert InvestmentTransaction.objects.filter(account__item=item).exists()


def test_other_users_see_no_investments(other_api, link_product):
    link_product(["investments"])
    assert other_api.get("/plaid/investments/holdings/").json() == []
    assert other_api.get("/plaid/investments/transactions/").json()["results"] == []


def test_investment_transactions_filter_by_date(api, link_product):
    item = link_product(["investments"])
    dates = sorted(
        InvestmentTransaction.objects.filter(account__item=item).values_list("date", flat=True)
    )
    start, end = dates[len(dates) // 4], dates[len(dates) // 2]
    url = f"/plaid/investments/transactions/?start_date={start}&end_date={end}&page_size=500"
    rows = api.get(url).json()["results"]
    assert rows
    assert {r["date"] for r in rows} <= {d.isoformat() for d in dates if start <= d <= end}
    assert len(rows) == sum(start <= d <= end for d in dates)
    assert api.get(url.replace(str(start), "garbage")).status_code == 400
