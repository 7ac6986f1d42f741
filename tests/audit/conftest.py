"""Per-test migrated databases: the shared fixtures of tests/fixtures_db.py."""

from tests.fixtures_db import *  # noqa: F403  (re-export every shared fixture)
