"""The indicators engine on small funds computed by hand (app.engine.indicators)."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import pytest

from app.engine.indicators import (
    Cell,
    FundingLine,
    HouseholdMonth,
    Households,
    MonthBooks,
    SpendLine,
    indicator_table,
)
from app.engine.period import Period

JAN, FEB = Period(2027, 1), Period(2027, 2)


def household(i: int, **changes: object) -> HouseholdMonth:
    """Household ``i`` (0..19): resources per CU and income (i+1) × 1 000 €, owes (i+1) € ×
    100... i.e. (i + 1) × 100 cents, receives 50 €, 1 to 3 persons."""
    values: dict[str, object] = {
        "household_id": f"hh_{i:02d}",
        "contribution_due_cents": (i + 1) * 100,
        "contribution_paid_cents": (i + 1) * 100,
        "credit_cents": 5000,
        "persons": 1 + i % 3,
        "income_cents": (i + 1) * 100_000,
        "resources_per_cu": Fraction((i + 1) * 100_000),
    }
    values.update(changes)
    return HouseholdMonth(**values)  # type: ignore[arg-type]


def month(period: Period = JAN, count: int = 20, **changes: object) -> MonthBooks:
    values: dict[str, object] = {
        "period": period,
        "households": Households.of(household(i) for i in range(count)),
        "spending": tuple(
            SpendLine(f"hh_{i:02d}", "m_farm" if i < 10 else f"m_shop{i % 4}", "food", 2000)
            for i in range(count)
        ),
        "fundings": (
            FundingLine("city", "subsidy", 60_000),
            FundingLine("someone", "donation", 2_000),
        ),
        "merchant_kinds": {"m_farm": "producer"},
        "entitlement_cents": 125_000,
        "opening_credit_cents": 10_000,
        "closing_credit_cents": 65_000,
        "reserve_cents": 300_000,
        "recent_credit_cents": (100_000, 100_000, 100_000),
    }
    values.update(changes)
    return MonthBooks(**values)  # type: ignore[arg-type]


def figures(cells: tuple[Cell, ...]) -> dict[tuple[str, str], Fraction | None]:
    return {(c.indicator, c.group): c.value for c in cells}


def test_a_twenty_household_month_by_hand() -> None:
    found = figures(indicator_table([month()], threshold=2).months[0])
    # Due: 100 × (1 + ... + 20) = 21 000; credit 20 × 5 000 = 100 000.
    assert found[("contributions_due_cents", "all")] == 21_000
    assert found[("credit_granted_cents", "all")] == 100_000
    assert found[("self_financing", "all")] == Fraction(21, 100)
    assert found[("net_transfer", "all")] == 79_000
    assert found[("net_transfer_per_household", "all")] == Fraction(79_000, 20)
    # Income 100 000 × (1 + ... + 20) = 21 000 000.
    assert found[("contribution_income_share", "all")] == Fraction(1, 1000)
    # Decile d holds households 2d-2 and 2d-1: due (4d - 1) × 100, credit 10 000.
    for d in range(1, 11):
        assert found[("net_transfer_by_decile", f"decile:{d}")] == 10_000 - (4 * d - 1) * 100
    # Money in: contributions 21 000, subsidy 60 000, donation 2 000 (no donor shown).
    assert found[("funding_share", "source:subsidy")] == Fraction(60_000, 83_000)
    assert found[("funding_by_funder_cents", "subsidy:city")] == 60_000
    assert ("funding_by_funder_cents", "donation:someone") not in found
    # Available 10 000 + 100 000; spent 40 000; carried 65 000; nothing expired.
    assert found[("credit_spent_share", "all")] == Fraction(40_000, 110_000)
    assert found[("credit_carried_share", "all")] == Fraction(65_000, 110_000)
    assert found[("rationing_rate", "all")] == Fraction(25_000, 125_000)
    # Producers: the farm took half; the three shops 8 000 / 6 000 / 6 000... of 40 000.
    assert found[("producer_share", "kind:producer")] == Fraction(1, 2)
    assert found[("merchant_top3_share", "all")] == Fraction(20_000 + 6_000 + 6_000, 40_000)
    shares = [Fraction(20, 40), Fraction(6, 40), Fraction(6, 40), Fraction(4, 40), Fraction(4, 40)]
    assert found[("merchant_hhi", "all")] == sum(s * s for s in shares)
    assert found[("reserve_cents", "all")] == 300_000
    assert found[("runway_months", "all")] == 3  # 300 000 ÷ 100 000 a month
    assert found[("active_households", "all")] == 20


def test_a_period_adds_its_months_and_counts_households_once() -> None:
    table = indicator_table([month(JAN), month(FEB, closing_credit_cents=80_000)], threshold=2)
    found = figures(table.period)
    assert table.label == "2027-01..2027-02"
    assert found[("contributions_due_cents", "all")] == 42_000
    assert found[("self_financing", "all")] == Fraction(42_000, 200_000)
    assert found[("active_households", "all")] == 20
    # Available: 10 000 at the start + 200 000 granted; 80 000 still held at the end.
    assert found[("credit_carried_share", "all")] == Fraction(80_000, 210_000)


def test_a_cell_of_fewer_households_than_the_threshold_is_withheld_with_a_complement() -> None:
    # Sizes: 1 person for i % 3 == 0 (7 households), 2 (7), 3 (6); threshold 7: size 3 is small.
    cells = indicator_table([month()], threshold=7).months[0]
    by_size = {c.group: c for c in cells if c.indicator == "net_transfer_by_size"}
    assert by_size["size:3"].suppressed and by_size["size:3"].value is None
    # The complement: the next smallest (size:1 before size:2 by label) is withheld too, so
    # the total minus the visible cell covers 13 households, not 6.
    assert by_size["size:1"].suppressed
    assert not by_size["size:2"].suppressed and by_size["size:2"].households == 7


def test_a_group_withheld_in_one_month_is_withheld_in_every_period_holding_it() -> None:
    # Four-person households: three in January (shown at threshold 3), two in February
    # (withheld). Over both months they are three distinct households, yet the period's cell
    # stays withheld: January's cell minus it would give February's away.
    def sized(fours: int) -> Households:
        return Households.of(
            household(i, persons=4 if i < fours else 1 + i % 3) for i in range(20)
        )

    table = indicator_table(
        [month(JAN, households=sized(3)), month(FEB, households=sized(2))], threshold=3
    )
    january, february, period = (
        {c.group: c for c in cells if c.indicator == "net_transfer_by_size"}
        for cells in (*table.months, table.period)
    )
    assert not january["size:4"].suppressed and january["size:4"].households == 3
    assert february["size:4"].suppressed and february["size:4"].households is None
    assert period["size:4"].suppressed


def test_deciles_follow_a_household_whose_resources_change_and_change_back() -> None:
    # February: household 0's resources per CU become 1 500 001 / 3 cents (a new denominator),
    # between households 4 and 5; March: the January facts again. Decile d holds two
    # households; net transfer = credit 10 000 - their dues ((i + 1) × 100 for household i).
    moved = Households.of(
        household(i, resources_per_cu=Fraction(1_500_001, 3)) if i == 0 else household(i)
        for i in range(20)
    )
    table = indicator_table([month(JAN), month(FEB, households=moved), month(Period(2027, 3))], 2)

    def deciles(cells: tuple[Cell, ...]) -> list[Fraction | None]:
        found = figures(cells)
        return [found[("net_transfer_by_decile", f"decile:{d}")] for d in range(1, 11)]

    usual = [10_000 - (4 * d - 1) * 100 for d in range(1, 11)]
    # February: households 1-2, 3-4, 0 and 5, then 6-7, 8-9... as in January.
    assert deciles(table.months[1]) == [9_500, 9_100, 9_300, *usual[3:]]
    assert deciles(table.months[0]) == deciles(table.months[2]) == usual


def test_a_household_twice_in_a_month_is_refused() -> None:
    twice = Households.of((household(0), household(1), household(0, active=False)))
    with pytest.raises(ValueError, match="2027-01: a household appears twice in the month"):
        indicator_table([month(households=twice)])


def test_households_are_columns_of_their_rows() -> None:
    rows = (household(0), household(1, active=False, income_cents=None))
    columns = Households.of(rows)
    assert columns.rows() == rows and len(columns) == 2
    assert columns.credit_cents == (5000, 5000) and columns.income_cents == (100_000, None)
    assert columns.where((False, True)).rows() == rows[1:]
    assert Households.of(()) == Households() and len(Households()) == 0
    with pytest.raises(ValueError, match="column credit_cents has 1 entries, not 2"):
        dataclasses.replace(columns, credit_cents=(1,))


def test_input_order_changes_nothing() -> None:
    books = month()
    backwards = Households.of(reversed(books.households.rows()))
    shuffled = month(households=backwards, spending=books.spending[::-1])
    assert indicator_table([books]) == indicator_table([shuffled])


def test_months_must_be_consecutive_and_the_threshold_sensible() -> None:
    with pytest.raises(ValueError, match="consecutive"):
        indicator_table([month(JAN), month(Period(2027, 3))])
    with pytest.raises(ValueError, match="at least one month"):
        indicator_table([])
    with pytest.raises(ValueError, match="threshold"):
        indicator_table([month()], threshold=1)
