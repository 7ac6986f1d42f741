"""A fund's month read as columns is the month read assessment by assessment.

``MonthAssessments`` hands the sums, the credit column and rationing its columns without
building an ``Assessment`` per household; whatever a fund-level step changed (the mean of
contributions, rationing, a household needing data) must show in the columns exactly as in
the assessments a member or the month run reads.
"""

from __future__ import annotations

from typing import Any

from hypothesis import given

from app.engine.assess import Status
from app.engine.facts import HouseholdFacts
from app.engine.fund import FundMonth, assess_fund
from tests.engine.test_fund import (
    EVERY_RATIONING,
    MONTPELLIER_CONTRIBUTION,
    PERIOD,
    fixed,
    fund_cases,
    member,
    rule_set,
)

MEAN = {"kind": "mean_of_contributions"}
TENTH = {"kind": "proportional", "base": "income", "rate": "0.1"}


def _columns_are_the_assessments(month: FundMonth) -> None:
    results = month.assessments
    built = list(results)
    assert len(results) == len(built)
    assert list(results.household_ids()) == [a.household_id for a in built]
    assert results.statuses() == [a.status for a in built]
    assert results.contributions_cents() == [a.contribution_cents for a in built]
    assert results.credits_cents() == [a.credit_cents for a in built]
    assert results.funder_shares_cents() == [a.funder_share_cents for a in built]
    assert [results[i] for i in range(len(built))] == built
    assert results[-1] == built[-1] and results[1:3] == built[1:3]
    assert month.credit_column() == [
        (a.credit_cents or 0) if a.status is Status.ASSESSED else 0 for a in built
    ]


@EVERY_RATIONING
@given(case=fund_cases())
def test_a_rationed_months_columns_are_its_assessments(
    rationing: dict[str, Any], case: tuple[list[HouseholdFacts], list[HouseholdFacts], int]
) -> None:
    households, _, budget = case
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000), rationing)
    _columns_are_the_assessments(assess_fund(rules, households, PERIOD, budget_cents=budget))


def test_the_mean_of_contributions_and_missing_data_show_in_the_columns() -> None:
    # 120 000 and 80 000 of income: contributions 12 000 and 8 000, shared 10 000 each; the
    # household with no income needs data and gets nothing.
    households = [
        member("a", income_cents=120_000),
        member("b", income_cents=80_000),
        member("c"),
    ]
    month = assess_fund(rule_set(TENTH, MEAN), households, PERIOD, budget_cents=15_000)
    results = month.assessments
    assert results.statuses() == [Status.ASSESSED, Status.ASSESSED, Status.NEEDS_DATA]
    assert results.contributions_cents() == [12_000, 8_000, None]
    # The budget (15 000) cuts the shared 20 000 in proportion: 7 500 each.
    assert results.credits_cents() == [7_500, 7_500, None]
    assert results.pending() == []
    _columns_are_the_assessments(month)
    assert month.totals.credits_cents == 15_000
