"""Reversing a household's month run un-marks it: once every entry the run posted for the
household (its contribution and its credit) is reversed, a later run credits it for that month
again, exactly once; reversing any other entry leaves the marks alone; restoring a reversed
run entry marks the household again, or is refused if a later run already credited it."""

from __future__ import annotations

import pytest

from app.engine.books import Conflict, CreditLot, MemoryBooks, apply
from app.engine.books.journal import command_of
from app.engine.books.state import MarkCredited, MarkReversed, UnmarkCredited
from app.engine.period import Period
from app.engine.problems import Problem
from tests.engine.test_books_support import (
    Driver,
    enrol,
    funding,
    line,
    payment,
    postings,
    replay,
    run,
)

JAN = Period(2026, 1)


def run_january() -> Driver:
    """seq 1-3 enrol hh_a, hh_b, subsidy 1 000 EUR; seq 4 the January run:
    4.0 hh_a contribution 1 000, 4.1 hh_a credit 5 000, 4.2 hh_b contribution 2 000,
    4.3 hh_b credit 8 000 (no expiry policy: lots never expire)."""
    d = Driver()
    d.do("enrol_household", enrol("hh_a"))
    d.do("enrol_household", enrol("hh_b"))
    d.do("record_funding", funding(100_000))
    d.do("run_month", run("2026-01", [line("hh_a", 1000, 5000), line("hh_b", 2000, 8000)]))
    return d


def reverse(d: Driver, entry_id: str, period: str = "2026-01") -> tuple[object, ...]:
    payload = {"entry_id": entry_id, "reason": "wrong facts", "period": period}
    return d.do("reverse_entry", payload).registry


def nonzero(books: MemoryBooks) -> dict[str, int]:
    return books.nonzero_balances()


def assert_replays(d: Driver) -> None:
    """The full replay and the verifier's streaming books agree with the books, marks too."""
    result = replay(d.records)
    assert result.ok, result.disagreement
    assert result.books.credited_pairs == d.books.credited_pairs
    assert nonzero(result.books) == nonzero(d.books)
    streaming = MemoryBooks(keep_entries=False)
    for record in d.records:
        streaming.commit(apply(streaming, command_of(record), int(record["seq"])))
    assert streaming.credited_pairs == d.books.credited_pairs


def test_reversing_the_whole_run_of_a_household_lets_a_later_run_credit_it_again() -> None:
    d = run_january()
    # Only the credit reversed: the contribution stands, so the run is not undone.
    assert reverse(d, "4.1") == (MarkReversed("4.1", "5.0"),)
    assert d.books.credited("hh_a", JAN)
    with pytest.raises(Conflict) as caught:
        d.try_apply("run_month", run("2026-01", [line("hh_a", 1000, 6000)]))
    assert caught.value.problems == (
        Problem("households[0].household_id", "household 'hh_a' is already credited for 2026-01"),
    )
    # The contribution reversed too: the last of its run's entries, so the mark is cleared.
    assert reverse(d, "4.0") == (MarkReversed("4.0", "6.0"), UnmarkCredited("hh_a", JAN))
    assert not d.books.credited("hh_a", JAN)
    assert d.books.credited("hh_b", JAN)
    # The corrected run: hh_a only (hh_b is still credited), 1 000 due and 6 000 of credit.
    rerun = d.do("run_month", run("2026-01", [line("hh_a", 1000, 6000)]))
    assert [e.entry_id for e in rerun.entries] == ["7.0", "7.1"]
    assert postings(rerun) == [
        [("411:hh_a", 1000), ("756", -1000)],
        [("6571", 6000), ("419:hh_a", -6000)],
    ]
    assert rerun.registry == (MarkCredited("hh_a", JAN),)
    assert nonzero(d.books) == {
        "512": 100_000,
        "74:city": -100_000,
        "411:hh_a": 1000,  # 1 000 - 1 000 (reversed) + 1 000: owed once
        "411:hh_b": 2000,
        "756": -3000,  # -1 000 - 2 000 + 1 000 - 1 000
        "6571": 14_000,  # 5 000 + 8 000 - 5 000 + 6 000
        "419:hh_a": -6000,  # -5 000 + 5 000 - 6 000
        "419:hh_b": -8000,
    }
    assert d.books.lots("hh_a") == [CreditLot("7.1", "hh_a", JAN, None, 6000)]
    assert d.books.lots("hh_b") == [CreditLot("4.3", "hh_b", JAN, None, 8000)]
    # Exactly once again: a third run of hh_a for January is refused.
    with pytest.raises(Conflict):
        d.try_apply("run_month", run("2026-01", [line("hh_a", 1000, 6000)]))
    assert_replays(d)


