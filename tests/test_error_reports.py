"""Django's error reports (the 500 e-mail, ``ExceptionReporter``) never show a Plaid secret.

Each test forces a real error inside a flow that holds an access token, a public token, a
user token or the Plaid keys (an emulator fault, or a failing signal receiver), builds the
report Django would send for it, and looks for every secret the emulator and the database
know of in its text and HTML.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.core import mail
from django.db.models.signals import post_save
from django.test import override_settings
from django.utils.log import AdminEmailHandler
from django.views.debug import ExceptionReporter
from rest_framework.test import APIClient

from django_plaid import services
from django_plaid.client import get_client
from django_plaid.models import Item, PlaidUser
from django_plaid.products import services as product_services
from tests.helpers import sandbox_public_token

pytestmark = pytest.mark.django_db

CLEANSED = "********************"


class Forced(Exception):
    """The error a test forces inside a flow."""


def secrets(emulator: Any, *extra: str) -> set[str]:
    """Every secret in play: tokens at the emulator and in the database, and the keys."""
    from django.conf import settings

    found = {settings.PLAID["SECRET"], *extra}
    found |= {item.access_token for item in emulator.state.items.values()}
    found |= set(emulator.state.public_tokens)
    found |= {user.user_token for user in emulator.state.users.values()}
    found |= set(Item.objects.values_list("access_token", flat=True))
    found |= set(PlaidUser.objects.values_list("user_token", flat=True))
    return {s for s in found if s}


def assert_clean(report: str, secrets: set[str]) -> None:
    for secret in secrets:
        assert secret not in report


def reports(request: Any, exc_info: Any) -> tuple[str, str]:
    """The text and HTML of Django's report for ``exc_info``, as its error e-mail builds them."""
    reporter = ExceptionReporter(request, *exc_info, is_email=True)
    return reporter.get_traceback_text(), reporter.get_traceback_html()


@pytest.fixture
def fail_on_save() -> Iterator[Any]:
    """Call with a model: saving one raises ``Forced`` (a receiver, as a host's could)."""
    connected = []

    def fail(model: Any) -> None:
        def receiver(**kwargs: Any) -> None:
            raise Forced("forced by the test")

        post_save.connect(receiver, sender=model, weak=False)
        connected.append((receiver, model))

    yield fail
    for receiver, model in connected:
        post_save.disconnect(receiver, sender=model)


@pytest.fixture
def error_mails() -> Iterator[None]:
    """Django's own AdminEmailHandler on ``django.request``, with an admin to write to."""
    handler = AdminEmailHandler(include_html=True)
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    with override_settings(ADMINS=[("Ops", "ops@example.com")]):
        yield
    logger.removeHandler(handler)


@pytest.mark.parametrize("encoding", ["json", "multipart"])
def test_a_failing_exchange_reports_no_token(user, emulator, fail_on_save, error_mails, encoding):
    public_token = sandbox_public_token()
    fail_on_save(Item)
    caught: list[Any] = []
    # The Item that cannot be stored is removed at Plaid: its access token is seen there.
    sent_tokens: list[str] = []

    def record(context: Any) -> None:
        if isinstance(context.body.get("access_token"), str):
            sent_tokens.append(context.body["access_token"])

    emulator.app.hooks.insert(0, record)

    from django.core.signals import got_request_exception

    def keep(request: Any, **kwargs: Any) -> None:
        caught.append((request, sys.exc_info()))

    got_request_exception.connect(keep)
    try:
        client = APIClient(raise_request_exception=False)
        client.force_authenticate(user)
        response = client.post("/plaid/exchange/", {"public_token": public_token}, format=encoding)
    finally:
        got_request_exception.disconnect(keep)
        emulator.app.hooks.remove(record)
    assert response.status_code == 500
    assert not emulator.state.items  # not orphaned at Plaid
    known = secrets(emulator, public_token, *sent_tokens)
    assert len(known) >= 3  # the public token, the new access token, the secret

    # (Django's default logging may add its own mail_admins e-mail: each is checked.)
    assert mail.outbox
    ((request, exc_info),) = caught
    text, html_report = reports(request, exc_info)
    for report in (text, html_report):
        assert_clean(report, known)
    for message in mail.outbox:
        assert "Forced" in message.body
        for report in (message.subject, message.body, *(a[0] for a in message.alternatives)):
            assert_clean(report, known)
    # The reports are real: they show the flow's frames, with its secrets replaced.
    assert "exchange_public_token" in text
    assert "Forced" in text
    assert CLEANSED in text


def _run(flow: Any) -> tuple[str, str]:
    try:
        flow()
    except Exception:
        return reports(None, sys.exc_info())
    raise AssertionError("the flow did not fail")


FLOWS = {
    "link token, update mode": (
        "/link/token/create",
        lambda item, user: services.create_link_token(user, item=item),
        "create_link_token",
    ),
    "income link token": (
        "/link/token/create",
        lambda item, user: services.create_link_token(user, products=["income_verification"]),
        "create_link_token",
    ),
    "refresh": ("/item/get", lambda item, user: services.refresh_item(item), "refresh_item"),
    "sync": (
        "/transactions/sync",
        lambda item, user: services.sync_item(item),
        "_fetch",
    ),
    "balances": (
        "/accounts/balance/get",
        lambda item, user: services.refresh_balances(item),
        "refresh_balances",
    ),
    "remove": ("/item/remove", lambda item, user: services.remove_item(item), "remove_at_plaid"),
    "webhook update": (
        "/item/webhook/update",
        lambda item, user: services.update_item_webhook(item, "https://example.com/hook/"),
        "update_item_webhook",
    ),
    "auth": ("/auth/get", lambda item, user: product_services.fetch_auth(item), "_call"),
    "payroll income": (
        "/credit/payroll_income/get",
        lambda item, user: product_services.fetch_payroll_income(
            product_services.ensure_plaid_user(user)
        ),
        "fetch_payroll_income",
    ),
}


