"""The parts of an impact preview: per-side totals, per-household changes, buckets, deciles.

All amounts are integer cents. A household's *net position* is credit − contribution; a
change is compared only when the household is assessed on both sides (otherwise its deltas
are ``None`` and it falls in ``not_comparable``: a status change such as becoming not
eligible or needing data is shown by its statuses, never as a silent zero).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from app.engine.facts import HouseholdFacts
from app.engine.period import Period
from app.engine.resources import Context, NeedsData
from app.engine.ruleset import RuleSet

# Buckets of the change of net position, in cents: (name, lowest, highest), both inclusive,
# ``None`` for unbounded. "loses over 20 €" means a loss of 20,01 € or more.
BUCKETS: tuple[tuple[str, int | None, int | None], ...] = (
    ("loses_over_20", None, -2001),
    ("loses_5_to_20", -2000, -500),
    ("loses_under_5", -499, -1),
    ("unchanged", 0, 0),
    ("gains_under_5", 1, 499),
    ("gains_5_to_20", 500, 2000),
    ("gains_over_20", 2001, None),
)


@dataclass(frozen=True, slots=True)
class Side:
    """One rule set's totals over the previewed households."""

    rule_set_id: str
    version: int
    content_hash: str
    households: int
    by_status: Mapping[str, int]
    contributions_cents: int
    entitlements_cents: int
    credits_cents: int
    funder_shares_cents: int
    net_cost_cents: int
    rationing_needed_cents: int | None

    def as_dict(self) -> dict[str, object]:
        return {
            "rule_set_id": self.rule_set_id,
            "version": self.version,
            "content_hash": self.content_hash,
            "households": self.households,
            "by_status": dict(self.by_status),
            "contributions_cents": self.contributions_cents,
            "entitlements_cents": self.entitlements_cents,
            "credits_cents": self.credits_cents,
            "funder_shares_cents": self.funder_shares_cents,
            "net_cost_cents": self.net_cost_cents,
            "rationing_needed_cents": self.rationing_needed_cents,
        }


def _delta(before: int | None, after: int | None) -> int | None:
    return None if before is None or after is None else after - before


def _net(contribution: int | None, credit: int | None) -> int | None:
    return None if contribution is None or credit is None else credit - contribution


@dataclass(frozen=True, slots=True)
class Change:
    """One household, before and after. Amounts are ``None`` on a side not assessed."""

    household_id: str
    status_before: str
    status_after: str
    contribution_before_cents: int | None
    contribution_after_cents: int | None
    credit_before_cents: int | None
    credit_after_cents: int | None

    @property
    def net_before_cents(self) -> int | None:
        return _net(self.contribution_before_cents, self.credit_before_cents)

    @property
    def net_after_cents(self) -> int | None:
        return _net(self.contribution_after_cents, self.credit_after_cents)

    @property
    def net_delta_cents(self) -> int | None:
        return _delta(self.net_before_cents, self.net_after_cents)

    def as_dict(self) -> dict[str, object]:
        return {
            "household_id": self.household_id,
            "status_before": self.status_before,
            "status_after": self.status_after,
            "status_changed": self.status_before != self.status_after,
            "contribution_before_cents": self.contribution_before_cents,
            "contribution_after_cents": self.contribution_after_cents,
            "contribution_delta_cents": _delta(
                self.contribution_before_cents, self.contribution_after_cents
            ),
            "credit_before_cents": self.credit_before_cents,
            "credit_after_cents": self.credit_after_cents,
            "credit_delta_cents": _delta(self.credit_before_cents, self.credit_after_cents),
            "net_before_cents": self.net_before_cents,
            "net_after_cents": self.net_after_cents,
            "net_delta_cents": self.net_delta_cents,
            "bucket": bucket_of(self),
        }


def bucket_of(change: Change) -> str:
    """The bucket of a household's change of net position, or ``not_comparable``."""
    delta = change.net_delta_cents
    if delta is None:
        return "not_comparable"
    for name, lowest, highest in BUCKETS:
        if (lowest is None or delta >= lowest) and (highest is None or delta <= highest):
            return name
    raise AssertionError("the buckets cover every integer")  # pragma: no cover


@dataclass(frozen=True, slots=True)
class DecileRow:
    """Sums over one decile of income per consumption unit (or the ``needs_data`` group).

    Sums of a side only count households assessed on that side; ``net_change_cents`` sums
    the net-position changes of the ``comparable`` households.
    """

    group: str
    households: int
    income_per_cu_min_cents: int | None
    income_per_cu_max_cents: int | None
    contributions_before_cents: int
    contributions_after_cents: int
    credits_before_cents: int
    credits_after_cents: int
    comparable: int
    net_change_cents: int

    def as_dict(self) -> dict[str, object]:
        return {
            "group": self.group,
            "households": self.households,
            "income_per_cu_min_cents": self.income_per_cu_min_cents,
            "income_per_cu_max_cents": self.income_per_cu_max_cents,
            "contributions_before_cents": self.contributions_before_cents,
            "contributions_after_cents": self.contributions_after_cents,
            "credits_before_cents": self.credits_before_cents,
            "credits_after_cents": self.credits_after_cents,
            "comparable": self.comparable,
            "net_change_cents": self.net_change_cents,
        }


def deciles(
    rules: RuleSet,
    facts_by_id: Mapping[str, HouseholdFacts],
    changes: Sequence[Change],
    period: Period,
) -> tuple[DecileRow, ...]:
    """Rows for deciles 1..10 (non-empty ones) then ``needs_data`` (if any).

    A household's decile is its position in ascending (income per CU, household id) order:
    ``1 + 10 × position // count``, so ties never depend on input order.
    """
    known: list[tuple[Fraction, Change]] = []
    unknown: list[Change] = []
    for change in changes:
        ctx = Context(facts_by_id[change.household_id], period, rules.definitions)
        try:
            num, den = ctx.base("income_per_cu")
        except NeedsData:
            unknown.append(change)
            continue
        known.append((Fraction(num, den), change))
    known.sort(key=lambda item: (item[0], item[1].household_id))
    groups: dict[int, list[tuple[Fraction, Change]]] = {}
    for position, item in enumerate(known):
        groups.setdefault(1 + 10 * position // len(known), []).append(item)
    rows = [_row(str(decile), groups[decile]) for decile in sorted(groups)]
    if unknown:
        rows.append(_row("needs_data", [(None, change) for change in unknown]))
    return tuple(rows)


def _row(group: str, items: Sequence[tuple[Fraction | None, Change]]) -> DecileRow:
    incomes = [income for income, _ in items if income is not None]
    changes = [change for _, change in items]
    deltas = [c.net_delta_cents for c in changes if c.net_delta_cents is not None]
    return DecileRow(
        group=group,
        households=len(items),
        income_per_cu_min_cents=_floor(min(incomes)) if incomes else None,
        income_per_cu_max_cents=_floor(max(incomes)) if incomes else None,
        contributions_before_cents=sum(c.contribution_before_cents or 0 for c in changes),
        contributions_after_cents=sum(c.contribution_after_cents or 0 for c in changes),
        credits_before_cents=sum(c.credit_before_cents or 0 for c in changes),
        credits_after_cents=sum(c.credit_after_cents or 0 for c in changes),
        comparable=len(deltas),
        net_change_cents=sum(deltas),
    )


def _floor(value: Fraction) -> int:
    return value.numerator // value.denominator
