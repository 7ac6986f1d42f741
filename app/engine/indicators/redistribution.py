"""Who gains: net transfer (credit − contribution due) and the share of income spent on the
contribution, for the whole fund, by decile of resources per consumption unit and by
household size.

Deciles are taken each month among the ACTIVE households whose resources per consumption
unit are known: a household's decile is ``1 + 10 × position // count`` in ascending
(resources per CU, household id) order (the rule of app.engine.preview.parts.deciles), so
ties never depend on input order and every decile cell's figures sum to the fund's.
Households without known resources form the group ``decile:unknown``. Sizes above five
persons are pooled as ``size:6+`` (few funds have many; small cells would be suppressed).

A table's months share what is derived from them (``DecileKeys``, ``SizeGroups``, kept in
the table's ``Population``): most months have the same households with the same facts, so
each household's decile key is computed once per change of its resources, the households
sorted once per change of any key, and a month's groups are the month before's when its
columns are the same; a month's cells are those it has alone, whatever months surround it.
"""

from __future__ import annotations

import math
from collections import Counter, deque
from collections.abc import Iterable, Sequence
from fractions import Fraction
from itertools import compress, repeat
from operator import add, is_not, itemgetter, methodcaller, mul, not_
from typing import Any, NamedTuple, cast

from app.engine.indicators.cells import ALL, CENTS_PER_HOUSEHOLD, Tally, amount, ratio
from app.engine.indicators.inputs import Households, MonthBooks
from app.engine.indicators.population import Population, where

NET_TRANSFER = "net_transfer"
NET_TRANSFER_PER_HOUSEHOLD = "net_transfer_per_household"
CONTRIBUTION_INCOME_SHARE = "contribution_income_share"
LARGEST_SIZE = 6
UNKNOWN = 11  # the code of ``decile:unknown`` and ``size:unknown`` (deciles are 1..10)
_RATIO = methodcaller("as_integer_ratio")


def decile_of(position: int, count: int) -> int:
    """The decile (1..10) of the household at ``position`` (0-based) among ``count``."""
    return 1 + 10 * position // count


