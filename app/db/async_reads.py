"""One-statement reads on a server process's event loop (PostgreSQL): a token's principal
and a member's balance, the two reads every request or nearly every request makes.

Guarantees:

- The statement is the service's own SQLAlchemy statement, compiled once for PostgreSQL;
  its rows go through the service's own code, so a read here returns exactly what the
  same read through SQLAlchemy does (the tests compare them).
- Connections run in AUTOCOMMIT (one statement reads one snapshot by itself), come from a
  small pool of this process (``psycopg_pool``), are not checked before use, and a read
  that finds its connection dead is done once more on another one (reads only: running
  one twice changes nothing).
- Opened and closed by the app's lifespan, in the loop that serves the requests; where no
  lifespan ran (a test client without it, SQLite), callers use the engine in a thread.

Why: reading through SQLAlchemy in the thread pool costs a thread hop and the interpreter
lock passed back and forth for each read, next to the charges the same event loop serves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg_pool import AsyncConnectionPool
from sqlalchemy.dialects.postgresql import psycopg as postgresql_psycopg
from sqlalchemy.engine import Engine
from sqlalchemy.sql import ClauseElement

POOL_MAX_SIZE = 4  # connections per process; the reads are short
_DIALECT = postgresql_psycopg.dialect()  # type: ignore[no-untyped-call]


@dataclass(frozen=True, slots=True)
class CompiledRead:
    """A statement compiled for PostgreSQL once: its SQL text (``%(name)s`` placeholders)."""

    sql: str

    @classmethod
    def of(cls, statement: ClauseElement) -> CompiledRead:
        """``statement`` with named ``bindparam``s only (their names are the params')."""
        return cls(str(statement.compile(dialect=_DIALECT)))


class AsyncReads:
    """The process's pool for one-statement reads (see the module docstring)."""

    def __init__(self, engine: Engine, max_size: int = POOL_MAX_SIZE) -> None:
        if engine.dialect.name != "postgresql":
            raise ValueError("async reads are for PostgreSQL")
        url = engine.url.set(drivername="postgresql")
        self._pool = AsyncConnectionPool(
            url.render_as_string(hide_password=False),
            min_size=1,
            max_size=max_size,
            kwargs={"autocommit": True},
            open=False,
            name="caisse-reads",
        )

    async def open(self) -> None:
        await self._pool.open(wait=True, timeout=30)

    async def close(self) -> None:
        await self._pool.close()

    async def rows(self, read: CompiledRead, params: Mapping[str, Any]) -> Sequence[Any]:
        """The statement's rows, as tuples."""
        try:
            return await self._rows(read, params)
        except psycopg.OperationalError:  # a dead connection: the pool drops it
            return await self._rows(read, params)

    async def _rows(self, read: CompiledRead, params: Mapping[str, Any]) -> Sequence[Any]:
        async with self._pool.connection() as connection:
            cursor = await connection.execute(read.sql, params)
            return await cursor.fetchall()
