"""pytest plugin (entry point ``pytest11``): fixtures that start the Plaid emulator.

Fixtures:

* ``plaid_emulator_server`` (session): one ``Emulator`` on a free 127.0.0.1 port, started on
  first use and stopped when the session ends.
* ``plaid_emulator`` (function): that same server, ``reset()`` before the test, so each test
  starts with no tokens, no Items, no webhook deliveries and a fresh webhook signing key.
* ``plaid_emulator_settings`` (function): ``plaid_emulator`` plus ``override_settings`` that
  point the ``PLAID`` setting (client id, secret, ``sandbox``, ``HOST``) at it.

This module is loaded by every pytest run of a project that installs dj-plaid, so it imports
neither Django nor the emulator (nor werkzeug) until a fixture is used.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from django_plaid.emulator import Emulator

__all__ = ["plaid_emulator", "plaid_emulator_server", "plaid_emulator_settings"]


@pytest.fixture(scope="session")
def plaid_emulator_server() -> Iterator[Emulator]:
    """Run one Plaid emulator for the whole test session (state is shared; see plaid_emulator)."""
    try:
        from django_plaid.emulator import Emulator
    except ImportError as exc:  # werkzeug is the optional ``emulator`` extra
        from django_plaid.emulator import MISSING_EXTRA

        pytest.fail(f"{MISSING_EXTRA} ({exc})", pytrace=False)
    emulator = Emulator(host="127.0.0.1", port=0).start()
    try:
        yield emulator
    finally:
        emulator.stop()


@pytest.fixture
def plaid_emulator(plaid_emulator_server: Emulator) -> Emulator:
    """The session's Plaid emulator, emptied (``reset()``) for this test.

    Its webhooks go to each Item's webhook URL; ``plaid_emulator.wait_for_webhooks()``
    waits for them and ``plaid_emulator.deliveries`` records them.
    """
    plaid_emulator_server.reset()
    return plaid_emulator_server


@pytest.fixture
def plaid_emulator_settings(plaid_emulator: Emulator) -> Iterator[Emulator]:
    """Point ``settings.PLAID`` at the emulator for this test and yield the emulator.

    Keeps every other key of the project's ``PLAID`` dict and overrides ``CLIENT_ID``,
    ``SECRET``, ``ENVIRONMENT`` (``"sandbox"``) and ``HOST`` (the emulator's URL).
    """
    from django.conf import settings
    from django.test import override_settings

    existing = dict(getattr(settings, "PLAID", None) or {})
    plaid = {
        **existing,
        "CLIENT_ID": plaid_emulator.client_id,
        "SECRET": plaid_emulator.secret,
        "ENVIRONMENT": "sandbox",
        "HOST": plaid_emulator.url,
    }
    with override_settings(PLAID=plaid):
        yield plaid_emulator
