"""The Link simulator's sessions: Plaid Link's panes as a state machine, with its events.

The simulator's iframe calls one function per user action (``start``, ``consent``,
``search``, ``select_institution``, ``submit_credentials``, ``submit_mfa``,
``select_accounts``, ``finish``, ``close``). Each answers the pane to show next (``view``)
and the onEvent events the action caused, with Plaid's names and metadata; the iframe
forwards them to the page. Mistakes the user makes (a wrong password, a wrong MFA answer,
an ``error_<CODE>`` password, a broken institution) are not HTTP errors: they move the
session to the ERROR pane with Plaid's error object, and ``close`` then hands that error to
onExit. Protocol mistakes (an unknown session, a call out of order) are Plaid errors.

The session never sees an access token: update mode finds its Item by the token's
``item_id``, and only the public token (what onSuccess gets anyway) leaves the emulator.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any

from . import ids
from .data import INSTITUTIONS, Institution
from .errors import PlaidErrorResponse
from .income import PAYROLL_INSTITUTIONS
from .link_flow import connect, exit_session, succeed, token_institution
from .linking import check_credentials, is_income_link
from .mfa import challenge_for
from .records import LinkSession, LinkToken
from .state import EmulatorState

__all__ = [
    "close",
    "consent",
    "finish",
    "search",
    "searchable_institutions",
    "select_accounts",
    "select_institution",
    "start",
    "submit_credentials",
    "submit_mfa",
]

#: Institutions shown before the user types anything (Plaid shows popular ones).
_FEATURED = 6
#: Keys of LinkEventMetadata (and onExit metadata) that are strings; None ones are left
#: out because plaid-python's models do not allow null there.
_EVENT_KEYS = (
    "view_name",
    "institution_id",
    "institution_name",
    "institution_search_query",
    "mfa_type",
    "error_type",
    "error_code",
    "error_message",
    "exit_status",
    "selection",
)


def _timestamp(now: datetime) -> str:
    # Link's timestamps have milliseconds (JavaScript's toISOString()).
    now = now.astimezone(timezone.utc)
    return now.strftime("%Y-%m-%dT%H:%M:%S.") + f"{now.microsecond // 1000:03d}Z"


class _Step:
    """The events one action causes, and its request_id (which every event carries)."""

    def __init__(self, state: EmulatorState, session: LinkSession) -> None:
        self.state = state
        self.session = session
        self.request_id = ids.request_id()
        self.events: list[dict[str, Any]] = []

    def event(self, name: str, **fields: str | None) -> None:
        """Record one onEvent event (also kept for ``/link/token/get``)."""
        timestamp = _timestamp(self.state.now())
        metadata: dict[str, Any] = {
            key: fields[key] for key in _EVENT_KEYS if fields.get(key) is not None
        }
        metadata["request_id"] = self.request_id
        self.events.append(
            {
                "event_name": name,
                "metadata": {
                    **metadata,
                    "link_session_id": self.session.link_session_id,
                    "timestamp": timestamp,
                },
            }
        )
        self.session.events.append(
            {
                "event_name": name,
                "timestamp": timestamp,
                "event_id": ids.link_session_id(),
                "event_metadata": metadata,
            }
        )

    def institution_fields(self) -> dict[str, str | None]:
        institution = _institution(self.session)
        if institution is None:
            return {}
        return {"institution_id": institution.institution_id, "institution_name": institution.name}

    def transition(self, view: str, status: str | None = None) -> None:
        """Move to another pane (TRANSITION_VIEW)."""
        self.session.view = view
        self.session.status = status
        self.event("TRANSITION_VIEW", view_name=view, **self.institution_fields())

    def fail(self, error: PlaidErrorResponse) -> None:
        """Show the error pane (ERROR, then TRANSITION_VIEW ERROR)."""
        self.session.error = error
        self.event(
            "ERROR",
            error_type=error.error_type,
            error_code=error.error_code,
            error_message=error.error_message,
            view_name=self.session.view,
            **self.institution_fields(),
        )
        self.transition("ERROR", self.session.status)

    def answer(self, **fields: Any) -> dict[str, Any]:
        """The iframe's answer: the pane to show, its data, the events, the request_id."""
        session = self.session
        body: dict[str, Any] = {
            "link_session_id": session.link_session_id,
            "view": session.view,
            "institution": _institution_dict(session),
            "events": self.events,
            "request_id": self.request_id,
        }
        if session.view == "ERROR" and session.error is not None:
            body["error"] = link_error(session.error)
        body.update(fields)
        return body


