"""Resource bases and household composition, computed exactly for one household-month.

The ``Context`` is what rule nodes read. Each accessor raises ``NeedsData`` naming the
missing fact instead of assuming zero. Bases are exact rationals (``Q``) in cents, except
``persons`` (a count). Definitions that are data (consumption-unit weights, CAF parts) come
from the rule set, with the usual French defaults.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction
from math import lcm
from typing import Any

from app.engine.exact import Q
from app.engine.facts import HouseholdFacts
from app.engine.period import Period, age_on
from app.engine.problems import problem, register_problem_messages

BASES = ("income", "quotient_familial", "income_per_cu", "income_per_person", "persons")

# The household measures an explanation shows when the rules read them (see ``measures``).
CONSUMPTION_UNITS = "consumption_units"
FAMILY_PARTS = "family_parts"


def measures_read(document: Mapping[str, Any]) -> tuple[str, ...]:
    """The composition measures a rule document reads: ``consumption_units`` (a base per
    consumption unit, a credit per unit) and ``family_parts`` (the quotient familial).
    Read from the document once, so every path that explains a household shows the same."""
    words: set[str] = set()
    stack: list[Any] = [document.get(key) for key in ("eligibility", "contribution", "credit")]
    while stack:
        value = stack.pop()
        if isinstance(value, Mapping):
            words.update(str(value.get(key)) for key in ("kind", "base"))
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    found: list[str] = []
    if words & {"income_per_cu", "per_consumption_unit"}:
        found.append(CONSUMPTION_UNITS)
    if "quotient_familial" in words:
        found.append(FAMILY_PARTS)
    return tuple(found)


register_problem_messages(
    {
        "needs.income": {
            "fr": "les ressources mensuelles du foyer ne sont pas déclarées",
            "en": "the household's monthly resources are not declared",
        },
        "needs.persons": {
            "fr": "la composition du foyer n'est pas déclarée",
            "en": "the household's composition is not declared",
        },
        "needs.birth_on": {
            "fr": "une date de naissance manque",
            "en": "a birth date is missing",
        },
        "needs.engagement": {
            "fr": "les règles tiennent compte des heures de participation ; "
            "celles de ce mois ne sont pas enregistrées",
            "en": "the rules take hours of participation into account; "
            "this month's are not recorded",
        },
        "needs.attribute": {
            "fr": "la caractéristique {name} du foyer n'est pas enregistrée",
            "en": "the household's {name} is not recorded",
        },
        "needs.contribution": {
            "fr": "la participation du foyer doit être connue avant de calculer un complément",
            "en": "the household's contribution must be known before a top-up is computed",
        },
        "needs.choice": {
            "fr": "le membre n'a pas choisi sa participation de ce mois : il peut choisir {range}",
            "en": "the member has not chosen a contribution for this month: "
            "they may choose {range_en}",
        },
    }
)


class NeedsData(Exception):
    """A rule needs a fact the household file does not have; ``field`` names it, ``code``
    and ``params`` say why (a registered problem message, in French and English)."""

    def __init__(self, field: str, code: str, **params: object) -> None:
        self.field = field
        self.problem = problem(field, code, **params)
        self.reason = self.problem.message
        super().__init__(f"{field}: {self.reason}")


@dataclass(frozen=True, slots=True)
class AgeBand:
    """Persons aged at least ``min_age`` (and below the next band) weigh ``weight``."""

    min_age: int
    weight: Fraction


@dataclass(frozen=True, slots=True)
class ConsumptionUnits:
    """Equivalence scale: the first (oldest) person weighs ``first_person``; others by age band.

    Default: the OECD-modified scale used by INSEE (1; 0.5 from age 14; 0.3 under 14).
    Weights are also kept as integers over one common denominator, so a household's units
    are summed with integer additions on the hot path.
    """

    first_person: Fraction = Fraction(1)
    bands: tuple[AgeBand, ...] = (AgeBand(14, Fraction(1, 2)), AgeBand(0, Fraction(3, 10)))
    denominator: int = field(init=False, default=1)
    first_scaled: int = field(init=False, default=1)
    bands_scaled: tuple[tuple[int, int], ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        denominator = self.first_person.denominator
        for band in self.bands:
            denominator = lcm(denominator, band.weight.denominator)
        object.__setattr__(self, "denominator", denominator)
        object.__setattr__(self, "first_scaled", int(self.first_person * denominator))
        scaled = tuple((band.min_age, int(band.weight * denominator)) for band in self.bands)
        object.__setattr__(self, "bands_scaled", scaled)

    def weight_of_other(self, age: int) -> Fraction:
        for band in self.bands:  # sorted by min_age descending
            if age >= band.min_age:
                return band.weight
        return self.bands[-1].weight

    def units(self, ages: tuple[int, ...]) -> Q:
        """Consumption units of a household (ages oldest first) as an exact ``Q``."""
        total = self.first_scaled
        bands = self.bands_scaled
        for age in ages[1:]:
            for min_age, weight in bands:
                if age >= min_age:
                    total += weight
                    break
            else:
                total += bands[-1][1]
        return (total, self.denominator)


@dataclass(frozen=True, slots=True)
class FamilyParts:
    """CAF quotient familial parts: adults (couple or single) then each dependent child.

    Default (CAF): 2 parts for the adult(s); 0.5 for the 1st and 2nd child, 1 for the 3rd,
    0.5 for each further child. A child is a person under ``child_age_below``.
    """

    adults: Fraction = Fraction(2)
    children: tuple[Fraction, ...] = (Fraction(1, 2), Fraction(1, 2), Fraction(1))
    each_further_child: Fraction = Fraction(1, 2)
    child_age_below: int = 20

    def parts(self, children: int) -> Fraction:
        total = self.adults + sum(self.children[:children], Fraction(0))
        extra = children - len(self.children)
        if extra > 0:
            total += self.each_further_child * extra
        return total


@dataclass(frozen=True, slots=True)
class ResourceDefinitions:
    """Data the bases depend on; part of a rule set."""

    consumption_units: ConsumptionUnits = ConsumptionUnits()
    family_parts: FamilyParts = FamilyParts()
    age_reference_day: int | str = 1  # day of the month on which ages are taken, or "last"


class Context:
    """One household in one month, with lazily computed, cached bases."""

    __slots__ = (
        "_ages",
        "_cache",
        "_parts",
        "age_day",
        "choice",
        "contribution_cents",
        "definitions",
        "facts",
        "funder_id",
        "funder_share_cents",
        "period",
    )

    def __init__(
        self,
        facts: HouseholdFacts,
        period: Period,
        definitions: ResourceDefinitions,
        *,
        age_day: date | None = None,
        units: Q | None = None,
        parts: Fraction | None = None,
    ) -> None:
        """``age_day``, ``units`` and ``parts``, when given, must be what this household's
        own facts give (the batch path knows them from the household's composition)."""
        self.facts = facts
        self.period = period
        self.definitions = definitions
        self.age_day: date = (
            period.day(definitions.age_reference_day) if age_day is None else age_day
        )
        self._ages: tuple[int, ...] | None = None
        self._cache: dict[str, Q] = {} if units is None else {"_cu": units}
        self._parts = parts
        # Set once the contribution is known, for credit rules that depend on it (top-ups).
        self.contribution_cents: int | None = None
        # Set by a free-choice clause: the bounds offered to the member (a ChoiceBounds).
        self.choice: object | None = None
        # Set by a third-party top-up clause: the part of the credit a funder pays.
        self.funder_share_cents: int = 0
        self.funder_id: str | None = None

    def income_cents(self) -> int:
        value = self.facts.income_cents
        if value is None:
            raise NeedsData("income_cents", "needs.income")
        return value

    def persons(self) -> int:
        count = len(self.facts.persons)
        if count == 0:
            raise NeedsData("persons", "needs.persons")
        return count

    def ages(self) -> tuple[int, ...]:
        """Ages on the rule set's reference day, oldest first."""
        if self._ages is None:
            self.persons()
            ages: list[int] = []
            for index, person in enumerate(self.facts.persons):
                if person.birth_on is None:
                    raise NeedsData(f"persons[{index}].birth_on", "needs.birth_on")
                ages.append(max(0, age_on(person.birth_on, self.age_day)))
            ages.sort(reverse=True)
            self._ages = tuple(ages)
        return self._ages

    def consumption_units(self) -> Fraction:
        num, den = self.consumption_units_q()
        return Fraction(num, den)

    def consumption_units_q(self) -> Q:
        """Consumption units as an exact ``Q`` (cached with the bases)."""
        cached = self._cache.get("_cu")
        if cached is None:
            cached = self.definitions.consumption_units.units(self.ages())
            self._cache["_cu"] = cached
        return cached

    def children(self, below_age: int) -> int:
        return sum(1 for age in self.ages() if age < below_age)

    def family_parts(self) -> Fraction:
        if self._parts is None:
            parts = self.definitions.family_parts
            self._parts = parts.parts(self.children(parts.child_age_below))
        return self._parts

    def measures(self, names: tuple[str, ...]) -> tuple[tuple[str, Fraction], ...]:
        """The named composition measures of this household, for its explanation; a measure
        that cannot be computed (a birth date missing) is left out: the outcome says why."""
        found: list[tuple[str, Fraction]] = []
        for name in names:
            try:
                value = (
                    self.consumption_units() if name == CONSUMPTION_UNITS else self.family_parts()
                )
            except NeedsData:
                continue
            found.append((name, value))
        return tuple(found)

    def base(self, name: str) -> Q:
        """The named resource base as an exact rational (cents, or a count for persons)."""
        cached = self._cache.get(name)
        if cached is not None:
            return cached
        value: Q
        if name == "income":
            value = (self.income_cents(), 1)
        elif name == "persons":
            value = (self.persons(), 1)
        elif name == "income_per_person":
            value = (self.income_cents(), self.persons())
        elif name == "income_per_cu":
            units_num, units_den = self.consumption_units_q()
            value = (self.income_cents() * units_den, units_num)
        elif name == "quotient_familial":
            parts = self.family_parts()
            value = (self.income_cents() * parts.denominator, parts.numerator)
        else:
            raise ValueError(f"unknown resource base {name!r}")
        self._cache[name] = value
        return value
