"""One behaviour for bad input on every endpoint: 400 (413) JSON, 404 JSON for unknown ids.

Each table below names every route of ``django_plaid.urls`` it covers, and
:func:`test_the_tables_cover_every_route` fails when a route is added without an entry.
Run on SQLite and on PostgreSQL (which refuses NUL in text: a 500 before this layer).
"""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from django_plaid import urls as plaid_urls
from django_plaid.models import Account, Item, LinkEvent, Transaction
from tests.helpers import max_length

pytestmark = pytest.mark.django_db


#: Routes with an id in the path: url name -> (id kwarg, model it is looked up in, methods).
DETAIL_ROUTES = {
    "item-detail": ("item_id", Item, ["get", "delete"]),
    "item-update-complete": ("item_id", Item, ["post"]),
    "item-sync": ("item_id", Item, ["post"]),
    "item-refresh-balances": ("item_id", Item, ["post"]),
    "item-refresh-products": ("item_id", Item, ["post"]),
    "account-detail": ("account_id", Account, ["get"]),
    "transaction-detail": ("transaction_id", Transaction, ["get"]),
}

#: Lists and their id filters: url name -> filters.
LIST_ROUTES = {
    "item-list": [],
    "account-list": ["item_id"],
    "transaction-list": ["item_id", "account_id"],
    "auth-list": ["item_id", "account_id"],
    "identity-list": ["item_id", "account_id"],
    "holding-list": ["item_id", "account_id"],
    "investment-transaction-list": ["item_id", "account_id"],
    "liability-list": ["item_id", "account_id"],
    "income-list": [],
    "link-event-list": ["item_id", "link_session_id", "event_name"],
}

#: Every endpoint that takes a body (url name -> method), with the kwargs of its URL.
BODY_ROUTES = {
    "link-token": "post",
    "exchange": "post",
    "item-detail": "delete",
    "item-update-complete": "post",
    "item-sync": "post",
    "item-refresh-balances": "post",
    "item-refresh-products": "post",
    "income-refresh": "post",
    "link-event-list": "post",
}

#: Routes outside this layer: Plaid's webhook receiver (its own checks, in webhooks/).
OTHER_ROUTES = {"webhook"}

FILTER_MODEL = {
    "item_id": Item,
    "account_id": Account,
    "link_session_id": LinkEvent,
    "event_name": LinkEvent,
}


def test_the_tables_cover_every_route():
    names = {p.name for p in plaid_urls.urlpatterns if getattr(p, "name", None)}
    names |= {p.name for p in plaid_urls.router.urls}
    covered = set(DETAIL_ROUTES) | set(LIST_ROUTES) | set(BODY_ROUTES) | OTHER_ROUTES
    assert names == covered


def _call(client: Any, method: str, url: str, **kw: Any) -> Any:
    return getattr(client, method)(url, **kw)


