"""The fund as a whole: its position (trial balance, backing), the journal's pages, a
month's status and totals, the sealed months' checkpoints and a month run's retry.
Nothing here writes.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select
from sqlmodel import Session, col

from app.audit import checkpoint as audit_checkpoint
from app.audit import journal
from app.db import tables as t
from app.engine.period import Period
from app.engine.problems import Problem
from app.ledger.invariants import balances_of, fund_totals, held_cents, owed_cents
from app.services import errors as svc
from app.services.writes.execute import Db, run_in


def fund_position(db: Db) -> dict[str, Any]:
    """Bank, cash, credit in circulation, payables, receivables, reserves."""

    def read(session: Session) -> dict[str, Any]:
        totals = fund_totals(session)
        expired = balances_of(session, ["7588"])["7588"]
        return {
            "bank_cents": totals["bank"],
            "cash_cents": totals["cash"],
            "members_due_cents": totals["members_due"],
            "top_ups_receivable_cents": totals["top_ups_receivable"],
            "subsidies_receivable_cents": totals["subsidies_receivable"],
            "credit_in_circulation_cents": -totals["member_credit"],
            "merchants_payable_cents": -totals["merchants"],
            "dedicated_funds_cents": -totals["dedicated_funds"],
            "expired_credit_cents": -expired,
            "reserve_cents": held_cents(totals) - owed_cents(totals),
        }

    result: dict[str, Any] = run_in(db, read)
    return result


def journal_page(db: Db, after_seq: int = 0, limit: int = 100) -> list[dict[str, Any]]:
    """Journal records after ``after_seq`` (at most ``limit``, 1..1000), with hashes."""
    size = max(1, min(limit, 1000))
    result: list[dict[str, Any]] = run_in(db, lambda s: journal.page(s, after_seq, size))
    return result


def month_status(db: Db, period: str) -> dict[str, Any]:
    """Status (open/closed/sealed), households credited, totals booked, checkpoint."""

    def read(session: Session) -> dict[str, Any]:
        month = str(Period.parse(period))
        row = session.get(t.Month, month)
        credited = session.execute(
            select(func.count())
            .select_from(t.MonthCredit)
            .where(col(t.MonthCredit.period) == month)
        ).scalar_one()
        sums = session.execute(
            select(col(t.LedgerEntry.kind), func.sum(col(t.Posting.amount_cents)))
            .join(t.Posting, col(t.Posting.entry_id) == col(t.LedgerEntry.entry_id))
            .where(col(t.LedgerEntry.period) == month, col(t.Posting.amount_cents) > 0)
            .group_by(col(t.LedgerEntry.kind))
        )
        seal = session.get(t.Checkpoint, month)
        return {
            "period": month,
            "status": "open" if row is None else row.status,
            "households_credited": int(credited),
            "totals_cents": {str(k): int(v) for k, v in sums},
            "checkpoint": None if seal is None else audit_checkpoint.published(seal),
        }

    result: dict[str, Any] = run_in(db, read)
    return result


def checkpoints(session: Session) -> list[dict[str, Any]]:
    rows = session.execute(select(t.Checkpoint).order_by(col(t.Checkpoint.seq))).scalars()
    return [checkpoint_dict(row) for row in rows]


def checkpoint_dict(row: t.Checkpoint) -> dict[str, Any]:
    return audit_checkpoint.published(row)


def checkpoint(session: Session, period: Period) -> dict[str, Any]:
    row = session.get(t.Checkpoint, str(period))
    if row is None:
        raise svc.not_found("checkpoint", str(period))
    return checkpoint_dict(row)


def run_retry(session: Session, key: str, period: Period) -> dict[str, Any] | None:
    """What a month run under ``key`` recorded (None: no run under that key yet).

    The run records one ``run_month`` command per chunk under ``<key>:<digest>``; a retry
    returns the original figures, and a key used for another month is a conflict.
    """
    rows = list(
        session.execute(
            select(t.Journal)
            .where(
                col(t.Journal.idempotency_key).startswith(f"{key}:", autoescape=True),
                col(t.Journal.kind) == "run_month",
            )
            .order_by(col(t.Journal.seq))
        ).scalars()
    )
    if not rows:
        return None
    periods = {json.loads(row.payload)["period"] for row in rows}
    if periods != {str(period)}:
        raise svc.IdempotencyConflict(
            (Problem("idempotency_key", f"the key ran {', '.join(sorted(periods))}"),),
            f"This idempotency key was already used to run {', '.join(sorted(periods))}.",
        )
    before = session.execute(
        select(func.count())
        .select_from(t.MonthCredit)
        .where(col(t.MonthCredit.period) == str(period), col(t.MonthCredit.seq) < rows[0].seq)
    ).scalar_one()
    return {
        "chunks": len(rows),
        "seqs": [int(row.seq) for row in rows],
        "credited": sum(int(json.loads(row.result)["credited"]) for row in rows),
        "already_credited": int(before),
    }
