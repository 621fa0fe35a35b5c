"""Compatibility: the sync lease and runner now live in :mod:`django_plaid.syncing`.

``from django_plaid.sync import request_sync, run_sync`` keeps working; new code imports
:mod:`django_plaid.syncing`.
"""

from __future__ import annotations

from .syncing import (
    Heartbeat,
    acquire_lease,
    release_lease,
    renew_lease,
    request_sync,
    run_sync,
    sync_pass,
)

__all__ = [
    "Heartbeat",
    "acquire_lease",
    "release_lease",
    "renew_lease",
    "request_sync",
    "run_sync",
    "sync_pass",
]
