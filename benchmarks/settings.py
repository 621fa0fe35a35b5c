"""Settings of the benchmark server: PostgreSQL, Celery tasks queued to Redis, no worker."""

import os

import dj_database_url

SECRET_KEY = "benchmarks-only"
DEBUG = False
ALLOWED_HOSTS = ["*"]
USE_TZ = True
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "rest_framework",
    "django_plaid",
]
MIDDLEWARE = [
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
]
ROOT_URLCONF = "benchmarks.urls"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/dj_plaid_bench"),
        conn_max_age=600,
    )
}
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "redis://127.0.0.1:6379/15")
CELERY_TASK_ALWAYS_EAGER = False
FIELD_ENCRYPTION_KEY = "nJ2eGD6Lf2TAlQpkuVj1C1kU8v0oyxEhJ2tOQn8-6_o="
PLAID = {
    "CLIENT_ID": "test_client_id",
    "SECRET": "test_secret",
    "ENVIRONMENT": "sandbox",
    "HOST": os.environ.get("PLAID_HOST", "http://127.0.0.1:8765"),
    "CLIENT_NAME": "dj-plaid benchmarks",
}
LOGGING = {"version": 1, "disable_existing_loggers": False, "root": {"level": "WARNING"}}
