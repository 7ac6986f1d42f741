"""The section's declared rounding, applied once to the exact formula value, through assess()."""

from __future__ import annotations

import pytest

from app.engine import Status, assess
from tests.engine.contribution_support import ADULT, CHILD, PERIOD, TEEN, household, rule_set

SHARE = {"kind": "proportional", "base": "income", "rate": "0.025"}


@pytest.mark.parametrize(
    ("income_cents", "unit_cents", "mode", "expected_cents"),
    [
        # 49 380 × 2.5 % = 1 234.5 (an exact half cent)
        (49380, 1, "down", 1234),
        (49380, 1, "up", 1235),
        (49380, 1, "half_up", 1235),
        (49380, 1, "half_even", 1234),
        # 49 420 × 2.5 % = 1 235.5: half to even goes up here
        (49420, 1, "half_even", 1236),
        (49420, 1, "half_up", 1236),
        # 49 381 × 2.5 % = 1 234.525: not a half, nearest is up
        (49381, 1, "half_even", 1235),
        (49381, 1, "down", 1234),
        # to 10 cents: 1 234.5 -> 1 230 / 1 240
        (49380, 10, "down", 1230),
        (49380, 10, "up", 1240),
        (49380, 10, "half_up", 1230),
        (49380, 10, "half_even", 1230),
        # 49 400 -> 1 235 exactly half of 10 cents: 1 240 both ways (124 is even)
        (49400, 10, "half_up", 1240),
        (49400, 10, "half_even", 1240),
        # 49 000 -> 1 225: half_up 1 230, half_even 1 220 (122 is even)
        (49000, 10, "half_up", 1230),
        (49000, 10, "half_even", 1220),
        # to the euro: 50 000 -> 1 250
        (50000, 100, "down", 1200),
        (50000, 100, "up", 1300),
        (50000, 100, "half_up", 1300),
        (50000, 100, "half_even", 1200),
        # whole values never move
        (40000, 100, "up", 1000),
        (40000, 100, "down", 1000),
    ],
)
def test_every_rounding_mode_applies_once_to_the_exact_value(
    income_cents: int, unit_cents: int, mode: str, expected_cents: int
) -> None:
    rules = rule_set(SHARE, {"unit_cents": unit_cents, "mode": mode})
    result = assess(rules, household(income_cents), PERIOD)
    assert (result.status, result.contribution_cents) == (Status.ASSESSED, expected_cents)


def test_parts_are_not_rounded_before_they_are_added() -> None:
    # Two parts of 0.4 cent each: rounded separately they would be 0; once, 0.8 -> 1.
    part = {"kind": "proportional", "base": "income", "rate": "0.001"}
    rules = rule_set({"kind": "sum", "of": [part, part]}, {"unit_cents": 1, "mode": "half_up"})
    assert assess(rules, household(400), PERIOD).contribution_cents == 1


@pytest.mark.parametrize(
    ("unit_cents", "mode", "expected_cents"),
    [(1, "half_up", 3833), (1, "up", 3834), (100, "half_up", 3800), (100, "up", 3900)],
)
def test_linear_value_between_cents_is_rounded_by_the_section(
    unit_cents: int, mode: str, expected_cents: int
) -> None:
    line = {
        "kind": "linear",
        "base": "quotient_familial",
        "from": {"base": 50000, "amount_cents": 3000},
        "to": {"base": 110000, "amount_cents": 6000},
    }
    rules = rule_set(line, {"unit_cents": unit_cents, "mode": mode})
    # QF 200 000 / 3 parts = 66 666.67 -> 11 500 / 3 = 3 833.33
    result = assess(rules, household(200000, (ADULT, ADULT, TEEN, CHILD)), PERIOD)
    assert result.contribution_cents == expected_cents


def test_rounding_step_shows_the_exact_value_and_the_result() -> None:
    rules = rule_set(SHARE, {"unit_cents": 1, "mode": "half_even"})
    result = assess(rules, household(49380), PERIOD)
    assert result.explanation is not None
    last = result.explanation.contribution[-1]
    assert (last.code, last.param("exact"), last.param("result_cents")) == (
        "rounding",
        "2469/2",
        1234,
    )
