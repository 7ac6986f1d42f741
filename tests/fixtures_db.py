"""Database fixtures shared by tests/db and tests/services: a migrated database per test.

SQLite by default (a copy of one migrated template file per test, so each test starts from
an empty migrated schema in milliseconds). When ``CAISSE_TEST_DATABASE`` is a PostgreSQL
URL, a schema of that database (search_path points at it) is migrated once per session and
emptied before each test; ``empty_db_url`` gives a fresh, unmigrated schema per test.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import Engine
from sqlalchemy.pool import NullPool

from app.db.migrate import upgrade_to_head
from app.db.session import make_engine
from app.db.settings import Settings

TEST_DATABASE = os.environ.get("CAISSE_TEST_DATABASE", "").strip()


def on_postgres() -> bool:
    return TEST_DATABASE.startswith("postgresql")


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("template") / "template.db"
    upgrade_to_head(f"sqlite:///{path}")
    return path


@pytest.fixture(scope="session")
def postgres_schema() -> Iterator[str]:
    """One schema migrated once per test session (worker); tests empty it between them."""
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(TEST_DATABASE, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in TEST_DATABASE else "?"
    url = f"{TEST_DATABASE}{separator}options=-csearch_path%3D{schema}"
    try:
        upgrade_to_head(url)
        yield url
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def _empty_all_tables(url: str) -> None:
    """Truncate every table but alembic_version. The append-only triggers are bypassed for
    this one statement by the replica role (tests only; needs a superuser)."""
    eng = create_engine(url, poolclass=NullPool)
    with eng.begin() as conn:
        names = [n for n in inspect(conn).get_table_names() if n != "alembic_version"]
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE"))
    eng.dispose()


@pytest.fixture()
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """URL of an empty database migrated to head, private to this test."""
    if not on_postgres():
        template: Path = request.getfixturevalue("sqlite_template")
        target = tmp_path / "caisse.db"
        shutil.copyfile(template, target)
        yield f"sqlite:///{target}"
        return
    url: str = request.getfixturevalue("postgres_schema")
    _empty_all_tables(url)
    yield url


@pytest.fixture()
def empty_db_url(tmp_path: Path) -> Iterator[str]:
    """URL of an EMPTY database (no tables), private to this test."""
    if not on_postgres():
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    schema = f"t_{uuid.uuid4().hex[:16]}"
    admin = create_engine(TEST_DATABASE, poolclass=NullPool)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    separator = "&" if "?" in TEST_DATABASE else "?"
    try:
        yield f"{TEST_DATABASE}{separator}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@pytest.fixture()
def engine(db_url: str) -> Iterator[Engine]:
    """The application's engine (WAL + BEGIN IMMEDIATE on SQLite) on the test database."""
    eng = make_engine(Settings(database_url=db_url))
    try:
        yield eng
    finally:
        eng.dispose()
