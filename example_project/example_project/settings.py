"""Settings of the dj-plaid example project.

By default: SQLite, Celery tasks run eagerly, and Plaid is the built-in emulator on
http://127.0.0.1:8765 (no credentials needed). The environment can override each:
DATABASE_URL, CELERY_BROKER_URL, PLAID_CLIENT_ID / PLAID_SECRET / PLAID_ENVIRONMENT
(real Plaid keys: then the emulator is not used), PLAID_HOST, PLAID_WEBHOOK_URL,
PLAID_LINK_SCRIPT_URL (Link's script: the emulator's simulator offline, Plaid's CDN when
unset), FIELD_ENCRYPTION_KEY.
"""

import os
from pathlib import Path

import dj_database_url
import django

BASE_DIR = Path(__file__).resolve().parent.parent

SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY", "example-project-not-secret")
DEBUG = os.environ.get("DJANGO_DEBUG", "1") == "1"
ALLOWED_HOSTS = ["*"]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "django_plaid",
    "plaid_demo",  # the demo's front end (plaid_demo/), a client of django_plaid's API
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "example_project.urls"
WSGI_APPLICATION = "example_project.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
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
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}", conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The demo serves requests and webhooks on several threads: writers wait for each
    # other (timeout) and take the write lock up front (IMMEDIATE), since SQLite cannot
    # upgrade a reader to a writer while another writer holds the database.
    DATABASES["default"]["OPTIONS"] = {"timeout": 20}
    if django.VERSION >= (5, 1):
        DATABASES["default"]["OPTIONS"].update(
            transaction_mode="IMMEDIATE", init_command="PRAGMA journal_mode=WAL;"
        )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

USE_TZ = True
TIME_ZONE = "UTC"
STATIC_URL = "static/"
# runserver serves the apps' static files (demo.js, django_plaid/link.js) in DEBUG.
LOGIN_URL = "plaid_demo:login"
LOGIN_REDIRECT_URL = "plaid_demo:home"
LOGOUT_REDIRECT_URL = "plaid_demo:login"

# Celery: eager (in-process) unless a broker is configured.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "memory://")
CELERY_TASK_ALWAYS_EAGER = "CELERY_BROKER_URL" not in os.environ
CELERY_TASK_EAGER_PROPAGATES = False

# Encrypts Plaid access tokens at rest. This default is for the demo only.
FIELD_ENCRYPTION_KEY = os.environ.get(
    "FIELD_ENCRYPTION_KEY", "Zm9yLXRoZS1kZW1vLW9ubHktbm90LWEtc2VjcmV0LTA="
)

if os.environ.get("PLAID_CLIENT_ID"):
    # Real Plaid (sandbox keys, or production).
    PLAID = {
        "CLIENT_ID": os.environ["PLAID_CLIENT_ID"],
        "SECRET": os.environ.get("PLAID_SECRET", ""),
        "ENVIRONMENT": os.environ.get("PLAID_ENVIRONMENT", "sandbox"),
    }
else:
    # The built-in emulator (`make demo` starts it).
    PLAID = {
        "CLIENT_ID": "test_client_id",
        "SECRET": "test_secret",
        "ENVIRONMENT": "sandbox",
        "HOST": os.environ.get("PLAID_HOST", "http://127.0.0.1:8765"),
    }
    if os.environ.get("PLAID_LINK_SCRIPT_URL"):
        # The emulator's Link simulator (scripts/demo.py sets it): Link in the browser,
        # offline. Unset, the page loads Plaid's own script from Plaid's CDN.
        PLAID["LINK_SCRIPT_URL"] = os.environ["PLAID_LINK_SCRIPT_URL"]
PLAID.update(
    {
        "CLIENT_NAME": "dj-plaid example",
        # A Link token asks for PRODUCTS unless the request names its own (the demo's page
        # does: the products ticked next to "Link a bank account"), which must be in
        # ALLOWED_PRODUCTS. The demo allows every product dj-plaid stores, and payroll
        # income ("Verify income", a token of its own).
        "PRODUCTS": ["transactions"],
        "ALLOWED_PRODUCTS": [
            "transactions",
            "auth",
            "identity",
            "investments",
            "liabilities",
            "income_verification",
        ],
        # Account numbers and identity data stay masked in the API, even for the demo user
        # (a superuser, whom the default policy would show clear values): the page never
        # needs them. The admin shows them to staff with the permission.
        "SENSITIVE_DATA_ACCESS": "plaid_demo.access.masked_for_everyone",
        "WEBHOOK_URL": os.environ.get("PLAID_WEBHOOK_URL") or None,
    }
)

REST_FRAMEWORK = {
    # Basic auth lets `curl -u demo:demo` try the API; a real app would use tokens.
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.BasicAuthentication",
    ],
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django_plaid": {"handlers": ["console"], "level": "INFO"}},
}