def _assert_json_error(response: Any, status: int, key: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert isinstance(body, dict)
    assert body
    if key is not None:
        assert key in body, body
        messages = body[key]
        assert messages, body
        assert all(isinstance(m, str) and m for m in _flat(messages)), body
    return body


def _flat(messages: Any) -> list[Any]:
    """Every message of DRF's (possibly nested) error detail."""
    if isinstance(messages, dict):
        return [m for value in messages.values() for m in _flat(value)]
    if isinstance(messages, list):
        return [m for value in messages for m in _flat(value)]
    return [messages]


# -- ids in the path ----------------------------------------------------------------------

DETAIL_CASES = [
    (name, method) for name, (_, _, methods) in DETAIL_ROUTES.items() for method in methods
]


def _malformed_ids(model: Any, field: str) -> dict[str, str]:
    return {
        "nul": "a\x00b",
        "nul-only": "\x00",
        "control": "a\x1fb",
        "overlong": "x" * (max_length(model, field) + 1),
        "space": "a b",
    }


@pytest.mark.parametrize("case", ["nul", "nul-only", "control", "overlong", "space"])
@pytest.mark.parametrize(("name", "method"), DETAIL_CASES)
def test_a_malformed_path_id_is_a_400(api, emulator, plaid_calls, name, method, case):
    kwarg, model, _ = DETAIL_ROUTES[name]
    value = _malformed_ids(model, kwarg)[case]
    url = reverse(f"django_plaid:{name}", kwargs={kwarg: value})
    _assert_json_error(_call(api, method, url), 400, kwarg)
    assert plaid_calls == []


@pytest.mark.parametrize(("name", "method"), DETAIL_CASES)
def test_an_unknown_path_id_is_a_404(api, emulator, plaid_calls, name, method):
    kwarg, model, _ = DETAIL_ROUTES[name]
    for value in ("nope", "x" * max_length(model, kwarg), "ünïcödé"):
        url = reverse(f"django_plaid:{name}", kwargs={kwarg: value})
        body = _assert_json_error(_call(api, method, url), 404, "detail")
        assert "matches the given query" in body["detail"]
    assert plaid_calls == []


def test_anonymous_callers_learn_nothing_from_a_malformed_id(client, emulator):
    url = reverse("django_plaid:item-detail", kwargs={"item_id": "a\x00b"})
    assert client.get(url).status_code == 403


# -- id filters of lists ------------------------------------------------------------------

FILTER_CASES = [(name, f) for name, filters in LIST_ROUTES.items() for f in filters]


@pytest.mark.parametrize("case", ["nul", "nul-only", "control", "overlong", "space"])
@pytest.mark.parametrize(("name", "param"), FILTER_CASES)
def test_a_malformed_filter_is_a_400(api, emulator, name, param, case):
    value = _malformed_ids(FILTER_MODEL[param], param)[case]
    response = api.get(reverse(f"django_plaid:{name}"), {param: value})
    _assert_json_error(response, 400, param)


@pytest.mark.parametrize(("name", "param"), FILTER_CASES)
def test_an_unknown_filter_id_is_an_empty_list(api, item, name, param):
    for value in ("nope", "x" * max_length(FILTER_MODEL[param], param)):
        response = api.get(reverse(f"django_plaid:{name}"), {param: value})
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["results"] if isinstance(body, dict) else body) == []


@pytest.mark.parametrize(
    "name", ["account-list", "transaction-list", "investment-transaction-list", "link-event-list"]
)
def test_a_blank_filter_is_no_filter_everywhere(api, item, name):
    # DRF's rule for query strings (an HTML form sends its empty fields).
    url = reverse(f"django_plaid:{name}")
    params = ["item_id", "account_id", "start_date", "end_date", "pending"]
    assert api.get(url + "?" + "&".join(f"{p}=" for p in params)).json() == api.get(url).json()


@pytest.mark.parametrize(("name", "param"), FILTER_CASES)
def test_a_malformed_filter_is_refused_in_the_query_string_too(api, emulator, name, param):
    # Percent-encoded as a client would send it, not through the test client's encoding.
    response = api.get(f"{reverse(f'django_plaid:{name}')}?{param}=%00")
    _assert_json_error(response, 400, param)


# -- dates and booleans -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["transaction-list", "investment-transaction-list"])
@pytest.mark.parametrize(
    ("query", "key"),
    [
        ("start_date=garbage", "start_date"),
        ("end_date=garbage", "end_date"),
        ("start_date=2026-02-30", "start_date"),
        ("start_date=%00", "start_date"),
        ("start_date=2026-02-01&end_date=2026-01-01", "end_date"),
    ],
)
def test_a_bad_date_is_a_400_on_every_dated_list(api, emulator, name, query, key):
    response = api.get(f"{reverse(f'django_plaid:{name}')}?{query}")
    _assert_json_error(response, 400, key)


@pytest.mark.parametrize("value", ["maybe", "%00", "2", "truee"])
def test_a_bad_boolean_is_a_400(api, emulator, value):
    response = api.get(f"{reverse('django_plaid:transaction-list')}?pending={value}")
    _assert_json_error(response, 400, "pending")


@pytest.mark.parametrize(
    "name", ["transaction-list", "investment-transaction-list", "link-event-list"]
)
@pytest.mark.parametrize("query", ["page_size=%00", "cursor=%00", "page_size=" + "9" * 5000])
def test_bad_paging_is_a_400_on_every_paged_list(api, emulator, name, query):
    response = api.get(f"{reverse(f'django_plaid:{name}')}?{query}")
    assert response.status_code == 400
    assert response.json()


