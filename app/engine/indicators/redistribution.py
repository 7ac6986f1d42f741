"""Who gains: net transfer (credit − contribution due) and the share of income spent on the
contribution, for the whole fund, by decile of resources per consumption unit and by
household size.

Deciles are taken each month among the ACTIVE households whose resources per consumption
unit are known: a household's decile is ``1 + 10 × position // count`` in ascending
(resources per CU, household id) order (the rule of app.engine.preview_parts.deciles), so
ties never depend on input order and every decile cell's figures sum to the fund's.
Households without known resources form the group ``decile:unknown``. Sizes above five
persons are pooled as ``size:6+`` (few funds have many; small cells would be suppressed).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from fractions import Fraction

from app.engine.indicators.cells import ALL, CENTS_PER_HOUSEHOLD, Tally, amount, ratio
from app.engine.indicators.inputs import HouseholdMonth, MonthBooks
from app.engine.indicators.population import Population

NET_TRANSFER = "net_transfer"
NET_TRANSFER_PER_HOUSEHOLD = "net_transfer_per_household"
CONTRIBUTION_INCOME_SHARE = "contribution_income_share"
BREAKDOWNS = ("decile", "size")
LARGEST_SIZE = 6


def decile_of(position: int, count: int) -> int:
    """The decile (1..10) of the household at ``position`` (0-based) among ``count``."""
    return 1 + 10 * position // count


def decile_groups(households: Sequence[HouseholdMonth]) -> dict[str, list[HouseholdMonth]]:
    """``decile:N`` -> its households (and ``decile:unknown``), by the module's rule."""
    known = sorted((h for h in households if h.resources_per_cu is not None), key=_order)
    groups: dict[str, list[HouseholdMonth]] = {}
    for position, household in enumerate(known):
        groups.setdefault(f"decile:{decile_of(position, len(known))}", []).append(household)
    unknown = [h for h in households if h.resources_per_cu is None]
    if unknown:
        groups["decile:unknown"] = unknown
    return groups


def _order(household: HouseholdMonth) -> tuple[int, Fraction, str]:
    """Ascending resources per CU, then id. The whole-cent part leads the key: Python then
    compares two Fractions only when it ties (comparing Fractions is slow at 100k)."""
    value = household.resources_per_cu or Fraction(0)
    return value.numerator // value.denominator, value, household.household_id


def size_groups(households: Sequence[HouseholdMonth]) -> dict[str, list[HouseholdMonth]]:
    groups: dict[str, list[HouseholdMonth]] = {}
    for household in households:
        groups.setdefault(_size_label(household.persons), []).append(household)
    return groups


def _size_label(persons: int | None) -> str:
    if persons is None or persons <= 0:
        return "size:unknown"
    return f"size:{LARGEST_SIZE}+" if persons >= LARGEST_SIZE else f"size:{persons}"


def _group_tallies(
    suffix: str, group: str, members: Sequence[HouseholdMonth], pop: Population, ids: int
) -> list[Tally]:
    net = sum(h.credit_cents - h.contribution_due_cents for h in members)
    with_income = [h for h in members if h.income_cents is not None]
    return [
        amount(NET_TRANSFER + suffix, group, net, ids),
        Tally(
            NET_TRANSFER_PER_HOUSEHOLD + suffix, group, CENTS_PER_HOUSEHOLD, net, len(members), ids
        ),
        ratio(
            CONTRIBUTION_INCOME_SHARE + suffix,
            group,
            sum(h.contribution_due_cents for h in with_income),
            sum(h.income_cents or 0 for h in with_income),
            ids
            if len(with_income) == len(members)
            else pop.mask(h.household_id for h in with_income),
        ),
    ]


GROUPERS: dict[str, Callable[[Sequence[HouseholdMonth]], dict[str, list[HouseholdMonth]]]] = {
    "decile": decile_groups,
    "size": size_groups,
}


def month_tallies(month: MonthBooks, pop: Population) -> list[Tally]:
    """The month's redistribution tallies (see the module docstring)."""
    active = month.active
    tallies = _group_tallies("", ALL, active, pop, pop.mask_of(month.active_ids))
    for name, grouper in GROUPERS.items():
        for group, members in sorted(grouper(active).items()):
            ids = pop.mask(h.household_id for h in members)
            tallies += _group_tallies("_by_" + name, group, members, pop, ids)
    return tallies
