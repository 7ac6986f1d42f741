"""The sustainability projection: the fund month by month under stated assumptions.

Each projected month goes as the real month goes, through the same engine functions:
subsidies received, members leave and join (``membership``), the month run assesses every
household with the rule set given for the month (``assess_fund``) and rations to the budget
the reserve allows (``fund_budget.credits_within_budget``, the month run's own rule, read as
credits and totals: no rationed ``Assessment`` is copied), credit is
granted, spent and expired lot by lot (``credit_flow``, the books' lot functions). The
reserve is the fund's free reserve as the month run reads it: after a month it has moved by
subsidies + contributions + funders' shares − credits granted + credit expired (spending
moves credit to merchants' payables and settling pays them: neither moves it).

Guarantees: deterministic (same inputs, same figures); exact integer cents; a projection of
``n`` months with no arrivals, no departures and no drift equals ``n`` real month runs with
the same subsidies and spending (``tests/services/test_projection_matches_months.py``).

The subsidy that would avoid rationing is exact: without rationing every month grants its
full entitlements, so an extra ``S`` received before the first run raises every later
reserve by ``S`` and changes nothing else; rationing happens in a month exactly when its
reserve after the run would fall below zero. ``S`` is minus the lowest such reserve of the
unrationed path (zero if it never falls below zero), and the just-in-time schedule gives, in
each month, only what that month adds to the need.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.engine.assess import Status
from app.engine.collector import collector_paused
from app.engine.explain import RuleSetRef
from app.engine.fund import FundMonth, assess_fund
from app.engine.fund_budget import budget_cents, credits_within_budget
from app.engine.period import Period
from app.engine.problems import InvalidInput, Problem
from app.engine.projection.assumptions import Assumptions, FundNow, check_horizon
from app.engine.projection.credit_flow import Wallets
from app.engine.projection.membership import Membership, memberships
from app.engine.ruleset import RuleSet


@dataclass(frozen=True, slots=True)
class ProjectedMonth:
    """One projected month's figures, with the assumptions that produced them.

    ``served`` is credits ÷ entitlements (1 when nothing is rationed); ``shortfall_cents``
    is what rationing cut. ``reserve_after_run_cents`` is the reserve right after the run
    (rationing keeps it at zero or more); ``reserve_end_cents`` adds the credit expired."""

    period: Period
    rule_set: RuleSetRef
    households: int
    assessed: int
    arrivals: int
    departures: int
    income_factor: Fraction
    spend_rate: Fraction
    subsidy_cents: int
    reserve_start_cents: int
    contributions_cents: int
    funder_shares_cents: int
    entitlements_cents: int
    budget_cents: int
    credits_cents: int
    shortfall_cents: int
    served: Fraction
    reserve_after_run_cents: int
    spent_cents: int
    expired_cents: int
    reserve_end_cents: int
    credit_outstanding_cents: int

    @property
    def rationed(self) -> bool:
        return self.shortfall_cents > 0


@dataclass(frozen=True, slots=True)
class Projection:
    """The months, when rationing would start and how deep, the subsidy that avoids it."""

    assumptions: Assumptions
    start: Period
    reserve_cents: int
    months: tuple[ProjectedMonth, ...]
    subsidy_to_avoid_cents: int
    subsidy_schedule: tuple[tuple[Period, int], ...]

    @property
    def first_rationed(self) -> ProjectedMonth | None:
        return next((m for m in self.months if m.rationed), None)

    @property
    def deepest(self) -> ProjectedMonth | None:
        """The month where the smallest share of the entitlements is served."""
        rationed = [m for m in self.months if m.rationed]
        return min(rationed, key=lambda m: (m.served, m.period)) if rationed else None


def project(
    rules: RuleSet | Sequence[RuleSet], now: FundNow, assumptions: Assumptions
) -> Projection:
    """Project ``assumptions.months`` months from ``now`` under ``rules`` (one rule set for
    every month, or one per month: the rule set in force in each)."""
    plan = _rules_by_month(rules, assumptions.months)
    check_horizon(assumptions, now.start)
    with collector_paused():  # every month's facts and assessments are alive till the end
        return _project(plan, now, assumptions)


def _project(plan: Sequence[RuleSet], now: FundNow, assumptions: Assumptions) -> Projection:
    months = list(memberships(now.start, now.households, assumptions))
    unrationed = [
        assess_fund(r, m.households, m.period, explain=False)
        for r, m in zip(plan, months, strict=True)
    ]
    # Each month's wallet rows in its assessments' order (the order of its credit columns),
    # placed once for both paths (the rationed path's wallets are a copy: the same rows).
    wallets = Wallets(now.lots)
    rows = [wallets.rows_of(month.assessments.household_ids()) for month in unrationed]
    free, fork = _path(plan, months, unrationed, rows, wallets, now.reserve_cents, assumptions)
    booked = free
    if fork is not None:
        # The months before the first short one are the same on both paths: the rationed
        # path starts from the fund as the unrationed one found that month.
        first, wallets, reserve = fork
        rest, _ = _path(
            plan[first:],
            months[first:],
            unrationed[first:],
            rows[first:],
            wallets,
            reserve,
            assumptions,
            ration=True,
        )
        booked = free[:first] + rest
    need, schedule = _avoiding_subsidy(free)
    return Projection(assumptions, now.start, now.reserve_cents, tuple(booked), need, schedule)


def _rules_by_month(rules: RuleSet | Sequence[RuleSet], months: int) -> list[RuleSet]:
    if isinstance(rules, RuleSet):
        return [rules] * months
    if len(rules) != months:
        raise InvalidInput(
            [Problem("rules", f"expected one rule set per month ({months}), got {len(rules)}")]
        )
    return list(rules)


_Fork = tuple[int, Wallets, int]
"""The first month whose reserve after the run would fall below zero, and the wallets and
reserve the fund starts it with."""


def _path(
    plan: Sequence[RuleSet],
    months: Sequence[Membership],
    unrationed: Sequence[FundMonth],
    rows: Sequence[Sequence[int]],
    wallets: Wallets,
    reserve: int,
    assumptions: Assumptions,
    *,
    ration: bool = False,
) -> tuple[list[ProjectedMonth], _Fork | None]:
    """The months from ``reserve`` and ``wallets`` (moved in place), rationed to the budget
    when ``ration``; without it, also where rationing would first be needed."""
    fork: _Fork | None = None
    out = []
    monthly = zip(plan, months, unrationed, rows, strict=True)
    for index, (rules, member, free, month_rows) in enumerate(monthly):
        subsidy = assumptions.subsidy_in(member.period)
        start = reserve + subsidy
        if ration:
            cut, budget = credits_within_budget(rules, member.households, start, free)
        else:
            cut, budget = None, budget_cents(free, start)
        totals = free.totals if cut is None else cut.totals
        after_run = (
            start + totals.contributions_cents + totals.funder_shares_cents - totals.credits_cents
        )
        if fork is None and after_run < 0:
            fork = (index, wallets.copy(), reserve)
        credits = free.credit_column() if cut is None else cut.credit_column()
        wallets.grant(member.period, month_rows, credits, rules.unspent_credit)
        spent = wallets.spend(member.period, assumptions.spend_rate)
        expired = wallets.expire(member.period, rules.unspent_credit)
        reserve = after_run + expired
        out.append(
            ProjectedMonth(
                period=member.period,
                rule_set=rules.ref,
                households=len(member.households),
                assessed=totals.by_status.get(Status.ASSESSED.value, 0),
                arrivals=member.arrivals,
                departures=member.departures,
                income_factor=member.income_factor,
                spend_rate=assumptions.spend_rate,
                subsidy_cents=subsidy,
                reserve_start_cents=start,
                contributions_cents=totals.contributions_cents,
                funder_shares_cents=totals.funder_shares_cents,
                entitlements_cents=totals.entitlements_cents,
                budget_cents=budget,
                credits_cents=totals.credits_cents,
                shortfall_cents=totals.entitlements_cents - totals.credits_cents,
                served=_served(totals.credits_cents, totals.entitlements_cents),
                reserve_after_run_cents=after_run,
                spent_cents=spent,
                expired_cents=expired,
                reserve_end_cents=reserve,
                credit_outstanding_cents=wallets.outstanding_cents(),
            )
        )
    return out, fork


def _served(credits_cents: int, entitlements_cents: int) -> Fraction:
    return Fraction(credits_cents, entitlements_cents) if entitlements_cents else Fraction(1)


def _avoiding_subsidy(free: Sequence[ProjectedMonth]) -> tuple[int, tuple[tuple[Period, int], ...]]:
    """The least extra subsidy that avoids rationing in every month, and when it is needed."""
    need = 0
    schedule = []
    for month in free:
        more = max(0, -month.reserve_after_run_cents - need)
        if more:
            schedule.append((month.period, more))
            need += more
    return need, tuple(schedule)
