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


def _split_by_definition(total: int, weights: list[int], keys: list[str]) -> list[int]:
    """The rule as written: the floor of each exact share, then one cent each to the largest
    exact remainders, ties by key, then by position (a plain, slow reading of it)."""
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights, weight_sum = [1] * len(weights), len(weights)
    shares = [Fraction(total * w, weight_sum) for w in weights]
    parts = [int(share) for share in shares]  # floor: shares are non-negative
    order = sorted(range(len(weights)), key=lambda i: (-(shares[i] - parts[i]), keys[i], i))
    for index in order[: total - sum(parts)]:
        parts[index] += 1
    return parts


@given(
    total=st.integers(min_value=0, max_value=10**6),
    weights=st.lists(st.integers(min_value=0, max_value=12), min_size=1, max_size=40),
    data=st.data(),
)
def test_split_equals_its_definition_with_many_ties(
    total: int, weights: list[int], data: st.DataObject
) -> None:
    # Small weights make equal remainders common; keys sorted or not, repeated or not, so
    # both ways the splitter orders remainders (keys in order or not) meet the definition.
    keys = data.draw(
        st.lists(st.sampled_from("abcde"), min_size=len(weights), max_size=len(weights))
    )
    if data.draw(st.booleans()):
        keys.sort()
    parts = split_by_largest_remainder(total, weights, keys)
    assert parts == _split_by_definition(total, weights, keys)
    assert sum(parts) == total
    exact = sum(weights) or len(weights)
    for part, weight in zip(parts, weights, strict=True):
        share = Fraction(total * (weight if sum(weights) else 1), exact)
        assert share - 1 < part < share + 1


def test_split_ties_go_to_the_smallest_key_whatever_the_order() -> None:
    # 5 cents over 4 equal weights: 1.25 each, one cent left; keys in order, then not.
    assert split_by_largest_remainder(5, [1, 1, 1, 1], ["a", "b", "c", "d"]) == [2, 1, 1, 1]
    assert split_by_largest_remainder(5, [1, 1, 1, 1], ["d", "c", "a", "b"]) == [1, 1, 2, 1]
    # 7 over weights 1, 2, 1, 2 (sum 6): exact 7/6, 14/6, 7/6, 14/6 -> floors 1, 2, 1, 2 and
    # remainders 1/6, 2/6, 1/6, 2/6: the one cent left goes to the first 2/6 by key ("b").
    assert split_by_largest_remainder(7, [1, 2, 1, 2], ["a", "b", "c", "d"]) == [1, 3, 1, 2]
    assert split_by_largest_remainder(7, [1, 2, 1, 2], ["a", "d", "c", "b"]) == [1, 2, 1, 3]


def test_round_ratio_at_a_cent_half_up_by_default() -> None:
    assert round_ratio(1005, 10) == 101  # 100.5 -> 101
    assert round_ratio(1004, 10) == 100  # 100.4 -> 100
    assert round_ratio(1006, 10) == 101
    assert round_ratio(1000, 10) == 100
    assert round_ratio(-1005, 10) == -101  # symmetric
    assert round_ratio(0, 7) == 0
    with pytest.raises(ValueError):
        round_ratio(5, 0)


@given(
    num=st.integers(min_value=-(10**12), max_value=10**12),
    den=st.integers(min_value=1, max_value=10**6),
)
def test_default_rounding_is_the_declared_cent_half_up(num: int, den: int) -> None:
    # The default (a cent, half up) takes a shortcut for values of zero or more: the same
    # figure as the same rounding declared by a new object, and as its exact definition.
    declared = round_ratio(num, den, Rounding(1, HALF_UP))
    assert round_ratio(num, den) == declared
    exact = Fraction(abs(num), den)
    magnitude = int(exact) + (1 if exact - int(exact) >= Fraction(1, 2) else 0)
    assert declared == (magnitude if num >= 0 else -magnitude)
