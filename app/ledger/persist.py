"""Write a command's ``Effects`` (entries, postings, balances, lots, registries) to SQL.

Called inside the command's transaction, right after the journal record is appended, so the
projections and the journal commit or roll back together. Entries and postings are only
ever inserted; balances move by exactly the sum of the new postings per account; a lot's
remaining amount only goes down (``spend``/``expire``/``take``) and it closes at zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, select
from sqlmodel import Session, SQLModel, col

from app.db import tables as t
from app.engine.books.entries import Entry
from app.engine.books.state import Effects, LotChange
from app.ledger.bulk import PeriodTexts, among, batches, bulk_insert, is_postgres
from app.ledger.registry import write_registry


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def persist_effects(
    session: Session,
    seq: int,
    recorded_at: str,
    payload: Mapping[str, Any],
    effects: Effects,
    stored: Collection[str] | None = None,
) -> dict[str, int]:
    """Write everything; returns the balance delta per touched account.

    ``stored``: which touched accounts already have a balance row, when the caller has just
    read them in this transaction (saves reading them again)."""
    deltas = write_entries(session, effects.entries)
    apply_deltas(session, deltas, seq, stored)
    write_lots(session, effects.lot_changes, seq)
    write_registry(session, effects.registry, seq, recorded_at, payload)
    return deltas


def write_entries(session: Session, entries: Sequence[Entry]) -> dict[str, int]:
    if not entries:
        return {}
    deltas: dict[str, int] = defaultdict(int)
    entry_rows: list[tuple[Any, ...]] = []
    posting_rows: list[tuple[Any, ...]] = []
    add_entry, add_posting = entry_rows.append, posting_rows.append
    text = PeriodTexts()  # str(Period) per entry cost more than the row itself
    # Entries unpacked as the tuples they are: half a million rows a month run, where each
    # attribute read was a measurable share of building them.
    for position, (entry_id, seq, period, kind, memo, postings, reverses) in enumerate(entries):
        add_entry((entry_id, seq, position, text(period), kind, memo, reverses))
        for line, (account, amount) in enumerate(postings):
            add_posting((entry_id, line, seq, account, amount))
            deltas[account] += amount
    bulk_insert(session, "ledger_entry", ENTRY_COLUMNS, entry_rows)
    bulk_insert(session, "posting", POSTING_COLUMNS, posting_rows)
    return dict(deltas)


ENTRY_COLUMNS = ("entry_id", "seq", "position", "period", "kind", "memo", "reverses")
POSTING_COLUMNS = ("entry_id", "line", "seq", "account", "amount_cents")


def apply_deltas(
    session: Session, deltas: Mapping[str, int], seq: int, stored: Collection[str] | None = None
) -> None:
    """Move each stored balance by its delta (creating the row on first use)."""
    accounts = sorted(deltas)
    existing: set[str] = set()
    if stored is not None:
        existing.update(stored)
    else:
        for part in batches(session, accounts):
            existing.update(
                session.execute(
                    select(col(t.Balance.account)).where(
                        among(session, col(t.Balance.account), part)
                    )
                ).scalars()
            )
    moved = [a for a in accounts if a in existing]
    if moved:
        _move_balances(session, moved, [deltas[a] for a in moved], seq)
    inserts = [(a, deltas[a], seq) for a in accounts if a not in existing]
    bulk_insert(session, "balance", ("account", "balance_cents", "last_seq"), inserts)


def _move_balances(session: Session, accounts: list[str], deltas: list[int], seq: int) -> None:
    connection = session.connection()
    if is_postgres(session):
        # One statement for the whole batch instead of one UPDATE per account.
        connection.exec_driver_sql(
            "UPDATE balance AS b SET balance_cents = b.balance_cents + d.delta, last_seq = %s "
            "FROM unnest(%s::text[], %s::bigint[]) AS d(account, delta) "
            "WHERE b.account = d.account",
            (seq, accounts, deltas),
        )
        return
    connection.exec_driver_sql(
        "UPDATE balance SET balance_cents = balance_cents + ?, last_seq = ? WHERE account = ?",
        [(delta, seq, account) for account, delta in zip(accounts, deltas, strict=True)],
    )


LOT_COLUMNS = (
    "lot_id",
    "household_id",
    "period",
    "granted_cents",
    "remaining_cents",
    "expires_period",
    "is_open",
    "created_seq",
    "last_seq",
)


def write_lots(session: Session, changes: Sequence[LotChange], seq: int) -> None:
    text = PeriodTexts()  # a run's lots share one period and one expiry: format each once
    opened = [
        (
            c.lot_id,
            c.household_id,
            text(c.period),
            c.amount_cents,
            c.amount_cents,
            text(c.expires),
            True,
            seq,
            seq,
        )
        for c in changes
        if c.kind == "open"
    ]
    bulk_insert(session, "credit_lot", LOT_COLUMNS, opened)
    lowered = [(c.amount_cents, c.amount_cents, seq, c.lot_id) for c in changes if c.kind != "open"]
    if not lowered:
        return
    # One statement for all lots, no ORM objects: both sides of SET read the old row.
    session.flush()  # ORM changes queued earlier in this transaction go first
    connection = session.connection()
    mark = "%s" if connection.dialect.name == "postgresql" else "?"
    result = connection.exec_driver_sql(
        f"UPDATE credit_lot SET remaining_cents = remaining_cents - {mark},"
        f" is_open = (remaining_cents - {mark}) > 0, last_seq = {mark} WHERE lot_id = {mark}",
        lowered,
    )
    if result.rowcount not in (-1, len(lowered)):
        raise LookupError(f"{len(lowered) - result.rowcount} lowered lots do not exist")
