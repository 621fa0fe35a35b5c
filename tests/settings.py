"""Settings for dj-plaid's test suite: SQLite by default, PostgreSQL with DATABASE_URL."""

from __future__ import annotations

import json
import os
import tempfile

import dj_database_url
import django

SECRET_KEY = "tests-only-not-secret"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
TIME_ZONE = "UTC"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # The live server of the browser tests serves dj-plaid's static files (link.js).
    "django.contrib.staticfiles",
    "rest_framework",
    "django_plaid",
]

MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]

ROOT_URLCONF = "tests.urls"
STATIC_URL = "/static/"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "sqlite:///:memory:"), conn_max_age=0
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not shared-cache memory: concurrency tests (threads, a live server) need
    # SQLite's real locking, where a writer waits for another instead of failing at once.
    # (The live server shares connections for in-memory SQLite, so NAME is a file too.)
    _name = os.path.join(tempfile.gettempdir(), f"dj_plaid_tests_{os.getpid()}.sqlite3")
    DATABASES["default"]["NAME"] = _name
    DATABASES["default"]["TEST"] = {"NAME": _name}
    DATABASES["default"]["OPTIONS"] = {"timeout": 30}
    if django.VERSION >= (5, 1):
        # Take the write lock up front: SQLite cannot upgrade a reader to a writer while
        # another connection writes (the example project does the same).
        DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"

CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Tasks run inline in tests; the real-worker tests start workers with a broker URL
# in the environment, and those workers read it here.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = "CELERY_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = True
# A worker killed mid-task gets its task back quickly (the default is an hour).
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 5}
CELERY_WORKER_PREFETCH_MULTIPLIER = 1

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]

FIELD_ENCRYPTION_KEY = "nJ2eGD6Lf2TAlQpkuVj1C1kU8v0oyxEhJ2tOQn8-6_o="

# The emulator fixture points HOST at a live emulator; these are its credentials.
PLAID = {
    "CLIENT_ID": "test_client_id",
    "SECRET": "test_secret",
    "ENVIRONMENT": "sandbox",
    "HOST": "http://127.0.0.1:9",
    "CLIENT_NAME": "dj-plaid tests",
    "REQUEST_TIMEOUT": 5,
    # A real worker started by the tests gets the emulator and any overrides this way.
    **json.loads(os.environ.get("DJ_PLAID_TEST_PLAID", "{}")),
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"null": {"class": "logging.NullHandler"}},
    "root": {"handlers": ["null"], "level": "DEBUG"},
}
