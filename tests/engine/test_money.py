"""Hand-computed rounding and exact splits."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine.money import (
    Rounding,
    RoundingMode,
    format_rate,
    parse_rate,
    round_ratio,
    split_by_largest_remainder,
)

HALF_UP = RoundingMode.HALF_UP
HALF_EVEN = RoundingMode.HALF_EVEN


@pytest.mark.parametrize(
    ("num", "den", "unit", "mode", "expected"),
    [
        (1005, 10, 1, HALF_UP, 101),  # 100.5 cents -> 101
        (1005, 10, 1, HALF_EVEN, 100),  # 100.5 -> even 100
        (1015, 10, 1, HALF_EVEN, 102),  # 101.5 -> even 102
        (1004, 10, 1, RoundingMode.UP, 101),
        (1009, 10, 1, RoundingMode.DOWN, 100),
        (1250, 1, 100, HALF_UP, 1300),  # 12.50 EUR to the euro, half up -> 13 EUR
        (1250, 1, 100, HALF_EVEN, 1200),  # 12.50 EUR to the euro, half even -> 12 EUR
        (1249, 1, 100, HALF_UP, 1200),
        (1201, 1, 10, RoundingMode.UP, 1210),
        (1209, 1, 10, RoundingMode.DOWN, 1200),
        (-1005, 10, 1, HALF_UP, -101),
        (0, 7, 1, RoundingMode.UP, 0),
    ],
)
def test_round_ratio_follows_declared_unit_and_mode(
    num: int, den: int, unit: int, mode: RoundingMode, expected: int
) -> None:
    assert round_ratio(num, den, Rounding(unit, mode)) == expected


def test_parse_rate_refuses_floats_and_reads_decimals_exactly() -> None:
    assert parse_rate("0.025") == Fraction(1, 40)
    assert parse_rate(3) == Fraction(3)
    with pytest.raises(ValueError, match="decimal string"):
        parse_rate(0.025)
    with pytest.raises(ValueError, match="decimal string"):
        parse_rate("2,5%")


def test_format_rate_gives_short_decimals() -> None:
    assert format_rate(Fraction(1, 40)) == "0.025"
    assert format_rate(Fraction(1, 3)) == "1/3"
    assert format_rate(Fraction(5)) == "5"


def test_split_gives_leftover_cents_to_largest_remainders_then_keys() -> None:
    # 100 cents in thirds: 33.33 each, one cent left, tie broken by the smallest key.
    assert split_by_largest_remainder(100, [1, 1, 1], ["b", "a", "c"]) == [33, 34, 33]
    assert split_by_largest_remainder(10, [1, 2], ["x", "y"]) == [3, 7]


@given(
    total=st.integers(min_value=0, max_value=10**9),
    weights=st.lists(st.integers(min_value=0, max_value=10**6), min_size=1, max_size=30),
)
def test_split_sums_to_total_and_ignores_order(total: int, weights: list[int]) -> None:
    keys = [f"h{i:03d}" for i in range(len(weights))]
    parts = split_by_largest_remainder(total, weights, keys)
    assert sum(parts) == total
    assert all(p >= 0 for p in parts)
    reversed_parts = split_by_largest_remainder(total, weights[::-1], keys[::-1])
    assert reversed_parts[::-1] == parts
