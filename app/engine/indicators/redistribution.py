"""Who gains: net transfer (credit − contribution due) and the share of income spent on the
contribution, for the whole fund, by decile of resources per consumption unit and by
household size.

Deciles are taken each month among the ACTIVE households whose resources per consumption
unit are known: a household's decile is ``1 + 10 × position // count`` in ascending
(resources per CU, household id) order (the rule of app.engine.preview.parts.deciles), so
ties never depend on input order and every decile cell's figures sum to the fund's.
Households without known resources form the group ``decile:unknown``. Sizes above five
persons are pooled as ``size:6+`` (few funds have many; small cells would be suppressed).
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Sequence
from itertools import compress, repeat
from operator import attrgetter, is_not, methodcaller, mul

from app.engine.indicators.cells import ALL, CENTS_PER_HOUSEHOLD, Tally, amount, ratio
from app.engine.indicators.inputs import CREDIT, DUE, HouseholdMonth, MonthBooks
from app.engine.indicators.population import Population, where

NET_TRANSFER = "net_transfer"
NET_TRANSFER_PER_HOUSEHOLD = "net_transfer_per_household"
CONTRIBUTION_INCOME_SHARE = "contribution_income_share"
LARGEST_SIZE = 6
UNKNOWN = 11  # the code of ``decile:unknown`` and ``size:unknown`` (deciles are 1..10)
INCOME = attrgetter("income_cents")
PERSONS = attrgetter("persons")
PER_CU = attrgetter("resources_per_cu")
_ACTIVE = attrgetter("active")
_RATIO = methodcaller("as_integer_ratio")


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
    integer key, so the sort compares plain integers. (Each value's numerator and
    denominator are read once, and each decile written by one C loop: 100,000 households
    a month.)"""
    span = len(active)
    codes = [UNKNOWN] * span
    values = list(map(PER_CU, active))
    is_known = list(map(is_not, values, repeat(None)))
    known = list(compress(range(span), is_known))
    if not known:
        return codes
    ratios = list(map(_RATIO, compress(values, is_known)))
    common = math.lcm(*{den for _, den in ratios})
    scale = {den: common // den for den in {den for _, den in ratios}}
    keys = sorted(
        ((num * scale[den]) * size + positions[j]) * span + j
        for (num, den), j in zip(ratios, known, strict=True)
    )
    count = len(keys)
    places = list(map(span.__rmod__, keys))  # each key's place in ``active``
    for decile in range(1, 11):
        lo, hi = _first_position(decile, count), _first_position(decile + 1, count)
        deque(map(codes.__setitem__, places[lo:hi], repeat(decile)), maxlen=0)
    return codes


def size_code(persons: int | None) -> int:
    """1..5, ``LARGEST_SIZE`` for six persons or more, ``UNKNOWN`` when not known."""
    if persons is None or persons <= 0:
        return UNKNOWN
    return min(persons, LARGEST_SIZE)


def size_codes(active: Sequence[HouseholdMonth]) -> list[int]:
    """``size_code`` of each household (computed once per distinct size)."""
    persons = list(map(PERSONS, active))
    codes = {n: size_code(n) for n in set(persons)}
    return list(map(codes.__getitem__, persons))


def _label(breakdown: str, code: int) -> str:
    if code == UNKNOWN:
        return f"{breakdown}:unknown"
    if breakdown == "size" and code == LARGEST_SIZE:
        return f"size:{LARGEST_SIZE}+"
    return f"{breakdown}:{code}"


class _Columns:
    """The active households' figures as columns (one C pass each): credit, contribution
    due, contribution due where the income is known, income (``None`` when not known)."""

    __slots__ = ("credit", "due", "due_known", "income")

    def __init__(self, active: Sequence[HouseholdMonth]) -> None:
        self.credit = list(map(CREDIT, active))
        self.due = list(map(DUE, active))
        self.income = list(map(INCOME, active))
        self.due_known = list(map(mul, self.due, map(is_not, self.income, repeat(None))))

    def reordered(self, order: Sequence[int]) -> _Columns:
        found = _Columns.__new__(_Columns)
        for name in _Columns.__slots__:
            column = getattr(self, name)
            setattr(found, name, list(map(column.__getitem__, order)))
        return found


def _group_tallies(
    suffix: str, group: str, columns: _Columns, lo: int, hi: int, ids: int, with_income: int
) -> list[Tally]:
    """The tallies of the households ``lo..hi`` of ``columns``; ``ids``: their mask;
    ``with_income``: the mask of those with a known income."""
    net = sum(columns.credit[lo:hi]) - sum(columns.due[lo:hi])
    return [
        amount(NET_TRANSFER + suffix, group, net, ids),
        Tally(NET_TRANSFER_PER_HOUSEHOLD + suffix, group, CENTS_PER_HOUSEHOLD, net, hi - lo, ids),
        ratio(
            CONTRIBUTION_INCOME_SHARE + suffix,
            group,
            sum(columns.due_known[lo:hi]),
            sum(filter(None, columns.income[lo:hi])),  # ``None`` (and 0) add nothing
            ids & with_income,
        ),
    ]


def _breakdown(
    name: str,
    columns: _Columns,
    positions: Sequence[int],
    codes: Sequence[int],
    pop: Population,
    with_income: int,
) -> list[Tally]:
    """The tallies of each group of the active households (one code per household), sorted
    by label: the columns are put in code order once, each group is then one slice."""
    flags = pop.flags()
    deque(map(flags.__setitem__, positions, codes), maxlen=0)
    order = sorted(range(len(codes)), key=codes.__getitem__)
    grouped = columns.reordered(order)
    counts = Counter(codes)
    starts: dict[int, int] = {}
    start = 0
    for code in sorted(counts):
        starts[code] = start
        start += counts[code]
    tallies: list[Tally] = []
    for label, code in sorted((_label(name, code), code) for code in counts):
        lo = starts[code]
        ids = where(flags, code)
        tallies += _group_tallies(
            "_by_" + name, label, grouped, lo, lo + counts[code], ids, with_income
        )
    return tallies


def month_tallies(month: MonthBooks, pop: Population) -> list[Tally]:
    """The month's redistribution tallies (see the module docstring)."""
    active = month.active
    positions = list(compress(pop.positions(month), map(_ACTIVE, month.households)))
    with_income = pop.month_mask(month, "income")
    columns = _Columns(active)
    everyone = pop.month_mask(month, "active")
    tallies = _group_tallies("", ALL, columns, 0, len(active), everyone, with_income)
    deciles = decile_codes(active, positions, pop.size)
    tallies += _breakdown("decile", columns, positions, deciles, pop, with_income)
    tallies += _breakdown("size", columns, positions, size_codes(active), pop, with_income)
    return tallies
