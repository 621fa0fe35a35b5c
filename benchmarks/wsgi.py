import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "benchmarks.settings")

from benchmarks.celery import app as celery_app  # noqa: F401  (tasks go to Redis)

application = get_wsgi_application()
