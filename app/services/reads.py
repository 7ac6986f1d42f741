"""Reads: a member's balance and lots, history, monthly statement; the fund's position;
journal pages; a month's status and totals. Nothing here writes."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, func, or_, select
from sqlmodel import Session, col

from app.audit import checkpoint, journal
from app.db import tables as t
from app.db.async_reads import AsyncReads, CompiledRead
from app.db.session import read_only_engine
from app.engine.books.lots import spendable_on
from app.engine.books.state import CreditLot
from app.engine.period import Period
from app.ledger.invariants import balances_of, fund_totals
from app.services import arrears, free_text, run_basis
from app.services import errors as svc
from app.services.execute import Db, run_in


def _household(session: Session, household_id: str) -> t.Household:
    row = session.get(t.Household, household_id)
    if row is None:
        raise svc.not_found("household", household_id)
    return row


def balances(db: Db, household_id: str, on: date | None = None) -> dict[str, Any]:
    """Credit available, contribution due, and the open lots (oldest first) with expiry;
    with ``on`` (the till's day), also ``spendable_cents``: what the till accepts that day
    (``spendable_cents`` below, from the lots already read: no second query).

    One SELECT (the household left-joined to its open lots, the two balances as scalar
    subqueries), so it reads one consistent state without a transaction or savepoint of its
    own, and builds no ORM object: this is the members' hot read. An engine is read through
    a read-only connection (DEFERRED on SQLite); a session in its transaction, after
    flushing what it holds (as an ORM query would), so pending writes are seen."""
    if isinstance(db, Session):
        db.flush()
        return _balances_on(db.connection(), household_id, on)
    engine = read_only_engine(db)
    if db.dialect.name == "postgresql":
        # One statement reads one snapshot by itself: without a transaction there is no
        # BEGIN and no ROLLBACK to send (the API reads it on its event loop instead:
        # balances_on_loop).
        engine = engine.execution_options(isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        return _balances_on(connection, household_id, on)


def _balance_statement() -> Select[Any]:
    household, lot, balance = (
        t.Household.__table__,  # type: ignore[attr-defined]
        t.CreditLot.__table__,  # type: ignore[attr-defined]
        t.Balance.__table__,  # type: ignore[attr-defined]
    )

    def account(name: str) -> Any:
        return (
            select(balance.c.balance_cents)
            .where(balance.c.account == bindparam(name))
            .scalar_subquery()
        )

    open_lots = and_(lot.c.household_id == household.c.household_id, lot.c.is_open)
    return (
        select(
            account("due_account"),
            account("credit_account"),
            lot.c.lot_id,
            lot.c.period,
            lot.c.remaining_cents,
            lot.c.expires_period,
        )
        .select_from(household.outerjoin(lot, open_lots))
        .where(household.c.household_id == bindparam("household_id"))
        .order_by(lot.c.period, lot.c.lot_id)
    )


# Built once: SQLAlchemy then reuses its compiled form (statement cache) on every call.
_BALANCE = _balance_statement()


_BALANCE_ON_LOOP = CompiledRead.of(_BALANCE)


def _balances_on(
    connection: Connection, household_id: str, on: date | None = None
) -> dict[str, Any]:
    rows = connection.execute(_BALANCE, _balance_params(household_id)).all()
    return _balance_of(rows, household_id, on)


async def balances_on_loop(
    reads: AsyncReads, household_id: str, on: date | None = None
) -> dict[str, Any]:
    """``balances`` of an engine, read on the event loop (app.db.async_reads): the same
    statement, the same answer."""
    rows = await reads.rows(_BALANCE_ON_LOOP, _balance_params(household_id))
    return _balance_of(rows, household_id, on)


def spendable_cents(household_id: str, lots: Sequence[Mapping[str, Any]], on: date) -> int:
    """What the till accepts on ``on`` from these open lots (``balances``'s ``lots``): the
    books' own rule (``app.engine.books.lots.spendable_on``: granted by that month and not
    past its last month), so a lot past its last month but not yet expired by a close is
    not counted, nor credit granted for a later month."""
    return sum(
        int(lot["remaining_cents"]) for lot in lots if is_spendable(household_id, lot, on)
    )


def is_spendable(household_id: str, lot: Mapping[str, Any], on: date) -> bool:
    """Whether the till takes this lot (one of ``balances``'s ``lots``) on ``on``."""
    return spendable_on(_lot(household_id, lot), Period(on.year, on.month))


# Months repeat across every member's lots: parsed once each (the hot read stays cheap).
_month = lru_cache(maxsize=4096)(Period.parse)


def _lot(household_id: str, lot: Mapping[str, Any]) -> CreditLot:
    expires = lot["expires_after"]
    return CreditLot(
        str(lot["lot_id"]),
        household_id,
        _month(str(lot["period"])),
        None if expires is None else _month(str(expires)),
        int(lot["remaining_cents"]),
    )


def _balance_params(household_id: str) -> dict[str, str]:
    return {
        "household_id": household_id,
        "due_account": f"411:{household_id}",
        "credit_account": f"419:{household_id}",
    }


def _balance_of(rows: Sequence[Any], household_id: str, on: date | None) -> dict[str, Any]:
    if not rows:
        raise svc.not_found("household", household_id)
    due, credit = rows[0][0], rows[0][1]
    lots = [
        {
            "lot_id": lot_id,
            "period": period,
            "remaining_cents": int(remaining),
            "expires_after": expires,
        }
        for _due, _credit, lot_id, period, remaining, expires in rows
        if lot_id is not None
    ]
    found: dict[str, Any] = {
        "household_id": household_id,
        "credit_cents": -int(credit or 0),
        "due_cents": int(due or 0),
        "lots": lots,
    }
    if on is not None:
        found["spendable_cents"] = spendable_cents(household_id, lots, on)
    return found


def history(db: Db, household_id: str, limit: int = 200) -> list[dict[str, Any]]:
    """The household's postings (what it owes, its credit), newest first."""

    def read(session: Session) -> list[dict[str, Any]]:
        _household(session, household_id)
        rows = session.execute(
            select(
                col(t.LedgerEntry.entry_id),
                col(t.LedgerEntry.seq),
                col(t.LedgerEntry.period),
                col(t.LedgerEntry.kind),
                col(t.LedgerEntry.memo),
                col(t.Posting.account),
                col(t.Posting.amount_cents),
            )
            .join(t.Posting, col(t.Posting.entry_id) == col(t.LedgerEntry.entry_id))
            .where(
                or_(
                    col(t.Posting.account) == f"411:{household_id}",
                    col(t.Posting.account) == f"419:{household_id}",
                )
            )
            .order_by(col(t.Posting.seq).desc(), col(t.Posting.entry_id).desc())
            .limit(limit)
        )
        shown = free_text.readable_in(session)  # a reference as kept, not its commitment
        return [
            {
                "entry_id": e,
                "seq": int(s),
                "period": p,
                "kind": k,
                "memo": shown(m, int(s)),
                "account": a,
                "amount_cents": int(c),
            }
            for e, s, p, k, m, a, c in rows
        ]

    result: list[dict[str, Any]] = run_in(db, read)
    return result


def statement(db: Db, household_id: str, period: str) -> dict[str, Any]:
    """What the household owed and received for a month, with the explanation (fr and en)."""

    def read(session: Session) -> dict[str, Any]:
        household = _household(session, household_id)
        month = Period.parse(period)
        mark = session.get(t.MonthCredit, (household_id, str(month)))
        if mark is None:
            raise svc.not_found("statement", f"{household_id} {month}")
        record = session.get(t.Journal, mark.seq)
        payload = json.loads(record.payload) if record is not None else {}
        line = next(h for h in payload["households"] if h["household_id"] == household_id)
        out: dict[str, Any] = {
            "household_id": household_id,
            "period": str(month),
            "seq": int(mark.seq),
            "contribution_cents": line["contribution_cents"],
            "credit_cents": line["credit_cents"],
            "funder_share_cents": line["funder_share_cents"],
            "rationed": payload.get("rationing") is not None,
            "explanation": None,
        }
        if not household.erased:
            out["explanation"] = _explanation(session, payload, line, month, int(mark.seq))
        return out

    result: dict[str, Any] = run_in(db, read)
    return result


def _explanation(
    session: Session, payload: dict[str, Any], line: dict[str, Any], month: Period, seq: int
) -> dict[str, str] | None:
    """The statement explained with the rules and facts its run used (by hash), never
    today's (app.services.run_basis)."""
    rules = run_basis.rules_of_run(session, payload)
    facts = run_basis.facts_of_run(session, line)
    if rules is None or facts is None:
        return None
    explanation = arrears.assess_as_run(session, rules, facts, month, seq).explanation
    if explanation is None:
        return None
    return {"fr": explanation.render("fr"), "en": explanation.render("en")}


def fund_position(db: Db) -> dict[str, Any]:
    """Bank, cash, credit in circulation, payables, receivables, reserves."""

    def read(session: Session) -> dict[str, Any]:
        totals = fund_totals(session)
        expired = balances_of(session, ["7588"])["7588"]
        held = (
            totals["bank"]
            + totals["cash"]
            + totals["members_due"]
            + totals["top_ups_receivable"]
            + totals["subsidies_receivable"]
        )
        owed = -totals["member_credit"] - totals["merchants"]
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
            "reserve_cents": held - owed,
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
            "checkpoint": None if seal is None else checkpoint.published(seal),
        }

    result: dict[str, Any] = run_in(db, read)
    return result


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
