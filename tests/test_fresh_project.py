"""Installation as written: a new ``django-admin startproject``, set up by README
"Installation" and docs/installation.md alone, links Items through a real Celery worker.

The project is made in a temporary folder with this virtualenv's ``django-admin``, then
the code blocks of docs/installation.md are applied as the guide says to read them (a
block whose first line is ``# mysite/<file>`` is that file; ``, at the end`` adds it to
the end; ``: <label>`` is one of several choices). Nothing else is written into the
project: when the docs change, this test runs the new text. The environment variables
the blocks read are set to the emulator's credentials, a new Fernet key, the broker and
the database.

Which CI run has which variant (each runs once): development without a broker (eager,
SQLite, needs nothing) in the SQLite run (``make test``); the two real-worker variants
(SQLite and PostgreSQL, both over Redis) in the PostgreSQL run (``make test-postgres``),
with the suite's other real-worker tests, where ``DJ_PLAID_REQUIRE_WORKER_TESTS=1``
turns a missing Redis or PostgreSQL into a failure instead of a skip.
"""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
import zipfile
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import django
import pytest
import urllib3
from cryptography.fernet import Fernet

from django_plaid.emulator.server import DEFAULT_CLIENT_ID, DEFAULT_SECRET

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
GUIDE = ROOT / "docs" / "installation.md"
BIN = Path(sys.executable).parent
# Parallel runs on one machine (several checkouts) pick their own Redis database.
BROKER = os.environ.get("DJ_PLAID_TEST_BROKER", "redis://127.0.0.1:6379/12")
SUITE_DATABASE_URL = os.environ.get("DATABASE_URL", "")
ON_POSTGRES_RUN = SUITE_DATABASE_URL.startswith("postgres")
REQUIRED = bool(os.environ.get("DJ_PLAID_REQUIRE_WORKER_TESTS"))
# The stock SQLite project lost 3 of 8 concurrent exchanges to "database is locked".
CONCURRENT_LINKS = 8
SYNC_TIMEOUT = 120.0

# The guide's choices, by label. A label the docs add or rename fails
# test_the_guide_offers_the_choices_this_test_knows, so this list is kept in step.
DATABASES = ("SQLite", "PostgreSQL")
TASKS = ("development without a broker", "Redis", "RabbitMQ")
OTHER_LABELS = ("offline",)


# ---------------------------------------------------------------------------
# The docs' code blocks
# ---------------------------------------------------------------------------

FENCE = re.compile(r"^```(?P<lang>\w*)\n(?P<body>.*?)^```\s*$", re.M | re.S)
HEADER = re.compile(
    r"^# (?P<path>mysite/[\w/]+\.py)(?P<append>, at the end)?(?:: (?P<label>[^#]+?))?\s*$"
)


@dataclass(frozen=True)
class Block:
    """A code block that names its file on its first line."""

    path: str
    append: bool
    label: str | None
    text: str
    where: str


def file_blocks(markdown: Path, section: str | None = None) -> list[Block]:
    """The blocks of ``markdown`` (of its ``## section`` only, if given) in order."""
    text = markdown.read_text()
    start, end = 0, len(text)
    if section is not None:
        start = text.index(f"\n## {section}\n")
        following = text.find("\n## ", start + 1)
        end = following if following != -1 else len(text)
    blocks = []
    for fence in FENCE.finditer(text, start, end):
        header = HEADER.match(fence["body"].partition("\n")[0])
        if fence["lang"] == "python" and header is not None:
            line = text.count("\n", 0, fence.start()) + 1
            blocks.append(
                Block(
                    path=header["path"],
                    append=bool(header["append"]),
                    label=header["label"],
                    text=fence["body"],
                    where=f"{markdown.relative_to(ROOT)}:{line}",
                )
            )
    return blocks


