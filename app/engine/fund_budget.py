"""A fund's month within what the fund can pay: the budget rule the month run applies.

The month's budget is the fund's free reserve (euros held and receivable, less credit
outstanding and merchant payables, before this month's run) plus the month's own
contributions and funders' shares, never below zero. When the unrationed credits exceed it,
the month is assessed again with that budget, so the rule set's rationing method cuts the
credits to it exactly. The month run (``app.services.months.plan_month``) calls ``within_budget`` and the
sustainability projection (``app.engine.projection``) ``credits_within_budget``, which
``within_budget`` is made of: one rule for both, so a projection of a month is the month a
run would book (the projection only skips copying each rationed ``Assessment``).
"""

from __future__ import annotations

from app.engine.fund import FundMonth, Households, MonthCredits, ration_credits
from app.engine.ruleset import RuleSet


def budget_cents(unrationed: FundMonth, reserve_cents: int) -> int:
    """The month's budget: the reserve plus the month's contributions and funders' shares."""
    totals = unrationed.totals
    return max(0, reserve_cents + totals.contributions_cents + totals.funder_shares_cents)


def credits_within_budget(
    rules: RuleSet,
    households: Households,
    reserve_cents: int,
    unrationed: FundMonth,
) -> tuple[MonthCredits | None, int]:
    """The month's credits rationed to its budget, and the budget; ``None`` when the
    unrationed credits fit (the month is ``unrationed`` as it is).

    ``unrationed`` is ``assess_fund(rules, households, period, explain=False)`` (the caller
    has it already); rationing starts from it instead of assessing every household again."""
    budget = budget_cents(unrationed, reserve_cents)
    if unrationed.totals.credits_cents <= budget:
        return None, budget
    return ration_credits(rules, households, unrationed, budget), budget


def within_budget(
    rules: RuleSet,
    households: Households,
    reserve_cents: int,
    unrationed: FundMonth,
) -> tuple[FundMonth, int]:
    """The month as booked (rationed when short: ``credits_within_budget``, booked) and its
    budget."""
    credits, budget = credits_within_budget(rules, households, reserve_cents, unrationed)
    return (unrationed if credits is None else credits.booked()), budget
