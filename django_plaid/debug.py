"""An exception reporter filter that hides marked secrets on Django's DEBUG page too.

Django's ``SafeExceptionReporterFilter`` honours ``sensitive_variables`` and
``sensitive_post_parameters`` only when ``DEBUG`` is off, so the DEBUG error page shows
every local variable, access tokens included. With::

    DEFAULT_EXCEPTION_REPORTER_FILTER = "django_plaid.debug.AlwaysSafeExceptionReporterFilter"

the frames and form fields dj-plaid marks are hidden whatever ``DEBUG`` says.
"""

from __future__ import annotations

from typing import Any

from django.views.debug import SafeExceptionReporterFilter


class AlwaysSafeExceptionReporterFilter(SafeExceptionReporterFilter):
    """``SafeExceptionReporterFilter``, active with ``DEBUG`` on as well."""

    def is_active(self, request: Any) -> bool:
        return True
