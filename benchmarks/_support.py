"""Shared plumbing of the benchmarks: database, servers, load generation."""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import urllib3

ROOT = Path(__file__).resolve().parent.parent
#: The benchmarks' own database, dropped and recreated by every run: never DATABASE_URL.
POSTGRES_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dj_plaid_bench"
)


def fresh_postgres_database(url: str = POSTGRES_URL) -> None:
    """Drop and create the benchmark database, so every run starts the same."""
    import psycopg

    name = url.rsplit("/", 1)[1]
    if "bench" not in name:
        raise SystemExit(f"refusing to drop {name!r}: a benchmark database's name has 'bench'")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    port: int, env: dict[str, str], workers: int = 2, threads: int = 4
) -> subprocess.Popen[bytes]:
    """Serve benchmarks.wsgi with gunicorn (the same server for every endpoint measured)."""
    process = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "benchmarks.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            f"--workers={workers}",
            "--worker-class=gthread",
            f"--threads={threads}",
            "--log-level=warning",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib3.request("POST", f"http://127.0.0.1:{port}/bare/", timeout=1, retries=False)
            return process
        except urllib3.exceptions.HTTPError:
            time.sleep(0.2)
    process.kill()
    raise RuntimeError("gunicorn did not start")


def hammer(
    url: str,
    requests: int,
    concurrency: int,
    make: Callable[[int], tuple[bytes, dict[str, str]]],
) -> tuple[float, list[int]]:
    """POST ``requests`` bodies from ``concurrency`` threads; returns (seconds, statuses)."""
    pool = urllib3.PoolManager(maxsize=concurrency, retries=False)
    statuses: list[int] = []
    lock = threading.Lock()
    counter = iter(range(requests))

    def worker() -> None:
        while True:
            with lock:
                n = next(counter, None)
            if n is None:
                return
            body, headers = make(n)
            response = pool.request("POST", url, body=body, headers=headers)
            with lock:
                statuses.append(response.status)

    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - started, statuses


def median(values: list[float]) -> float:
    return statistics.median(values)
