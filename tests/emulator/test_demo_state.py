"""scripts/demo.py with its emulator state file: Items survive a restart; lost ones are named."""

from __future__ import annotations

import base64
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
_AUTH = "Basic " + base64.b64encode(b"demo:demo").decode()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(url: str, body: dict[str, Any], *, auth: bool = True) -> tuple[int, Any]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    if auth:
        request.add_header("Authorization", _AUTH)
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"null")


@contextmanager
def _demo(folder: Path, port: int, emulator_port: int) -> Iterator[list[str]]:
    """Run the demo until the block ends (SIGTERM); yield what it printed until it served."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("PLAID_")
        and key not in ("EMULATOR_STATE", "DJANGO_SETTINGS_MODULE", "DATABASE_URL")
    }
    env["DATABASE_URL"] = f"sqlite:///{folder / 'db.sqlite3'}"
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [
            sys.executable,
            "scripts/demo.py",
            "--port",
            str(port),
            "--emulator-port",
            str(emulator_port),
            "--emulator-state",
            str(folder / "state.json"),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: list[str] = []
    try:
        assert process.stdout is not None
        # runserver's banner comes after the demo's own lines.
        for line in process.stdout:
            lines.append(line)
            if "Quit the server" in line:
                break
        deadline = time.monotonic() + 30
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=5).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "".join(lines)
                time.sleep(0.1)
        yield lines
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
            if process.stdout is not None:
                process.stdout.close()


def test_a_demo_restart_keeps_the_items_and_a_lost_state_is_reported(tmp_path):
    port, emulator_port = _free_port(), _free_port()
    api = f"http://127.0.0.1:{port}/plaid"
    with _demo(tmp_path, port, emulator_port) as lines:
        assert not any("warning" in line for line in lines)
        status, body = _post(
            f"http://127.0.0.1:{emulator_port}/sandbox/public_token/create",
            {
                "client_id": "test_client_id",
                "secret": "test_secret",
                "institution_id": "ins_109508",
                "initial_products": ["transactions"],
            },
            auth=False,
        )
        assert status == 200
        status, item = _post(
            f"{api}/exchange/", {"public_token": body["public_token"], "metadata": {}}
        )
        assert status == 201, item
    assert (tmp_path / "state.json").exists()

    with _demo(tmp_path, port, emulator_port) as lines:
        assert not any("warning" in line for line in lines), lines
        # Update mode needs the Item at the emulator: it answered 502 before the state file.
        status, body = _post(f"{api}/link-token/", {"item_id": item["item_id"]})
        assert status == 200, body
        assert body["link_token"].startswith("link-sandbox-")

    (tmp_path / "state.json").unlink()
    with _demo(tmp_path, port, emulator_port) as lines:
        warnings = [line for line in lines if line.startswith("warning:")]
        assert len(warnings) == 1, lines
        assert "1 Item(s)" in warnings[0]
        assert "did not exist" in warnings[0]
        assert f"rm {tmp_path / 'db.sqlite3'} {tmp_path / 'state.json'}" in warnings[0]
