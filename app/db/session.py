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
# A bulk writer's transactions (``bulk_writer``) leave the WAL to grow until the writer
# copies it into the database once (``checkpoint_wal``), instead of every commit past
# SQLite's auto-checkpoint threshold copying it again.
BULK_WRITE_OPTION = "caisse_bulk_write"
_SAVED_AUTOCHECKPOINT = "caisse_wal_autocheckpoint"


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
        options = connection.get_execution_options()
        if options.get(BULK_WRITE_OPTION):
            _defer_checkpoints(connection)
        if options.get(READ_ONLY_OPTION):
            connection.exec_driver_sql("BEGIN")
        else:
            connection.exec_driver_sql("BEGIN IMMEDIATE")

    @event.listens_for(engine, "checkin")
    def _on_checkin(dbapi_connection: Any, record: Any) -> None:
        # A bulk writer's connection goes back to the pool as it was taken: the next user's
        # commits auto-checkpoint as usual.
        saved = record.info.pop(_SAVED_AUTOCHECKPOINT, None)
        if saved is not None:
            cursor = dbapi_connection.cursor()
            cursor.execute(f"PRAGMA wal_autocheckpoint={int(saved)}")
            cursor.close()


def _defer_checkpoints(connection: Any) -> None:
    """Turn the connection's WAL auto-checkpoint off until it is checked in (its previous
    value is kept in the pool record, restored by the ``checkin`` listener)."""
    info = connection.connection.info  # the pool record's, kept while checked out
    if _SAVED_AUTOCHECKPOINT not in info:
        found = connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
        info[_SAVED_AUTOCHECKPOINT] = int(found)
        connection.exec_driver_sql("PRAGMA wal_autocheckpoint=0")


def bulk_writer(engine: Engine) -> Engine:
    """The same engine (same pool) for a run of many large transactions in a row (the month
    run): on SQLite its connections do not auto-checkpoint the WAL while checked out, so
    each page a run rewrites in every transaction is copied into the database once, by
    ``checkpoint_wal`` at the end, not once per transaction. Readers meanwhile read a
    larger WAL; the file grows by what the run writes until the checkpoint."""
    return engine.execution_options(**{BULK_WRITE_OPTION: True})


def checkpoint_wal(engine: Engine) -> None:
    """Copy the WAL into the database now (SQLite; nothing elsewhere). PASSIVE: it neither
    waits for nor blocks readers and writers, and leaves what they hold to a later one."""
    if engine.dialect.name != "sqlite":
        return
    # Outside any transaction (SQLite refuses a checkpoint inside one): the driver
    # connection runs in autocommit (``_on_connect``), and SQLAlchemy begins nothing here.
    connection = engine.raw_connection()
    try:
        cursor = connection.cursor()
        cursor.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        cursor.close()
    finally:
        connection.close()


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
