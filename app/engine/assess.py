"""Assess one household for one month: the batch of one.

``assess(rules, facts, period)`` is ``assess_batch(rules, [facts], period)``'s only outcome:
the same compiled rule nodes, the same explanation bytes, so a household assessed alone and
the same household assessed with its whole fund cannot differ. Pure: same rule set, facts
and period -> the same ``Assessment``. The outcome types live in ``app.engine.assessment``
and are re-exported here, where callers have always found them.
"""

from __future__ import annotations

from app.engine.assessment import Assessment, Status
from app.engine.batch import assess_batch
from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.ruleset import RuleSet

__all__ = ["Assessment", "Status", "assess"]


def assess(
    rules: RuleSet, facts: HouseholdFacts, period: Period, *, explain: bool = True
) -> Assessment:
    """Compute what one household owes and receives for ``period`` under ``rules``."""
    return assess_batch(rules, (facts,), period, explain=explain).assessment(0)
