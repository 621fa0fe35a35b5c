"""Run the Plaid emulator: ``python -m django_plaid.emulator --port 8765``."""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from .server import DEFAULT_CLIENT_ID, DEFAULT_SECRET, Emulator


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m django_plaid.emulator",
        description="Serve an offline Plaid API emulator for plaid-python.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any)")
    parser.add_argument("--client-id", default=DEFAULT_CLIENT_ID, help="accepted client_id")
    parser.add_argument("--secret", default=DEFAULT_SECRET, help="accepted secret")
    parser.add_argument("--verbose", action="store_true", help="log each request line")
    parser.add_argument(
        "--no-webhooks",
        action="store_true",
        help="record webhooks but do not send them to the Items' webhook URLs",
    )
    return parser


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    # Treat SIGTERM (e.g. from a demo script) like Ctrl-C, so stop() runs.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Start the emulator, print its URL on stdout, serve until Ctrl-C or SIGTERM."""
    args = _parser().parse_args(argv)
    emulator = Emulator(
        host=args.host,
        port=args.port,
        client_id=args.client_id,
        secret=args.secret,
        quiet=not args.verbose,
        send_webhooks=not args.no_webhooks,
    )
    try:
        emulator.start()
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # SIGINT too: a process started in the background by a shell inherits SIGINT ignored,
    # and Ctrl-C (or a script's SIGINT) must still stop it.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)
    # The URL alone on stdout's first line, so scripts can read it; the rest goes to stderr.
    print(emulator.url, flush=True)
    print(
        f"Plaid emulator serving on {emulator.url} (client_id={emulator.client_id!r}); "
        "press Ctrl-C to stop",
        file=sys.stderr,
        flush=True,
    )
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
