"""The month run's chunks leave SQLite's WAL auto-checkpoint off on their own connection only
while they hold it, give it back as they found it, and checkpoint the WAL once at the end."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from app.db.session import bulk_writer, unit_of_work
from app.services import months
from app.services.money import record_funding
from app.services.months import run_month
from app.services.writes import execute as execute_module
from tests.services.helpers import PERIOD, adopt, enrol, w


def autocheckpoint(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one())


def sqlite_only(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("a SQLite connection setting")


def test_a_bulk_writer_turns_auto_checkpoint_off_and_gives_it_back(engine: Engine) -> None:
    sqlite_only(engine)
    found = autocheckpoint(engine)
    with unit_of_work(bulk_writer(engine)) as session:
        inside = session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint").scalar_one()
    assert (found, inside) == (1000, 0)
    assert autocheckpoint(engine) == found  # the same pooled connection, as it was


def test_the_chunks_do_not_auto_checkpoint_and_the_run_checkpoints_once(
    engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    sqlite_only(engine)
    adopt(engine)
    for index in range(3):
        enrol(engine, f"hh_{index}", 100_000, 1)
    record_funding(engine, "city", "subsidy", 100_000, "SUB", date(2026, 11, 2), **w())
    seen: list[int] = []
    real = execute_module.persist_effects

    def persist(session: Any, seq: int, *args: Any) -> dict[str, int]:
        pragma = session.connection().exec_driver_sql("PRAGMA wal_autocheckpoint")
        seen.append(int(pragma.scalar_one()))
        return real(session, seq, *args)

    monkeypatch.setattr(execute_module, "persist_effects", persist)
    checkpoints: list[int] = []
    real_checkpoint = months.checkpoint_wal

    def checkpoint(db: Engine) -> None:
        checkpoints.append(len(seen))
        real_checkpoint(db)

    monkeypatch.setattr(months, "checkpoint_wal", checkpoint)
    result = run_month(engine, PERIOD, chunk_size=1, **w())
    assert result["credited"] == 3
    assert seen == [0, 0, 0]
    assert checkpoints == [3]  # once, after the last chunk
    assert autocheckpoint(engine) == 1000
