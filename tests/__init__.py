"""dj-plaid's test suite.

The suite's Celery app is loaded with its settings, as a host project's is (the
celery.py recipe in docs/installation.md#celery), so every process that reads
tests.settings (pytest, a worker, ``django-admin check``) sends tasks with it.
"""

from .celery import app as celery_app

__all__ = ("celery_app",)
