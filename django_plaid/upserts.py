"""One bulk upsert for Plaid's rows: insert, or update on Plaid's unique id.

The columns an upsert rewrites are derived from the model (every column but the
primary key, Plaid's id and ``created_at``), never listed by hand, so a column added
to a model is stored by its flow without a second edit.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import models


def upsert_columns(model: type[models.Model], *, unique: str) -> list[str]:
    """The fields an upsert of ``model`` on ``unique`` rewrites when the row exists."""
    return [
        field.name
        for field in model._meta.concrete_fields
        if not field.primary_key and field.name not in (unique, "created_at")
    ]


def bulk_upsert(model: type[models.Model], rows: Sequence[Any], *, unique: str) -> None:
    """Insert ``rows`` of ``model`` in one statement; rows whose ``unique`` value exists
    already are updated instead (every column of :func:`upsert_columns`)."""
    if rows:
        model._default_manager.bulk_create(
            list(rows),
            update_conflicts=True,
            unique_fields=[unique],
            update_fields=upsert_columns(model, unique=unique),
        )
