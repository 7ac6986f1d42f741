"""Months close in order: ``close_month`` refuses a month while an earlier month the books
know (it was run) is still open; months the books never touched do not block."""

from __future__ import annotations

import pytest

from app.engine.books import BooksError, MemoryBooks, MonthNotClosed
from app.engine.period import Period
from app.engine.problems import Problem
from tests.engine.test_books_support import (
    EXPIRE_2,
    Driver,
    enrol,
    funding,
    line,
    payment,
    replay,
    run,
)


def months_run(*periods: str) -> Driver:
    """hh_a enrolled from 2026-01, a subsidy, and one run per month given (5 000 credit)."""
    d = Driver()
    d.do("enrol_household", enrol("hh_a"))
    d.do("record_funding", funding(1_000_000))
    for period in periods:
        d.do("run_month", run(period, [line("hh_a", 1000, 5000)], EXPIRE_2))
    return d


def close(d: Driver, period: str) -> None:
    d.do("close_month", {"period": period})


def refusal(d: Driver, period: str) -> BooksError:
    """``close_month`` of ``period`` refused; nothing recorded, no month state changed."""
    size, months = len(d.records), dict(d.books.months)
    with pytest.raises(BooksError) as caught:
        d.try_apply("close_month", {"period": period})
    assert len(d.records) == size
    assert d.books.months == months
    return caught.value


def test_a_month_is_not_closed_while_an_earlier_month_that_was_run_is_open() -> None:
    d = months_run("2026-03", "2026-04")
    error = refusal(d, "2026-04")
    assert type(error) is MonthNotClosed
    assert error.problems == (
        Problem(
            "period",
            "cannot close 2026-04: the earlier month 2026-03 is still open; close 2026-03 first",
        ),
    )
    assert d.books.month(Period(2026, 4)).status == "open"


def test_the_refusal_names_the_earliest_open_month() -> None:
    d = months_run("2026-02", "2026-03", "2026-05")
    assert refusal(d, "2026-05").problems == (
        Problem(
            "period",
            "cannot close 2026-05: the earlier month 2026-02 is still open; close 2026-02 first",
        ),
    )
    close(d, "2026-02")
    assert refusal(d, "2026-05").problems[0].message == (
        "cannot close 2026-05: the earlier month 2026-03 is still open; close 2026-03 first"
    )


def test_months_closed_in_order_close_and_replay() -> None:
    d = months_run("2026-03", "2026-04")
    close(d, "2026-03")
    effects = d.do("close_month", {"period": "2026-04"})
    assert dict(effects.result) == {"period": "2026-04", "status": "closed"}
    assert d.books.month(Period(2026, 3)).status == "closed"
    assert d.books.month(Period(2026, 4)).status == "closed"
    result = replay(d.records)
    assert result.ok, result.disagreement
    assert result.records == 6
    assert result.books.months == d.books.months


def test_a_later_month_does_not_block_an_earlier_one() -> None:
    d = months_run("2026-03", "2026-04")
    close(d, "2026-03")  # 2026-04 is open and later: no refusal
    assert d.books.month(Period(2026, 3)).status == "closed"


def test_months_the_books_never_touched_do_not_block() -> None:
    # 2026-01 and 2026-02 were never run (no month state); a payment booked in 2026-02 does
    # not give that month a state either: closing 2026-03 is not refused.
    d = months_run("2026-03")
    d.do("record_payment", payment("hh_a", 500, on="2026-02-10"))
    assert d.books.earliest_open_before(Period(2026, 3)) is None
    close(d, "2026-03")
    assert d.books.month(Period(2026, 3)).status == "closed"
    # A month closed without a run is known from then on: closed, it blocks nothing either.
    close(d, "2026-02")
    d.do("run_month", run("2026-05", [line("hh_a", 0, 100)], EXPIRE_2))
    close(d, "2026-05")
    assert replay(d.records).ok


def test_closed_and_sealed_earlier_months_do_not_block() -> None:
    d = months_run("2026-01", "2026-02")
    close(d, "2026-01")
    seal = {
        "period": "2026-01",
        "journal_size": d.next_seq - 1,
        "head_hash": d.head,
        "balances_digest": "d",
        "engine_version": "1",
        "run_fingerprint": "f",
    }
    d.do("seal_month", seal)
    close(d, "2026-02")
    assert d.books.month(Period(2026, 2)).status == "closed"


def test_earliest_open_before_reads_month_states_only() -> None:
    books = MemoryBooks()
    assert books.earliest_open_before(Period(2026, 5)) is None
    d = months_run("2026-04", "2026-02", "2026-06")
    books = d.books
    assert books.earliest_open_before(Period(2026, 2)) is None  # strictly before
    assert books.earliest_open_before(Period(2026, 3)) == Period(2026, 2)
    assert books.earliest_open_before(Period(2027, 1)) == Period(2026, 2)
    close(d, "2026-02")
    assert books.earliest_open_before(Period(2027, 1)) == Period(2026, 4)
