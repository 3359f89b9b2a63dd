"""Fixtures of the service tests: databases at the newest schema."""

import pytest
from api_support import DATABASES, migrated_database


@pytest.fixture(params=DATABASES)
def sm(request, tmp_path):
    """A session factory on a fresh, migrated database: SQLite, and PostgreSQL when
    ``POSESCORE_TEST_PG_URL`` is set."""
    with migrated_database(request.param, tmp_path) as factory:
        yield factory
