"""Who is a member in each projected month: deterministic departures, arrivals and incomes.

- Departures come first: the ``departures_per_month`` members with the smallest household
  ids leave before the month's run (a stated, reproducible choice, not a forecast of who).
- Arrivals are clones of the start's profiles taken in household id order, cycling: the
  ``n``-th arrival of the projection copies the ``n mod size``-th profile (its persons,
  income, attributes, tier), gets the id ``projected-YYYY-MM-NNNN`` and is a member from the
  first day of its month, with no month unpaid (``arrears_months`` 0, or ``None`` where the
  start's facts do not read arrears).
- Incomes drift as ``assumptions`` says: each month from each profile's starting income.

A month's households are columns (``HouseholdColumns``, ascending ids), rebuilt from the
profiles only when members leave or join; the drift replaces the income column alone, so no
household's facts are built again for a month (``HouseholdColumns.household`` gives the
drifted facts, with every other fact of the profile, when a rule reads them).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from fractions import Fraction
from operator import attrgetter

from app.engine.batch.columns import HouseholdColumns
from app.engine.facts import HouseholdFacts
from app.engine.money import round_ratio
from app.engine.period import Period
from app.engine.projection.assumptions import Assumptions


@dataclass(frozen=True, slots=True)
class Membership:
    """One projected month's households (ascending ids) and how they changed."""

    period: Period
    households: HouseholdColumns
    arrivals: int
    departures: int
    income_factor: Fraction


def memberships(
    start: Period, households: Sequence[HouseholdFacts], assumptions: Assumptions
) -> Iterator[Membership]:
    """Each projected month's membership, first month first."""
    profiles = sorted(households, key=_household_id)
    members = {f.household_id: f for f in profiles}
    ordered = list(members.values())  # by ascending id, kept so: sorted again on arrivals
    arrived = 0
    factor = Fraction(1)
    columns: HouseholdColumns | None = None
    for k in range(assumptions.months):
        period = start.shift(k)
        leaving = ordered[: assumptions.departures_per_month]
        for facts in leaving:
            del members[facts.household_id]
        joining = assumptions.arrivals_per_month if profiles else 0
        for j in range(joining):
            clone = _arrival(profiles[arrived % len(profiles)], period, j)
            members[clone.household_id] = clone
            arrived += 1
        if joining or leaving or columns is None:
            # Sorting the members themselves (runs already in order, merged) rather than
            # their ids and then looking each one up.
            ordered = (
                sorted(members.values(), key=_household_id) if joining else ordered[len(leaving) :]
            )
            columns = HouseholdColumns.from_facts(ordered)
        yield Membership(period, _drifted(columns, factor), joining, len(leaving), factor)
        factor *= 1 + assumptions.income_drift


_household_id = attrgetter("household_id")


def _arrival(profile: HouseholdFacts, period: Period, index: int) -> HouseholdFacts:
    return replace(
        profile,
        household_id=f"projected-{period}-{index + 1:04d}",
        attributes=dict(profile.attributes),
        active_from=period.first_day,
        active_until=None,
        # A new member owes nothing yet: the profile's unpaid months are its own.
        arrears_months=None if profile.arrears_months is None else 0,
    )


def _drifted(households: HouseholdColumns, factor: Fraction) -> HouseholdColumns:
    """The households with each income times ``factor``, to the cent, half up (the income
    column alone is new: ``HouseholdColumns.with_incomes``)."""
    if factor == 1:
        return households
    num, den = factor.numerator, factor.denominator
    return households.with_incomes(
        [
            None if income is None else round_ratio(income * num, den)
            for income in households.incomes_cents
        ]
    )