def apply_guide(project: Path, *, database: str, tasks: str) -> list[Block]:
    """Write the guide's blocks into ``project`` for these choices; the blocks applied."""
    choices = {database, tasks, *OTHER_LABELS}
    applied = [b for b in file_blocks(GUIDE) if b.label is None or b.label in choices]
    missing = choices - {b.label for b in applied}
    assert not missing, f"docs/installation.md has no block labelled {missing}"
    written: set[str] = set()
    for block in applied:
        target = project / block.path
        if block.append:
            assert target.exists(), f"{block.where} adds to {block.path}, which does not exist"
            with target.open("a") as f:
                f.write(f"\n# From {block.where}\n{block.text}")
        else:
            assert block.path not in written, f"{block.where} writes {block.path} again"
            target.write_text(block.text)
        written.add(block.path)
    return applied


ENV_NAME = re.compile(r"""os\.environ(?:\.get\(|\[)\s*["'](\w+)["']""")


def documented_environment(blocks: list[Block], values: dict[str, str]) -> dict[str, str]:
    """The variables the applied blocks read, with this test's value for each."""
    names = {name for b in blocks for name in ENV_NAME.findall(b.text)}
    unknown = names - values.keys()
    assert not unknown, f"the docs read {sorted(unknown)}: give this test a value for them"
    return {name: values[name] for name in names}


def test_the_readme_blocks_are_the_guides():
    """README "Installation" shows the guide's own blocks, word for word."""
    readme = file_blocks(README, "Installation")
    guide = {(b.path, b.append, b.label, b.text) for b in file_blocks(GUIDE)}
    assert {b.path for b in readme} >= {
        "mysite/settings.py",
        "mysite/urls.py",
        "mysite/celery.py",
        "mysite/__init__.py",
    }
    for block in readme:
        assert (block.path, block.append, block.label, block.text) in guide, (
            f"{block.where} differs from docs/installation.md"
        )


def test_the_guide_offers_the_choices_this_test_knows():
    labels = {b.label for b in file_blocks(GUIDE)} - {None}
    assert labels == {*DATABASES, *TASKS, *OTHER_LABELS}
    for block in file_blocks(GUIDE):
        compile(block.text, block.where, "exec")  # each block is valid Python on its own


def test_the_urls_snippet_imports_what_it_uses():
    (urls,) = [b for b in file_blocks(README, "Installation") if b.path == "mysite/urls.py"]
    assert "from django.urls import include, path" in urls.text


# ---------------------------------------------------------------------------
# The wheel
# ---------------------------------------------------------------------------


