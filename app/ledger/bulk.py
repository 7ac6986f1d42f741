"""Driver-level bulk writes for the hot paths (a month run writes tens of thousands of rows)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session


def bulk_insert(
    session: Session, table: str, columns: Sequence[str], rows: Sequence[tuple[Any, ...]]
) -> None:
    """One driver-level executemany: a month run writes tens of thousands of rows, and the
    SQL layer's per-row parameter processing would cost more than the database itself."""
    if not rows:
        return
    connection = session.connection()
    marker = "?" if connection.dialect.paramstyle == "qmark" else "%s"
    sql = (
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join([marker] * len(columns))})"
    )
    connection.exec_driver_sql(sql, list(rows))
