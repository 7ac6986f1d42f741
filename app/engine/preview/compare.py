"""Impact preview: what a proposed rule set would change, against the rules in force.

``preview(current, proposed, households, period, budget_cents=...)`` assesses the same
households under both rule sets (``app.engine.fund.assess_fund``: fund-level credits and
rationing included) and reports:

- totals for each side: contributions, credits (and the entitlements before rationing),
  funders' shares, net cost = credits − contributions − funders' shares, and the rationing
  needed (entitlements above the budget) when a budget is given;
- each household's change: status, contribution, credit and net position (credit −
  contribution) before and after, with the deltas when both sides are assessed;
- winners and losers: households assessed on both sides, bucketed by the change of their
  net position (``BUCKETS``); the others are counted apart (``not_comparable``);
- figures by decile of income per consumption unit (proposed rule set's scale), households
  whose income or composition is unknown in a separate ``needs_data`` group.

``current=None`` means no fund yet: every household's "before" is nothing owed and nothing
received (net 0), stated as such, with status ``none``. Pure and deterministic: households
are handled by ascending id, deciles split by position in (income per CU, id) order.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from app.engine.assess import Assessment, Status
from app.engine.facts import HouseholdFacts
from app.engine.fund import FundMonth, assess_fund
from app.engine.period import Period
from app.engine.preview.parts import (
    BUCKETS,
    Change,
    DecileRow,
    Side,
    bucket_of,
    deciles,
)
from app.engine.ruleset import RuleSet

__all__ = ["BUCKETS", "Change", "DecileRow", "Preview", "Side", "preview"]


@dataclass(frozen=True, slots=True)
class Preview:
    """The impact of ``proposed`` against ``current`` on one month's households."""

    period: Period
    budget_cents: int | None
    current: Side | None
    proposed: Side
    changes: tuple[Change, ...]
    buckets: Mapping[str, int]
    deciles: tuple[DecileRow, ...]

    def as_dict(self) -> dict[str, object]:
        return {
            "period": str(self.period),
            "budget_cents": self.budget_cents,
            "current": self.current.as_dict() if self.current else None,
            "proposed": self.proposed.as_dict(),
            "changes": [change.as_dict() for change in self.changes],
            "buckets": dict(self.buckets),
            "deciles": [row.as_dict() for row in self.deciles],
        }


def preview(
    current: RuleSet | None,
    proposed: RuleSet,
    households: Sequence[HouseholdFacts],
    period: Period,
    *,
    budget_cents: int | None = None,
) -> Preview:
    """Compare ``proposed`` with ``current`` (or with no fund) over ``households``."""
    after = assess_fund(proposed, households, period, budget_cents=budget_cents, explain=False)
    before = (
        assess_fund(current, households, period, budget_cents=budget_cents, explain=False)
        if current is not None
        else None
    )
    before_by_id = {a.household_id: a for a in before.assessments} if before else {}
    changes = tuple(
        _change(before_by_id.get(a.household_id), a, before is None) for a in after.assessments
    )
    counts = {name: 0 for name, _, _ in BUCKETS}
    counts["not_comparable"] = 0
    for change in changes:
        counts[bucket_of(change)] += 1
    facts_by_id = {facts.household_id: facts for facts in households}
    return Preview(
        period=period,
        budget_cents=budget_cents,
        current=_side(current, before, budget_cents) if current and before else None,
        proposed=_side(proposed, after, budget_cents),
        changes=changes,
        buckets=counts,
        deciles=deciles(proposed, facts_by_id, changes, period),
    )


def _side(rules: RuleSet, month: FundMonth, budget_cents: int | None) -> Side:
    totals = month.totals
    needed = None
    if budget_cents is not None:
        needed = max(0, totals.entitlements_cents - budget_cents)
    return Side(
        rule_set_id=rules.rule_set_id,
        version=rules.version,
        content_hash=rules.content_hash,
        households=totals.households,
        by_status=dict(sorted(totals.by_status.items())),
        contributions_cents=totals.contributions_cents,
        entitlements_cents=totals.entitlements_cents,
        credits_cents=totals.credits_cents,
        funder_shares_cents=totals.funder_shares_cents,
        net_cost_cents=totals.credits_cents
        - totals.contributions_cents
        - totals.funder_shares_cents,
        rationing_needed_cents=needed,
    )


def _amounts(item: Assessment | None) -> tuple[int | None, int | None]:
    if item is None or item.status is not Status.ASSESSED:
        return None, None
    return item.contribution_cents, item.credit_cents


def _change(before: Assessment | None, after: Assessment, no_fund: bool) -> Change:
    contribution_before: int | None
    credit_before: int | None
    if no_fund:
        status_before, contribution_before, credit_before = "none", 0, 0
    else:
        status_before = before.status.value if before else "missing"
        contribution_before, credit_before = _amounts(before)
    contribution_after, credit_after = _amounts(after)
    return Change(
        household_id=after.household_id,
        status_before=status_before,
        status_after=after.status.value,
        contribution_before_cents=contribution_before,
        contribution_after_cents=contribution_after,
        credit_before_cents=credit_before,
        credit_after_cents=credit_after,
    )
