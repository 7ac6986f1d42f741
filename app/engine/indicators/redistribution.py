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

import math
from collections.abc import Sequence
from itertools import compress
from operator import attrgetter

from app.engine.indicators.cells import ALL, CENTS_PER_HOUSEHOLD, Tally, amount, ratio
from app.engine.indicators.inputs import CREDIT, DUE, HouseholdMonth, MonthBooks
from app.engine.indicators.population import Population, where

NET_TRANSFER = "net_transfer"
NET_TRANSFER_PER_HOUSEHOLD = "net_transfer_per_household"
CONTRIBUTION_INCOME_SHARE = "contribution_income_share"
LARGEST_SIZE = 6
UNKNOWN = 11  # the code of ``decile:unknown`` and ``size:unknown`` (deciles are 1..10)
INCOME = attrgetter("income_cents")
_ACTIVE = attrgetter("active")


def decile_of(position: int, count: int) -> int:
    """The decile (1..10) of the household at ``position`` (0-based) among ``count``."""
    return 1 + 10 * position // count


def _first_position(decile: int, count: int) -> int:
    """The first position (0-based) whose ``decile_of`` is at least ``decile``."""
    return -(-(decile - 1) * count // 10)


def decile_codes(
    active: Sequence[HouseholdMonth], positions: Sequence[int], size: int
) -> list[int]:
    """Each active household's decile (1..10, ``UNKNOWN`` without resources), by the
    module's rule.

    The order is exact without comparing Fractions: every resources per CU is scaled to the
    month's common denominator (an integer), and the household's bit index (ids are numbered
    in id order) breaks ties; both and the household's place in ``active`` are packed in one
    integer key, so the sort compares plain integers."""
    codes = [UNKNOWN] * len(active)
    known = [j for j, h in enumerate(active) if h.resources_per_cu is not None]
    if not known:
        return codes
    values = [active[j].resources_per_cu for j in known]
    common = math.lcm(*{v.denominator for v in values if v is not None})
    span = len(active)
    keys = sorted(
        ((v.numerator * (common // v.denominator)) * size + positions[j]) * span + j
        for v, j in zip(values, known, strict=True)
        if v is not None
    )
    count = len(keys)
    for decile in range(1, 11):
        lo, hi = _first_position(decile, count), _first_position(decile + 1, count)
        for key in keys[lo:hi]:
            codes[key % span] = decile
    return codes


def size_code(persons: int | None) -> int:
    """1..5, ``LARGEST_SIZE`` for six persons or more, ``UNKNOWN`` when not known."""
    if persons is None or persons <= 0:
        return UNKNOWN
    return min(persons, LARGEST_SIZE)


def _label(breakdown: str, code: int) -> str:
    if code == UNKNOWN:
        return f"{breakdown}:unknown"
    if breakdown == "size" and code == LARGEST_SIZE:
        return f"size:{LARGEST_SIZE}+"
    return f"{breakdown}:{code}"


def _group_tallies(
    suffix: str, group: str, members: Sequence[HouseholdMonth], ids: int, with_income: int
) -> list[Tally]:
    """``ids``: the members' mask; ``with_income``: the mask of those with a known income."""
    net = sum(map(CREDIT, members)) - sum(map(DUE, members))
    known = [h for h in members if h.income_cents is not None]
    return [
        amount(NET_TRANSFER + suffix, group, net, ids),
        Tally(
            NET_TRANSFER_PER_HOUSEHOLD + suffix, group, CENTS_PER_HOUSEHOLD, net, len(members), ids
        ),
        ratio(
            CONTRIBUTION_INCOME_SHARE + suffix,
            group,
            sum(map(DUE, known)),
            sum(map(INCOME, known)),
            ids & with_income,
        ),
    ]


def _breakdown(
    name: str,
    active: Sequence[HouseholdMonth],
    positions: Sequence[int],
    codes: Sequence[int],
    pop: Population,
    with_income: int,
) -> list[Tally]:
    """The tallies of each group of ``active`` (one code per household), sorted by label."""
    flags = pop.flags()
    for position, code in zip(positions, codes, strict=True):
        flags[position] = code
    members: dict[int, list[HouseholdMonth]] = {}
    for household, code in zip(active, codes, strict=True):
        found = members.get(code)
        if found is None:
            members[code] = [household]
        else:
            found.append(household)
    tallies: list[Tally] = []
    for label, code in sorted((_label(name, code), code) for code in members):
        ids = where(flags, code)
        tallies += _group_tallies("_by_" + name, label, members[code], ids, with_income)
    return tallies


def month_tallies(month: MonthBooks, pop: Population) -> list[Tally]:
    """The month's redistribution tallies (see the module docstring)."""
    active = month.active
    positions = list(compress(pop.positions(month), map(_ACTIVE, month.households)))
    with_income = pop.month_mask(month, "income")
    tallies = _group_tallies("", ALL, active, pop.month_mask(month, "active"), with_income)
    deciles = decile_codes(active, positions, pop.size)
    tallies += _breakdown("decile", active, positions, deciles, pop, with_income)
    sizes = [size_code(h.persons) for h in active]
    tallies += _breakdown("size", active, positions, sizes, pop, with_income)
    return tallies
