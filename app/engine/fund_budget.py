"""A fund's month within what the fund can pay: the budget rule the month run applies.

The month's budget is the fund's free reserve (euros held and receivable, less credit
outstanding and merchant payables, before this month's run) plus the month's own
contributions and funders' shares, never below zero. When the unrationed credits exceed it,
the month is assessed again with that budget, so the rule set's rationing method cuts the
credits to it exactly. The month run (``app.services.months.plan_month``) and the
sustainability projection (``app.engine.projection``) both call ``within_budget``: one rule
for both, so a projection of a month is the month a run would book.
"""

from __future__ import annotations

from collections.abc import Sequence

from app.engine.facts import HouseholdFacts
from app.engine.fund import FundMonth, ration_fund
from app.engine.ruleset import RuleSet


def budget_cents(unrationed: FundMonth, reserve_cents: int) -> int:
    """The month's budget: the reserve plus the month's contributions and funders' shares."""
    totals = unrationed.totals
    return max(0, reserve_cents + totals.contributions_cents + totals.funder_shares_cents)


def within_budget(
    rules: RuleSet,
    households: Sequence[HouseholdFacts],
    reserve_cents: int,
    unrationed: FundMonth,
) -> tuple[FundMonth, int]:
    """The month as booked (rationed when short) and its budget.

    ``unrationed`` is ``assess_fund(rules, households, period, explain=False)`` (the caller
    has it already); rationing starts from it instead of assessing every household again."""
    budget = budget_cents(unrationed, reserve_cents)
    if unrationed.totals.credits_cents <= budget:
        return unrationed, budget
    return ration_fund(rules, households, unrationed, budget), budget
