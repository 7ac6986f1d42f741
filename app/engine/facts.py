"""A household's facts for one month, as the shell hands them to the engine.

Missing facts are ``None`` (never zero): rules that need them produce a "needs data"
outcome naming the field. Amounts are integer cents; engagement is whole minutes.

Building them is on the month run's path (one ``HouseholdFacts`` a household, 100k to 1M at a
time), so the one constructor is cheap: it sets the slots directly and checks the common case
(whole numbers, none negative, dates in order) in one expression; only facts that fail it are
examined field by field, to name every problem or to accept an ``int`` subclass. A household
without labels shares one empty read-only ``attributes`` mapping instead of a dict of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from types import MappingProxyType
from typing import Any

from app.engine.problems import InvalidInput, Problem

NO_ATTRIBUTES: Mapping[str, str] = MappingProxyType({})
_COUNTS = ("income_cents", "chosen_contribution_cents", "engagement_minutes", "arrears_months")


@dataclass(frozen=True, slots=True)
class Person:
    """One person of the household. ``birth_on`` None means the age is unknown.

    ``birth_day`` is ``birth_on.toordinal()`` (``None`` when unknown), computed once with the
    person: the engine reads households' persons as columns of day numbers
    (``app.engine.batch.columns``), and loaders share one ``Person`` per birth date.
    """

    birth_on: date | None
    birth_day: int | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _set_birth_day(self, None if self.birth_on is None else self.birth_on.toordinal())


@dataclass(frozen=True, slots=True, init=False)
class HouseholdFacts:
    """Everything the rules may read about one household for one month.

    - ``income_cents``: declared net monthly resources of the household.
    - ``persons``: every person, the account holder included (empty = unknown).
    - ``chosen_contribution_cents``: the member's own choice, for free-choice rules.
    - ``engagement_minutes``: hours of participation in the month, in minutes.
    - ``attributes``: free labels used by eligibility filters (e.g. ``scheme=caf``).
    - ``active_from`` / ``active_until``: membership dates, for proration by days.
    - ``priority_tier``: rationing tier (0 = most protected), when the fund uses tiers.
    - ``arrears_months``: months before this one whose contribution is still (partly) unpaid,
      from the books (``app.engine.arrears.unpaid_months``); ``None``: not read (no policy).

    Raises ``InvalidInput`` naming every field that is not a whole number of zero or more,
    an empty identifier, or a membership that ends before it starts.
    """

    household_id: str
    persons: tuple[Person, ...] = ()
    income_cents: int | None = None
    chosen_contribution_cents: int | None = None
    engagement_minutes: int | None = None
    attributes: Mapping[str, str] = field(default_factory=lambda: NO_ATTRIBUTES)
    active_from: date | None = None
    active_until: date | None = None
    priority_tier: int | None = None
    arrears_months: int | None = None

    def __init__(
        self,
        household_id: str,
        persons: tuple[Person, ...] = (),
        income_cents: int | None = None,
        chosen_contribution_cents: int | None = None,
        engagement_minutes: int | None = None,
        attributes: Mapping[str, str] = NO_ATTRIBUTES,
        active_from: date | None = None,
        active_until: date | None = None,
        priority_tier: int | None = None,
        arrears_months: int | None = None,
    ) -> None:
        # Frozen: the slots are set through their descriptors (what the generated __init__
        # does through object.__setattr__, at about twice the cost).
        _set_household_id(self, household_id)
        _set_persons(self, persons)
        _set_income_cents(self, income_cents)
        _set_chosen_contribution_cents(self, chosen_contribution_cents)
        _set_engagement_minutes(self, engagement_minutes)
        _set_attributes(self, attributes)
        _set_active_from(self, active_from)
        _set_active_until(self, active_until)
        _set_priority_tier(self, priority_tier)
        _set_arrears_months(self, arrears_months)
        if (
            type(household_id) is not str
            or not household_id
            or (income_cents is not None and (type(income_cents) is not int or income_cents < 0))
            or (
                chosen_contribution_cents is not None
                and (type(chosen_contribution_cents) is not int or chosen_contribution_cents < 0)
            )
            or (
                engagement_minutes is not None
                and (type(engagement_minutes) is not int or engagement_minutes < 0)
            )
            or (
                arrears_months is not None
                and (type(arrears_months) is not int or arrears_months < 0)
            )
            or (active_from is not None and active_until is not None and active_until < active_from)
        ):
            self._check()

    def _check(self) -> None:
        """Every problem of these facts, named; none for an ``int`` or ``str`` subclass."""
        problems: list[Problem] = []
        if not isinstance(self.household_id, str) or not self.household_id:
            problems.append(Problem("household_id", "expected a non-empty identifier"))
        for name in _COUNTS:
            value = getattr(self, name)
            if value is None:
                continue
            if isinstance(value, bool) or not isinstance(value, int):
                problems.append(Problem(name, f"expected a whole number, got {value!r}"))
            elif value < 0:
                problems.append(Problem(name, f"expected zero or more, got {value}"))
        if (
            self.active_from is not None
            and self.active_until is not None
            and self.active_until < self.active_from
        ):
            problems.append(
                Problem(
                    "active_until",
                    f"membership ends ({self.active_until}) before it starts ({self.active_from})",
                )
            )
        if problems:
            raise InvalidInput(problems)


_set_birth_day = Person.__dict__["birth_day"].__set__


def _setter(name: str) -> Any:
    return HouseholdFacts.__dict__[name].__set__


_set_household_id = _setter("household_id")
_set_persons = _setter("persons")
_set_income_cents = _setter("income_cents")
_set_chosen_contribution_cents = _setter("chosen_contribution_cents")
_set_engagement_minutes = _setter("engagement_minutes")
_set_attributes = _setter("attributes")
_set_active_from = _setter("active_from")
_set_active_until = _setter("active_until")
_set_priority_tier = _setter("priority_tier")
_set_arrears_months = _setter("arrears_months")
