"""Helpers for the Link simulator's backend tests: call ``/emulator/link/session/*`` over
HTTP as the iframe does, and check every answer against plaid-python's strict models."""

from __future__ import annotations

from typing import Any

from plaid.model.country_code import CountryCode
from plaid.model.item_public_token_exchange_request import ItemPublicTokenExchangeRequest
from plaid.model.link_event import LinkEvent
from plaid.model.link_event_metadata import LinkEventMetadata
from plaid.model.link_session_exit import LinkSessionExit
from plaid.model.link_session_success import LinkSessionSuccess
from plaid.model.link_token_create_request import LinkTokenCreateRequest
from plaid.model.link_token_create_request_update import LinkTokenCreateRequestUpdate
from plaid.model.link_token_create_request_user import LinkTokenCreateRequestUser
from plaid.model.plaid_error import PlaidError
from plaid.model.products import Products

from . import deserialize, post

PREFIX = "/emulator/link/session/"
#: The keys of an onEvent metadata that are not LinkEventMetadata fields (Link adds them).
EVENT_EXTRA_KEYS = {"link_session_id", "timestamp"}


def new_token(api: Any, products=("transactions",), countries=("US",), **kwargs: Any) -> str:
    """A link token from ``/link/token/create`` through the SDK."""
    if products is not None:
        kwargs["products"] = [Products(p) for p in products]
    return api.link_token_create(
        LinkTokenCreateRequest(
            client_name="Simulator tests",
            language="en",
            country_codes=[CountryCode(c) for c in countries],
            user=kwargs.pop("user", LinkTokenCreateRequestUser(client_user_id="user-1")),
            **kwargs,
        )
    ).link_token


def check_answer(body: dict[str, Any]) -> None:
    """Every callback payload in an answer passes the SDK's strict models."""
    for event in body.get("events", []):
        metadata = event["metadata"]
        assert set(metadata) >= EVENT_EXTRA_KEYS, metadata
        assert all(value is not None for value in metadata.values()), metadata
        deserialize(metadata, LinkEventMetadata)
        assert metadata["link_session_id"] == body["link_session_id"]
        assert metadata["request_id"] == body["request_id"]
    if "error" in body:
        assert set(body["error"]) == {
            "error_type",
            "error_code",
            "error_message",
            "display_message",
        }
        deserialize(body["error"], PlaidError)
    if "on_success" in body:
        deserialize(body["on_success"], LinkSessionSuccess)
    if "on_exit" in body:
        deserialize(body["on_exit"], LinkSessionExit)


def check_session_record(session: dict[str, Any]) -> None:
    """A ``/link/token/get`` session's events are strict ``LinkEvent``s."""
    for event in session.get("events", []):
        deserialize(event, LinkEvent)


def call(emulator: Any, step: str, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    """One iframe call; a 200 answer is checked against the SDK models."""
    status, _, answer = post(emulator, PREFIX + step, body, credentials=False)
    if status == 200:
        check_answer(answer)
    return status, answer


class Flow:
    """One Link session driven step by step (asserting each call succeeds)."""

    def __init__(self, emulator: Any, link_token: str) -> None:
        self.emulator = emulator
        self.events: list[dict[str, Any]] = []
        self.answer = self._call("start", {"link_token": link_token})
        self.id = self.answer["link_session_id"]

    def _call(self, step: str, body: dict[str, Any]) -> dict[str, Any]:
        status, answer = call(self.emulator, step, body)
        assert status == 200, answer
        self.events.extend(answer["events"])
        return answer

    def step(self, step: str, **body: Any) -> dict[str, Any]:
        """Call ``step`` for this session; return the answer."""
        self.answer = self._call(step, {"link_session_id": self.id, **body})
        return self.answer

    @property
    def view(self) -> str:
        return self.answer["view"]

    def names(self) -> list[str]:
        """The events so far, as ``NAME`` or ``TRANSITION_VIEW:VIEW``."""
        return [
            event["event_name"]
            + (
                ":" + event["metadata"]["view_name"]
                if event["event_name"] == "TRANSITION_VIEW"
                else ""
            )
            for event in self.events
        ]

    def login(
        self,
        username: str = "user_good",
        password: str = "pass_good",
        institution_id: str = "ins_109508",
    ) -> dict[str, Any]:
        """Consent, pick the institution, submit the credentials."""
        if self.view == "CONSENT":
            self.step("consent")
            self.step("institution", institution_id=institution_id)
        return self.step("credentials", username=username, password=password)


def exercise(emulator: Any, api: Any) -> None:
    """Each simulator route once with a success and once with an error (for fidelity)."""
    token = new_token(api)
    flow = Flow(emulator, token)
    flow.step("consent")
    flow.step("search", query="platypus")
    flow.step("institution", institution_id="ins_109508")
    flow.step("credentials", username="user_good", password="mfa_questions_1_1")
    flow.step("mfa", answers=["answer_1_1"])
    flow.step("finish")
    exited = Flow(emulator, token)
    exited.step("exit")
    for step in ("start", "consent", "search", "institution", "credentials", "mfa", "finish"):
        status, _ = call(emulator, step, {"link_session_id": "nope", "link_token": "nope"})
        assert status == 400
    status, _ = call(emulator, "exit", {})
    assert status == 400
    # Account selection: update mode with account_selection_enabled.
    access_token = api.item_public_token_exchange(
        ItemPublicTokenExchangeRequest(public_token=flow.answer["on_success"]["public_token"])
    ).access_token
    update = Flow(
        emulator,
        new_token(
            api,
            products=None,
            access_token=access_token,
            update=LinkTokenCreateRequestUpdate(account_selection_enabled=True),
        ),
    )
    update.login()
    assert update.view == "SELECT_ACCOUNT"
    status, _ = call(emulator, "accounts", {"link_session_id": update.id, "account_ids": []})
    assert status == 400
    update.step("accounts", account_ids=[update.answer["accounts"][0]["id"]])
    assert update.view == "CONNECTED"
