"""``manage.py plaid_reencrypt``: re-encrypt every encrypted column under the first key.

After a new key is put first in ``FIELD_ENCRYPTION_KEY``, this moves every stored value
to it, so that the old keys can be dropped. Values already under the first key are
skipped, so an interrupted run is resumed by running it again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from cryptography.fernet import InvalidToken
from django.apps import apps
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.db.models.functions import Cast
from django.db.models.lookups import Exact

from ...exceptions import PlaidConfigurationError
from ...fields import (
    Ciphertext,
    EncryptedJSONField,
    EncryptedTextField,
    get_crypter,
    reencrypt,
)

#: How many unreadable values the final error names (their pk and column).
SHOW_UNREADABLE = 20


def encrypted_columns() -> list[tuple[type[models.Model], list[models.Field[Any, Any]]]]:
    """Every concrete model with dj-plaid encrypted fields, and those fields.

    Derived from the installed models, so a new encrypted field (dj-plaid's or a host
    project's) is re-encrypted without this command being told about it.
    """
    found = []
    for model in apps.get_models():
        opts = model._meta
        if opts.proxy or opts.swapped:
            continue
        fields: list[models.Field[Any, Any]] = [
            f
            for f in opts.concrete_fields
            if isinstance(f, (EncryptedTextField, EncryptedJSONField))
        ]
        if fields:
            found.append((model, fields))
    return sorted(found, key=lambda pair: pair[0]._meta.label)


def _raw(field: models.Field[Any, Any]) -> Cast:
    # The column as stored: a plain TextField output has no decrypting converter.
    return Cast(field.name, output_field=models.TextField())


@dataclass
class Counts:
    """What one model's run found."""

    rows: int = 0
    reencrypted: int = 0
    current: int = 0
    empty: int = 0
    changed: int = 0
    unreadable: list[str] = field(default_factory=list)


class Command(BaseCommand):
    help = (
        "Re-encrypt every encrypted column under the first key of FIELD_ENCRYPTION_KEY, "
        "so that older keys can be removed. Resumable: values already under the first "
        "key are skipped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--batch-size", type=int, default=500, help="rows per transaction (default 500)"
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="count what would be re-encrypted only"
        )

    def handle(self, *args: Any, batch_size: int, dry_run: bool, **options: Any) -> None:
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            get_crypter()
        except PlaidConfigurationError as e:
            raise CommandError(str(e)) from None
        unreadable: list[str] = []
        changed = 0
        for model, fields in encrypted_columns():
            counts = self._model(model, fields, batch_size=batch_size, dry_run=dry_run)
            unreadable += counts.unreadable
            changed += counts.changed
            verb = "would re-encrypt" if dry_run else "re-encrypted"
            self.stdout.write(
                f"{model._meta.label} ({', '.join(f.name for f in fields)}): "
                f"{counts.rows} row(s); {verb} {counts.reencrypted} value(s), "
                f"{counts.current} already under the first key, {counts.empty} empty, "
                f"{len(counts.unreadable)} unreadable, {counts.changed} changed meanwhile."
            )
        if changed:
            self.stdout.write(
                f"{changed} row(s) were changed by another process during the run and left "
                "as written; run the command again to check them."
            )
        if unreadable:
            shown = ", ".join(unreadable[:SHOW_UNREADABLE])
            more = (
                f" and {len(unreadable) - SHOW_UNREADABLE} more"
                if len(unreadable) > SHOW_UNREADABLE
                else ""
            )
            raise CommandError(
                f"{len(unreadable)} value(s) cannot be decrypted by any key in "
                f"FIELD_ENCRYPTION_KEY: {shown}{more}. Put back the key they were written "
                "with (after the first) and run the command again."
            )
        if not dry_run:
            self.stdout.write("Done: every readable value is under the first key.")

    def _model(
        self,
        model: type[models.Model],
        fields: list[models.Field[Any, Any]],
        *,
        batch_size: int,
        dry_run: bool,
    ) -> Counts:
        """Re-encrypt one model's encrypted columns, batch by batch in pk order."""
        counts = Counts()
        manager = model._base_manager
        aliases = {f"_raw_{f.name}": _raw(f) for f in fields}
        total = manager.count()
        last_pk: Any = None
        while True:
            batch = manager.order_by("pk").annotate(**aliases)
            if last_pk is not None:
                batch = batch.filter(pk__gt=last_pk)
            rows = list(batch.values_list("pk", *aliases)[:batch_size])
            if not rows:
                break
            with transaction.atomic(using=manager.db):
                for pk, *values in rows:
                    self._row(model, fields, pk, values, counts, dry_run=dry_run)
            last_pk = rows[-1][0]
            counts.rows += len(rows)
            self.stdout.write(f"{model._meta.label}: {counts.rows}/{total} row(s) checked")
        return counts

    def _row(
        self,
        model: type[models.Model],
        fields: list[models.Field[Any, Any]],
        pk: Any,
        values: list[str | None],
        counts: Counts,
        *,
        dry_run: bool,
    ) -> None:
        """Re-encrypt one row's values that are not under the first key yet."""
        changes: dict[str, Any] = {}
        unchanged_since_read = []
        for f, value in zip(fields, values, strict=True):
            if not value:
                counts.empty += 1
                continue
            try:
                new = reencrypt(value)
            except (InvalidToken, UnicodeError):
                counts.unreadable.append(f"{model._meta.label} pk={pk} ({f.name})")
                continue
            if new is None:
                counts.current += 1
                continue
            changes[f.name] = Ciphertext(new)  # already encrypted: written as is
            unchanged_since_read.append(Exact(_raw(f), value))
        if not changes:
            return
        if dry_run:
            counts.reencrypted += len(changes)
            return
        # Only these columns, and only if no one wrote them since they were read: a
        # concurrent flow (a token rotation, a product fetch) is never undone.
        updated = model._base_manager.filter(*unchanged_since_read, pk=pk).update(**changes)
        if updated:
            counts.reencrypted += len(changes)
        else:
            counts.changed += 1
