"""Migrations: an empty database upgrades to head, matches the models, and guards history."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.pool import NullPool

from app.db.migrate import schema_drift, upgrade_to_head
from app.db.tables import APPEND_ONLY_TABLES

SEED = [
    "INSERT INTO journal (seq, recorded_at, actor, kind, idempotency_key, request_hash, payload,"
    " result, prev_hash, hash) VALUES (1, '2026-11-26T10:00:00Z', 'operator:t', 'close_month',"
    " 'k1', 'r', '{}', '{}', :zeros, :h)",
    "INSERT INTO ledger_entry (entry_id, seq, position, period, kind, memo, reverses)"
    " VALUES ('1.0', 1, 0, '2026-11', 'test', '', NULL)",
    "INSERT INTO posting (entry_id, line, seq, account, amount_cents)"
    " VALUES ('1.0', 0, 1, '512', 100)",
    "INSERT INTO posting (entry_id, line, seq, account, amount_cents)"
    " VALUES ('1.0', 1, 1, '756', -100)",
]

CHANGES = {
    "journal": ["UPDATE journal SET actor = 'x'", "DELETE FROM journal"],
    "ledger_entry": ["UPDATE ledger_entry SET memo = 'x'", "DELETE FROM ledger_entry"],
    "posting": ["UPDATE posting SET amount_cents = 0", "DELETE FROM posting"],
}


def _seed(url: str) -> None:
    eng = create_engine(url, poolclass=NullPool)
    with eng.begin() as conn:
        for sql in SEED:
            conn.execute(text(sql), {"zeros": "0" * 64, "h": "a" * 64})
    eng.dispose()


def _refused(url: str, sql: str) -> bool:
    eng = create_engine(url, poolclass=NullPool)
    try:
        with eng.begin() as conn:
            conn.execute(text(sql))
    except DBAPIError as error:
        return "refused" in str(error)
    finally:
        eng.dispose()
    return False


def test_empty_database_upgrades_to_head_without_drift(empty_db_url: str) -> None:
    upgrade_to_head(empty_db_url)
    eng = create_engine(empty_db_url, poolclass=NullPool)
    tables = set(inspect(eng).get_table_names())
    eng.dispose()
    assert {"journal", "posting", "balance", "month_credit", "checkpoint"} <= tables
    assert schema_drift(empty_db_url) == []


def test_purchase_ids_are_unique_per_merchant(empty_db_url: str) -> None:
    upgrade_to_head(empty_db_url)
    eng = create_engine(empty_db_url, poolclass=NullPool)
    key = inspect(eng).get_pk_constraint("purchase")["constrained_columns"]
    row = "('p1', 'hh', :m, 'food', '2026-11', 100, 100, 0, NULL, '[]', 1, 1)"
    try:
        with eng.begin() as conn:
            for merchant in ("m1", "m2"):  # two tills numbering alike
                conn.execute(text(f"INSERT INTO purchase VALUES {row}"), {"m": merchant})
        with pytest.raises(DBAPIError), eng.begin() as conn:
            conn.execute(text(f"INSERT INTO purchase VALUES {row}"), {"m": "m1"})
    finally:
        eng.dispose()
    assert key == ["merchant_id", "purchase_id"]


def test_upgrade_is_idempotent(db_url: str) -> None:
    upgrade_to_head(db_url)
    assert schema_drift(db_url) == []


@pytest.mark.parametrize("table", APPEND_ONLY_TABLES)
def test_append_only_tables_refuse_update_and_delete(db_url: str, table: str) -> None:
    _seed(db_url)
    for sql in CHANGES[table]:
        assert _refused(db_url, sql), sql
    eng = create_engine(db_url, poolclass=NullPool)
    with eng.connect() as conn:
        count = conn.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
        total = conn.execute(text("SELECT sum(amount_cents) FROM posting")).scalar_one()
    eng.dispose()
    assert count == {"journal": 1, "ledger_entry": 1, "posting": 2}[table]
    assert total == 0


def test_adopted_rule_set_is_immutable_but_a_draft_is_not(db_url: str) -> None:
    eng = create_engine(db_url, poolclass=NullPool)
    with eng.begin() as conn:
        for version, status in ((1, "adopted"), (2, "draft")):
            conn.execute(
                text(
                    "INSERT INTO rule_set (rule_set_id, version, content_hash, document, status,"
                    " effective_from, decision) VALUES ('f', :v, 'h', '{}', :s, '2026-01', 'd')"
                ),
                {"v": version, "s": status},
            )
    eng.dispose()
    assert _refused(db_url, "UPDATE rule_set SET document = 'x' WHERE version = 1")
    assert _refused(db_url, "DELETE FROM rule_set WHERE version = 1")
    assert not _refused(db_url, "UPDATE rule_set SET document = 'x' WHERE version = 2")


def test_reversal_index_holds_only_reversals_and_posting_index_carries_the_amount(
    empty_db_url: str,
) -> None:
    """Migration 0012: a month run's entries (no ``reverses``) add no key to the reversal
    index, a lookup by ``reverses`` still uses it, and the posting index covers the amount."""
    upgrade_to_head(empty_db_url)
    eng = create_engine(empty_db_url, poolclass=NullPool)
    try:
        found = inspect(eng)
        reverses = next(
            i for i in found.get_indexes("ledger_entry") if i["name"] == "ix_ledger_entry_reverses"
        )
        postings = next(
            i for i in found.get_indexes("posting") if i["name"] == "ix_posting_account_seq"
        )
        where = reverses["dialect_options"][f"{eng.dialect.name}_where"]
        plan = ""
        if eng.dialect.name == "sqlite":  # PostgreSQL would plan a scan of an empty table
            with eng.connect() as conn:
                rows = conn.exec_driver_sql(
                    "EXPLAIN QUERY PLAN SELECT entry_id FROM ledger_entry WHERE reverses = ?",
                    ("1.0",),
                )
                plan = " ".join(str(row[-1]) for row in rows)
    finally:
        eng.dispose()
    assert reverses["column_names"] == ["reverses"]
    assert "reverses IS NOT NULL" in str(where)
    assert eng.dialect.name != "sqlite" or "USING INDEX ix_ledger_entry_reverses" in plan
    assert postings["column_names"] == ["account", "seq", "amount_cents"]