@pytest.mark.skipif(ON_POSTGRES_RUN, reason="runs once, in the SQLite run (make test)")
def test_the_wheel_ships_every_file_of_the_package(tmp_path):
    """What `make dist` builds (sdist, then the wheel from it) holds every file of the
    package that git tracks: the code, migrations, templates, static files, py.typed,
    the emulator's Link UI. Built offline (--no-isolation: the backend is installed)."""
    build = subprocess.run(
        [sys.executable, "-m", "build", "--no-isolation", "--outdir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert build.returncode == 0, build.stdout + build.stderr
    (wheel,) = tmp_path.glob("dj_plaid-*-py3-none-any.whl")
    (sdist,) = tmp_path.glob("dj_plaid-*.tar.gz")
    names = set(zipfile.ZipFile(wheel).namelist())
    print(f"{wheel.name} ({len(names)} files), {sdist.name}")
    for name in sorted(n for n in names if not n.endswith(".py")):
        print("  ", name)
    tracked = subprocess.run(
        ["git", "ls-files", "django_plaid"], cwd=ROOT, capture_output=True, text=True, check=False
    )
    if tracked.returncode != 0:
        pytest.skip("not a git checkout: no list of the package's files to compare")
    expected = set(tracked.stdout.split())
    assert expected - names == set()
    for needed in (
        "django_plaid/py.typed",
        "django_plaid/migrations/0001_initial.py",
        "django_plaid/static/django_plaid/link.js",
        "django_plaid/emulator/link_ui/link.html",
        "django_plaid/templates/admin/django_plaid/item/remove_at_plaid_confirmation.html",
    ):
        assert needed in names
    assert not [n for n in names if n.startswith(("tests/", "example_project/"))]
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)


# ---------------------------------------------------------------------------
# The project and its processes
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Process:
    """A process of the project (server, worker, emulator), its output in a log file."""

    def __init__(
        self, name: str, args: list[str], project: Project, *, read_stdout: bool = False
    ) -> None:
        self.name = name
        self.log = project.logs / f"{name}.log"
        self._log = self.log.open("wb")
        self.popen = subprocess.Popen(
            args,
            cwd=project.dir,
            env=project.env,
            stdout=subprocess.PIPE if read_stdout else self._log,
            stderr=self._log,
            start_new_session=True,  # its own process group: stopping it stops its children
        )

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(10)
        self._log.close()

    def tail(self, lines: int = 40) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


class Project:
    """A `startproject` in a temporary folder, and what runs it."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.dir = folder / "mysite"
        self.logs = folder / "logs"
        self.logs.mkdir()
        self.env: dict[str, str] = {}
        self.processes: list[Process] = []
        self.timings: dict[str, float] = {}
        self._started = time.monotonic()

    def lap(self, phase: str) -> None:
        now = time.monotonic()
        self.timings[phase] = round(now - self._started, 1)

    def run(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            args,
            cwd=self.dir if self.dir.exists() else self.folder,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        assert done.returncode == 0, f"{args} failed:\n{done.stdout}\n{done.stderr}"
        return done

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        return self.run(sys.executable, "manage.py", *args)

    def start(self, name: str, *args: str, read_stdout: bool = False) -> Process:
        process = Process(name, list(args), self, read_stdout=read_stdout)
        self.processes.append(process)
        return process

    def stop_all(self) -> None:
        for process in reversed(self.processes):
            process.stop()


def clean_environment() -> dict[str, str]:
    """This process's environment without the suite's own settings and coverage hooks."""
    drop = ("DJANGO_SETTINGS_MODULE", "DATABASE_URL", "CELERY_BROKER_URL", "DJ_PLAID_TEST_PLAID")
    return {k: v for k, v in os.environ.items() if k not in drop and not k.startswith("COV_CORE_")}


def postgres_server() -> dict[str, str]:
    """Where the suite's PostgreSQL is (its DATABASE_URL, or the local default)."""
    url = urlsplit(SUITE_DATABASE_URL if ON_POSTGRES_RUN else "postgres://postgres@127.0.0.1:5432/")
    return {
        "POSTGRES_USER": url.username or "postgres",
        "POSTGRES_PASSWORD": url.password or "",
        "POSTGRES_HOST": url.hostname or "127.0.0.1",
        "POSTGRES_PORT": str(url.port or 5432),
    }


def _connect_admin_db() -> Any:
    import psycopg

    server = postgres_server()
    return psycopg.connect(
        host=server["POSTGRES_HOST"],
        port=int(server["POSTGRES_PORT"]),
        user=server["POSTGRES_USER"],
        password=server["POSTGRES_PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
        connect_timeout=2,
    )


def _redis_up() -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(BROKER, socket_timeout=1).ping())
    except Exception:
        return False


def _postgres_up() -> bool:
    try:
        _connect_admin_db().close()
        return True
    except Exception:
        return False


def needs(service: str, up: bool) -> None:
    """Skip without ``service``, or fail when CI requires the real-worker tests."""
    if up:
        return
    message = f"{service} is not reachable"
    if REQUIRED:
        pytest.fail(f"{message} (DJ_PLAID_REQUIRE_WORKER_TESTS=1)")
    pytest.skip(message)


@pytest.fixture
def postgres_database() -> Iterator[str]:
    """A database of the test's own on the suite's PostgreSQL server, dropped afterwards."""
    name = f"dj_i11_fresh_{uuid.uuid4().hex[:10]}"
    with _connect_admin_db() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with _connect_admin_db() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def project(tmp_path) -> Iterator[Project]:
    made = Project(tmp_path)
    yield made
    made.stop_all()
    for process in made.processes:
        print(f"--- {process.name} (last lines)\n{process.tail()}")


# ---------------------------------------------------------------------------
# Over HTTP, as a client and as Plaid Link would
# ---------------------------------------------------------------------------

http = urllib3.PoolManager(timeout=urllib3.Timeout(total=60), retries=False)


def call(method: str, url: str, body: Any = None, user: str | None = None) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json"}
    if user:
        headers.update(urllib3.make_headers(basic_auth=f"{user}:{PASSWORD}"))
    response = http.request(
        method, url, body=None if body is None else json.dumps(body), headers=headers
    )
    try:
        return response.status, json.loads(response.data or b"null")
    except ValueError:
        return response.status, response.data.decode(errors="replace")[:2000]


def wait_until(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")


PASSWORD = "a-long-test-password"
STATE = """
import json
from django_plaid.models import Account, Item, Transaction, WebhookEvent
from mysite.celery import app
print(json.dumps({
    "beat_schedule": sorted(app.conf.beat_schedule),
    "items": [
        {
            "user": item.owner.get_username(),
            "status": item.status,
            "accounts": Account.objects.filter(item=item).count(),
            "transactions": Transaction.objects.filter(item=item).count(),
        }
        for item in Item.objects.select_related("owner").order_by("pk")
    ],
    "webhooks": sorted(WebhookEvent.objects.values_list("status", flat=True)),
}))
"""


def state(project: Project) -> dict[str, Any]:
    return json.loads(project.manage("shell", "-c", STATE).stdout.strip().splitlines()[-1])


# ---------------------------------------------------------------------------
# The variants
# ---------------------------------------------------------------------------

WORKER_VARIANTS = [
    pytest.param("SQLite", "Redis", id="sqlite-redis-worker"),
    pytest.param("PostgreSQL", "Redis", id="postgresql-redis-worker"),
]


@pytest.mark.fresh_project
@pytest.mark.celery_worker
@pytest.mark.skipif(
    not ON_POSTGRES_RUN,
    reason="the real-worker variants run in the PostgreSQL run (make test-postgres)",
)
@pytest.mark.parametrize(("database", "tasks"), WORKER_VARIANTS)
def test_a_new_project_links_items_through_a_real_worker(project, database, tasks, request):
    needs("Redis at " + BROKER, _redis_up())
    if database == "PostgreSQL":
        needs("PostgreSQL", _postgres_up())
        name = request.getfixturevalue("postgres_database")
    else:
        name = ""
    follow_the_guide(project, database=database, tasks=tasks, postgres_db=name)


@pytest.mark.fresh_project
@pytest.mark.skipif(ON_POSTGRES_RUN, reason="runs once, in the SQLite run (make test)")
def test_a_new_project_links_items_without_a_broker(project):
    follow_the_guide(project, database="SQLite", tasks="development without a broker")


def follow_the_guide(project: Project, *, database: str, tasks: str, postgres_db: str = "") -> None:
    """startproject, the guide's blocks, check, migrate; then link Items over HTTP."""
    if database == "SQLite" and django.VERSION < (5, 1):
        pytest.skip("the guide's SQLite options need Django 5.1 (older: PostgreSQL, W005)")
    project.env = clean_environment()
    project.run(str(BIN / "django-admin"), "startproject", "mysite")
    project.lap("startproject")
    applied = apply_guide(project.dir, database=database, tasks=tasks)

    emulator = project.start(
        "emulator", sys.executable, "-m", "django_plaid.emulator", "--port", "0", read_stdout=True
    )
    assert emulator.popen.stdout is not None
    emulator_url = emulator.popen.stdout.readline().decode().strip()
    assert emulator_url.startswith("http://127.0.0.1:"), emulator.tail()

    uses_broker = tasks != "development without a broker"
    project.env.update(
        documented_environment(
            applied,
            {
                # The Offline section: the emulator's credentials, HOST at the emulator.
                "PLAID_CLIENT_ID": DEFAULT_CLIENT_ID,
                "PLAID_SECRET": DEFAULT_SECRET,
                "PLAID_HOST": emulator_url,
                "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
                "CELERY_BROKER_URL": BROKER,
                "POSTGRES_DB": postgres_db,
                **postgres_server(),
            },
        )
    )
    if uses_broker:
        import redis

        redis.Redis.from_url(BROKER).flushdb()

    check = project.manage("check")
    print("$ python manage.py check\n" + check.stdout + check.stderr)
    assert "System check identified no issues" in check.stdout + check.stderr
    project.manage("migrate")
    project.lap("check and migrate")

    users = [f"user{i}" for i in range(CONCURRENT_LINKS)]
    project.manage(  # one password hash for all: each costs a good fraction of a second
        "shell",
        "-c",
        "from django.contrib.auth import get_user_model\n"
        "from django.contrib.auth.hashers import make_password\n"
        f"hashed = make_password({PASSWORD!r})\n"
        "User = get_user_model()\n"
        f"User.objects.bulk_create([User(username=n, password=hashed) for n in {users!r}])",
    )
    port = free_port()
    site = f"http://127.0.0.1:{port}"
    server = project.start(
        "runserver", sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"
    )
    if uses_broker:
        # The guide's commands, from the directory of manage.py.
        beat = project.start("beat", str(BIN / "celery"), "-A", "mysite", "beat", "-l", "info")
        worker = project.start(
            "worker", str(BIN / "celery"), "-A", "mysite", "worker", "-l", "info"
        )

    def answers() -> bool:
        assert server.popen.poll() is None, server.tail()
        try:
            return call("GET", f"{site}/plaid/items/")[0] > 0
        except urllib3.exceptions.HTTPError:
            return False

    wait_until(answers, 30, "runserver")
    project.lap("users, server and worker started")

    # Link: a Link token, Link's public token (from the emulator, with this server as
    # the Item's webhook URL, so the post-link webhooks flow), the exchange; all at once.
    public_tokens = {}
    for user in users:
        status, body = call("POST", f"{site}/plaid/link-token/", {}, user=user)
        assert status in (200, 201), body
        status, body = call(
            "POST",
            f"{emulator_url}/sandbox/public_token/create",
            {
                "client_id": DEFAULT_CLIENT_ID,
                "secret": DEFAULT_SECRET,
                "institution_id": "ins_109508",
                "initial_products": ["transactions"],
                "options": {"webhook": f"{site}/plaid/webhook/"},
            },
        )
        assert status == 200, body
        public_tokens[user] = body["public_token"]

    start = threading.Barrier(len(users))

    def exchange(user: str) -> tuple[int, Any]:
        start.wait()
        body = {"public_token": public_tokens[user], "metadata": {}}
        return call("POST", f"{site}/plaid/exchange/", body, user=user)

    with ThreadPoolExecutor(len(users)) as pool:
        answered = dict(zip(users, pool.map(exchange, users), strict=True))
    failed = {u: a for u, a in answered.items() if a[0] != 201}
    assert not failed, f"{len(failed)} of {len(users)} exchanges failed: {failed}"
    for _, item in answered.values():
        assert item["status"] == "healthy"
        assert len(item["accounts"]) == 12
    project.lap(f"{len(users)} concurrent exchanges")

    def synced(user: str) -> bool:
        status, body = call("GET", f"{site}/plaid/transactions/?page_size=1", user=user)
        assert status == 200, body
        return bool(body["results"])

    for user in users:
        wait_until(lambda user=user: synced(user), SYNC_TIMEOUT, f"{user}'s transactions")
    project.lap("transactions synced")

    for user in users:
        status, items = call("GET", f"{site}/plaid/items/", user=user)
        assert status == 200, items
        (item,) = items if isinstance(items, list) else items["results"]
        assert len(item["accounts"]) == 12

    # Nothing half-done: every Item has its accounts and transactions, and every webhook
    # Plaid sent was stored and processed (by the worker, or eagerly).
    def settled() -> bool:
        now = state(project)
        return bool(now["webhooks"]) and set(now["webhooks"]) == {"processed"}

    wait_until(settled, SYNC_TIMEOUT, "every webhook event processed")
    final = state(project)
    assert len(final["items"]) == len(users)
    assert {i["user"] for i in final["items"]} == set(users)
    for item in final["items"]:
        assert item["status"] == "healthy", item
        assert item["accounts"] == 12, item
        assert item["transactions"] > 0, item
    project.lap("webhooks processed")
    assert final["beat_schedule"] == ["django-plaid-maintenance"]  # install_beat_schedule(app)
    if uses_broker:
        assert worker.popen.poll() is None, worker.tail()
        assert "django_plaid.sync_item" in worker.log.read_text(), worker.tail()
        assert beat.popen.poll() is None, beat.tail()
        assert "beat: Starting..." in beat.log.read_text(), beat.tail()
    print(f"{database}, {tasks}: {json.dumps(project.timings)}")