def link_error(error: PlaidErrorResponse) -> dict[str, Any]:
    """The error object Link passes to onExit (and shows on its error pane)."""
    return {
        "error_type": error.error_type,
        "error_code": error.error_code,
        "error_message": error.error_message,
        "display_message": error.display_message,
    }


def _institution(session: LinkSession) -> Institution | None:
    if session.institution_id is None:
        return None
    return INSTITUTIONS.get(session.institution_id) or PAYROLL_INSTITUTIONS.get(
        session.institution_id
    )


def _institution_dict(session: LinkSession) -> dict[str, Any] | None:
    institution = _institution(session)
    if institution is None:
        return None
    return {
        "institution_id": institution.institution_id,
        "name": institution.name,
        "primary_color": institution.primary_color,
    }


def _session(state: EmulatorState, link_session_id: str, *views: str) -> LinkSession:
    """A live session on one of ``views`` (INVALID_FIELD otherwise: a call out of order)."""
    session = state.link_sessions.get(link_session_id)
    if session is None or session.finished:
        raise PlaidErrorResponse("INVALID_FIELD", "link_session_id: unknown or finished session")
    if views and session.view not in views:
        raise PlaidErrorResponse(
            "INVALID_FIELD", f"the session is on the {session.view} pane, not {'/'.join(views)}"
        )
    return session


def _token(state: EmulatorState, session: LinkSession) -> LinkToken:
    """The session's link token; once it has expired the session is on the error pane
    (INVALID_LINK_TOKEN, which its exit then hands to onExit)."""
    try:
        return state.get_link_token(session.link_token)
    except PlaidErrorResponse as error:
        session.error, session.view = error, "ERROR"
        raise


def searchable_institutions(token: LinkToken) -> list[Institution]:
    """The institutions Link offers for a token: in its countries, with all its products."""
    if is_income_link(token.products):
        return list(PAYROLL_INSTITUTIONS.values())
    wanted = set(token.products)
    countries = set(token.country_codes)
    return [
        institution
        for institution in INSTITUTIONS.values()
        if wanted <= set(institution.products) and countries & set(institution.country_codes)
    ]


def _listing(institutions: Iterable[Institution]) -> list[dict[str, Any]]:
    return [
        {
            "institution_id": i.institution_id,
            "name": i.name,
            "url": i.url,
            "primary_color": i.primary_color,
            "oauth": i.oauth,
        }
        for i in institutions
    ]


# -- actions ---------------------------------------------------------------------------------


def start(state: EmulatorState, link_token: Any) -> dict[str, Any]:
    """Open Link with a link token: OPEN, then the consent pane (update mode: credentials).

    A missing, malformed, unknown or expired token raises INVALID_LINK_TOKEN (Link then
    calls onExit with it). Link tokens are reusable until they expire, as in Plaid's
    Sandbox: each opening is a new session.
    """
    if not isinstance(link_token, str) or not ids.is_link_token(link_token):
        raise PlaidErrorResponse(
            "INVALID_LINK_TOKEN",
            "provided link token is in an invalid format. expected format: "
            f"link-<environment>-<identifier> (environment: {ids.ENVIRONMENT})",
        )
    token = state.get_link_token(link_token)
    session = LinkSession(
        link_session_id=ids.link_session_id(), link_token=link_token, started_at=state.now()
    )
    state.link_sessions[session.link_session_id] = session
    step = _Step(state, session)
    step.event("OPEN")
    if token.update_mode:
        assert token.item_id is not None
        session.institution_id = state.get_item(token.item_id).institution.institution_id
        step.transition("CREDENTIAL", "requires_credentials")
    else:
        step.transition("CONSENT")
    return step.answer(
        client_name=token.client_name,
        update_mode=token.update_mode,
        account_selection=token.update_mode and token.account_selection_enabled,
    )


