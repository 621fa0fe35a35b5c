"""Start the dj-plaid demo: the Plaid emulator and the example project, ready to use.

`make demo` runs this. It migrates the example project's database (SQLite by default),
creates the user ``demo`` (password ``demo``, also an admin), starts the emulator in this
process unless real Plaid keys are set (PLAID_CLIENT_ID), and serves the example project.

With the emulator, the demo's page loads Plaid Link from the emulator's Link simulator
(``PLAID_LINK_SCRIPT_URL``), so linking a bank works in the browser with no network; with
real keys, it loads Plaid's own script from Plaid's CDN.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=8000, help="example project port")
    parser.add_argument("--emulator-port", type=int, default=8765, help="emulator port")
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "example_project"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")
    use_emulator = not os.environ.get("PLAID_CLIENT_ID")
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
        from django_plaid.emulator import Emulator

        emulator = Emulator(port=args.emulator_port).start()
        print(f"Plaid emulator:   {emulator.url}")
    print(f"Example project:  http://127.0.0.1:{args.port}/  (user demo / password demo)")
    if use_emulator:
        print("Link a bank with:  user_good / pass_good  (see the README for other users)")
    try:
        call_command("runserver", f"127.0.0.1:{args.port}", use_reloader=False)
    finally:
        if emulator is not None:
            emulator.stop()


def _ensure_demo_user() -> None:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    if not user_model.objects.filter(username="demo").exists():
        user_model.objects.create_superuser("demo", "demo@example.com", "demo")


if __name__ == "__main__":
    main()
