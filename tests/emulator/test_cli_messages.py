"""What the emulator's command line and the demo say when they cannot start: one line each."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from django_plaid.emulator import MISSING_EXTRA

ROOT = Path(__file__).resolve().parents[2]

# Runs the emulator's command line with every ``werkzeug`` import failing, as in an
# environment without the ``emulator`` extra.
_WITHOUT_WERKZEUG = """
import runpy, sys

class NoWerkzeug:
    def find_spec(self, name, path=None, target=None):
        if name == "werkzeug" or name.startswith("werkzeug."):
            raise ModuleNotFoundError(f"No module named {name!r}", name=name)
        return None

sys.meta_path.insert(0, NoWerkzeug())
sys.argv = ["python -m django_plaid.emulator", *sys.argv[1:]]
runpy.run_module("django_plaid.emulator", run_name="__main__", alter_sys=True)
"""


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture
def held_port() -> Iterator[int]:
    """A port some other program listens on."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def test_without_werkzeug_the_command_line_says_what_to_install():
    result = _run("-c", _WITHOUT_WERKZEUG, "--port", "0")
    assert result.returncode == 1
    assert result.stderr == f"error: {MISSING_EXTRA}\n"
    assert 'pip install "dj-plaid[emulator]"' in result.stderr


def test_a_taken_port_names_it_and_the_option(held_port):
    result = _run("-m", "django_plaid.emulator", "--port", str(held_port))
    assert result.returncode == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"error: Plaid emulator could not listen on 127.0.0.1:{held_port}: port {held_port} "
        "is already in use by another program. Choose another port with --port "
        "(e.g. --port 8866).\n"
    )


@pytest.mark.parametrize(
    ("which", "variable"), [("--emulator-port", "EMULATOR_PORT"), ("--port", "DEMO_PORT")]
)
def test_the_demo_names_the_taken_port_and_the_make_variable(held_port, tmp_path, which, variable):
    other = "--port" if which == "--emulator-port" else "--emulator-port"
    with socket.socket() as free:
        free.bind(("127.0.0.1", 0))
        free_port = free.getsockname()[1]
    result = _run(
        "scripts/demo.py",
        which,
        str(held_port),
        other,
        str(free_port),
        "--emulator-state",
        str(tmp_path / "state.json"),
        env={"DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}", "PLAID_CLIENT_ID": ""},
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"port {held_port} " in lines[0]
    assert "is already in use" in lines[0]
    assert f"make demo {variable}=" in lines[0]
    # Nothing was started or migrated.
    assert not (tmp_path / "db.sqlite3").exists()
    assert not (tmp_path / "state.json").exists()