def consent(state: EmulatorState, link_session_id: str) -> dict[str, Any]:
    """The user agreed: show the institution search with a few featured institutions."""
    session = _session(state, link_session_id, "CONSENT")
    token = _token(state, session)
    step = _Step(state, session)
    step.transition("SELECT_INSTITUTION", "institution_not_found")
    return step.answer(institutions=_listing(searchable_institutions(token)[:_FEATURED]))


def search(state: EmulatorState, link_session_id: str, query: str) -> dict[str, Any]:
    """SEARCH_INSTITUTION: institutions whose name contains every word of ``query``."""
    session = _session(state, link_session_id, "SELECT_INSTITUTION")
    token = _token(state, session)
    step = _Step(state, session)
    words = query.lower().split()
    found = [
        institution
        for institution in searchable_institutions(token)
        if all(word in institution.name.lower() for word in words)
    ]
    step.event("SEARCH_INSTITUTION", institution_search_query=query, view_name="SELECT_INSTITUTION")
    return step.answer(institutions=_listing(found if words else found[:_FEATURED]))


def select_institution(
    state: EmulatorState, link_session_id: str, institution_id: str
) -> dict[str, Any]:
    """SELECT_INSTITUTION, then the credentials pane (or the institution's Link error)."""
    session = _session(state, link_session_id, "SELECT_INSTITUTION")
    token = _token(state, session)
    offered = {i.institution_id: i for i in searchable_institutions(token)}
    if institution_id not in offered:
        raise PlaidErrorResponse("INVALID_INSTITUTION")
    session.institution_id = institution_id
    step = _Step(state, session)
    step.event("SELECT_INSTITUTION", view_name="SELECT_INSTITUTION", **step.institution_fields())
    session.status = "requires_credentials"
    try:
        if not is_income_link(token.products):
            token_institution(token, institution_id)
    except PlaidErrorResponse as error:
        session.status = "institution_not_supported"
        step.fail(error)
        return step.answer()
    step.transition("CREDENTIAL", "requires_credentials")
    return step.answer()


def submit_credentials(
    state: EmulatorState, link_session_id: str, username: str, password: str
) -> dict[str, Any]:
    """SUBMIT_CREDENTIALS: MFA when the password asks for it, else connect."""
    session = _session(state, link_session_id, "CREDENTIAL")
    token = _token(state, session)
    step = _Step(state, session)
    step.event("SUBMIT_CREDENTIALS", view_name="CREDENTIAL", **step.institution_fields())
    step.transition("LOADING", "requires_credentials")
    try:
        check_credentials(username, password)
    except PlaidErrorResponse as error:
        session.view = "CREDENTIAL"
        step.fail(error)
        return step.answer()
    session.username, session.password = username, password
    challenge = challenge_for(password)
    if challenge is not None:
        session.mfa, session.mfa_round = challenge, 0
        return _ask_mfa(step)
    return _connect(step, token)


def _ask_mfa(step: _Step) -> dict[str, Any]:
    session = step.session
    assert session.mfa is not None
    step.transition("MFA", session.mfa.exit_status)
    questions = session.mfa.rounds[session.mfa_round]
    return step.answer(
        mfa={
            "mfa_type": session.mfa.mfa_type,
            "round": session.mfa_round + 1,
            "rounds": len(session.mfa.rounds),
            "questions": [question.to_dict() for question in questions],
        }
    )


def submit_mfa(state: EmulatorState, link_session_id: str, answers: list[str]) -> dict[str, Any]:
    """SUBMIT_MFA: the next round, or connect; a wrong answer is INVALID_MFA."""
    session = _session(state, link_session_id, "MFA")
    token = _token(state, session)
    assert session.mfa is not None
    step = _Step(state, session)
    mfa_type = session.mfa.mfa_type
    step.event("SUBMIT_MFA", mfa_type=mfa_type, view_name="MFA", **step.institution_fields())
    step.transition("LOADING", session.mfa.exit_status)
    if not session.mfa.check(session.mfa_round, answers):
        session.view = "MFA"
        step.fail(PlaidErrorResponse("INVALID_MFA"))
        return step.answer()
    session.mfa_round += 1
    if session.mfa_round < len(session.mfa.rounds):
        return _ask_mfa(step)
    return _connect(step, token)


