"""Start the dj-plaid demo: the Plaid emulator and the example project, ready to use.

`make demo` runs this. It migrates the example project's database (SQLite by default),
creates the user ``demo`` (password ``demo``, also an admin), starts the emulator in this
process unless real Plaid keys are set (PLAID_CLIENT_ID), and serves the example project.

The emulator keeps its state in ``example_project/.emulator-state.json`` (beside the
SQLite database; ``--emulator-state`` or ``EMULATOR_STATE`` chooses another file, an
empty value keeps it in memory only), so Items linked before a restart still work. To
start over, stop the demo and delete both the database and the state file.

With the emulator, the demo's page loads Plaid Link from the emulator's Link simulator
(``PLAID_LINK_SCRIPT_URL``), so linking a bank works in the browser with no network; with
real keys, it loads Plaid's own script from Plaid's CDN.
"""

from __future__ import annotations

import argparse
import errno
import os
import signal
import socket
import sys
from pathlib import Path
from types import FrameType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_STATE = ROOT / "example_project" / ".emulator-state.json"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="example project port")
    parser.add_argument("--emulator-port", type=int, default=8765, help="emulator port")
    parser.add_argument(
        "--emulator-state",
        default=os.environ.get("EMULATOR_STATE", str(DEFAULT_STATE)),
        help="the emulator's state file (default: example_project/.emulator-state.json; "
        "empty: keep the state in memory only)",
    )
    args = parser.parse_args()
    use_emulator = not os.environ.get("PLAID_CLIENT_ID")

    # Ports first, before anything is migrated or started: say which one and how to move.
    taken = _port_problem(args.port, "the demo's", "DEMO_PORT", "--port")
    if taken is None and use_emulator:
        taken = _port_problem(
            args.emulator_port, "the Plaid emulator's", "EMULATOR_PORT", "--emulator-port"
        )
    if taken is not None:
        print(f"error: {taken}", file=sys.stderr)
        return 1

    sys.path.insert(0, str(ROOT / "example_project"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    if use_emulator:
        os.environ.setdefault("PLAID_HOST", f"http://127.0.0.1:{args.emulator_port}")
        # The emulator signs and sends webhooks to the demo, as Plaid would.
        os.environ.setdefault("PLAID_WEBHOOK_URL", f"http://127.0.0.1:{args.port}/plaid/webhook/")
        # Link in the browser, offline: the emulator serves Plaid's script at Plaid's path.
        os.environ.setdefault(
            "PLAID_LINK_SCRIPT_URL",
            f"{os.environ['PLAID_HOST'].rstrip('/')}/link/v2/stable/link-initialize.js",
        )

    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", interactive=False, verbosity=0)
    _ensure_demo_user()

    emulator = None
    if use_emulator:
        from django_plaid.emulator import Emulator, StateFileError

        state_file = args.emulator_state or None
        try:
            emulator = Emulator(port=args.emulator_port, state_file=state_file)
        except StateFileError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        emulator.start()
        kept = f" (state in {_shown(state_file)})" if state_file else " (state in memory only)"
        print(f"Plaid emulator:   {emulator.url}{kept}")
        _warn_unknown_items(emulator, state_file)
    print(f"Example project:  http://127.0.0.1:{args.port}/  (user demo / password demo)")
    if use_emulator:
        print("Link a bank with:  user_good / pass_good  (see the README for other users)")
    # SIGTERM, and SIGINT even when a shell started the demo in the background (with SIGINT
    # ignored), stop the server as Ctrl-C does, so the emulator writes its state file.
    signal.signal(signal.SIGTERM, _interrupt)
    signal.signal(signal.SIGINT, _interrupt)
    try:
        call_command("runserver", f"127.0.0.1:{args.port}", use_reloader=False)
    finally:
        if emulator is not None:
            emulator.stop()
    return 0


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _port_problem(port: int, whose: str, variable: str, option: str) -> str | None:
    """Why ``port`` cannot be served on 127.0.0.1 (with how to pick another), or None."""
    if port == 0:
        return None
    probe = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        # As the servers will: a port in TIME_WAIT is free, one someone listens on is not.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    except OSError as exc:
        reason = "is already in use" if exc.errno == errno.EADDRINUSE else f"fails ({exc})"
        return (
            f"port {port} ({whose}) {reason}. Choose another with "
            f"`make demo {variable}={port + 101}` or `scripts/demo.py {option} {port + 101}`."
        )
    finally:
        probe.close()
    return None


def _shown(path: str) -> str:
    """``path`` relative to the checkout when it is inside it."""
    try:
        return str(Path(path).resolve().relative_to(ROOT))
    except ValueError:
        return path


def _warn_unknown_items(emulator: Any, state_file: str | None) -> None:
    """Warn about Items in the demo's database that the emulator does not know.

    They come from an earlier run whose emulator state is gone (no state file, a deleted
    one, or another one): every Plaid call for them would fail with INVALID_ACCESS_TOKEN.
    Items the emulator knows but the database does not (a new database) are harmless.
    """
    from django.conf import settings

    from django_plaid.models import Item

    known = set(emulator.state.items)
    unknown = [i for i in Item.objects.values_list("item_id", flat=True) if i not in known]
    if not unknown:
        return
    database = settings.DATABASES["default"]
    if "sqlite" in database["ENGINE"]:
        where = _shown(str(database["NAME"]))
        fresh = f"delete the database and the state file: rm {where}"
        fresh += f" {_shown(state_file)}" if state_file else ""
    else:
        where = f"database {database['NAME']}"
        fresh = "empty the database (manage.py flush)"
        fresh += f" and delete the state file {_shown(state_file)}" if state_file else ""
    if not state_file:
        why = "the emulator keeps no state file"
    elif not emulator.state_file.loaded:
        why = f"the emulator's state file {_shown(state_file)} did not exist, so it started empty"
    else:
        why = f"the emulator's state file {_shown(state_file)} comes from another run"
    print(
        f"warning: {len(unknown)} Item(s) in the demo's database ({where}) are unknown to the "
        f"Plaid emulator: {why}. Plaid calls for them will fail with INVALID_ACCESS_TOKEN. "
        f"To start fresh, stop the demo and {fresh}.",
        file=sys.stderr,
    )


def _ensure_demo_user() -> None:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if not user_model.objects.filter(username="demo").exists():
        user_model.objects.create_superuser("demo", "demo@example.com", "demo")


if __name__ == "__main__":
    sys.exit(main())
