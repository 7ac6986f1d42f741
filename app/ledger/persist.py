"""Write a command's ``Effects`` (entries, postings, balances, lots, registries) to SQL.

Called inside the command's transaction, right after the journal record is appended, so the
projections and the journal commit or roll back together. Entries and postings are only
ever inserted; balances move by exactly the sum of the new postings per account; a lot's
remaining amount only goes down (``spend``/``expire``/``take``) and it closes at zero.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Table, bindparam, insert, select, update
from sqlmodel import Session, SQLModel, col

from app.db import tables as t
from app.engine.books.entries import Entry
from app.engine.books.state import Effects, LotChange
from app.ledger.registry import write_registry

IN_CHUNK = 500


def _table(name: str) -> Table:
    return SQLModel.metadata.tables[name]


def persist_effects(
    session: Session, seq: int, recorded_at: str, payload: Mapping[str, Any], effects: Effects
) -> dict[str, int]:
    """Write everything; returns the balance delta per touched account."""
    deltas = write_entries(session, effects.entries)
    apply_deltas(session, deltas, seq)
    write_lots(session, effects.lot_changes, seq)
    write_registry(session, effects.registry, seq, recorded_at, payload)
    return deltas


def write_entries(session: Session, entries: Sequence[Entry]) -> dict[str, int]:
    if not entries:
        return {}
    deltas: dict[str, int] = defaultdict(int)
    entry_rows: list[dict[str, Any]] = []
    posting_rows: list[dict[str, Any]] = []
    for position, entry in enumerate(entries):
        entry_rows.append(
            {
                "entry_id": entry.entry_id,
                "seq": entry.seq,
                "position": position,
                "period": str(entry.period),
                "kind": entry.kind,
                "memo": entry.memo,
                "reverses": entry.reverses,
            }
        )
        for line, (account, amount) in enumerate(entry.postings):
            posting_rows.append(
                {
                    "entry_id": entry.entry_id,
                    "line": line,
                    "seq": entry.seq,
                    "account": account,
                    "amount_cents": amount,
                }
            )
            deltas[account] += amount
    # Core inserts (executemany), not ORM bulk inserts: a month run writes thousands of rows.
    session.execute(insert(_table("ledger_entry")), entry_rows)
    session.execute(insert(_table("posting")), posting_rows)
    return dict(deltas)


def _chunks(items: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(items), IN_CHUNK):
        yield items[start : start + IN_CHUNK]


def apply_deltas(session: Session, deltas: Mapping[str, int], seq: int) -> None:
    """Move each stored balance by its delta (creating the row on first use)."""
    accounts = sorted(deltas)
    existing: set[str] = set()
    for part in _chunks(accounts):
        existing.update(
            session.execute(
                select(col(t.Balance.account)).where(col(t.Balance.account).in_(part))
            ).scalars()
        )
    updates = [{"a": a, "d": deltas[a], "s": seq} for a in accounts if a in existing]
    inserts = [
        {"account": a, "balance_cents": deltas[a], "last_seq": seq}
        for a in accounts
        if a not in existing
    ]
    if updates:
        table = SQLModel.metadata.tables["balance"]
        session.execute(
            update(table)
            .where(table.c.account == bindparam("a"))
            .values(balance_cents=table.c.balance_cents + bindparam("d"), last_seq=bindparam("s")),
            updates,
        )
    if inserts:
        session.execute(insert(_table("balance")), inserts)


def write_lots(session: Session, changes: Sequence[LotChange], seq: int) -> None:
    opened = [
        {
            "lot_id": c.lot_id,
            "household_id": c.household_id,
            "period": str(c.period),
            "granted_cents": c.amount_cents,
            "remaining_cents": c.amount_cents,
            "expires_period": None if c.expires is None else str(c.expires),
            "is_open": True,
            "created_seq": seq,
            "last_seq": seq,
        }
        for c in changes
        if c.kind == "open"
    ]
    if opened:
        session.execute(insert(_table("credit_lot")), opened)
    lowered = [c for c in changes if c.kind != "open"]
    for change in lowered:
        lot = session.get(t.CreditLot, change.lot_id)
        if lot is None:
            raise LookupError(f"lot {change.lot_id} does not exist")
        lot.remaining_cents = int(lot.remaining_cents) - change.amount_cents
        lot.is_open = lot.remaining_cents > 0
        lot.last_seq = seq
        session.add(lot)
    if lowered:
        session.flush()
