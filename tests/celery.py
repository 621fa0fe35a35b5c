"""The test suite's Celery app, configured from Django settings (CELERY_* keys).

Tasks run eagerly unless CELERY_BROKER_URL is set (the real-worker tests set it).
"""

from celery import Celery

app = Celery("tests")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.set_default()
app.autodiscover_tasks(["django_plaid"])
