from io import StringIO

import pytest
from django.core.management import call_command


@pytest.mark.django_db
def test_models_and_migrations_do_not_drift():
    out = StringIO()
    try:
        call_command("makemigrations", "django_plaid", check=True, dry_run=True, stdout=out)
    except SystemExit:  # pragma: no cover - the failure path
        pytest.fail("Models changed without a migration:\n" + out.getvalue())
