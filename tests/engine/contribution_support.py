"""Helpers for the contribution-kind tests: wrap a formula in a rule set, build households."""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest

from app.engine import HouseholdFacts, Period, Person, RuleSet, RuleSetInvalid, parse_rule_set
from app.engine.explain import Step
from app.engine.problems import Problem
from app.engine.resources import Context

PERIOD = Period(2027, 1)
ADULT = Person(date(1980, 5, 17))
TEEN = Person(date(2011, 3, 2))  # 15 on 1 Jan 2027
CHILD = Person(date(2017, 9, 30))  # 9 on 1 Jan 2027


def rule_set(formula: Any, rounding: dict[str, Any] | None = None) -> RuleSet:
    """A complete rule set around ``formula`` (credit: a fixed 0)."""
    contribution: dict[str, Any] = {"formula": formula}
    if rounding is not None:
        contribution["rounding"] = rounding
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "test",
            "version": 1,
            "effective_from": "2027-01",
            "decision": "test",
            "contribution": contribution,
            "credit": {"formula": {"kind": "fixed", "amount_cents": 0}},
        }
    )


def household(
    income_cents: int | None = None,
    persons: tuple[Person, ...] = (ADULT,),
    chosen_cents: int | None = None,
    household_id: str = "h1",
) -> HouseholdFacts:
    return HouseholdFacts(
        household_id=household_id,
        persons=persons,
        income_cents=income_cents,
        chosen_contribution_cents=chosen_cents,
    )


def context(rules: RuleSet, facts: HouseholdFacts) -> Context:
    return Context(facts, PERIOD, rules.definitions)


def exact(formula: Any, facts: HouseholdFacts) -> Fraction:
    """The exact (unrounded) contribution of ``formula`` for ``facts``, without tracing."""
    rules = rule_set(formula)
    num, den = rules.contribution.node.evaluate(context(rules, facts), None)
    return Fraction(num, den)


def traced(formula: Any, facts: HouseholdFacts) -> tuple[Fraction, list[Step]]:
    """The exact contribution and the explanation steps of the formula."""
    rules = rule_set(formula)
    trace: list[Step] = []
    num, den = rules.contribution.node.evaluate(context(rules, facts), trace)
    return Fraction(num, den), trace


def problems_of(formula: Any) -> list[Problem]:
    """Every validation problem of ``formula``; fails the test if it is valid."""
    with pytest.raises(RuleSetInvalid) as error:
        rule_set(formula)
    return list(error.value.problems)


def paths_of(formula: Any) -> list[str]:
    return [problem.path for problem in problems_of(formula)]
