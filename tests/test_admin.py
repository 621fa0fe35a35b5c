import json

import pytest
from django.contrib.auth.models import Permission
from django.test import Client

from django_plaid.models import Item, ItemStatus, WebhookEvent, WebhookEventStatus

pytestmark = pytest.mark.django_db

ITEMS = "/admin/django_plaid/item/"
EVENTS = "/admin/django_plaid/webhookevent/"


@pytest.fixture
def staff(admin_client):
    return admin_client


@pytest.fixture
def staff_with(django_user_model):
    """Call with permission codenames to get a logged-in staff client that has only those."""

    def make(*codenames):
        user = django_user_model.objects.create_user(
            f"staff{len(codenames)}", "staff@example.com", "pw", is_staff=True
        )
        user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
        client = Client()
        client.force_login(user)
        return client

    return make


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
        {"action": "remove_at_plaid", "_selected_action": [item.pk], "post": "yes"},
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
        {"action": "remove_at_plaid", "_selected_action": [item.pk], "post": "yes"},
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


# -- Removal asks for confirmation -------------------------------------------------------


def test_remove_action_first_shows_a_confirmation_page(staff, item, plaid_calls):
    response = staff.post(ITEMS, {"action": "remove_at_plaid", "_selected_action": [item.pk]})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Are you sure you want to remove this Item at Plaid?" in html
    assert str(item) in html
    assert "alice" in html
    assert "2 accounts" in html
    assert 'name="post" value="yes"' in html
    assert 'name="action" value="remove_at_plaid"' in html
    assert f'name="_selected_action" value="{item.pk}"' in html
    assert item.access_token not in html
    assert "access_token" not in html
    # Nothing was removed, here or at Plaid.
    assert Item.objects.filter(pk=item.pk).exists()
    assert plaid_calls == []


def test_remove_action_confirmed_removes_every_selected_item(staff, api, link, emulator):
    pks = [
        Item.objects.get(item_id=link(api, ins)["item_id"]).pk
        for ins in ("ins_109508", "ins_109509")
    ]
    page = staff.post(ITEMS, {"action": "remove_at_plaid", "_selected_action": pks})
    assert "remove these 2 Items at Plaid?" in page.content.decode()
    response = staff.post(
        ITEMS, {"action": "remove_at_plaid", "_selected_action": pks, "post": "yes"}, follow=True
    )
    assert "Removed 2 Items at Plaid" in response.content.decode()
    assert not Item.objects.filter(pk__in=pks).exists()


# -- Each action needs its own permission ------------------------------------------------


def _item_error_event(item):
    payload = {
        "webhook_type": "ITEM",
        "webhook_code": "ERROR",
        "item_id": item.item_id,
        "environment": "sandbox",
        "error": {
            "error_type": "ITEM_ERROR",
            "error_code": "ITEM_LOGIN_REQUIRED",
            "error_message": "the login details of this item have changed",
        },
    }
    body = json.dumps(payload)
    return WebhookEvent.objects.create(
        webhook_type="ITEM",
        webhook_code="ERROR",
        item_id=item.item_id,
        environment="sandbox",
        body=body,
        body_sha256="0" * 64,
        payload=payload,
        status=WebhookEventStatus.PROCESSED,
        attempts=1,
    )


def _item_state(item):
    item = Item.objects.filter(pk=item.pk).first()
    if item is None:
        return None
    return (
        item.status,
        item.last_synced_at,
        item.transactions.count(),
        [a.balances_updated_at for a in item.accounts.order_by("pk")],
    )


# (url, action, the permission it needs, the Plaid path it calls)
ACTIONS = [
    (ITEMS, "sync_now", "sync_item", "/accounts/get"),
    (ITEMS, "refresh_balances", "refresh_balances_item", "/accounts/balance/get"),
    (ITEMS, "refresh_from_plaid", "refresh_item", "/item/get"),
    (ITEMS, "remove_at_plaid", "remove_item_at_plaid", "/item/remove"),
    (EVENTS, "reprocess", "reprocess_webhookevent", None),
]


