"""Bulk reads and writes for the hot paths (a month run touches tens of thousands of rows).

- ``bulk_insert``: SQLite gets one driver-level ``executemany``; PostgreSQL gets ``COPY``,
  which is one round trip instead of one per row. Either way the SQL layer's per-row
  parameter processing, which would cost more than the database itself, is skipped.
- ``among(column, values)``: ``IN (SELECT value FROM json_each(?))`` on SQLite, ``= ANY(array)``
  on PostgreSQL: one parameter either way, so the statement text (and its compiled form, cached
  by SQLAlchemy, and the server-side plan) does not change with the number of values. An
  expanding ``IN (?, ?, ...)`` re-renders the statement for every call and costs more to build
  than the database spends running it.
- ``batches``: the slices in which such lists are sent.
- ``PeriodTexts``: the text of each distinct period of a batch of rows, formatted once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, Text, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlmodel import Session

from app.engine.period import Period

SQLITE_BATCH = 20_000
POSTGRES_BATCH = 20_000
SMALL_INSERT = 50  # rows up to which a PostgreSQL insert is one statement rather than COPY


def is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def batches(session: Session, values: Sequence[str]) -> Iterator[Sequence[str]]:
    size = POSTGRES_BATCH if is_postgres(session) else SQLITE_BATCH
    for start in range(0, len(values), size):
        yield values[start : start + size]


def among(session: Session, column: Any, values: Sequence[str]) -> ColumnElement[bool]:
    """``column`` is one of ``values`` (text values)."""
    if is_postgres(session):
        result: ColumnElement[bool] = column == any_(
            bindparam(None, list(values), type_=ARRAY(Text))
        )
        return result
    listed: Select[tuple[Any]] = select(literal_column("value")).select_from(
        func.json_each(bindparam(None, json.dumps(list(values)), type_=Text))
    )
    inside: ColumnElement[bool] = column.in_(listed.scalar_subquery())
    return inside


def bulk_insert(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """Insert ``rows`` (tuples in ``columns`` order) into ``table`` in one go."""
    if not rows:
        return
    connection = session.connection()
    if connection.dialect.name == "postgresql" and len(rows) <= SMALL_INSERT:
        # A few rows (one command's): one multi-row INSERT is one round trip; COPY takes
        # more (start, data, end) and is only worth it for many rows.
        row_marks = "(" + ", ".join(["%s"] * len(columns)) + ")"
        values = ", ".join([row_marks] * len(rows))
        flat = [value for row in rows for value in row]
        connection.exec_driver_sql(
            f"INSERT INTO {table} ({', '.join(columns)}) VALUES {values}", tuple(flat)
        )
        return
    if connection.dialect.name == "postgresql":
        raw = connection.connection.dbapi_connection
        with (
            raw.cursor() as cursor,  # type: ignore[union-attr]
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy,
        ):
            for row in rows:
                copy.write_row(row)
        return
    marker = ", ".join(["?"] * len(columns))
    connection.exec_driver_sql(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marker})", list(rows)
    )


class PeriodTexts:
    """``str(period)`` (``None`` for ``None``), each distinct period formatted once: a
    command's many rows share a few periods, and formatting one per row cost more than the
    row's insert."""

    __slots__ = ("_last", "_last_text", "_texts")

    def __init__(self) -> None:
        self._texts: dict[Period | None, str | None] = {None: None}
        # The last period asked and its text: the rows of a batch mostly share one period,
        # which an identity test finds without hashing the period again.
        self._last: Period | None = None
        self._last_text: str | None = None

    def __call__(self, period: Period | None) -> str | None:
        if period is self._last:
            return self._last_text
        try:
            text = self._texts[period]
        except KeyError:
            text = self._texts[period] = str(period)
        self._last, self._last_text = period, text
        return text
