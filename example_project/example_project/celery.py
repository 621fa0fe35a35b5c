"""The example project's Celery app (tasks run eagerly unless CELERY_BROKER_URL is set)."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "example_project.settings")

app = Celery("example_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# dj-plaid's periodic task (every 5 minutes) for `celery beat`.
from django_plaid.tasks import install_beat_schedule  # noqa: E402

install_beat_schedule(app)
