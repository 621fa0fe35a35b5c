"""Fixtures of the API's robustness tests (database errors, lost tasks)."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator

import pytest

from tests.api.database import short_lock_waits
from tests.celery import app as celery_app
from tests.helpers import forget_broker_connections


@pytest.fixture
def brief_waits() -> Iterator[None]:
    """Connections wait briefly for a lock (see ``tests.api.database.short_lock_waits``)."""
    with short_lock_waits():
        yield


@pytest.fixture
def lost_tasks() -> Iterator[Callable[[], None]]:
    """Tasks are sent, not run eagerly, to a broker nothing listens on (a closed port):
    each is lost. Calling the fixture's value brings back the suite's eager tasks, as when
    the broker and the workers are up again."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url")}
    celery_app.conf.update(task_always_eager=False, broker_url=f"redis://127.0.0.1:{port}/0")
    forget_broker_connections()

    def tasks_run_again() -> None:
        celery_app.conf.update(saved)
        forget_broker_connections()

    yield tasks_run_again
    tasks_run_again()
