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

from collections import deque
from collections.abc import Iterable, Sequence
from fractions import Fraction
from functools import reduce
from operator import add, sub
from typing import cast

from app.engine.books.lots import (
    expiring_rows,
    lot_expiry,
    oldest_first,
    take_in_order_rows,
    usable_in,
)
from app.engine.books.state import CreditLot
from app.engine.period import Period
from app.engine.rules.policies import UnspentCreditPolicy

_Column = tuple[int, int | None, list[int]]
"""``books.lots.ColumnLot`` held by the wallets: ``(granted, last, remaining by row)``."""


class Wallets:
    """Every household's open lots, oldest first, in the books' column form: a row per
    household (kept after it leaves: its credit stays spendable till it expires), a column
    per lot granted in a month, every column as long as the rows (0 where a household holds
    no such lot, which no rule ever takes); mutated month by month (one per path).

    A household's lots are placed in columns by month granted and rank within that month
    (its oldest-first order), so every household's columns are in its own spending order."""

    def __init__(self, lots: Iterable[CreditLot]) -> None:
        held: dict[str, list[CreditLot]] = {}
        for lot in lots:
            if lot.remaining_cents:
                held.setdefault(lot.household_id, []).append(lot)
        self._rows: dict[str, int] = {}
        cells: dict[tuple[int, int, int | None], dict[int, int]] = {}
        for household_id, open_lots in held.items():
            row = self._rows[household_id] = len(self._rows)
            granted_in = [lot.period.index() for lot in open_lots]
            if len(set(granted_in)) < len(granted_in):
                # Lots granted in one month are ranked in the books' spending order; a
                # household with one lot a month (the usual case: a year of a
                # 100,000-household fund holds a million such lots) needs no sort at all,
                # every rank being 0.
                open_lots = oldest_first(open_lots)
                granted_in = [lot.period.index() for lot in open_lots]
            rank: dict[int, int] = {}
            for granted, lot in zip(granted_in, open_lots, strict=True):
                rank[granted] = k = rank.get(granted, -1) + 1
                last = None if lot.expires is None else lot.expires.index()
                cells.setdefault((granted, k, last), {})[row] = lot.remaining_cents
        self._columns: list[_Column] = []
        size = len(self._rows)
        for (granted, _, last), by_row in sorted(cells.items(), key=_column_order):
            column = [0] * size
            for row, remaining in by_row.items():
                column[row] = remaining
            self._columns.append((granted, last, column))

    def copy(self) -> Wallets:
        twin = Wallets(())
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


def _column_order(
    item: tuple[tuple[int, int, int | None], dict[int, int]],
) -> tuple[int, int, bool, int]:
    granted, rank, last = item[0]
    return granted, rank, last is None, last or 0


def _add_columns(left: list[int], right: list[int]) -> list[int]:
    """Row by row sums of two columns of the same length."""
    return list(map(add, left, right))
