"""The API on a private migrated database per test (tests/fixtures_db.py).

SQLite by default (a copy of a migrated template file); when ``CAISSE_TEST_DATABASE`` is a
PostgreSQL URL, a schema of that database migrated once per session, emptied before each
test and dropped at the end. ``client``
re-raises any unexpected server error, so a test that provokes a 500 fails loudly.
``tokens`` holds one token per role (member ``hh_own``, merchant ``m_own``).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from app.api.app import create_app
from app.db.settings import Settings
from tests.api.support import Tokens
from tests.fixtures_db import db_url, postgres_schema, sqlite_template

__all__ = ["api", "client", "db_url", "postgres_schema", "sqlite_template", "tokens"]


@pytest.fixture()
def api(db_url: str) -> Iterator[FastAPI]:
    app = create_app(Settings(database_url=db_url))
    try:
        yield app
    finally:
        app.state.db_engine.dispose()


@pytest.fixture()
def client(api: FastAPI) -> Iterator[TestClient]:
    # The API speaks French by default; these tests read its English texts (the French ones
    # are in tests/api/test_languages.py).
    with TestClient(api, headers={"Accept-Language": "en"}) as test_client:
        yield test_client


@pytest.fixture()
def tokens(api: FastAPI) -> Tokens:
    return Tokens.standard(api)