@pytest.mark.parametrize("name", sorted(LIST_ROUTES))
def test_too_many_query_parameters_answer_json(api, emulator, name, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 10
    query = "&".join(f"p{i}=1" for i in range(11))
    response = api.get(f"{reverse(f'django_plaid:{name}')}?{query}")
    body = _assert_json_error(response, 400, "detail")
    assert "at most 10" in body["detail"]


# -- bodies -------------------------------------------------------------------------------

#: Bodies no endpoint accepts, and the words of the refusal.
BAD_BODIES = {
    "malformed": (b'{"products": ["auth"', "JSON parse error"),
    "empty-object-unclosed": (b"{", "JSON parse error"),
    "deep-array": (b'{"products": ' + b"[" * 5000 + b"]" * 5000 + b"}", "nested too deeply"),
    "deep-object": (b'{"a": ' * 3000 + b"1" + b"}" * 3000, "nested too deeply"),
    "deep-but-parseable": (b'{"a": ' + b"[" * 40 + b"]" * 40 + b"}", "nested too deeply"),
    "nan": (b'{"products": NaN}', "NaN"),
    "infinity": (b'{"products": Infinity}', "Infinity"),
    "minus-infinity": (b'{"products": -Infinity}', "Infinity"),
    "overflowing-float": (b'{"products": 1e999}', "out of range"),
    "huge-int": (b'{"products": ' + b"9" * 5000 + b"}", "JSON parse error"),
    "lone-surrogate": (b'{"products": ["\\ud800"]}', "lone surrogates"),
    "lone-surrogate-key": (b'{"\\udfff": 1}', "lone surrogates"),
    "not-utf8": (b'{"products": ["\xff"]}', "not valid utf-8"),
    "array": (b"[]", "JSON object"),
    "string": (b'"x"', "JSON object"),
    "null": (b"null", "JSON object"),
}


@pytest.fixture
def body_url(item):
    """The URL of a body endpoint, for an Item that exists (so only the body is at fault)."""

    def url(name: str) -> str:
        if name in ("link-token", "exchange", "income-refresh", "link-event-list"):
            return reverse(f"django_plaid:{name}")
        return reverse(f"django_plaid:{name}", kwargs={"item_id": item.item_id})

    return url


@pytest.mark.parametrize("case", sorted(BAD_BODIES))
@pytest.mark.parametrize("name", sorted(BODY_ROUTES))
def test_a_bad_body_is_a_400_everywhere(api, body_url, plaid_calls, item, name, case):
    raw, words = BAD_BODIES[case]
    response = _call(
        api, BODY_ROUTES[name], body_url(name), data=raw, content_type="application/json"
    )
    body = _assert_json_error(response, 400, "detail")
    assert words.lower() in body["detail"].lower()
    assert plaid_calls == []
    assert Item.objects.filter(pk=item.pk).exists()


@pytest.mark.parametrize("name", sorted(BODY_ROUTES))
def test_a_body_over_djangos_limit_is_a_413_json(api, body_url, plaid_calls, item, name, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    raw = b'{"padding": "' + b"x" * 2000 + b'"}'
    response = _call(
        api, BODY_ROUTES[name], body_url(name), data=raw, content_type="application/json"
    )
    body = _assert_json_error(response, 413, "detail")
    assert "at most 1024 bytes" in body["detail"]
    assert plaid_calls == []


@pytest.mark.parametrize("name", sorted(BODY_ROUTES))
def test_a_body_over_djangos_limit_is_a_413_json_through_session_auth(
    user, body_url, item, name, settings
):
    # The real stack: session authentication's CSRF check reads the body first.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    browser.cookies["csrftoken"] = "a" * 32
    raw = b'{"padding": "' + b"x" * 2000 + b'"}'
    response = _call(
        browser,
        BODY_ROUTES[name],
        body_url(name),
        data=raw,
        content_type="application/json",
        headers={"X-CSRFToken": "a" * 32},
    )
    body = _assert_json_error(response, 413, "detail")
    assert "at most 1024 bytes" in body["detail"]


@pytest.mark.parametrize("name", sorted(BODY_ROUTES))
@pytest.mark.parametrize("content_type", ["text/plain", "application/xml"])
def test_a_body_that_is_not_json_is_a_415_json(api, body_url, item, name, content_type):
    response = _call(
        api, BODY_ROUTES[name], body_url(name), data=b"products=auth", content_type=content_type
    )
    body = _assert_json_error(response, 415, "detail")
    assert content_type in body["detail"]


@pytest.mark.parametrize("name", ["item-update-complete", "item-sync", "item-refresh-balances"])
def test_actions_without_a_body_still_take_none_or_an_object(api, body_url, name):
    assert api.post(body_url(name)).status_code == 202
    assert api.post(body_url(name), {}, format="json").status_code == 202
    # A surrogate pair is a character (an emoji), not a lone surrogate.
    raw = b'{"note": "\\ud83d\\ude00"}'
    assert api.post(body_url(name), data=raw, content_type="application/json").status_code == 202


@pytest.mark.parametrize(
    "raw",
    [
        # Brackets inside strings are not nesting, escaped quotes do not end a string.
        b'{"x": "' + b"[" * 100 + b"{" * 100 + b'"}',
        b'{"x": "\\"' + b"[" * 100 + b'", "y": ["]]]]"]}',
        # An escaped backslash, then the letters "ud800": not a surrogate.
        b'{"x": "\\\\ud800"}',
        # A surrogate pair (an emoji), escaped as JSON.stringify's ASCII mode writes it.
        b'{"x": "\\ud83d\\ude00", "\\ud83d\\ude01": 1}',
        b'{"x": [1.5, -0.0, 1e308, 12345678901234567890]}',
    ],
)
def test_bodies_that_only_look_bad_are_parsed(api, emulator, raw):
    response = api.post(
        reverse("django_plaid:link-token"), data=raw, content_type="application/json"
    )
    assert response.status_code == 200, response.content


def test_a_body_at_the_depth_limit_is_parsed(api, emulator):
    from django_plaid.api.validation import MAX_JSON_DEPTH

    raw = b'{"x": ' + b"[" * (MAX_JSON_DEPTH - 1) + b"]" * (MAX_JSON_DEPTH - 1) + b"}"
    response = api.post(
        reverse("django_plaid:link-token"), data=raw, content_type="application/json"
    )
    assert response.status_code == 200, response.content


def test_a_body_with_a_charset_is_decoded_with_it(api, emulator):
    raw = '{"platform": "ios", "x": "é"}'.encode("latin-1")
    response = api.post(
        reverse("django_plaid:link-token"),
        data=raw,
        content_type="application/json; charset=latin-1",
    )
    assert response.status_code == 200, response.content
    bad = api.post(
        reverse("django_plaid:link-token"),
        data=b"{}",
        content_type="application/json; charset=nope",
    )
    _assert_json_error(bad, 400, "detail")


# -- link-token/ --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "key"),
    [
        ({"item_id": 123}, "item_id"),
        ({"item_id": True}, "item_id"),
        ({"item_id": ["x"]}, "item_id"),
        ({"item_id": {"x": 1}}, "item_id"),
        ({"item_id": None}, "item_id"),
        ({"item_id": ""}, "item_id"),
        ({"item_id": "a\x00b"}, "item_id"),
        ({"item_id": "a b"}, "item_id"),
        ({"item_id": "x" * (max_length(Item, "item_id") + 1)}, "item_id"),
        ({"platform": 1}, "platform"),
        ({"platform": "web\x00"}, "platform"),
        ({"products": [123]}, "products"),
        ({"products": "transactions"}, "products"),
        ({"products": ["transactions\x00"]}, "products"),
    ],
)
def test_link_token_refuses_bad_fields_before_calling_plaid(api, emulator, plaid_calls, body, key):
    response = api.post(reverse("django_plaid:link-token"), body, format="json")
    _assert_json_error(response, 400, key)
    assert plaid_calls == []


def test_link_token_unknown_item_is_still_a_404(api, emulator, plaid_calls):
    response = api.post(reverse("django_plaid:link-token"), {"item_id": "nope"}, format="json")
    _assert_json_error(response, 404, "detail")
    assert plaid_calls == []