def _first_position(decile: int, count: int) -> int:
    """The first position (0-based) whose ``decile_of`` is at least ``decile``."""
    return -(-(decile - 1) * count // 10)


class Grouping(NamedTuple):
    """The active households of a month in groups: ``codes``, each household's group (by
    its place in the month's active households); ``order``, the places in group order (code
    ascending); ``counts`` and ``masks``, each group's size and households (bitmask);
    ``reordered``: columns put in ``order`` (by name: the column, and it in order), kept
    while the same grouping serves, and each served again while the column is the same."""

    codes: list[int]
    order: list[int]
    counts: dict[int, int]
    masks: dict[int, int]
    reordered: dict[str, tuple[Sequence[Any], list[Any]]]

    def in_order(self, name: str, column: Sequence[Any]) -> list[Any]:
        """``column`` (one entry per active household) in ``order``."""
        kept = self.reordered.get(name)
        if kept is None or kept[0] != column:  # the same tuple: compared at once
            kept = self.reordered[name] = (column, list(map(column.__getitem__, self.order)))
        return kept[1]


def _grouping(
    codes: list[int], order: list[int], positions: Sequence[int], pop: Population
) -> Grouping:
    flags = pop.flags()
    deque(map(flags.__setitem__, positions, codes), maxlen=0)
    counts = dict(sorted(Counter(codes).items()))
    return Grouping(codes, order, counts, {code: where(flags, code) for code in counts}, {})


class DecileKeys:
    """Each household's decile sort key, kept from month to month (one per table, in
    ``Population.memo``): the same resources per CU give the same key, so a key is computed
    again only where a household's value changed, and the month's households are sorted
    again only when their keys changed (most months: none did).

    The order is exact without comparing Fractions: a household's key is its resources per
    CU scaled by a common multiple of every denominator met so far (an integer; when a new
    denominator does not divide it, every key is computed again on the new one), times the
    population's size, plus the household's bit index (ids are numbered in id order), which
    breaks ties: sorting the keys is sorting by (resources per CU, household id)."""

    __slots__ = ("_common", "_keys", "_last", "_values")

    def __init__(self, size: int) -> None:
        self._common = 1
        self._values: list[Fraction | None] = [None] * size  # what each key was made of
        self._keys: list[int] = [0] * size
        self._last: tuple[tuple[Fraction | None, ...], list[int], Grouping] | None = None

    def grouping(
        self, values: tuple[Fraction | None, ...], positions: list[int], pop: Population
    ) -> Grouping:
        """The deciles of the households at ``positions`` with resources per CU ``values``
        (``None``: unknown, decile ``UNKNOWN``): by the module's rule."""
        last = self._last
        if last is not None and last[0] == values and last[1] == positions:
            return last[2]
        found = self._deciles(values, positions, pop)
        self._last = (values, positions, found)
        return found

    def _deciles(
        self, values: tuple[Fraction | None, ...], positions: list[int], pop: Population
    ) -> Grouping:
        span, size = len(values), len(self._keys)
        codes = [UNKNOWN] * span
        is_known = list(map(is_not, values, repeat(None)))
        known = list(compress(positions, is_known))
        self._update(known, cast(list[Fraction], list(compress(values, is_known))))
        ranked = list(map(size.__rmod__, sorted(map(self._keys.__getitem__, known))))
        place = [0] * size  # bit index -> place among the month's active households
        deque(map(place.__setitem__, positions, range(span)), maxlen=0)
        places = list(map(place.__getitem__, ranked))
        count = len(places)
        for decile in range(1, 11):
            lo, hi = _first_position(decile, count), _first_position(decile + 1, count)
            deque(map(codes.__setitem__, places[lo:hi], repeat(decile)), maxlen=0)
        unknown = list(compress(range(span), map(not_, is_known)))
        return _grouping(codes, places + unknown, positions, pop)

    def _update(self, positions: list[int], values: list[Fraction]) -> None:
        """Keep the keys of the households at ``positions`` for ``values``."""
        kept = self._values
        changed = list(map(is_not, map(kept.__getitem__, positions), values))
        if not any(changed):
            return
        positions, values = list(compress(positions, changed)), list(compress(values, changed))
        deque(map(kept.__setitem__, positions, values), maxlen=0)
        numerators, denominators = _ratios(values)
        if any(self._common % den for den in set(denominators)):
            self._common = math.lcm(self._common, *set(denominators))
            positions = list(compress(range(len(kept)), map(is_not, kept, repeat(None))))
            numerators, denominators = _ratios(cast(Iterable[Fraction], map(kept.__getitem__, positions)))
        # key = numerator × (common ÷ denominator) × size + position, by C loops (no Python
        # step per household: the first month computes 100,000 keys).
        scale = {den: self._common // den for den in set(denominators)}
        scaled = map(mul, numerators, map(scale.__getitem__, denominators))
        keys = map(add, map(mul, scaled, repeat(len(self._keys))), positions)
        deque(map(self._keys.__setitem__, positions, keys), maxlen=0)


def _ratios(values: Iterable[Fraction]) -> tuple[list[int], list[int]]:
    """The numerators and the denominators of ``values``."""
    ratios = list(map(_RATIO, values))
    return list(map(itemgetter(0), ratios)), list(map(itemgetter(1), ratios))


def size_code(persons: int | None) -> int:
    """1..5, ``LARGEST_SIZE`` for six persons or more, ``UNKNOWN`` when not known."""
    if persons is None or persons <= 0:
        return UNKNOWN
    return min(persons, LARGEST_SIZE)


class SizeGroups:
    """The size groups of the month before (one per table, in ``Population.memo``): the same
    sizes at the same positions are the same groups."""

    __slots__ = ("_last",)

    def __init__(self) -> None:
        self._last: tuple[tuple[int | None, ...], list[int], Grouping] | None = None

    def grouping(
        self, persons: tuple[int | None, ...], positions: list[int], pop: Population
    ) -> Grouping:
        last = self._last
        if last is not None and last[0] == persons and last[1] == positions:
            return last[2]
        of_size = {n: size_code(n) for n in set(persons)}  # once per distinct size
        codes = list(map(of_size.__getitem__, persons))
        order = sorted(range(len(codes)), key=codes.__getitem__)
        found = _grouping(codes, order, positions, pop)
        self._last = (persons, positions, found)
        return found


def _label(breakdown: str, code: int) -> str:
    if code == UNKNOWN:
        return f"{breakdown}:unknown"
    if breakdown == "size" and code == LARGEST_SIZE:
        return f"size:{LARGEST_SIZE}+"
    return f"{breakdown}:{code}"


class _Columns:
    """The active households' figures as columns: credit, contribution due, contribution
    due where the income is known, income (``None`` when not known)."""

    __slots__ = ("credit", "due", "due_known", "income")

    def __init__(self, active: Households, before: _Columns | None = None) -> None:
        self.credit: Sequence[int] = active.credit_cents
        self.due: Sequence[int] = active.contribution_due_cents
        self.income: Sequence[int | None] = active.income_cents
        self.due_known: Sequence[int]
        if before is not None and before.due is self.due and before.income is self.income:
            self.due_known = before.due_known  # the same columns as the month before's
        else:
            self.due_known = list(map(mul, self.due, map(is_not, self.income, repeat(None))))

    def grouped(self, groups: Grouping) -> _Columns:
        """The columns in ``groups.order`` (each group then one slice)."""
        found = _Columns.__new__(_Columns)
        for name in _Columns.__slots__:
            setattr(found, name, groups.in_order(name, getattr(self, name)))
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


def _breakdown(name: str, columns: _Columns, groups: Grouping, with_income: int) -> list[Tally]:
    """The tallies of each group of the active households, sorted by label: the columns are
    put in group order once, each group is then one slice."""
    grouped = columns.grouped(groups)
    starts: dict[int, int] = {}
    start = 0
    for code, households in groups.counts.items():  # code ascending, as ``order``
        starts[code] = start
        start += households
    tallies: list[Tally] = []
    for label, code in sorted((_label(name, code), code) for code in groups.counts):
        lo = starts[code]
        tallies += _group_tallies(
            "_by_" + name, label, grouped, lo, lo + groups.counts[code], groups.masks[code],
            with_income,
        )  # fmt: skip
    return tallies


def _decile_keys(pop: Population) -> DecileKeys:
    """The table's ``DecileKeys`` (kept in ``pop.memo`` from month to month)."""
    found = pop.memo.get("decile_keys")
    if not isinstance(found, DecileKeys):
        found = pop.memo["decile_keys"] = DecileKeys(pop.size)
    return found


def _size_groups(pop: Population) -> SizeGroups:
    """The table's ``SizeGroups`` (kept in ``pop.memo`` from month to month)."""
    found = pop.memo.get("size_groups")
    if not isinstance(found, SizeGroups):
        found = pop.memo["size_groups"] = SizeGroups()
    return found


def month_tallies(month: MonthBooks, pop: Population) -> list[Tally]:
    """The month's redistribution tallies (see the module docstring)."""
    active = month.active
    positions = pop.positions(month)
    if active is not month.households:
        positions = list(compress(positions, month.households.active))
    with_income = pop.month_mask(month, "income")
    before = pop.memo.get("columns")
    columns = _Columns(active, before if isinstance(before, _Columns) else None)
    pop.memo["columns"] = columns
    everyone = pop.month_mask(month, "active")
    tallies = _group_tallies("", ALL, columns, 0, len(active), everyone, with_income)
    deciles = _decile_keys(pop).grouping(active.resources_per_cu, positions, pop)
    tallies += _breakdown("decile", columns, deciles, with_income)
    sizes = _size_groups(pop).grouping(active.persons, positions, pop)
    tallies += _breakdown("size", columns, sizes, with_income)
    return tallies
