"""Real database errors for the robustness tests: another connection holds a lock, and the
connections under test wait for it only briefly (SQLite's ``timeout``, PostgreSQL's
``lock_timeout``), then fail with Django's ``OperationalError`` as they would in production.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.apps import apps
from django.db import connection, connections
from django.utils import timezone

#: How long a connection under test waits for a lock, in seconds.
LOCK_WAIT = 0.2


def on_sqlite() -> bool:
    return connection.vendor == "sqlite"


@contextmanager
def short_lock_waits(**options: Any) -> Iterator[None]:
    """Connections opened in the block (this thread's included: it is reopened) wait
    ``LOCK_WAIT`` for a lock instead of the suite's 30 s; ``options`` replace others of the
    ``OPTIONS`` (``transaction_mode``). The settings dict is shared by every thread's
    connection, so threads started in the block get them too."""
    current = connections.settings["default"].setdefault("OPTIONS", {})
    saved = dict(current)
    if on_sqlite():
        current["timeout"] = LOCK_WAIT
    else:
        current["options"] = f"-c lock_timeout={int(LOCK_WAIT * 1000)}"
    current.update(options)
    for key, value in options.items():
        if value is None:
            del current[key]
    connection.close()
    try:
        yield
    finally:
        current.clear()
        current.update(saved)
        connection.close()


def plaid_tables() -> list[str]:
    return [model._meta.db_table for model in apps.get_app_config("django_plaid").get_models()]


@contextmanager
def locked(*, reads: bool, tables: list[str] | None = None) -> Iterator[None]:
    """Another connection holds the lock of dj-plaid's tables (``tables``), for the block.

    With ``reads``, reads wait too (SQLite's EXCLUSIVE lock, PostgreSQL's ACCESS
    EXCLUSIVE); without, only writers do (a RESERVED lock, PostgreSQL's EXCLUSIVE mode).
    On SQLite the lock is the whole file's.
    """
    if on_sqlite():
        raw = sqlite3.connect(connection.settings_dict["NAME"], isolation_level=None, timeout=10)
        raw.execute("BEGIN EXCLUSIVE" if reads else "BEGIN IMMEDIATE")
        try:
            yield
        finally:
            raw.execute("ROLLBACK")
            raw.close()
        return
    other = connections.create_connection("default")
    other.settings_dict = {**other.settings_dict, "OPTIONS": {}}
    other.ensure_connection()
    raw = other.connection
    raw.autocommit = False
    mode = "ACCESS EXCLUSIVE" if reads else "EXCLUSIVE"
    names = ", ".join(other.ops.quote_name(t) for t in tables or plaid_tables())
    try:
        with raw.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {names} IN {mode} MODE")
        yield
    finally:
        raw.rollback()
        other.close()


def heal_after_the_grace() -> dict[str, int]:
    """Run the periodic task once the Items' refresh requests have waited past its grace
    (``healing.REQUEST_GRACE``), as they would a few minutes later."""
    from django_plaid import tasks
    from django_plaid.healing import REQUEST_GRACE
    from django_plaid.models import Item

    waited = timezone.now() - REQUEST_GRACE - timedelta(seconds=1)
    Item.objects.filter(refresh_requested_at__isnull=False).update(refresh_requested_at=waited)
    return tasks.maintenance()
