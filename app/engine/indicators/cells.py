"""Cells: one figure of one indicator for one group, with the households it is built from.

A ``Tally`` is additive: two months' tallies of the same (indicator, group) add their
numerators and denominators and unite their households, so a period's figure is exactly
the sum of its months' (never an average of averages). A ``Cell`` is what is published:
the tally's value (cents, a count or an exact ratio), or nothing when suppressed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fractions import Fraction

# Units a cell's value is expressed in.
CENTS = "cents"
RATIO = "ratio"
HOUSEHOLDS = "households"
MONTHS = "months"
HOURS = "hours"
CENTS_PER_HOUSEHOLD = "cents_per_household"

# Units whose denominator adds up over months (a ratio of sums); the others keep theirs.
SHARED = frozenset({RATIO, CENTS_PER_HOUSEHOLD})

ALL = "all"


@dataclass(frozen=True, slots=True)
class Tally:
    """An additive figure: ``value = numerator / denominator`` (denominator 1 for amounts
    and counts). ``households`` is the bitmask (app.engine.indicators.population) of the
    households the figure is built from, ``None`` for figures about the fund or institutions
    (the reserve, subsidies), which are never suppressed."""

    indicator: str
    group: str
    unit: str
    numerator: int
    denominator: int = 1
    households: int | None = None

    @property
    def key(self) -> tuple[str, str]:
        return self.indicator, self.group

    def plus(self, other: Tally) -> Tally:
        """This tally and ``other`` (same indicator and group) over both their months."""
        mine, theirs = self.households, other.households
        united = None if mine is None or theirs is None else mine | theirs
        return Tally(
            self.indicator,
            self.group,
            self.unit,
            self.numerator + other.numerator,
            self.denominator + other.denominator if self.unit in SHARED else self.denominator,
            united,
        )


def amount(indicator: str, group: str, cents: int, households: int | None) -> Tally:
    return Tally(indicator, group, CENTS, cents, 1, households)


def count(indicator: str, group: str, households: int) -> Tally:
    return Tally(indicator, group, HOUSEHOLDS, households.bit_count(), 1, households)


def ratio(indicator: str, group: str, num: int, den: int, households: int | None) -> Tally:
    return Tally(indicator, group, RATIO, num, den, households)


@dataclass(frozen=True, slots=True)
class Cell:
    """A published figure. ``value`` and ``households`` are ``None`` when ``suppressed``;
    ``value`` is also ``None`` for a ratio over nothing (a zero denominator)."""

    period: str
    indicator: str
    group: str
    unit: str
    value: Fraction | None
    households: int | None
    suppressed: bool

    def as_dict(self) -> dict[str, object]:
        value = self.value
        return {
            "period": self.period,
            "indicator": self.indicator,
            "group": self.group,
            "unit": self.unit,
            "numerator": None if value is None else value.numerator,
            "denominator": None if value is None else value.denominator,
            "households": self.households,
            "suppressed": self.suppressed,
        }


def value_of(tally: Tally) -> Fraction | None:
    """The tally's figure: a count of households is the number of DISTINCT households (over
    a period, a household active in three months counts once)."""
    if tally.unit == HOUSEHOLDS:
        return Fraction((tally.households or 0).bit_count())
    if tally.denominator == 0:
        return None
    return Fraction(tally.numerator, tally.denominator)


def combine(months: Iterable[Iterable[Tally]]) -> dict[tuple[str, str], Tally]:
    """The period's tallies: each (indicator, group) summed over the months that have it."""
    found: dict[tuple[str, str], Tally] = {}
    for tallies in months:
        for tally in tallies:
            before = found.get(tally.key)
            found[tally.key] = tally if before is None else before.plus(tally)
    return found
