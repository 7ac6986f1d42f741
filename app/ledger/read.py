"""Read the stored books back: every entry (with postings) and every balance, in order.

Used by reads, exports and the replay verifier (which compares these with a replay).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.engine.books.entries import Entry, Posting
from app.engine.period import Period


def entries(session: Session, after_seq: int = 0, batch: int = 2000) -> Iterator[Entry]:
    """Every stored entry after ``after_seq``, by seq then position, postings in line order."""
    last = after_seq
    while True:
        rows = list(
            session.execute(
                select(t.LedgerEntry)
                .where(col(t.LedgerEntry.seq) > last)
                .where(col(t.LedgerEntry.seq) <= last + batch)
                .order_by(col(t.LedgerEntry.seq), col(t.LedgerEntry.position))
            ).scalars()
        )
        if not rows:
            if not _any_after(session, last):
                return
            last += batch
            continue
        lines: dict[str, list[Posting]] = {}
        for entry_id, account, amount in session.execute(
            select(col(t.Posting.entry_id), col(t.Posting.account), col(t.Posting.amount_cents))
            .where(col(t.Posting.seq) > last, col(t.Posting.seq) <= last + batch)
            .order_by(col(t.Posting.entry_id), col(t.Posting.line))
        ):
            lines.setdefault(entry_id, []).append(Posting(account, int(amount)))
        for row in rows:
            yield Entry(
                row.entry_id,
                int(row.seq),
                Period.parse(row.period),
                row.kind,
                row.memo,
                tuple(lines.get(row.entry_id, ())),
                row.reverses,
            )
        last += batch


def _any_after(session: Session, seq: int) -> bool:
    return (
        session.execute(
            select(col(t.LedgerEntry.entry_id)).where(col(t.LedgerEntry.seq) > seq).limit(1)
        ).first()
        is not None
    )


def balances(session: Session) -> dict[str, int]:
    """Every stored balance, by account."""
    rows = session.execute(
        select(col(t.Balance.account), col(t.Balance.balance_cents)).order_by(
            col(t.Balance.account)
        )
    )
    return {str(a): int(b) for a, b in rows}
