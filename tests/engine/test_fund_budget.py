"""The month's budget rule, shared by the month run and the projection (engine/fund_budget).

``ration_fund`` starts from the month assessed without a budget and must give exactly what
``assess_fund`` with the budget gives (it only skips assessing every household again).
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from app.engine import HouseholdFacts
from app.engine.fund import assess_fund, ration_fund
from app.engine.fund_budget import budget_cents, within_budget
from tests.engine.test_fund import (
    EVERY_RATIONING,
    MONTPELLIER_CONTRIBUTION,
    PERIOD,
    fixed,
    fund_cases,
    member,
    rule_set,
)


@EVERY_RATIONING
@given(case=fund_cases())
def test_rationing_from_the_unrationed_month_equals_assessing_with_the_budget(
    rationing: dict[str, Any], case: tuple[list[HouseholdFacts], list[HouseholdFacts], int]
) -> None:
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000), rationing)
    households, permuted, budget = case
    free = assess_fund(rules, permuted, PERIOD, explain=False)
    expected = assess_fund(rules, households, PERIOD, budget_cents=budget, explain=False)
    assert ration_fund(rules, permuted, free, budget) == expected


def test_the_budget_is_the_reserve_plus_the_months_contributions_never_below_zero() -> None:
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000), {"method": "proportional"})
    households = [
        member("a", chosen_contribution_cents=2500),
        member("b", chosen_contribution_cents=500),
    ]
    free = assess_fund(rules, households, PERIOD, explain=False)
    assert free.totals.contributions_cents == 3000
    assert budget_cents(free, 14_000) == 17_000
    assert budget_cents(free, -5_000) == 0
    month, budget = within_budget(rules, households, 14_000, free)
    assert (budget, month.totals.credits_cents) == (17_000, 17_000)
    assert within_budget(rules, households, 17_000, free) == (free, 20_000)
