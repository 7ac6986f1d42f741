"""What a projection assumes, and where it starts from; both validated, every problem listed.

Units: money in integer cents, rates as exact ``Fraction`` values (never floats). The income
drift is per month and compounds: month ``k`` of the projection (``k = 0`` for the first)
reads each household's income times ``(1 + income_drift) ** k``, rounded half up to the
cent from the income of the start (so rounding never accumulates). The spend rate is the
share of the credit a household may spend in a month that it spends in that month.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.problems import InvalidInput, Problem
from app.engine.projection.credit_flow import LotColumns

MAX_MONTHS = 60


@dataclass(frozen=True, slots=True)
class Assumptions:
    """The stated assumptions of a projection (each month's figures are explained by them).

    - ``months``: how many months ahead, the first being ``FundNow.start``;
    - ``arrivals_per_month`` / ``departures_per_month``: households joining / leaving before
      each month's run (see ``membership``: clones of existing profiles, smallest ids leave);
    - ``income_drift``: exact monthly change of every household's income (``0.01`` = +1 %);
    - ``spend_rate``: share of the spendable credit spent each month, from 0 to 1;
    - ``subsidies_cents``: subsidies received before the run of the given months.
    """

    months: int = 12
    arrivals_per_month: int = 0
    departures_per_month: int = 0
    income_drift: Fraction = Fraction(0)
    spend_rate: Fraction = Fraction(1)
    subsidies_cents: Mapping[Period, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        problems = [
            *_whole("months", self.months, 1, MAX_MONTHS),
            *_whole("arrivals_per_month", self.arrivals_per_month, 0, 100_000),
            *_whole("departures_per_month", self.departures_per_month, 0, 100_000),
        ]
        if not isinstance(self.income_drift, Fraction) or not self.income_drift > -1:
            problems.append(
                Problem(
                    "income_drift", f"expected an exact rate above -1, got {self.income_drift!r}"
                )
            )
        if not isinstance(self.spend_rate, Fraction) or not 0 <= self.spend_rate <= 1:
            problems.append(
                Problem(
                    "spend_rate", f"expected an exact rate from 0 to 1, got {self.spend_rate!r}"
                )
            )
        for period, cents in self.subsidies_cents.items():
            if isinstance(cents, bool) or not isinstance(cents, int) or cents < 0:
                problems.append(
                    Problem(f"subsidies.{period}", f"expected zero or more cents, got {cents!r}")
                )
        if problems:
            raise InvalidInput(problems)

    def subsidy_in(self, period: Period) -> int:
        return self.subsidies_cents.get(period, 0)


@dataclass(frozen=True, slots=True)
class FundNow:
    """The fund as the projection starts: its free reserve before ``start``'s run (euros held
    and receivable less credit outstanding and merchant payables, as the month run reads it),
    the households whose facts are in force, and the open credit lots (as columns)."""

    start: Period
    reserve_cents: int
    households: Sequence[HouseholdFacts]
    lots: LotColumns = field(default_factory=LotColumns)


def check_horizon(assumptions: Assumptions, start: Period) -> None:
    """Subsidies must fall within the months projected."""
    last = start.shift(assumptions.months - 1)
    outside = [p for p in assumptions.subsidies_cents if not start <= p <= last]
    if outside:
        raise InvalidInput(
            [
                Problem(f"subsidies.{p}", f"expected a month from {start} to {last}")
                for p in sorted(outside)
            ]
        )


def _whole(name: str, value: object, low: int, high: int) -> list[Problem]:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        return [Problem(name, f"expected a whole number from {low} to {high}, got {value!r}")]
    return []
