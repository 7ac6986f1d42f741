"""A member's credit: the balance and open lots (the members' hot read, one SELECT), what
the till accepts on a day (``spendable_cents``), and the wallet the member's pages show.
Nothing here writes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from typing import Any

from sqlalchemy import Connection, Select, and_, bindparam, select
from sqlmodel import Session, col

from app.db import tables as t
from app.db.async_reads import AsyncReads, CompiledRead
from app.db.session import read_only_engine
from app.engine.books.lots import spendable_on
from app.engine.books.state import CreditLot
from app.engine.period import Period
from app.services import errors as svc
from app.services.writes.execute import Db


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
    return sum(int(lot["remaining_cents"]) for lot in lots if is_spendable(household_id, lot, on))


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


@dataclass(frozen=True, slots=True)
class Lot:
    """Credit granted in ``period``, still ``remaining_cents``, usable until the last day
    of ``last_month`` (``None``: it never expires)."""

    period: str
    remaining_cents: int
    last_month: str | None

    @property
    def expires_on(self) -> date | None:
        return None if self.last_month is None else Period.parse(self.last_month).last_day


@dataclass(frozen=True, slots=True)
class Wallet:
    """A household's credit as of a day, and what it owes for that day's month."""

    month: str
    spendable_cents: int
    lots: tuple[Lot, ...]
    lapsed_cents: int
    due_cents: int
    contribution_cents: int
    paid_cents: int


def _month_of(today: date) -> Period:
    return Period(today.year, today.month)


def wallet(session: Session, household_id: str, today: date) -> Wallet:
    """The household's spendable credit on ``today``, its spendable lots (soonest expiry
    first), credit past its last month, and this month's contribution and payments."""
    found = balances(session, household_id, on=today)
    month = _month_of(today)
    usable: list[Lot] = []
    lapsed = 0
    for row in found["lots"]:
        lot = Lot(str(row["period"]), int(row["remaining_cents"]), row["expires_after"])
        # The till's own rule (is_spendable): a lot granted for a later month is not
        # spendable yet, a lot past its last month no longer.
        if is_spendable(household_id, row, today):
            if lot.remaining_cents > 0:
                usable.append(lot)
        elif lot.last_month is not None and Period.parse(lot.last_month) < month:
            lapsed += lot.remaining_cents
    usable.sort(key=lambda lot: (lot.last_month is None, lot.last_month or "", lot.period))
    contribution, paid = _dues_in(session, household_id, str(month))
    return Wallet(
        month=str(month),
        spendable_cents=int(found["spendable_cents"]),
        lots=tuple(usable),
        lapsed_cents=lapsed,
        due_cents=max(0, int(found["due_cents"])),
        contribution_cents=contribution,
        paid_cents=paid,
    )


def _dues_in(session: Session, household_id: str, month: str) -> tuple[int, int]:
    """(contribution booked, payments received) on the household's dues in ``month``."""
    rows = session.execute(
        select(col(t.Posting.amount_cents))
        .join(t.LedgerEntry, col(t.LedgerEntry.entry_id) == col(t.Posting.entry_id))
        .where(
            col(t.Posting.account) == f"411:{household_id}",
            col(t.LedgerEntry.period) == month,
        )
    ).scalars()
    owed = paid = 0
    for amount in rows:
        if amount > 0:
            owed += int(amount)
        else:
            paid -= int(amount)
    return owed, paid
