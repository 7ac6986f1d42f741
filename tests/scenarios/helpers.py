"""Shared helpers for the real-fund scenarios: load a bundled rule set, build households."""

from __future__ import annotations

from datetime import date

from app import rulesets
from app.engine import Assessment, HouseholdFacts, Period, Person, RuleSet, assess, parse_rule_set

PERIOD = Period(2025, 11)
ADULT = Person(date(1980, 5, 17))
TEEN = Person(date(2010, 3, 2))  # 15 on 1 Nov 2025
CHILD = Person(date(2016, 9, 30))  # 9 on 1 Nov 2025


def rules(name: str) -> RuleSet:
    return parse_rule_set(rulesets.document(name))


def adults(count: int) -> tuple[Person, ...]:
    return (ADULT,) * count


def household(
    household_id: str = "h1",
    persons: tuple[Person, ...] = (ADULT,),
    **facts: object,
) -> HouseholdFacts:
    return HouseholdFacts(household_id=household_id, persons=persons, **facts)  # type: ignore[arg-type]


def run(name: str, facts: HouseholdFacts, period: Period = PERIOD) -> Assessment:
    return assess(rules(name), facts, period)
