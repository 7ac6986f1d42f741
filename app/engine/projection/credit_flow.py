"""The members' credit through a projected month: granted, spent, expired, lot by lot.

Credit is held in lots as the books hold them, in the column form the books' lot rules are
written on (``app.engine.books.lots``): one row per household, one column per month of
grant and last month (integer months, an integer per household and column, no object per
lot), and moved by the same functions the books' ``CreditLot`` functions call, for every
household at once: a month's credit opens one lot per household that expires when the rule
set's unspent-credit policy says (``lot_expiry``); spending takes the oldest usable lots
first (``usable_in`` and ``take_in_order_rows``, as ``take_oldest``); at the month's end
``expiring_rows`` takes what the books' ``expire_credit`` would (``expiring_parts``). Each household spends
``spend_rate`` of its spendable credit, rounded down to the cent. Expired credit returns to
the fund's reserve. ``tests/engine/test_projection_wallets.py`` checks, by property, that a
wallet moves exactly what the books' functions take.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import reduce
from itertools import compress, groupby
from operator import add, sub
from typing import TypeVar, cast

from app.engine.books.lots import (
    expiring_rows,
    lot_expiry,
    opening_order,
    take_in_order_rows,
    usable_in,
)
from app.engine.books.state import CreditLot
from app.engine.period import Period
from app.engine.rules.policies import UnspentCreditPolicy

_Column = tuple[int, int | None, list[int]]
"""``books.lots.ColumnLot`` held by the wallets: ``(granted, last, remaining by row)``."""


@dataclass(frozen=True, slots=True)
class LotColumns:
    """Open credit lots as columns, one entry per lot in each: the books' ``CreditLot``
    fields, with months as ``Period.index()`` counters (``last`` ``None``: never expires).

    How the fund's lots reach the projection: a year of a 100,000-household fund holds about
    a million open lots, read as five columns rather than a ``CreditLot`` each.
    ``from_lots`` gives the same columns from ``CreditLot`` values."""

    household_ids: Sequence[str] = ()
    lot_ids: Sequence[str] = ()
    granted: Sequence[int] = ()
    last: Sequence[int | None] = ()
    remaining_cents: Sequence[int] = ()

    def __post_init__(self) -> None:
        sizes = {len(column) for column in self._columns()}
        if len(sizes) > 1:
            raise ValueError(f"lot columns of different lengths: {sorted(sizes)}")

    def __len__(self) -> int:
        return len(self.lot_ids)

    def _columns(self) -> tuple[Sequence[object], ...]:
        return (self.household_ids, self.lot_ids, self.granted, self.last, self.remaining_cents)

    def where(self, mask: Sequence[bool]) -> LotColumns:
        """The lots where ``mask`` is true, in the same order."""
        return LotColumns(
            list(compress(self.household_ids, mask)),
            list(compress(self.lot_ids, mask)),
            list(compress(self.granted, mask)),
            list(compress(self.last, mask)),
            list(compress(self.remaining_cents, mask)),
        )

    @classmethod
    def from_lots(cls, lots: Iterable[CreditLot]) -> LotColumns:
        held = list(lots)
        return cls(
            [lot.household_id for lot in held],
            [lot.lot_id for lot in held],
            [lot.period.index() for lot in held],
            [None if lot.expires is None else lot.expires.index() for lot in held],
            [lot.remaining_cents for lot in held],
        )


class Wallets:
    """Every household's open lots, oldest first, in the books' column form: a row per
    household (kept after it leaves: its credit stays spendable till it expires), a column
    per lot granted in a month, every column as long as the rows (0 where a household holds
    no such lot, which no rule ever takes); mutated month by month (one per path).

    A household's lots are placed in columns by month granted and rank within that month
    (its oldest-first order: ``books.lots.oldest_first``), so every household's columns are
    in its own spending order."""

    def __init__(self, lots: LotColumns | None = None) -> None:
        self._rows: dict[str, int] = {}
        self._columns: list[_Column] = []
        if lots is not None and len(lots):
            self._place(lots)

    def _place(self, lots: LotColumns) -> None:
        """Each lot into its household's row and its column; no Python step per lot in the
        usual case (every lot alone in its month of its household, lots stored month by
        month), where the work is C loops over the columns and a few runs of lots."""
        held = list(map(bool, lots.remaining_cents))
        if not all(held):
            lots = lots.where(held)
        ids = lots.household_ids
        rows = self._rows = {household: row for row, household in enumerate(dict.fromkeys(ids))}
        row_of = list(map(rows.__getitem__, ids))
        # Lots stored month by month come as a few long runs of one column each.
        by_month = _runs(zip(lots.granted, lots.last, strict=True))
        runs: dict[tuple[int, int, int | None], list[tuple[int, int]]]
        if _alone_in_their_month(by_month, row_of):  # every rank 0
            runs = {(granted, 0, last): spans for (granted, last), spans in by_month.items()}
        else:
            ranks = _ranks(row_of, lots.granted, lots.lot_ids)
            runs = _runs(zip(lots.granted, ranks, lots.last, strict=True))
        size = len(rows)
        for key in sorted(runs, key=_column_order):
            column = [0] * size
            for start, end in runs[key]:
                cents = lots.remaining_cents[start:end]
                deque(map(column.__setitem__, row_of[start:end], cents), maxlen=0)
            self._columns.append((key[0], key[2], column))

    def copy(self) -> Wallets:
        twin = Wallets()
        twin._rows = dict(self._rows)
        twin._columns = [(granted, last, list(column)) for granted, last, column in self._columns]
        return twin

    def outstanding_cents(self) -> int:
        return sum(sum(column) for _, _, column in self._columns)

    def rows_of(self, household_ids: Sequence[str]) -> list[int]:
        """Each household's row, in the order given; households met for the first time get
        the next rows (empty until granted). A month's rows are read once and granted on
        both paths: a copy keeps the rows, so both place every household alike."""
        rows = self._rows
        found = list(map(rows.get, household_ids))
        # The few new ones (a month's arrivals) are found by ``index`` at C speed rather
        # than by a Python step per household.
        position = -1
        for _ in range(found.count(None)):
            position = found.index(None, position + 1)
            found[position] = rows[household_ids[position]] = len(rows)
        return cast(list[int], found)

    def grant(
        self,
        period: Period,
        rows: Sequence[int],
        credits_cents: Sequence[int],
        policy: UnspentCreditPolicy,
    ) -> None:
        """Open this month's lot for each row of ``rows`` (``rows_of``) granted a credit
        above zero in ``credits_cents`` (the same positions: the month's credit column); it
        is the newest lot of each wallet (every open lot was granted in an earlier month)."""
        if not any(credits_cents):
            return
        expires = lot_expiry(policy, period)
        size = len(self._rows)
        for _, _, held in self._columns:
            held.extend([0] * (size - len(held)))
        column = [0] * size
        # Each credit into its household's row, at C speed (a row granted 0 holds 0 anyway).
        deque(map(column.__setitem__, rows, credits_cents), maxlen=0)
        self._columns.append((period.index(), None if expires is None else expires.index(), column))

    def spend(self, period: Period, rate: Fraction) -> int:
        """Each household spends ``rate`` of its credit usable in ``period`` (rounded down to
        the cent), oldest lots first (``take_in_order_rows`` over the usable lots); the total."""
        month = period.index()
        usable = [column for _, last, column in self._columns if usable_in(last, month)]
        if rate == 0 or not usable:
            return 0
        num, den = rate.numerator, rate.denominator
        held = reduce(_add_columns, usable)  # each row's usable credit
        amounts = [cents * num // den for cents in held]
        taken, _ = take_in_order_rows(usable, amounts)  # never short: rate <= 1
        for column, parts in zip(usable, taken, strict=True):
            column[:] = map(sub, column, parts)
        return sum(amounts)

    def expire(self, period: Period, policy: UnspentCreditPolicy) -> int:
        """What expires at the end of ``period`` (the books' ``expire_credit`` takes the same
        parts, through ``expiring_rows``); the total. Emptied columns are dropped."""
        total = 0
        columns = self._columns
        for position, parts in expiring_rows(columns, period.index(), policy.cap_cents):
            column = columns[position][2]
            column[:] = map(sub, column, parts)
            total += sum(parts)
        self._columns = [lot for lot in columns if any(lot[2])]
        return total


def _column_order(key: tuple[int, int, int | None]) -> tuple[int, int, bool, int]:
    granted, rank, last = key
    return granted, rank, last is None, last or 0


_Key = TypeVar("_Key", bound=Hashable)


def _runs(keys: Iterable[_Key]) -> dict[_Key, list[tuple[int, int]]]:
    """Where each key lies in ``keys``: the ``(start, end)`` of each run of equal keys."""
    runs: dict[_Key, list[tuple[int, int]]] = {}
    start = 0
    for key, run in groupby(keys):
        end = start + len(list(run))
        runs.setdefault(key, []).append((start, end))
        start = end
    return runs


def _alone_in_their_month(
    runs: Mapping[tuple[int, int | None], Sequence[tuple[int, int]]], row_of: Sequence[int]
) -> bool:
    """Whether no household holds two lots granted in one month (``runs``: where the lots of
    each month granted and last month lie; ``row_of``: each lot's household row)."""
    by_month: dict[int, list[tuple[int, int]]] = {}
    for (granted, _), spans in runs.items():
        by_month.setdefault(granted, []).extend(spans)
    for spans in by_month.values():
        holders: set[int] = set()
        for start, end in spans:
            holders.update(row_of[start:end])
        if len(holders) < sum(end - start for start, end in spans):
            return False
    return True


def _ranks(row_of: Sequence[int], granted: Sequence[int], lot_ids: Sequence[str]) -> list[int]:
    """Each lot's rank among its household's lots granted in the same month, in the books'
    spending order (``oldest_first``: by the entry that opened it)."""
    keys = list(zip(row_of, granted, strict=True))
    counts = Counter(keys)
    shared: dict[tuple[int, int], list[int]] = {}
    for position, key in enumerate(keys):
        if counts[key] > 1:
            shared.setdefault(key, []).append(position)
    ranks = [0] * len(keys)
    for positions in shared.values():
        positions.sort(key=lambda position: opening_order(lot_ids[position]))
        for rank, position in enumerate(positions):
            ranks[position] = rank
    return ranks


def _add_columns(left: list[int], right: list[int]) -> list[int]:
    """Row by row sums of two columns of the same length."""
    return list(map(add, left, right))
