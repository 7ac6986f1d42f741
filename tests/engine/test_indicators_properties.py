"""Invariants of the indicators engine: decile and size cells add up to the fund, no shown
cell comes from fewer households than the threshold, withheld groups are covered by a
complement, and no difference of two overlapping periods isolates a withheld month."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given
from hypothesis import strategies as st

from app.engine.indicators import (
    Cell,
    HouseholdMonth,
    Households,
    IndicatorTable,
    MonthBooks,
    SpendLine,
    indicator_table,
    redistribution,
)
from app.engine.indicators.cells import CENTS, Tally
from app.engine.indicators.suppression import suppressed_keys
from app.engine.indicators.table import _additive, population
from app.engine.period import Period

START = Period(2027, 1)


@st.composite
def households(draw: st.DrawFn) -> tuple[HouseholdMonth, ...]:
    ids = draw(st.sets(st.integers(0, 40), max_size=30))
    found = []
    for i in sorted(ids):
        income = draw(st.none() | st.integers(0, 400_000))
        found.append(
            HouseholdMonth(
                household_id=f"hh_{i:02d}",
                contribution_due_cents=draw(st.integers(0, 10_000)),
                contribution_paid_cents=draw(st.integers(0, 10_000)),
                credit_cents=draw(st.integers(0, 30_000)),
                persons=draw(st.none() | st.integers(1, 8)),
                income_cents=income,
                resources_per_cu=None
                if income is None
                else Fraction(income, draw(st.integers(1, 4))),
                active=draw(st.booleans()),
            )
        )
    return tuple(found)


@st.composite
def months(draw: st.DrawFn) -> list[MonthBooks]:
    found: list[MonthBooks] = []
    for n in range(draw(st.integers(1, 3))):
        # Often the same households as the month before: what the engine keeps is reused.
        people = found[-1].households.rows() if found and draw(st.booleans()) else draw(households())
        spending = tuple(
            SpendLine(h.household_id, f"m_{draw(st.integers(0, 4))}",
                      draw(st.sampled_from(("food", "hygiene", "fresh"))),
                      draw(st.integers(1, 5_000)))
            for h in people if draw(st.booleans())
        )  # fmt: skip
        kinds = {"m_0": "producer", "m_1": "market"}
        found.append(MonthBooks(START.shift(n), Households.of(people), spending, merchant_kinds=kinds))
    return found


def _family(tallies: list[Tally], name: str) -> list[Tally]:
    return [t for t in tallies if t.indicator == name]


@given(months())
def test_decile_and_size_cells_add_up_to_the_fund(series: list[MonthBooks]) -> None:
    for books in series:
        tallies = redistribution.month_tallies(books, population([books]))
        (total,) = _family(tallies, "net_transfer")
        for name in ("net_transfer_by_decile", "net_transfer_by_size"):
            assert sum(t.numerator for t in _family(tallies, name)) == total.numerator
        deciles = _family(tallies, "net_transfer_by_decile")
        assert (
            sum((t.households or 0).bit_count() for t in deciles)
            == (total.households or 0).bit_count()
        )


@given(months(), st.integers(2, 8))
def test_no_cell_shown_comes_from_fewer_households_than_the_threshold(
    series: list[MonthBooks], threshold: int
) -> None:
    for cell in indicator_table(series, threshold).all_cells():
        if not cell.suppressed and cell.households is not None:
            assert cell.households == 0 or cell.households >= threshold, cell


@given(months(), st.integers(2, 8))
def test_withheld_groups_together_cover_the_threshold(
    series: list[MonthBooks], threshold: int
) -> None:
    tallies = {t.key: t for t in _additive(series[0], population(series[:1]))}
    hidden = suppressed_keys(tallies, threshold)
    families: dict[str, list[Tally]] = {}
    for tally in tallies.values():
        if tally.group != "all":
            families.setdefault(tally.indicator, []).append(tally)
    for family in families.values():
        withheld = [t for t in family if t.key in hidden]
        if withheld and len(withheld) < len(family):
            covered = 0
            for tally in withheld:
                covered |= tally.households or 0
            assert covered.bit_count() >= threshold


@given(months(), st.integers(2, 8))
def test_overlapping_periods_never_difference_out_a_withheld_month(
    series: list[MonthBooks], threshold: int
) -> None:
    """For periods P1 ⊂ P2 that differ by one month m (at either end), an amount shown in
    both gives m's amount: it must then be shown for m too."""
    if len(series) < 2:
        return
    for small, large, extra in ((series[:-1], series, series[-1]), (series[1:], series, series[0])):
        one = indicator_table(small, threshold)
        both = indicator_table(large, threshold)
        alone = indicator_table([extra], threshold).months[0]
        shown_small = {(c.indicator, c.group) for c in _period(one) if not c.suppressed}
        shown_large = {(c.indicator, c.group) for c in _period(both) if not c.suppressed}
        month_cells = {(c.indicator, c.group): c for c in alone}
        for cell in _period(both):
            key = (cell.indicator, cell.group)
            differenced = key in shown_small and key in shown_large and key in month_cells
            if cell.unit == CENTS and differenced:
                assert not month_cells[key].suppressed, key


def _period(table: IndicatorTable) -> tuple[Cell, ...]:
    return table.period if len(table.months) > 1 else table.months[0]


@given(months(), st.integers(2, 8))
def test_a_months_cells_do_not_depend_on_the_months_around_it(
    series: list[MonthBooks], threshold: int
) -> None:
    """What the engine keeps from one month to the next (decile keys, groups) gives each
    month the cells it has alone."""
    table = indicator_table(series, threshold)
    for books, cells in zip(series, table.months, strict=True):
        assert cells == indicator_table([books], threshold).months[0]
