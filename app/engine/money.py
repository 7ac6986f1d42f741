"""Exact money arithmetic: integer cents, exact rates, declared rounding, exact splits.

Guarantees:
- amounts are ``int`` cents; rates are ``fractions.Fraction`` parsed from decimal strings;
  no ``float`` is ever accepted (``parse_rate`` refuses it);
- ``round_ratio`` rounds an exact rational once, at a declared unit and mode;
- ``split_by_largest_remainder`` returns parts that sum to the total exactly, independent of
  input order (ties broken by the caller's keys, never by position).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction
from itertools import islice
from math import lcm
from operator import le

_DECIMAL_RE = re.compile(r"^-?\d+(\.\d+)?$")


class RoundingMode(StrEnum):
    """How a value between two steps is brought onto the step grid."""

    DOWN = "down"  # toward zero for positives (floor for non-negative values)
    UP = "up"  # away from zero for positives (ceiling for non-negative values)
    HALF_UP = "half_up"  # nearest step, exact halves go up
    HALF_EVEN = "half_even"  # nearest step, exact halves go to the even step


@dataclass(frozen=True, slots=True)
class Rounding:
    """A declared rounding: the step in cents (1, 10, 100...) and the mode."""

    unit_cents: int = 1
    mode: RoundingMode = RoundingMode.HALF_UP

    def __post_init__(self) -> None:
        if not isinstance(self.unit_cents, int) or self.unit_cents <= 0:
            raise ValueError(
                f"rounding unit must be a positive whole number of cents, got {self.unit_cents!r}"
            )


CENT_HALF_UP = Rounding(1, RoundingMode.HALF_UP)


def floor_div(numerator: int, denominator: int) -> int:
    """Floor of numerator/denominator for a positive denominator."""
    return numerator // denominator


def round_ratio(numerator: int, denominator: int, rounding: Rounding = CENT_HALF_UP) -> int:
    """Round the exact value ``numerator/denominator`` (in cents) at the declared step.

    Works on integers only (the hot path); ``denominator`` must be positive.
    Negative values round symmetrically (``down`` means toward zero).
    """
    if rounding is CENT_HALF_UP and numerator >= 0 < denominator:
        # The usual rounding (a cent, half up) of a value of zero or more, in one step: the
        # same rule as below (a remainder of at least half a cent goes up), called per
        # household by the month run's and the projection's hot loops.
        quotient, remainder = divmod(numerator, denominator)
        return quotient + 1 if 2 * remainder >= denominator else quotient
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    if numerator < 0:
        return -round_ratio(-numerator, denominator, rounding)
    step = denominator * rounding.unit_cents
    quotient, remainder = divmod(numerator, step)
    if remainder == 0:
        return quotient * rounding.unit_cents
    mode = rounding.mode
    if mode is RoundingMode.DOWN:
        steps = quotient
    elif mode is RoundingMode.UP:
        steps = quotient + 1
    else:
        twice = remainder * 2
        if twice > step:
            steps = quotient + 1
        elif twice < step:
            steps = quotient
        elif mode is RoundingMode.HALF_UP:
            steps = quotient + 1
        else:
            steps = quotient + (quotient & 1)
    return steps * rounding.unit_cents


def round_fraction(value: Fraction, rounding: Rounding = CENT_HALF_UP) -> int:
    """Round an exact Fraction of cents at the declared step."""
    return round_ratio(value.numerator, value.denominator, rounding)


def parse_rate(text: object) -> Fraction:
    """Parse a decimal string ("0.025") or an int into an exact Fraction.

    Floats are refused: a float cannot carry an exact rate.
    """
    if isinstance(text, (bool, float)):
        raise ValueError(f'expected a decimal string such as "0.025", got the number {text!r}')
    if isinstance(text, int):
        return Fraction(text)
    if isinstance(text, str) and _DECIMAL_RE.match(text.strip()):
        return Fraction(text.strip())
    raise ValueError(f'expected a decimal string such as "0.025", got {text!r}')


def format_cents(amount_cents: int, sep: str = ",") -> str:
    """Render cents as euros with two decimals: 12345 -> '123,45' (French) or '123.45'."""
    sign = "-" if amount_cents < 0 else ""
    euros, cents = divmod(abs(amount_cents), 100)
    return f"{sign}{euros}{sep}{cents:02d}"


def format_rate(rate: Fraction) -> str:
    """Render an exact rate as a short decimal string when it has one: 1/40 -> '0.025'."""
    if rate.denominator == 1:
        return str(rate.numerator)
    den = rate.denominator
    twos = fives = 0
    while den % 2 == 0:
        den //= 2
        twos += 1
    while den % 5 == 0:
        den //= 5
        fives += 1
    if den != 1:
        return f"{rate.numerator}/{rate.denominator}"
    digits = max(twos, fives)
    scaled = rate * 10**digits
    text = f"{abs(scaled.numerator):0{digits + 1}d}"
    sign = "-" if rate < 0 else ""
    return f"{sign}{text[:-digits]}.{text[-digits:]}"


def split_by_largest_remainder(
    total_cents: int,
    weights: Sequence[int | Fraction],
    tie_break_keys: Sequence[str],
) -> list[int]:
    """Split ``total_cents`` in proportion to ``weights``; parts sum to the total exactly.

    Each part gets the floor of its exact share; the cents left over go one each to the
    largest remainders, ties broken by ascending ``tie_break_keys`` (e.g. household ids),
    so the result never depends on input order. Weights must be non-negative; if they all
    are zero the total is split equally.
    """
    if len(weights) != len(tie_break_keys):
        raise ValueError("weights and tie_break_keys must have the same length")
    count = len(weights)
    if count == 0:
        if total_cents != 0:
            raise ValueError("cannot split a non-zero total between no parts")
        return []
    if total_cents < 0:
        raise ValueError("total_cents must be non-negative")
    # Plain ints (the common case: cents) are recognised in one pass at C speed; anything
    # else (an int subclass, a Fraction) is examined weight by weight.
    if set(map(type, weights)) <= {int}:
        return _split_int(total_cents, list(weights), tie_break_keys)  # type: ignore[arg-type]
    if all(isinstance(w, int) for w in weights):
        return _split_int(total_cents, [int(w) for w in weights], tie_break_keys)
    fracs = [Fraction(w) for w in weights]
    if any(w < 0 for w in fracs):
        raise ValueError("weights must be non-negative")
    scale = 1
    for weight in fracs:
        scale = lcm(scale, weight.denominator)
    # Same shares on integer weights: multiplying every weight by one constant changes nothing.
    return _split_int(total_cents, [int(w * scale) for w in fracs], tie_break_keys)


def _split_int(total_cents: int, weights: list[int], tie_break_keys: Sequence[str]) -> list[int]:
    """Largest remainder on integer weights: floors, remainders on one denominator, then one
    cent each to the ``total - sum(floors)`` largest remainders (ties by ascending key)."""
    if weights and min(weights) < 0:
        raise ValueError("weights must be non-negative")
    weight_sum = sum(weights)
    if weight_sum == 0:
        weights = [1] * len(weights)
        weight_sum = len(weights)
    scaled = [total_cents * weight for weight in weights]
    parts = [share // weight_sum for share in scaled]
    left_over = total_cents - sum(parts)
    if left_over:
        remainders = [share % weight_sum for share in scaled]
        for index in _largest_first(remainders, tie_break_keys)[:left_over]:
            parts[index] += 1
    return parts


def _largest_first(remainders: list[int], keys: Sequence[str]) -> list[int]:
    """Positions by descending remainder, ties by ascending key (then position)."""
    if all(map(le, keys, islice(keys, 1, None))):
        # Keys already in order (a fund's households by id): a stable sort on the remainders
        # alone keeps equal remainders in key order, with no tuple built per position.
        return sorted(range(len(remainders)), key=remainders.__getitem__, reverse=True)
    return sorted(range(len(remainders)), key=lambda i: (-remainders[i], keys[i]))
