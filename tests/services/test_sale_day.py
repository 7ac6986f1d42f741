"""A sale is dated on or before the day it is recorded (issue 10, "time is respected"): a till
may run one day ahead of UTC, never more."""

from __future__ import annotations

from datetime import date

import pytest

from app.services.errors import InvalidRequest
from app.services.merchants import check_sale_day

TODAY = date(2027, 1, 31)


@pytest.mark.parametrize("on", [date(2026, 11, 15), TODAY, date(2027, 2, 1)])
def test_a_sale_today_tomorrow_in_utc_or_in_the_past_is_dated_as_given(on: date) -> None:
    check_sale_day(on, TODAY)


def test_a_sale_two_days_ahead_is_refused_naming_on() -> None:
    with pytest.raises(InvalidRequest) as refused:
        check_sale_day(date(2027, 2, 2), TODAY)
    (problem,) = refused.value.problems
    assert (problem.path, problem.message) == (
        "on",
        "2027-02-02 is after today (2027-01-31); a sale is dated on or before the day it is"
        " recorded",
    )
