"""End-to-end tests get a private migrated database (tests/fixtures_db.py): a SQLite file, or
a PostgreSQL schema when ``CAISSE_TEST_DATABASE`` is a ``postgresql`` URL."""

from __future__ import annotations

from tests.fixtures_db import db_url, postgres_schema, sqlite_template

__all__ = ["db_url", "postgres_schema", "sqlite_template"]
