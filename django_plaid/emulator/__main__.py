"""Run the Plaid emulator: ``python -m django_plaid.emulator --port 8765``.

Exits with status 1 and one line on stderr when it cannot start: werkzeug missing (the
``emulator`` extra), the port taken, or a state file it cannot use.
"""

from __future__ import annotations

import argparse
import signal
import sys
from collections.abc import Sequence
from types import FrameType

from . import MISSING_EXTRA

#: Default credentials, repeated from ``server`` so ``--help`` works without werkzeug.
_CLIENT_ID, _SECRET = "test_client_id", "test_secret"


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m django_plaid.emulator",
        description="Serve an offline Plaid API emulator for plaid-python.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8765, help="port (default 8765; 0 = any)")
    parser.add_argument("--client-id", default=_CLIENT_ID, help="accepted client_id")
    parser.add_argument("--secret", default=_SECRET, help="accepted secret")
    parser.add_argument("--verbose", action="store_true", help="log each request line")
    parser.add_argument(
        "--no-webhooks",
        action="store_true",
        help="record webhooks but do not send them to the Items' webhook URLs",
    )
    parser.add_argument(
        "--state-file",
        metavar="PATH",
        help="keep the emulator's state in this JSON file across restarts "
        "(created if missing; default: in memory only)",
    )
    return parser


def _stop_on_signal(signum: int, frame: FrameType | None) -> None:
    # Treat SIGTERM (e.g. from a demo script) like Ctrl-C, so stop() runs.
    raise KeyboardInterrupt


def main(argv: Sequence[str] | None = None) -> int:
    """Start the emulator, print its URL on stdout, serve until Ctrl-C or SIGTERM."""
    args = _parser().parse_args(argv)
    try:
        from .server import Emulator, EmulatorPortError, StateFileError
    except ModuleNotFoundError as exc:
        if (exc.name or "").partition(".")[0] != "werkzeug":
            raise
        print(f"error: {MISSING_EXTRA}", file=sys.stderr)
        return 1
    try:
        emulator = Emulator(
            host=args.host,
            port=args.port,
            client_id=args.client_id,
            secret=args.secret,
            quiet=not args.verbose,
            send_webhooks=not args.no_webhooks,
            state_file=args.state_file,
        )
    except StateFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        emulator.start()
    except EmulatorPortError as exc:
        hint = " Choose another port with --port (e.g. --port 8866)." if exc.in_use else ""
        print(f"error: {exc}.{hint}", file=sys.stderr)
        return 1
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    # SIGINT too: a process started in the background by a shell inherits SIGINT ignored,
    # and Ctrl-C (or a script's SIGINT) must still stop it.
    signal.signal(signal.SIGTERM, _stop_on_signal)
    signal.signal(signal.SIGINT, _stop_on_signal)
    # The URL alone on stdout's first line, so scripts can read it; the rest goes to stderr.
    print(emulator.url, flush=True)
    kept = f", state in {args.state_file}" if args.state_file else ""
    print(
        f"Plaid emulator serving on {emulator.url} (client_id={emulator.client_id!r}{kept}); "
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
