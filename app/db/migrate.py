"""Bring a database to the current schema with Alembic (used by the app, the tests and the CLI).

``upgrade_to_head(url)`` is idempotent: on a database already at head it does nothing.
``schema_drift(url)`` lists the differences autogenerate finds between the models and the
database (empty when the migrations describe the models exactly).
"""

from __future__ import annotations

import contextlib
import importlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import create_engine
from sqlalchemy.pool import NullPool
from sqlmodel import SQLModel

from app.db.session import ensure_sqlite_directory

# Inside the package, so an installed (non-editable) package finds them (the Docker image).
MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def register_tables() -> None:
    """Import every module that declares tables (the API's auth and audit-job tables when
    present)."""
    importlib.import_module("app.db.tables")
    with contextlib.suppress(ModuleNotFoundError):
        importlib.import_module("app.db.tables_auth")
    with contextlib.suppress(ModuleNotFoundError):
        importlib.import_module("app.db.tables_jobs")
    with contextlib.suppress(ModuleNotFoundError):
        importlib.import_module("app.db.tables_people")
    with contextlib.suppress(ModuleNotFoundError):
        importlib.import_module("app.db.tables_receipts")
    with contextlib.suppress(ModuleNotFoundError):
        importlib.import_module("app.db.tables_free_text")


def alembic_config(url: str) -> Config:
    """Alembic's config pointed at ``url`` and at the package's own migrations (no
    alembic.ini needed: that file is for developers' ``alembic revision``)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    config.attributes["configure_logger"] = False
    return config


def upgrade_to_head(url: str) -> None:
    """Apply every migration not yet applied to the database at ``url``."""
    ensure_sqlite_directory(url)  # the first `caisse serve` of a fresh checkout has no var/
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.begin() as connection:
            config = alembic_config(url)
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    finally:
        engine.dispose()


def schema_drift(url: str) -> list[Any]:
    """Autogenerate's diff between SQLModel.metadata and the database (empty = no drift)."""
    register_tables()
    engine = create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "target_metadata": SQLModel.metadata}
            )
            return list(compare_metadata(context, SQLModel.metadata))
    finally:
        engine.dispose()
