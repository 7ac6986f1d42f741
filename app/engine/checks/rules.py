"""Property checks on a rule set, before a committee adopts it.

``check_rules`` probes the contribution at a fixed grid of incomes (0 to 8 000 € every
50 €) for a fixed set of household compositions, plus whole cents on both sides of every
threshold the document declares, and reports ``Finding``s:

- ``contribution.decreasing`` (error): someone with more resources would owe less;
- ``contribution.marginal_rate`` (error): between two probes, the contribution rises faster
  than ``max_marginal_rate`` times the income (default 100 %: earning more would cost more
  than it brings);
- ``contribution.share_of_resources`` (error, when ``max_share_of_resources`` is given):
  the contribution is above that share of the household's income;
- ``contribution.jump``: the contribution changes by more than one rounding step for one
  cent of income. At a declared bracket bound (or amount-scale threshold) the jump is
  documented (``info``); anywhere else it is a ``warning``. Each jump is reported with its
  size. Jumps between grid points are located by bisection when they break the rate bound;
- ``budget.projection`` (info) and ``budget.incomplete`` / ``budget.short`` (warning), when
  households are given.

For a free choice, the probe is the lowest amount the member may choose. Pure and
deterministic: the same rule set and inputs always give the same findings, in the same
order (errors, then warnings, then information).
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from fractions import Fraction

from app.engine.checks.findings import (
    RANK,
    Curve,
    Finding,
    Point,
    Severity,
    budget,
    decreasing,
    jump,
    marginal,
    not_assessed,
    share,
)
from app.engine.checks.probe import (
    Composition,
    Threshold,
    compositions_for,
    income_at,
    minimum_contribution,
    probe_incomes,
    thresholds,
)
from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.ruleset import RuleSet

__all__ = ["Composition", "Finding", "Severity", "check_rules"]


def check_rules(
    rules: RuleSet,
    *,
    households: Sequence[HouseholdFacts] | None = None,
    period: Period | None = None,
    compositions: Sequence[Composition] | None = None,
    max_marginal_rate: Fraction = Fraction(1),
    max_share_of_resources: Fraction | None = None,
    budget_cents: int | None = None,
) -> list[Finding]:
    """Check ``rules`` and return every finding (an empty list: nothing to report)."""
    month = period or rules.effective_from
    shapes = tuple(compositions or compositions_for(households or ()))
    declared = thresholds(rules)
    unit = rules.contribution.rounding.unit_cents
    findings: list[Finding] = []
    for shape in shapes:
        curve = _curve(rules, shape, month, declared)
        if not curve:
            findings.append(not_assessed(shape))
            continue
        jump_points = _jump_incomes(rules, shape, month, declared)
        findings += decreasing(shape, curve)
        jumps, steep = _jumps_and_slopes(rules, shape, month, curve, unit, max_marginal_rate)
        findings += [jump(shape, lo, hi, jump_points) for lo, hi in jumps]
        findings += marginal(shape, steep, max_marginal_rate)
        if max_share_of_resources is not None:
            findings += share(shape, curve, max_share_of_resources)
    if households is not None:
        findings += budget(rules, households, month, budget_cents)
    return sorted(findings, key=lambda f: RANK[f.severity])


def _curve(
    rules: RuleSet, shape: Composition, period: Period, declared: Sequence[Threshold]
) -> Curve:
    """(income, contribution) for every probe at which the household is assessed."""
    curve: Curve = []
    for income in probe_incomes(rules, shape, period, declared):
        owed = minimum_contribution(rules, shape, period, income)
        if owed is not None:
            curve.append((income, owed))
    return curve


def _jump_incomes(
    rules: RuleSet, shape: Composition, period: Period, declared: Sequence[Threshold]
) -> list[tuple[Fraction, str]]:
    points = []
    for threshold in declared:
        if threshold.declares_jump:
            income = income_at(rules, shape, period, threshold)
            if income is not None:
                points.append((income, threshold.path))
    return points


def _jumps_and_slopes(
    rules: RuleSet,
    shape: Composition,
    period: Period,
    curve: Curve,
    unit: int,
    bound: Fraction,
) -> tuple[list[tuple[Point, Point]], list[tuple[Point, Point]]]:
    """Split the steep intervals of ``curve`` into one-cent jumps and steep slopes."""
    jumps: list[tuple[Point, Point]] = []
    steep: list[tuple[Point, Point]] = []
    for low, high in itertools.pairwise(curve):
        d_income, d_owed = high[0] - low[0], high[1] - low[1]
        if d_income <= 2 and abs(d_owed) > unit + d_income:
            jumps.append((low, high))
        elif abs(d_owed) > d_income + unit or d_owed > bound * d_income + unit:
            located = _bisect(rules, shape, period, low, high, unit)
            if located is not None:
                jumps.append(located)
            elif d_owed > bound * d_income + unit:
                steep.append((low, high))
    return jumps, steep


def _bisect(
    rules: RuleSet, shape: Composition, period: Period, low: Point, high: Point, unit: int
) -> tuple[Point, Point] | None:
    """Narrow a steep interval to the one cent where the contribution jumps, if any."""
    while high[0] - low[0] > 1:
        middle = (low[0] + high[0]) // 2
        owed = minimum_contribution(rules, shape, period, middle)
        if owed is None:
            return None
        point = (middle, owed)
        if abs(point[1] - low[1]) >= abs(high[1] - point[1]):
            high = point
        else:
            low = point
    return (low, high) if abs(high[1] - low[1]) > unit + 1 else None
