"""The Emulator object: lifecycle, ports, reset, the command line and the pytest fixtures."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from django_plaid.emulator import Emulator

from . import post

ROOT = Path(__file__).resolve().parents[2]


def test_start_stop_port_zero_and_url():
    emulator = Emulator()
    assert not emulator.running
    assert emulator.start() is emulator
    try:
        assert emulator.running
        assert emulator.port != 0
        assert emulator.url == f"http://127.0.0.1:{emulator.port}"
        assert repr(emulator) == f"<Emulator {emulator.url}>"
        status, _, body = post(emulator, "/emulator/reset", {})
        assert status == 200
        assert len(body["request_id"]) == 15
    finally:
        emulator.stop()
    assert not emulator.running
    emulator.stop()  # idempotent


def test_context_manager_and_two_servers():
    with Emulator() as first, Emulator(client_id="other", secret="s3") as second:
        assert first.port != second.port
        assert first.running
        assert second.running
        assert second.client_id == "other"
    assert not first.running
    assert not second.running


def test_stop_releases_the_port():
    emulator = Emulator().start()
    port = emulator.port
    status, response, _ = post(emulator, "/emulator/reset", {})
    assert status == 200
    # werkzeug closes every connection; urllib3 reconnects, so that is harmless.
    assert response.getheader("Connection") == "close"
    emulator.stop()
    with pytest.raises(ConnectionRefusedError):
        post(emulator, "/emulator/reset", {})
    with Emulator(port=port) as again:
        assert again.port == port


def test_port_in_use_raises_oserror():
    with Emulator() as emulator, pytest.raises(OSError, match="could not listen"):
        Emulator(port=emulator.port).start()


def test_reset_forgets_everything(plaid_emulator):
    item = plaid_emulator.state.create_item()
    assert plaid_emulator.state.items
    plaid_emulator.reset()
    assert not plaid_emulator.state.items
    status, _, body = post(plaid_emulator, "/accounts/get", {"access_token": item.access_token})
    assert (status, body["error_code"]) == (400, "INVALID_ACCESS_TOKEN")


def test_fixture_resets_state_between_tests_part_one(plaid_emulator, plaid_emulator_server):
    assert plaid_emulator is plaid_emulator_server
    plaid_emulator.state.create_item()


def test_fixture_resets_state_between_tests_part_two(plaid_emulator):
    assert plaid_emulator.state.items == {}


def test_plugin_imports_no_django_or_werkzeug():
    code = (
        "import sys; import django_plaid.testing.plugin; "
        "bad = [m for m in sys.modules if m.split('.')[0] in ('django', 'werkzeug', 'plaid')"
        " or m.startswith('django_plaid.emulator')]; print(bad); sys.exit(1 if bad else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_package_import_needs_no_django():
    code = (
        "import sys; import django_plaid.emulator; "
        "sys.exit(1 if any(m.split('.')[0] == 'django' for m in sys.modules) else 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=False
    )
    assert result.returncode == 0, result.stderr


def test_command_line_prints_url_and_stops_on_sigterm():
    process = subprocess.Popen(
        [sys.executable, "-m", "django_plaid.emulator", "--port", "0", "--secret", "abc"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        request = urllib.request.Request(
            url + "/institutions/get_by_id",
            data=b'{"institution_id": "ins_109508", "country_codes": ["US"],'
            b' "client_id": "test_client_id", "secret": "abc"}',
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=5) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        stderr = process.stderr.read()
        assert "abc" not in stderr  # never print the secret
        assert "Traceback" not in stderr
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()


@pytest.mark.skipif(os.name != "posix", reason="SIGINT delivery is POSIX-specific")
def test_command_line_stops_on_ctrl_c():
    process = subprocess.Popen(
        [sys.executable, "-m", "django_plaid.emulator", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert process.stdout.readline().startswith("http://")
        time.sleep(0.2)
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0
    finally:
        if process.poll() is None:
            process.kill()
        process.stdout.close()
        process.stderr.close()
