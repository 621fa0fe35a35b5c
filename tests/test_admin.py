import pytest

from django_plaid.models import Item

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(admin_client):
    return admin_client


def test_item_changelist_shows_items_without_tokens(staff, item):
    response = staff.get("/admin/django_plaid/item/")
    html = response.content.decode()
    assert response.status_code == 200
    assert item.item_id in html
    assert "First Platypus Bank" in html
    assert item.access_token not in html


@pytest.mark.parametrize(
    "query", ["status=healthy", "environment=sandbox", "institution_name=First+Platypus+Bank"]
)
def test_item_filters(staff, item, query):
    response = staff.get(f"/admin/django_plaid/item/?{query}")
    assert response.status_code == 200
    assert item.item_id in response.content.decode()


@pytest.mark.parametrize("term", ["alice", "item_id"])
def test_item_search_by_item_id_and_owner(staff, item, term):
    q = item.item_id if term == "item_id" else term
    response = staff.get("/admin/django_plaid/item/", {"q": q})
    assert item.item_id in response.content.decode()


def test_item_page_shows_accounts_but_not_the_token(staff, item):
    response = staff.get(f"/admin/django_plaid/item/{item.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Plaid Checking" in html
    assert item.access_token not in html
    assert "access_token" not in html


def test_account_pages(staff, item):
    account = item.accounts.first()
    assert staff.get("/admin/django_plaid/account/").status_code == 200
    response = staff.get(f"/admin/django_plaid/account/{account.pk}/change/")
    assert response.status_code == 200
    assert item.access_token not in response.content.decode()


def test_remove_action_removes_at_plaid(staff, item, emulator):
    response = staff.post(
        "/admin/django_plaid/item/",
        {"action": "remove_at_plaid", "_selected_action": [item.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "Removed 1 Item at Plaid" in response.content.decode()
    assert not Item.objects.filter(pk=item.pk).exists()
    assert item.item_id not in emulator.state.items


def test_remove_action_reports_plaid_errors(staff, item, settings):
    settings.PLAID = {**settings.PLAID, "HOST": "http://127.0.0.1:9"}
    response = staff.post(
        "/admin/django_plaid/item/",
        {"action": "remove_at_plaid", "_selected_action": [item.pk]},
        follow=True,
    )
    assert "PLAID_UNREACHABLE" in response.content.decode()
    assert Item.objects.filter(pk=item.pk).exists()


def test_plain_delete_is_not_offered(staff, item):
    response = staff.get("/admin/django_plaid/item/")
    assert "delete_selected" not in response.content.decode()


def test_transaction_admin(staff, item, emulator):
    from django_plaid import services
    from django_plaid.models import Transaction

    services.sync_item(item)
    txn = Transaction.objects.filter(item=item).exclude(merchant_name=None).first()
    for query in (
        "",
        "?pending__exact=1",
        f"?q={txn.merchant_name}",
        f"?category_primary={txn.category_primary}",
    ):
        response = staff.get(f"/admin/django_plaid/transaction/{query}")
        assert response.status_code == 200, query
    page = staff.get(f"/admin/django_plaid/transaction/{txn.pk}/change/").content.decode()
    assert txn.transaction_id in page
    assert item.access_token not in page


@pytest.mark.parametrize("action", ["sync_now", "refresh_balances", "refresh_from_plaid"])
def test_item_background_actions(staff, item, emulator, action, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(
            "/admin/django_plaid/item/",
            {"action": action, "_selected_action": [item.pk]},
            follow=True,
        )
    assert "1 Item(s) queued" in response.content.decode()
    if action == "sync_now":
        assert item.transactions.exists()
