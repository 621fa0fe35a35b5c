"""The emulator's state file: load the state at start, keep the file up to date, atomically.

``StateFile(path, state).open()`` loads ``path`` into the state (a missing file means a
fresh start, and the file is created); ``start()`` runs a background writer that rewrites
the file at most every ``interval`` seconds while the state changes, and ``stop()`` writes
once more. Each write goes to a temporary file beside it, flushed to disk, then
``os.replace``-d over the old one, so the file is always a whole snapshot (old or new).
``EmulatorState.reset()`` rewrites it at once.

A file that cannot be read, is damaged, or is another format's or version's raises
``StateFileError``, whose message names the file and what to do: the emulator never
silently starts empty over a state it could not read.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import tempfile
import threading
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from .snapshot import FORMAT, VERSION, PendingWebhook, SnapshotError, Snapshotter, restore

if TYPE_CHECKING:
    from .state import EmulatorState

__all__ = ["DEFAULT_INTERVAL", "StateFile", "StateFileError"]

logger = logging.getLogger("django_plaid.emulator.state_file")

#: Seconds between two writes while the state keeps changing.
DEFAULT_INTERVAL = 0.5


class StateFileError(Exception):
    """The emulator's state file cannot be used; the message says why and what to do."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(
            f"Plaid emulator state file {path} {problem}. The emulator does not start over "
            "it, so nothing in it is lost silently: move the file aside (or delete it) to "
            "start with an empty emulator, or choose another state file."
        )


class StateFile:
    """Keeps an ``EmulatorState`` in a JSON file (see the module docstring)."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        state: EmulatorState,
        *,
        interval: float = DEFAULT_INTERVAL,
    ) -> None:
        self.path = Path(path)
        self.state = state
        self.interval = interval
        self._snapshots = Snapshotter()
        self._write_lock = threading.Lock()
        self._sequence = itertools.count()
        self._written_sequence = -1
        self._last_text: str | None = None
        #: ``state.lock.releases`` after the last snapshot: unchanged means no new state.
        self._seen_releases = -1
        self._pending_webhooks: list[PendingWebhook] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._last_error: str | None = None
        #: Whether ``open()`` found a file (False: it started fresh and created one).
        self.loaded = False

    def __repr__(self) -> str:
        return f"<StateFile {self.path}>"

    # -- loading --------------------------------------------------------------------------------

    def open(self) -> None:
        """Load the file into the state (or create it); StateFileError if unusable."""
        try:
            raw = self.path.read_bytes()
        except FileNotFoundError:
            raw = None
        except IsADirectoryError:
            raise StateFileError(self.path, "is a directory, not a file") from None
        except OSError as exc:
            raise StateFileError(self.path, f"cannot be read ({exc.strerror or exc})") from None
        if raw is None:
            # Created now, so a path that cannot be written fails here, not at the first write.
            try:
                self.flush()
            except OSError as exc:
                raise StateFileError(
                    self.path, f"cannot be created ({exc.strerror or exc})"
                ) from None
        else:
            # Left as it is until the state changes (an emulator that then fails to start,
            # e.g. on a taken port, must not touch it), but it must be writable.
            if not (os.access(self.path, os.W_OK) and os.access(self.path.parent, os.W_OK)):
                raise StateFileError(
                    self.path, "cannot be written (permission denied on it or its directory)"
                )
            self._pending_webhooks = self._load(raw)
            self.loaded = True
            # The writer waits for a change; stop() writes in any case (the webhooks
            # resent meanwhile may have been delivered).
            self._seen_releases = self.state.lock.releases
        self.state.reset_listeners.append(self._after_reset)

    def _load(self, raw: bytes) -> list[PendingWebhook]:
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, ValueError) as exc:
            raise StateFileError(
                self.path, f"is damaged: it is not valid JSON, perhaps truncated ({exc})"
            ) from None
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            raise StateFileError(
                self.path, f'is not a dj-plaid emulator state file (no "format": "{FORMAT}")'
            )
        if data.get("version") != VERSION:
            raise StateFileError(
                self.path,
                f"has version {data.get('version')!r} of the state format, and this "
                f"dj-plaid reads only version {VERSION}",
            )
        try:
            return restore(self.state, data)
        except SnapshotError as exc:
            raise StateFileError(
                self.path, f"is damaged or incompatible and cannot be restored ({exc})"
            ) from None

    # -- writing --------------------------------------------------------------------------------

    def flush(self) -> bool:
        """Write the state now if it differs from the file; return whether it wrote.

        OSError if the file cannot be written.
        """
        with self.state.lock:
            text = self._snapshots.take(self.state)
            sequence = next(self._sequence)
            # Our own release below counts one more.
            self._seen_releases = self.state.lock.releases + 1
        with self._write_lock:
            if sequence < self._written_sequence or text == self._last_text:
                return False
            _write_atomically(self.path, text)
            self._last_text = text
            self._written_sequence = sequence
            return True

    def _after_reset(self) -> None:
        # Reset must reach the file at once, not at the next tick.
        try:
            self.flush()
        except OSError as exc:
            self._report(exc)

    def _report(self, exc: OSError) -> None:
        message = f"cannot write the Plaid emulator state file {self.path}: {exc}"
        if message != self._last_error:
            logger.error("%s", message)
            self._last_error = message

    # -- the writer -----------------------------------------------------------------------------

    def start(self) -> None:
        """Resend the webhooks the file still owed, and start the background writer."""
        pending, self._pending_webhooks = self._pending_webhooks, []
        for url, payload in pending:
            self.state.webhooks.send(url, payload)
        if self._thread is not None:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._run, name=f"plaid-emulator-state {self.path.name}", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the writer and write the final state (errors are logged, not raised)."""
        thread, self._thread = self._thread, None
        self._stop.set()
        if thread is not None:
            thread.join(timeout=10)
        try:
            self.flush()
        except OSError as exc:
            self._report(exc)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            if self.state.lock.releases == self._seen_releases:
                continue
            try:
                self.flush()
            except OSError as exc:
                self._report(exc)
            except Exception:
                # A bug must not kill the writer silently; stop() tries once more.
                logger.exception("Plaid emulator state file %s: snapshot failed", self.path)


def _write_atomically(path: Path, text: str) -> None:
    """Replace ``path`` with ``text`` so that a reader sees the old or the new file, whole."""
    descriptor, temporary = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or "."
    )
    try:
        # mkstemp made it 0600: the file holds (emulated) access tokens and signing keys.
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, path)
    except BaseException:
        with suppress(OSError):
            os.unlink(temporary)
        raise
