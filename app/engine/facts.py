"""A household's facts for one month, as the shell hands them to the engine.

Missing facts are ``None`` (never zero): rules that need them produce a "needs data"
outcome naming the field. Amounts are integer cents; engagement is whole minutes.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date

from app.engine.problems import InvalidInput, Problem


@dataclass(frozen=True, slots=True)
class Person:
    """One person of the household. ``birth_on`` None means the age is unknown."""

    birth_on: date | None


@dataclass(frozen=True, slots=True)
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
    """

    household_id: str
    persons: tuple[Person, ...] = ()
    income_cents: int | None = None
    chosen_contribution_cents: int | None = None
    engagement_minutes: int | None = None
    attributes: Mapping[str, str] = field(default_factory=dict)
    active_from: date | None = None
    active_until: date | None = None
    priority_tier: int | None = None
    arrears_months: int | None = None

    def __post_init__(self) -> None:
        problems: list[Problem] = []
        if not isinstance(self.household_id, str) or not self.household_id:
            problems.append(Problem("household_id", "expected a non-empty identifier"))
        for name in (
            "income_cents",
            "chosen_contribution_cents",
            "engagement_minutes",
            "arrears_months",
        ):
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
