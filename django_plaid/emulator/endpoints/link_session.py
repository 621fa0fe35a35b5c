"""The Link simulator's backend: ``/emulator/link/session/*``, called by its iframe.

No client credentials: a session is started with a link token (``start``) and every
later call names the ``link_session_id`` it answered. Each answer carries the pane to show
(``view``), its data, and the onEvent ``events`` to forward (see ``link_sessions``):

- ``start`` {link_token} → CONSENT (update mode: CREDENTIAL), ``client_name``,
  ``update_mode``, ``account_selection``
- ``consent`` {link_session_id} → SELECT_INSTITUTION with featured ``institutions``
- ``search`` {link_session_id, query} → ``institutions`` matching the query
- ``institution`` {link_session_id, institution_id} → CREDENTIAL (or ERROR)
- ``credentials`` {link_session_id, username, password} → MFA (``mfa``), SELECT_ACCOUNT
  (``accounts``), CONNECTED or ERROR (``error``)
- ``mfa`` {link_session_id, answers: [str]} → MFA (next round), SELECT_ACCOUNT, CONNECTED
  or ERROR
- ``accounts`` {link_session_id, account_ids: [str]} → CONNECTED
- ``finish`` {link_session_id} → ``on_success`` {public_token, metadata}
- ``exit`` {link_session_id} → ``on_exit`` {error, metadata}
"""

from __future__ import annotations

from typing import Any

from .. import link_sessions
from ..routes import Route
from ..state import EmulatorState
from ..validation import get_str, get_str_list, require

__all__ = ["ROUTES"]

PREFIX = "/emulator/link/session/"


def _id(body: dict[str, Any]) -> str:
    session_id = get_str(body, "link_session_id", required=True)
    assert session_id is not None
    return session_id


def session_start(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Open Link with ``link_token``."""
    return link_sessions.start(state, body.get("link_token"))


def session_consent(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The consent pane's Continue."""
    return link_sessions.consent(state, _id(body))


def session_search(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """A search in the institution pane."""
    session_id = _id(body)
    query = get_str(body, "query", allow_empty=True) or ""
    return link_sessions.search(state, session_id, query)


def session_institution(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """A click on an institution."""
    session_id = _id(body)
    institution_id = get_str(body, "institution_id", required=True)
    assert institution_id is not None
    return link_sessions.select_institution(state, session_id, institution_id)


def session_credentials(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The credentials pane's Submit."""
    session_id = _id(body)
    require(body, "username", "password")
    username = get_str(body, "username", allow_empty=True) or ""
    password = get_str(body, "password", allow_empty=True) or ""
    return link_sessions.submit_credentials(state, session_id, username, password)


def session_mfa(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The MFA pane's Submit."""
    session_id = _id(body)
    answers = get_str_list(body, "answers", required=True) or []
    return link_sessions.submit_mfa(state, session_id, answers)


def session_accounts(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The account selection pane's Continue."""
    session_id = _id(body)
    account_ids = get_str_list(body, "account_ids", required=True) or []
    return link_sessions.select_accounts(state, session_id, account_ids)


def session_finish(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """The connected pane's Continue (HANDOFF, then onSuccess)."""
    return link_sessions.finish(state, _id(body))


def session_exit(state: EmulatorState, body: dict[str, Any]) -> dict[str, Any]:
    """Close, Escape, or the error pane's Exit (EXIT, then onExit)."""
    return link_sessions.close(state, _id(body))


ROUTES = tuple(
    Route(PREFIX + name, handler, authenticated=False)
    for name, handler in (
        ("start", session_start),
        ("consent", session_consent),
        ("search", session_search),
        ("institution", session_institution),
        ("credentials", session_credentials),
        ("mfa", session_mfa),
        ("accounts", session_accounts),
        ("finish", session_finish),
        ("exit", session_exit),
    )
)