@pytest.mark.parametrize("flow", list(FLOWS))
def test_a_plaid_error_inside_a_flow_reports_no_token(flow, item, user, emulator):
    path, run, frame = FLOWS[flow]
    emulator.faults.add("http_500", path=path)
    text, html = _run(lambda: run(Item.objects.get(pk=item.pk), user))
    known = secrets(emulator)
    assert item.access_token in known
    assert_clean(text, known)
    assert_clean(html, known)
    assert frame in text
    assert "PlaidServerError" in text or "PlaidAPIError" in text
    assert CLEANSED in text


def test_a_failure_after_creating_a_plaid_user_reports_no_user_token(user, emulator, fail_on_save):
    fail_on_save(PlaidUser)
    text, html = _run(lambda: product_services.ensure_plaid_user(user))
    known = secrets(emulator)
    assert {u.user_token for u in emulator.state.users.values()} <= known
    assert_clean(text, known)
    assert_clean(html, known)
    assert "ensure_plaid_user" in text


@pytest.mark.parametrize("model", ["Item", "PlaidUser"])
def test_a_failing_save_reports_no_token(model, item, user, emulator, settings):
    row = item if model == "Item" else product_services.ensure_plaid_user(user)
    token = row.access_token if model == "Item" else row.user_token
    assert token
    # The key goes missing: building the SQL fails after Django's save() frames have
    # collected the clear values.
    settings.FIELD_ENCRYPTION_KEY = None
    text, html = _run(lambda: row.save())
    assert_clean(text, {token})
    assert_clean(html, {token})
    assert "_save_table" in text
    assert "get_db_prep_save" in text


def test_a_failure_building_the_client_reports_no_secret(emulator, settings):
    settings.PLAID = {**settings.PLAID, "REQUEST_TIMEOUT": "soon"}
    text, html = _run(get_client)
    assert_clean(text, {"test_secret"})
    assert_clean(html, {"test_secret"})
    assert "get_client" in text


def test_no_str_repr_or_error_text_carries_a_secret(link_product, api, user, emulator):
    """Every model's str() and repr(), the client's and the settings', and Plaid's errors."""
    from django.apps import apps

    from django_plaid.conf import plaid_settings
    from django_plaid.exceptions import PlaidAPIError
    from django_plaid.models import AuthNumbers

    item = link_product(["auth", "identity", "investments", "liabilities"])
    product_services.ensure_plaid_user(user)
    known = secrets(emulator)
    numbers = {
        entry["account"]
        for row in AuthNumbers.objects.all()
        for entry in row.numbers.get("ach", [])
    }
    assert numbers
    known |= numbers
    shown = [repr(get_client()), str(get_client()), repr(plaid_settings), repr(emulator)]
    for model in apps.get_app_config("django_plaid").get_models():
        for row in model.objects.all():
            shown += [str(row), repr(row)]
    for operation in ("item_get", "accounts_get", "item_remove"):
        try:
            get_client().call(operation, access_token=item.access_token + "x")
        except PlaidAPIError as error:
            shown += [str(error), repr(error), str(error.as_dict())]
    assert len(shown) > 20
    for text in shown:
        assert_clean(text, known | {item.access_token + "x"})


def _debug_page(user: Any, public_token: str) -> str:
    client = APIClient(raise_request_exception=False)
    client.force_authenticate(user)
    response = client.post("/plaid/exchange/", {"public_token": public_token}, format="json")
    assert response.status_code == 500
    return response.content.decode()


@pytest.fixture
def reporter_filter() -> Any:
    """Call with a DEFAULT_EXCEPTION_REPORTER_FILTER path to use it (Django caches it)."""
    from django.views.debug import get_default_exception_reporter_filter

    @contextmanager
    def use(path: str) -> Iterator[None]:
        get_default_exception_reporter_filter.cache_clear()
        try:
            with override_settings(DEFAULT_EXCEPTION_REPORTER_FILTER=path):
                yield
        finally:
            get_default_exception_reporter_filter.cache_clear()

    return use


def test_the_debug_page_shows_tokens_unless_the_filter_is_set(
    user, emulator, fail_on_save, reporter_filter
):
    fail_on_save(Item)
    with override_settings(DEBUG=True):
        # Django's own filter is off with DEBUG on: this is why DEBUG must stay off.
        with reporter_filter("django.views.debug.SafeExceptionReporterFilter"):
            token = sandbox_public_token()
            assert token in _debug_page(user, token)
        with reporter_filter("django_plaid.debug.AlwaysSafeExceptionReporterFilter"):
            token = sandbox_public_token()
            page = _debug_page(user, token)
    assert "exchange_public_token" in page
    assert CLEANSED in page
    assert_clean(page, secrets(emulator, token))