def _connect(step: _Step, token: LinkToken) -> dict[str, Any]:
    """Make (or repair) the Item; then account selection, or the connected pane."""
    session = step.session
    assert session.username is not None
    assert session.password is not None
    try:
        item = connect(
            step.state,
            token,
            username=session.username,
            password=session.password,
            institution_id=session.institution_id,
        )
    except PlaidErrorResponse as error:
        session.view = "CREDENTIAL"
        step.fail(error)
        return step.answer()
    session.item_id = item.item_id
    if token.update_mode and token.account_selection_enabled:
        session.account_ids = [account.account_id for account in item.accounts]
        step.transition("SELECT_ACCOUNT", "requires_account_selection")
        return step.answer(accounts=[account.to_link_metadata() for account in item.accounts])
    return _connected(step, token, None)


def _connected(step: _Step, token: LinkToken, account_ids: list[str] | None) -> dict[str, Any]:
    session = step.session
    assert session.item_id is not None
    item = step.state.get_item(session.item_id)
    accounts = None
    if account_ids is not None:
        chosen = set(account_ids)
        accounts = [account for account in item.accounts if account.account_id in chosen]
    step.transition("CONNECTED")
    session.success = succeed(
        step.state,
        token,
        item,
        session_id=session.link_session_id,
        started_at=session.started_at,
        accounts=accounts,
        events=session.events,
    )
    return step.answer()


def select_accounts(
    state: EmulatorState, link_session_id: str, account_ids: list[str]
) -> dict[str, Any]:
    """The accounts the user shares (update mode with account selection); at least one."""
    session = _session(state, link_session_id, "SELECT_ACCOUNT")
    token = _token(state, session)
    unknown = sorted(set(account_ids) - set(session.account_ids))
    if unknown or not account_ids:
        raise PlaidErrorResponse(
            "INVALID_ACCOUNT_ID",
            "select at least one of the offered accounts"
            + (": unknown " + ", ".join(unknown) if unknown else ""),
        )
    step = _Step(state, session)
    step.transition("LOADING", "requires_account_selection")
    return _connected(step, token, account_ids)


def finish(state: EmulatorState, link_session_id: str) -> dict[str, Any]:
    """HANDOFF: the user continues from the connected pane; answer onSuccess's arguments."""
    session = _session(state, link_session_id, "CONNECTED")
    assert session.success is not None
    step = _Step(state, session)
    step.event("HANDOFF", view_name="CONNECTED", **step.institution_fields())
    session.finished = True
    return step.answer(on_success=session.success)


def close(state: EmulatorState, link_session_id: str) -> dict[str, Any]:
    """EXIT: the user closed Link (error null) or left the error pane (that error)."""
    session = _session(state, link_session_id)
    if session.view == "CONNECTED":
        raise PlaidErrorResponse(
            "INVALID_FIELD", "the session is connected: finish it (onSuccess) instead"
        )
    error = link_error(session.error) if session.view == "ERROR" and session.error else None
    step = _Step(state, session)
    fields = step.institution_fields()
    step.event("EXIT", exit_status=session.status, view_name=session.view, **fields)
    metadata: dict[str, Any] = {
        "institution": (
            {"name": fields["institution_name"], "institution_id": fields["institution_id"]}
            if fields
            else None
        ),
        "link_session_id": session.link_session_id,
        "request_id": step.request_id,
    }
    if session.status is not None:
        metadata["status"] = session.status
    session.finished = True
    token = state.find_link_token(session.link_token)
    exit_session(
        state,
        token,
        error=error,
        metadata=metadata,
        started_at=session.started_at,
        events=session.events,
    )
    return step.answer(on_exit={"error": error, "metadata": metadata})
