"""Database engines and the unit of work.

One transaction per command: callers use ``unit_of_work(engine)``, which commits once on
success and rolls back everything on any error, so no command is ever half applied.
SQLite runs in WAL mode with foreign keys on and a busy timeout; writers are serialised by
``BEGIN IMMEDIATE`` (single writer); ``read_only(engine)`` begins DEFERRED instead (reads
see a snapshot and never wait for the writer). PostgreSQL relies on the services' locks.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlmodel import Session, create_engine

from app.db.settings import Settings

READ_ONLY_OPTION = "caisse_read_only"


def ensure_sqlite_directory(url: str) -> None:
    """Create the directory of a SQLite file URL if it is missing (SQLite creates the file,
    not its directory): a fresh checkout has no ``var/``."""
    path = url.split("///", 1)[1] if url.startswith("sqlite") and "///" in url else ""
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)


def make_engine(settings: Settings, **kwargs: Any) -> Engine:
    """Create the SQLAlchemy engine for ``settings.database_url``."""
    url = settings.database_url
    if url.startswith("sqlite"):
        ensure_sqlite_directory(url)
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs
        )
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_pre_ping", True)
    return create_engine(url, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy, not the driver, decide when transactions begin.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        # 64 MiB of page cache (default 2 MiB): a month run inserts into the posting and
        # entry indexes of a whole fund, whose pages otherwise leave the cache and are read
        # back from the OS on every chunk. Memory is only taken as pages are used.
        cursor.execute("PRAGMA cache_size=-65536")
        cursor.execute("PRAGMA temp_store=MEMORY")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        # Single writer: take the write lock at the start so read-then-write cannot race.
        # A read-only unit (``read_only``) begins DEFERRED: in WAL mode it reads one
        # consistent snapshot without waiting for, or blocking, the writer.
        if connection.get_execution_options().get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


@contextmanager
def unit_of_work(engine: Engine) -> Iterator[Session]:
    """A session whose work commits once at the end, or not at all."""
    with Session(engine, expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def read_only_engine(engine: Engine) -> Engine:
    """The same engine (same pool) whose transactions only read: on SQLite they begin
    DEFERRED instead of IMMEDIATE, so reads neither wait for nor block the single writer."""
    return engine.execution_options(**{READ_ONLY_OPTION: True})


@contextmanager
def read_only(engine: Engine) -> Iterator[Session]:
    """A session for reads only (one snapshot per transaction; nothing is committed).

    Writing through it is a defect: on SQLite a write would try to upgrade the DEFERRED
    transaction's lock and could fail with "database is locked" under load."""
    with Session(read_only_engine(engine), expire_on_commit=False) as session:
        try:
            yield session
        finally:
            session.rollback()
