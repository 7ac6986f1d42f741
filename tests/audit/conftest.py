"""Per-test migrated databases (see tests/fixtures_db.py)."""

from tests.fixtures_db import db_url, empty_db_url, engine, sqlite_template

__all__ = ["db_url", "empty_db_url", "engine", "sqlite_template"]
