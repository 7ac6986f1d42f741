"""Exact rationals as plain integer pairs, for the per-household hot path.

A ``Q`` is ``(numerator, denominator)`` with ``denominator > 0``, not necessarily reduced.
``fractions.Fraction`` is exact too but normalises with a gcd on every operation (~18x slower
here); rule documents are compiled with Fraction, households are computed with ``Q``.
"""

from __future__ import annotations

from fractions import Fraction

Q = tuple[int, int]

ZERO: Q = (0, 1)


def q_int(value: int) -> Q:
    return (value, 1)


def q_of(value: Fraction) -> Q:
    return (value.numerator, value.denominator)


def q_fraction(value: Q) -> Fraction:
    return Fraction(value[0], value[1])


def q_add(a: Q, b: Q) -> Q:
    if a[1] == b[1]:
        return (a[0] + b[0], a[1])
    return (a[0] * b[1] + b[0] * a[1], a[1] * b[1])


def q_sub(a: Q, b: Q) -> Q:
    if a[1] == b[1]:
        return (a[0] - b[0], a[1])
    return (a[0] * b[1] - b[0] * a[1], a[1] * b[1])


def q_mul(a: Q, b: Q) -> Q:
    return (a[0] * b[0], a[1] * b[1])


def q_div(a: Q, b: Q) -> Q:
    """a / b; b must be non-zero."""
    if b[0] == 0:
        raise ZeroDivisionError("division by zero")
    if b[0] < 0:
        return (-a[0] * b[1], a[1] * -b[0])
    return (a[0] * b[1], a[1] * b[0])


def q_cmp(a: Q, b: Q) -> int:
    """-1, 0 or 1 as a <, == or > b."""
    left = a[0] * b[1]
    right = b[0] * a[1]
    return (left > right) - (left < right)


def q_lt(a: Q, b: Q) -> bool:
    return a[0] * b[1] < b[0] * a[1]


def q_le(a: Q, b: Q) -> bool:
    return a[0] * b[1] <= b[0] * a[1]


def q_min(a: Q, b: Q) -> Q:
    return b if q_lt(b, a) else a


def q_max(a: Q, b: Q) -> Q:
    return b if q_lt(a, b) else a


def q_reduce(a: Q) -> Q:
    """The reduced form (for explanations and canonical output, not the hot path)."""
    fraction = Fraction(a[0], a[1])
    return (fraction.numerator, fraction.denominator)


def q_str(a: Q) -> str:
    """Canonical text: an integer when whole, else 'num/den' reduced."""
    num, den = q_reduce(a)
    return str(num) if den == 1 else f"{num}/{den}"