def test_the_last_reversal_of_a_run_clears_the_mark_whichever_entry_it_is() -> None:
    d = run_january()
    assert reverse(d, "4.2") == (MarkReversed("4.2", "5.0"),)  # hh_b's contribution first
    assert d.books.credited("hh_b", JAN)
    assert reverse(d, "4.3") == (MarkReversed("4.3", "6.0"), UnmarkCredited("hh_b", JAN))
    assert d.books.credited_pairs == {("hh_a", JAN)}
    assert_replays(d)


def test_reversing_entries_that_are_not_a_run_leaves_the_marks() -> None:
    d = run_january()
    d.do("record_payment", payment("hh_a", 1000))  # seq 5, entry 5.0
    d.do("record_funding", funding(500, kind="donation"))  # seq 6, entry 6.0
    assert reverse(d, "5.0") == (MarkReversed("5.0", "7.0"),)  # the payment
    assert reverse(d, "6.0") == (MarkReversed("6.0", "8.0"),)  # the donation
    assert d.books.credited_pairs == {("hh_a", JAN), ("hh_b", JAN)}
    assert_replays(d)


def test_a_run_line_is_told_by_its_household_not_by_its_position() -> None:
    # hh_a: a contribution and no credit (4.0); hh_b: a credit and no contribution (4.1).
    # Neighbours, but of two households: each entry alone is its household's run.
    d = Driver()
    d.do("enrol_household", enrol("hh_a"))
    d.do("enrol_household", enrol("hh_b"))
    d.do("record_funding", funding(100_000))
    d.do("run_month", run("2026-01", [line("hh_a", 1000, 0), line("hh_b", 0, 5000)]))
    assert reverse(d, "4.1") == (MarkReversed("4.1", "5.0"), UnmarkCredited("hh_b", JAN))
    assert d.books.credited_pairs == {("hh_a", JAN)}
    assert reverse(d, "4.0") == (MarkReversed("4.0", "6.0"), UnmarkCredited("hh_a", JAN))
    assert d.books.credited_pairs == set()
    assert_replays(d)


def test_restoring_an_undone_run_marks_the_household_again() -> None:
    d = run_january()
    reverse(d, "4.1")  # 5.0
    reverse(d, "4.0")  # 6.0, mark cleared
    # Reversing the reversal of the credit restores the credit (a new lot 7.0 of 5 000).
    assert reverse(d, "5.0") == (MarkReversed("5.0", "7.0"), MarkCredited("hh_a", JAN))
    assert d.books.credited("hh_a", JAN)
    assert d.books.lots("hh_a") == [CreditLot("7.0", "hh_a", JAN, None, 5000)]
    # Undoing the restored credit again: the contribution is still reversed, so it clears.
    assert reverse(d, "7.0") == (MarkReversed("7.0", "8.0"), UnmarkCredited("hh_a", JAN))
    assert not d.books.credited("hh_a", JAN)
    assert_replays(d)


def test_restoring_a_reversal_while_the_run_stands_changes_no_mark() -> None:
    d = run_january()
    reverse(d, "4.1")  # 5.0; the contribution 4.0 stands, hh_a stays credited
    assert reverse(d, "5.0") == (MarkReversed("5.0", "6.0"),)
    assert d.books.credited("hh_a", JAN)
    assert_replays(d)


def test_restoring_a_run_a_later_run_replaced_is_refused() -> None:
    d = run_january()
    reverse(d, "4.1")  # 5.0
    reverse(d, "4.0")  # 6.0
    d.do("run_month", run("2026-01", [line("hh_a", 1000, 6000)]))  # seq 7, credited again
    size = len(d.records)
    with pytest.raises(Conflict) as caught:
        d.try_apply("reverse_entry", {"entry_id": "5.0", "reason": "undo", "period": "2026-01"})
    assert caught.value.problems == (
        Problem(
            "entry_id",
            "reversing 5.0 would restore the month run of 'hh_a' for 2026-01, already credited "
            "again by a later run",
        ),
    )
    assert len(d.records) == size
    # The new run is undone like the first one.
    assert reverse(d, "7.1") == (MarkReversed("7.1", "8.0"),)
    assert reverse(d, "7.0") == (MarkReversed("7.0", "9.0"), UnmarkCredited("hh_a", JAN))
    assert_replays(d)


def test_a_reversal_in_a_later_month_clears_the_mark_of_the_run_month() -> None:
    d = run_january()
    d.do("close_month", {"period": "2026-01"})
    d.do("run_month", run("2026-02", [line("hh_a", 0, 100)]))  # opens February (seq 6)
    reverse(d, "4.1", "2026-02")  # 7.0
    assert reverse(d, "4.0", "2026-02") == (
        MarkReversed("4.0", "8.0"),
        UnmarkCredited("hh_a", JAN),
    )
    assert d.books.credited_pairs == {("hh_b", JAN), ("hh_a", Period(2026, 2))}
    assert_replays(d)
