"""Assess one household for one month: the batch of one.

``assess(rules, facts, period)`` is ``assess_batch(rules, [facts], period)``'s only outcome:
the same compiled rule nodes, the same explanation bytes, so a household assessed alone and
the same household assessed with its whole fund cannot differ. Pure: same rule set, facts
and period -> the same ``Assessment``. The outcome types live in ``app.engine.assessment``
and are re-exported here, where callers have always found them.

Compiling a plan costs about ten times assessing one household with it, and callers assess
households one at a time in loops (previews, probes, arrears): the last few plans are kept,
per thread (a plan fills its composition tables as it meets households, so it is never
shared between threads), for the very rule set object and month they were compiled for.
Keeping them changes no outcome: a plan gives every household what a fresh plan gives it.
"""

from __future__ import annotations

import threading

from app.engine.assessment import Assessment, Status
from app.engine.batch.household import assess_household
from app.engine.batch.plan import BatchPlan, compile_batch
from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.ruleset import RuleSet

__all__ = ["Assessment", "Status", "assess"]


def assess(
    rules: RuleSet, facts: HouseholdFacts, period: Period, *, explain: bool = True
) -> Assessment:
    """Compute what one household owes and receives for ``period`` under ``rules``."""
    plan = _plan(rules, period)
    if plan is None:  # what ``run_plan`` does for each household, without the batch around it
        return assess_household(rules, facts, period, explain=explain)
    return plan.run((facts,), explain=explain).assessment(0)


_KEPT = 8  # plans kept per thread: a few rule sets and months at a time
_recent = threading.local()


def _plan(rules: RuleSet, period: Period) -> BatchPlan | None:
    """``compile_batch(rules, period)``, compiled once per thread for this rule set object."""
    kept: dict[tuple[int, Period], tuple[RuleSet, BatchPlan | None]] | None = getattr(
        _recent, "plans", None
    )
    if kept is None:
        kept = _recent.plans = {}
    key = (id(rules), period)
    found = kept.get(key)
    if found is not None and found[0] is rules:  # the same object, not a reused id
        return found[1]
    plan = compile_batch(rules, period)
    if len(kept) >= _KEPT:
        del kept[next(iter(kept))]  # the oldest
    kept[key] = (rules, plan)
    return plan
