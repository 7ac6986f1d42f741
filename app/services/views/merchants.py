"""A merchant's side of the books: its sales, whether a purchase id is taken, the
settlements the fund paid it. Nothing here writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from app.db import tables as t
from app.ledger.invariants import balances_of
from app.services import errors as svc
from app.services import free_text
from app.services.writes.execute import Db, run_in


def merchant_sales(db: Db, merchant_id: str, limit: int = 200) -> dict[str, Any]:
    """A merchant's purchases (newest first), refunds and what the fund owes it."""

    def read(session: Session) -> dict[str, Any]:
        if session.get(t.Merchant, merchant_id) is None:
            raise svc.not_found("merchant", merchant_id)
        account = f"401:{merchant_id}"
        rows = session.execute(
            select(t.Purchase)
            .where(col(t.Purchase.merchant_id) == merchant_id)
            .order_by(col(t.Purchase.seq).desc())
            .limit(limit)
        ).scalars()
        return {
            "merchant_id": merchant_id,
            "payable_cents": -balances_of(session, [account])[account],
            "purchases": [
                {
                    "purchase_id": p.purchase_id,
                    "household_id": p.household_id,
                    "category": p.category,
                    "period": p.period,
                    "amount_cents": int(p.amount_cents),
                    "credit_cents": int(p.credit_cents),
                    "refunded_cents": int(p.refunded_cents),
                    "seq": int(p.seq),
                }
                for p in rows
            ],
        }

    result: dict[str, Any] = run_in(db, read)
    return result


def purchase_exists(session: Session, merchant_id: str, purchase_id: str) -> bool:
    """Whether ``merchant_id`` recorded a purchase ``purchase_id`` (ids are per merchant)."""
    return session.get(t.Purchase, (merchant_id, purchase_id)) is not None


def merchant_settlements(session: Session, merchant_id: str) -> list[dict[str, Any]]:
    """Every settlement paid to the merchant, newest first."""
    if session.get(t.Merchant, merchant_id) is None:
        raise svc.not_found("merchant", merchant_id)
    rows = session.execute(
        select(
            col(t.LedgerEntry.entry_id),
            col(t.LedgerEntry.seq),
            col(t.LedgerEntry.period),
            col(t.LedgerEntry.memo),
            col(t.Posting.amount_cents),
        )
        .join(t.Posting, col(t.Posting.entry_id) == col(t.LedgerEntry.entry_id))
        .where(
            col(t.LedgerEntry.kind) == "settlement",
            col(t.Posting.account) == f"401:{merchant_id}",
        )
        .order_by(col(t.LedgerEntry.seq).desc())
    )
    shown = free_text.readable_in(session)  # the batch's reference as kept
    return [
        {
            "entry_id": e,
            "seq": int(s),
            "period": p,
            "memo": shown(m, int(s)),
            "amount_cents": int(c),
        }
        for e, s, p, m, c in rows
    ]
