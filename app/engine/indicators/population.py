"""The households of a table as bits: a set of households is an ``int`` bitmask.

At 100,000 households a year holds hundreds of household sets (every cell's, every month);
as Python sets of ids they took gigabytes, as bitmasks 12.5 KB each, and a union is one
``|``. ``Population`` numbers every household of the table's months in ascending id order
(so the numbering, and every result, is independent of input order).

Why masks are built the way they are (100,000 households, 12 months): looking an id up in
the numbering costs ten times more in random order than in id order (memory, not
arithmetic), so each month's households are looked up ONCE, in their own order
(``positions``); a mask is then written as one byte per household in a ``bytearray``
(``flags``) and read out for every code at C speed (``where``: one ``translate`` and one
base-2 parse), never one Python step per household per cell.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator
from itertools import compress, repeat
from operator import and_, attrgetter, is_not, truth
from typing import Any, NamedTuple

from app.engine.indicators.inputs import Households, MonthBooks

_ZERO, _ONE = ord("0"), ord("1")

def _known(values: Iterable[Any]) -> Iterator[bool]:
    return map(is_not, values, repeat(None))


# The per-household predicates a month's masks are built from (see ``Population.month_mask``),
# each as a column over the month's households (C loops: 100,000 households a month).
MONTH_MASKS: dict[str, Callable[[Households], Iterable[Any]]] = {
    "active": attrgetter("active"),
    "payers": attrgetter("contribution_paid_cents"),
    "arrived": attrgetter("arrived"),
    "expiring": attrgetter("expired_cents"),
    "income": lambda hs: _known(hs.income_cents),
    "engaged": lambda hs: map(and_, hs.active, _known(hs.engagement_minutes)),
}
_TABLES: dict[frozenset[int], bytes] = {}


def mark(flags: bytearray, positions: Iterable[int], code: int = 1) -> None:
    """Write ``code`` at each of ``positions`` (a C loop: no Python step per position)."""
    deque(map(flags.__setitem__, positions, repeat(code)), maxlen=0)


def where(flags: bytearray, *codes: int) -> int:
    """The mask of the positions whose flag is one of ``codes``."""
    wanted = frozenset(codes)
    table = _TABLES.get(wanted)
    if table is None:
        table = _TABLES[wanted] = bytes(_ONE if c in wanted else _ZERO for c in range(256))
    return int(flags.translate(table)[::-1] or b"0", 2)


class _Month(NamedTuple):
    """What a population knows of one month: its households' positions (in their order),
    whether those are every household in id order, its masks by name."""

    month: MonthBooks
    positions: list[int]
    in_order: bool
    masks: dict[str, int]


class Population:
    """Household id -> bit index, for every id the table may meet; and, for the modules,
    ``memo``: what they derived from one month, for the next (one table's months share one
    population: the same columns give the same result, derived once)."""

    __slots__ = ("_identity", "_index", "_last", "_memo", "_months", "memo", "size")

    def __init__(self, ids: Iterable[str]) -> None:
        ordered = sorted(set(ids))
        self._index = {hh: i for i, hh in enumerate(ordered)}
        self.size = len(ordered)
        self._identity: list[int] | None = None
        self._memo: dict[int, tuple[frozenset[str], int]] = {}
        self._months: dict[int, _Month] = {}
        # The last ids looked up and their positions: most months have the same households.
        self._last: tuple[tuple[str, ...], list[int], bool] = ((), [], self.size == 0)
        self.memo: dict[str, object] = {}

    def flags(self) -> bytearray:
        """One zero byte per household: write codes with ``mark``, read masks with ``where``."""
        return bytearray(self.size)

    def positions_of(self, ids: Iterable[str]) -> list[int]:
        """The bit index of each of ``ids`` (each must belong to the population)."""
        return list(map(self._index.__getitem__, ids))

    def mask(self, ids: Iterable[str]) -> int:
        """The bitmask of ``ids`` (each must belong to the population)."""
        return self.mask_at(self.positions_of(ids))

    def mask_at(self, positions: Iterable[int]) -> int:
        """The bitmask of the households at ``positions``."""
        flags = self.flags()
        mark(flags, positions)
        return where(flags, 1)

    def mask_of(self, ids: frozenset[str]) -> int:
        """``mask(ids)`` computed once for a set read by several modules."""
        found = self._memo.get(id(ids))
        if found is None or found[0] is not ids:
            found = self._memo[id(ids)] = (ids, self.mask(ids))
        return found[1]

    def positions(self, month: MonthBooks) -> list[int]:
        """The bit index of each of ``month.households``, in their order (looked up once;
        the same list as the month before's when the ids are the same)."""
        return self._month(month).positions

    def month_mask(self, month: MonthBooks, name: str) -> int:
        """The mask of ``month``'s households for which ``MONTH_MASKS[name]`` holds (once)."""
        known = self._month(month)
        found = known.masks.get(name)
        if found is None:
            holds = MONTH_MASKS[name](month.households)
            if known.in_order:  # the flags are the predicate's values, as bytes
                found = known.masks[name] = where(bytearray(map(truth, holds)), 1)
            else:
                found = known.masks[name] = self.mask_at(compress(known.positions, holds))
        return found

    def _in_order(self, positions: list[int]) -> bool:
        """Whether ``positions`` are every household, in id order (0, 1, ... size - 1)."""
        if len(positions) != self.size:
            return False
        if self._identity is None:
            self._identity = list(range(self.size))
        return positions == self._identity

    def _month(self, month: MonthBooks) -> _Month:
        found = self._months.get(id(month))
        if found is None or found.month is not month:
            ids = month.households.household_id
            last_ids, positions, in_order = self._last
            if ids != last_ids:
                positions = self.positions_of(ids)
                in_order = self._in_order(positions)
                if not in_order and len(set(positions)) < len(positions):
                    # Deciles order households by id: one household twice has two places.
                    raise ValueError(f"{month.period}: a household appears twice in the month")
                self._last = (ids, positions, in_order)
            found = self._months[id(month)] = _Month(month, positions, in_order, {})
        return found


def count(mask: int) -> int:
    return mask.bit_count()