@pytest.mark.parametrize(("url", "action", "perm", "path"), ACTIONS, ids=[a[1] for a in ACTIONS])
def test_view_only_staff_cannot_run_actions(
    staff_with, item, plaid_calls, url, action, perm, path, django_capture_on_commit_callbacks
):
    event = _item_error_event(item)
    client = staff_with("view_item", "view_webhookevent")
    page = client.get(url)
    assert page.status_code == 200
    assert f'value="{action}"' not in page.content.decode()

    before = _item_state(item)
    selected = event.pk if url == EVENTS else item.pk
    with django_capture_on_commit_callbacks(execute=True) as queued:
        # A forged POST, confirmation included, as if the action were offered.
        response = client.post(
            url, {"action": action, "_selected_action": [selected], "post": "yes"}, follow=True
        )
    assert response.status_code == 200
    assert queued == []
    assert plaid_calls == []
    assert _item_state(item) == before
    event.refresh_from_db()
    assert (event.status, event.attempts) == (WebhookEventStatus.PROCESSED, 1)


@pytest.mark.parametrize(("url", "action", "perm", "path"), ACTIONS, ids=[a[1] for a in ACTIONS])
def test_actions_run_with_their_permission(
    staff_with, item, plaid_calls, url, action, perm, path, django_capture_on_commit_callbacks
):
    event = _item_error_event(item)
    client = staff_with("view_item", "view_webhookevent", perm)
    assert f'value="{action}"' in client.get(url).content.decode()
    # The permission opens this action only.
    others = {a for u, a, p, _ in ACTIONS if u == url and p != perm}
    assert not any(f'value="{other}"' in client.get(url).content.decode() for other in others)

    selected = event.pk if url == EVENTS else item.pk
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            url, {"action": action, "_selected_action": [selected], "post": "yes"}, follow=True
        )
    assert response.status_code == 200
    assert "No action selected" not in response.content.decode()
    if path is not None:
        assert path in plaid_calls
    if action == "remove_at_plaid":
        assert not Item.objects.filter(pk=item.pk).exists()
    if action == "reprocess":
        event.refresh_from_db()
        assert event.attempts == 2
        assert Item.objects.get(pk=item.pk).status == ItemStatus.LOGIN_REQUIRED


def test_delete_permission_alone_does_not_remove_at_plaid(staff_with, item, plaid_calls):
    client = staff_with("view_item", "delete_item")
    assert 'value="remove_at_plaid"' not in client.get(ITEMS).content.decode()
    client.post(ITEMS, {"action": "remove_at_plaid", "_selected_action": [item.pk], "post": "yes"})
    assert Item.objects.filter(pk=item.pk).exists()
    assert plaid_calls == []


# -- Link events -------------------------------------------------------------------------

LINK_EVENTS = "/admin/django_plaid/linkevent/"


@pytest.fixture
def link_events(user):
    from django_plaid.models import LinkEvent

    locked = LinkEvent.objects.create(
        owner=user,
        event_name="EXIT",
        error_type="ITEM_ERROR",
        error_code="ITEM_LOCKED",
        link_session_id="session-locked",
        request_id="request-locked",
        institution_name="First Platypus Bank",
        metadata={"status": "requires_credentials", "link_session_id": "session-locked"},
    )
    closed = LinkEvent.objects.create(
        owner=user, event_name="ERROR", link_session_id="session-closed", request_id="req-closed"
    )
    return locked, closed


def test_link_event_changelist(staff, link_events):
    response = staff.get(LINK_EVENTS)
    html = response.content.decode()
    assert response.status_code == 200
    assert "session-locked" in html
    assert "session-closed" in html
    assert "ITEM_LOCKED" in html


@pytest.mark.parametrize(
    ("query", "shown", "hidden"),
    [
        ({"q": "session-locked"}, "session-locked", "session-closed"),
        ({"q": "req-closed"}, "session-closed", "session-locked"),
        ({"event_name": "ERROR"}, "session-closed", "session-locked"),
        ({"error_code": "ITEM_LOCKED"}, "session-locked", "session-closed"),
    ],
)
def test_link_event_search_and_filters(staff, link_events, query, shown, hidden):
    html = staff.get(LINK_EVENTS, query).content.decode()
    assert shown in html
    assert hidden not in html


def test_link_event_page_is_read_only_with_its_metadata(staff, link_events):
    locked, _ = link_events
    response = staff.get(f"{LINK_EVENTS}{locked.pk}/change/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "requires_credentials" in html
    assert 'name="event_name"' not in html  # no input: read-only
    assert staff.get(f"{LINK_EVENTS}add/").status_code == 403
