"""Helpers for tests that run flows truly at once: threads, and gates in the emulator."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from django.db import connections

#: How long a test waits for a flow to reach a gate or finish before it fails.
WAIT_SECONDS = 30


def in_thread(target: Callable[[], Any]) -> tuple[threading.Thread, list[BaseException]]:
    """Start ``target`` in a thread with its own database connection; returns the thread
    and the list its exception (if any) lands in."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            target()
        except BaseException as e:  # reported to the test
            errors.append(e)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, errors


def run_at_once(*targets: Callable[[], Any]) -> list[BaseException]:
    """Run every target in its own thread, released together; returns their exceptions."""
    barrier = threading.Barrier(len(targets))

    def released(target: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:
            barrier.wait(WAIT_SECONDS)
            return target()

        return run

    started = [in_thread(released(target)) for target in targets]
    errors: list[BaseException] = []
    for thread, thread_errors in started:
        thread.join(WAIT_SECONDS * 4)
        assert not thread.is_alive(), "a flow did not finish"
        errors.extend(thread_errors)
    return errors


class Gate:
    """Holds the first emulator request to ``path`` until :meth:`open` is called."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.arrived = threading.Event()
        self._open = threading.Event()
        self._used = False

    def __call__(self, context: Any) -> None:
        if context.path == self.path and not self._used:
            self._used = True
            self.arrived.set()
            self._open.wait(WAIT_SECONDS)
        return None

    def wait(self) -> None:
        """Block until a request reached the gate."""
        assert self.arrived.wait(WAIT_SECONDS), f"no request to {self.path} arrived"

    def open(self) -> None:
        """Let the held request (and any later one) through."""
        self._open.set()


@contextmanager
def gate(emulator: Any, path: str) -> Iterator[Gate]:
    """A :class:`Gate` installed in the emulator for the ``with`` block."""
    held = Gate(path)
    emulator.app.hooks.insert(0, held)
    try:
        yield held
    finally:
        held.open()
        emulator.app.hooks.remove(held)
