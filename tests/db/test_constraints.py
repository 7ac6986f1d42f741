"""Database constraints that back the books' guarantees, independent of the services."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.pool import NullPool

MARK = "INSERT INTO month_credit (household_id, period, seq) VALUES ('hh_a', '2026-11', :seq)"
JOURNAL = (
    "INSERT INTO journal (seq, recorded_at, actor, kind, idempotency_key, request_hash, payload,"
    " result, prev_hash, hash) VALUES (:seq, 't', 'a', 'k', :key, 'r', '{}', '{}', 'p', :h)"
)


def test_a_household_is_credited_at_most_once_per_month(db_url: str) -> None:
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(MARK), {"seq": 1})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(MARK), {"seq": 2})
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM month_credit")).scalar_one() == 1
    engine.dispose()


def test_an_idempotency_key_is_recorded_once(db_url: str) -> None:
    engine = create_engine(db_url, poolclass=NullPool)
    with engine.begin() as conn:
        conn.execute(text(JOURNAL), {"seq": 1, "key": "k1", "h": "a" * 64})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(JOURNAL), {"seq": 2, "key": "k1", "h": "b" * 64})
    with pytest.raises(IntegrityError), engine.begin() as conn:
        conn.execute(text(JOURNAL), {"seq": 1, "key": "k2", "h": "c" * 64})
    engine.dispose()
