"""On the database (SQLite and PostgreSQL): months close in order, and a household whose
month run was reversed entirely is credited again by the next run; the verifier agrees."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session, col

from app.audit import journal
from app.audit.sources import DbSource, read_engine
from app.audit.verify import verify
from app.db import tables as t
from app.engine.period import Period
from app.ledger.invariants import check_books
from app.ledger.view import SqlBooksView
from app.services import errors as svc
from app.services.money import record_payment, reverse_entry
from app.services.months import close_month, run_month
from app.services.views import balances, journal_page
from tests.services.helpers import PERIOD, small_fund, w

DECEMBER = "2026-12"


def months(engine: Engine) -> dict[str, str]:
    with Session(engine) as session:
        rows = session.execute(select(col(t.Month.period), col(t.Month.status))).all()
    return {str(period): str(status) for period, status in rows}


def marks(engine: Engine) -> dict[tuple[str, str], int]:
    with Session(engine) as session:
        rows = session.execute(select(t.MonthCredit)).scalars().all()
        return {(row.household_id, row.period): row.seq for row in rows}


def head_seq(engine: Engine) -> int:
    with Session(engine) as session:
        return journal.head(session).seq


def verified(engine: Engine, db_url: str) -> dict[str, Any]:
    """``caisse verify`` of the database passes (month_credit rows included) and the stored
    books hold every invariant."""
    reader = read_engine(db_url)
    source = DbSource(reader)
    try:
        report = verify(source)
    finally:
        source.close()
        reader.dispose()
    assert report.ok, report.disagreement
    with Session(engine) as session:
        assert check_books(session) == []
    return report.as_dict()


def test_closing_a_month_while_an_earlier_one_is_open_is_refused_and_writes_nothing(
    engine: Engine, db_url: str
) -> None:
    small_fund(engine)  # runs 2026-11
    run_month(engine, DECEMBER, **w())
    size = head_seq(engine)
    with pytest.raises(svc.ServiceError) as caught:
        close_month(engine, DECEMBER, **w())
    error = caught.value
    assert type(error) is svc.Conflict  # a plain 409 "conflict"
    assert error.code == "conflict"
    assert error.detail == (
        "cannot close 2026-12: the earlier month 2026-11 is still open; close 2026-11 first"
    )
    assert [(p.path, p.message) for p in error.problems] == [("period", error.detail)]
    assert head_seq(engine) == size
    assert months(engine) == {PERIOD: "open", DECEMBER: "open"}
    close_month(engine, PERIOD, **w())
    assert close_month(engine, DECEMBER, **w())["status"] == "closed"
    assert months(engine) == {PERIOD: "closed", DECEMBER: "closed"}
    assert head_seq(engine) == size + 2
    verified(engine, db_url)


def test_months_the_books_never_ran_do_not_block(engine: Engine) -> None:
    small_fund(engine)
    close_month(engine, PERIOD, **w())
    # 2026-12 and 2027-01 were never run: 2027-02 closes.
    assert close_month(engine, "2027-02", **w())["status"] == "closed"
    assert months(engine) == {PERIOD: "closed", "2027-02": "closed"}


def test_the_sql_view_finds_the_earliest_open_month_before(engine: Engine) -> None:
    small_fund(engine)
    run_month(engine, DECEMBER, **w())
    run_month(engine, "2027-02", **w())
    with Session(engine) as session:
        view = SqlBooksView(session)
        assert view.earliest_open_before(Period(2026, 11)) is None
        assert view.earliest_open_before(Period(2026, 12)) == Period(2026, 11)
        assert view.earliest_open_before(Period(2027, 3)) == Period(2026, 11)
    close_month(engine, PERIOD, **w())
    with Session(engine) as session:
        view = SqlBooksView(session)
        assert view.earliest_open_before(Period(2027, 3)) == Period(2026, 12)
        assert view.earliest_open_before(Period(2026, 12)) is None


def run_seq(engine: Engine) -> int:
    return int(next(r for r in journal_page(engine) if r["kind"] == "run_month")["seq"])


def test_a_household_whose_run_is_reversed_entirely_is_credited_again_once(
    engine: Engine, db_url: str
) -> None:
    small_fund(engine)  # hh_a owes 5 000, credit 10 000; hh_b owes 2 000, credit 20 000
    seq = run_seq(engine)
    # The run's entries by household id: hh_a's contribution and credit, then hh_b's.
    reverse_entry(engine, f"{seq}.3", "wrong facts", PERIOD, **w())  # hh_b's credit
    assert set(marks(engine)) == {("hh_a", PERIOD), ("hh_b", PERIOD)}
    assert run_month(engine, PERIOD, **w())["credited"] == 0  # its contribution stands
    reverse_entry(engine, f"{seq}.2", "wrong facts", PERIOD, **w())  # hh_b's contribution
    assert marks(engine) == {("hh_a", PERIOD): seq}
    assert balances(engine, "hh_b") | {"lots": None} == {
        "household_id": "hh_b",
        "credit_cents": 0,
        "due_cents": 0,
        "lots": None,
    }
    again = run_month(engine, PERIOD, **w())
    assert (again["credited"], again["already_credited"]) == (1, 1)
    (rerun,) = again["seqs"]
    assert marks(engine) == {("hh_a", PERIOD): seq, ("hh_b", PERIOD): rerun}
    assert balances(engine, "hh_b") == {
        "household_id": "hh_b",
        "credit_cents": 20_000,
        "due_cents": 2_000,
        "lots": [
            {
                "lot_id": f"{rerun}.1",
                "period": PERIOD,
                "remaining_cents": 20_000,
                "expires_after": "2026-12",
            }
        ],
    }
    assert balances(engine, "hh_a")["credit_cents"] == 10_000
    assert run_month(engine, PERIOD, **w())["credited"] == 0  # exactly once again
    report = verified(engine, db_url)
    assert report["records_checked"] == head_seq(engine)


def test_reversing_an_entry_that_is_not_a_run_keeps_the_marks(engine: Engine, db_url: str) -> None:
    small_fund(engine)
    seq = run_seq(engine)
    paid = record_payment(engine, "hh_a", 1_000, "cash", "R-1", date(2026, 11, 20), **w())
    reverse_entry(engine, f"{paid['seq']}.0", "wrong amount", PERIOD, **w())
    assert marks(engine) == {("hh_a", PERIOD): seq, ("hh_b", PERIOD): seq}
    assert run_month(engine, PERIOD, **w())["credited"] == 0
    verified(engine, db_url)


def test_restoring_a_reversed_run_marks_the_household_again(engine: Engine, db_url: str) -> None:
    small_fund(engine)
    seq = run_seq(engine)
    credit = reverse_entry(engine, f"{seq}.1", "wrong facts", PERIOD, **w())  # hh_a's credit
    reverse_entry(engine, f"{seq}.0", "wrong facts", PERIOD, **w())
    assert ("hh_a", PERIOD) not in marks(engine)
    restored = reverse_entry(engine, credit["entry_id"], "it was right", PERIOD, **w())
    assert marks(engine)[("hh_a", PERIOD)] == restored["seq"]
    assert balances(engine, "hh_a")["credit_cents"] == 10_000
    assert run_month(engine, PERIOD, **w())["credited"] == 0
    verified(engine, db_url)
