"""The indicators of a run of consecutive months: each month's cells and the period's.

``indicator_table(months, threshold)`` is deterministic: the same months give the same
cells in the same order (sorted by indicator, then group). A period's additive figures are
the exact sums of its months' (``cells.combine``); stocks (reserve, runway, the shares of
available credit) and concentration are computed on the period as a whole. Suppression
(``suppression``) runs on each month, then on the period with every cell suppressed in any
of its months forced (rule 4), so overlapping periods cannot be differenced.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from app.engine.collector import collector_paused
from app.engine.indicators import financing, participation, redistribution, spending, use
from app.engine.indicators.cells import Cell, Tally, combine, value_of
from app.engine.indicators.inputs import MonthBooks
from app.engine.indicators.population import Population
from app.engine.indicators.spending import SpendSummary
from app.engine.indicators.suppression import Key, suppressed_keys

DEFAULT_THRESHOLD = 10
_HOUSEHOLD = attrgetter("household_id")
MINIMUM_THRESHOLD = 2


@dataclass(frozen=True, slots=True)
class IndicatorTable:
    """The cells of each month (in order) and of the whole period ``first..last``."""

    first: str
    last: str
    threshold: int
    months: tuple[tuple[Cell, ...], ...]
    period: tuple[Cell, ...]

    @property
    def label(self) -> str:
        return self.first if self.first == self.last else f"{self.first}..{self.last}"

    def all_cells(self) -> tuple[Cell, ...]:
        """Every month's cells, then the period's (when it spans more than one month)."""
        cells = tuple(c for month in self.months for c in month)
        return cells + (self.period if len(self.months) > 1 else ())


def population(months: Sequence[MonthBooks]) -> Population:
    """Every household the months name: their own, their spenders, the month before's."""
    ids: set[str] = set()
    for month in months:
        ids.update(month.households.household_id)
        ids.update(map(_HOUSEHOLD, month.spending))
        ids.update(month.previous_active)
    return Population(ids)


def _additive(month: MonthBooks, pop: Population, spend: SpendSummary | None = None) -> list[Tally]:
    spent = spend or spending.summarise(month, pop)
    return (
        financing.month_tallies(month, pop)
        + use.month_tallies(month, spent, pop)
        + redistribution.month_tallies(month, pop)
        + spending.month_tallies(month, spent)
        + participation.month_tallies(month, pop)
    )


def _whole(
    months: Sequence[MonthBooks], spends: Sequence[SpendSummary], pop: Population
) -> list[Tally]:
    return (
        financing.stock_tallies(months)
        + use.stock_tallies(months, spends, pop)
        + spending.concentration(spends)
    )


def _cells(
    label: str, tallies: dict[Key, Tally], threshold: int, forced: frozenset[Key]
) -> tuple[tuple[Cell, ...], frozenset[Key]]:
    hidden = suppressed_keys(tallies, threshold, forced)
    cells = []
    for key in sorted(tallies):
        tally = tallies[key]
        secret = key in hidden
        households = None if secret or tally.households is None else tally.households.bit_count()
        value = None if secret else value_of(tally)
        cells.append(Cell(label, key[0], key[1], tally.unit, value, households, secret))
    return tuple(cells), hidden


def check_months(months: Sequence[MonthBooks]) -> None:
    """``ValueError`` unless ``months`` are one or more consecutive calendar months, in order."""
    if not months:
        raise ValueError("at least one month is needed")
    for before, after in itertools.pairwise(months):
        if after.period != before.period.shift(1):
            raise ValueError(f"months must be consecutive: {before.period} then {after.period}")


def indicator_table(
    months: Sequence[MonthBooks], threshold: int = DEFAULT_THRESHOLD
) -> IndicatorTable:
    """The indicators of ``months`` with cells under ``threshold`` households suppressed."""
    check_months(months)
    if threshold < MINIMUM_THRESHOLD:
        raise ValueError(f"threshold must be at least {MINIMUM_THRESHOLD}, not {threshold}")
    # The months' households (1.2 million for a year of 100,000) stay alive throughout: the
    # cyclic collector would walk them again each time the work's own objects pile up.
    with collector_paused():
        return _table(months, threshold)


def _table(months: Sequence[MonthBooks], threshold: int) -> IndicatorTable:
    per_month: list[tuple[Cell, ...]] = []
    additive: list[list[Tally]] = []
    forced: set[Key] = set()
    pop = population(months)
    spends = [spending.summarise(month, pop) for month in months]
    for month, spend in zip(months, spends, strict=True):
        tallies = _additive(month, pop, spend)
        additive.append(tallies)
        mapping = {t.key: t for t in tallies + _whole([month], [spend], pop)}
        cells, hidden = _cells(str(month.period), mapping, threshold, frozenset())
        per_month.append(cells)
        forced |= hidden
    first, last = str(months[0].period), str(months[-1].period)
    label = first if first == last else f"{first}..{last}"
    whole = combine(additive) | {t.key: t for t in _whole(months, spends, pop)}
    period, _ = _cells(label, whole, threshold, frozenset(forced))
    return IndicatorTable(first, last, threshold, tuple(per_month), period)
