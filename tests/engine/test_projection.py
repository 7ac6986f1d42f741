"""The projection engine: its invariants, membership changes and the avoiding subsidy.

Pure tests (no database): the match with real month runs is in
tests/services/test_projection_matches_months.py.
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import HouseholdFacts, Period, Person, parse_rule_set
from app.engine.books.state import CreditLot
from app.engine.problems import InvalidInput
from app.engine.projection import Assumptions, FundNow, LotColumns, project

START = Period(2027, 1)
ADULT = Person(date(1980, 5, 17))


def rules(unspent: dict[str, Any] | None = None) -> Any:
    document: dict[str, Any] = {
        "format": "caisse.rules/1",
        "id": "p",
        "version": 1,
        "effective_from": "2025-01",
        "decision": "Comité",
        "contribution": {"formula": {"kind": "proportional", "base": "income", "rate": "0.025"}},
        "credit": {"formula": {"kind": "base_plus_extra", "base_cents": 10000,
                               "per_extra_person_cents": 5000}},
    }  # fmt: skip
    if unspent is not None:
        document["unspent_credit"] = unspent
    return parse_rule_set(document)


def household(key: str, income: int, persons: int = 1) -> HouseholdFacts:
    return HouseholdFacts(key, (ADULT,) * persons, income_cents=income)


@st.composite
def funds(draw: st.DrawFn) -> tuple[list[HouseholdFacts], int, Assumptions, dict[str, Any]]:
    count = draw(st.integers(1, 6))
    households = [
        household(f"h{i}", draw(st.integers(0, 400_000)), draw(st.integers(1, 4)))
        for i in range(count)
    ]
    months = draw(st.integers(1, 6))
    assumptions = Assumptions(
        months=months,
        arrivals_per_month=draw(st.integers(0, 2)),
        departures_per_month=draw(st.integers(0, 1)),
        income_drift=Fraction(draw(st.integers(-20, 20)), 1000),
        spend_rate=Fraction(draw(st.integers(0, 10)), 10),
        subsidies_cents={
            START.shift(draw(st.integers(0, months - 1))): draw(st.integers(0, 50_000))
        },
    )
    unspent = draw(st.sampled_from([
        {"policy": "none"}, {"policy": "expire", "after_months": 1},
        {"policy": "expire", "after_months": 2}, {"policy": "carry_over_cap", "cap_cents": 3000},
    ]))  # fmt: skip
    return households, draw(st.integers(0, 200_000)), assumptions, unspent


@settings(max_examples=60, deadline=None)
@given(case=funds())
def test_every_month_redoes_its_sum_and_never_grants_beyond_its_budget(
    case: tuple[list[HouseholdFacts], int, Assumptions, dict[str, Any]],
) -> None:
    households, reserve, assumptions, unspent = case
    result = project(rules(unspent), FundNow(START, reserve, households), assumptions)
    before = reserve
    for month in result.months:
        assert month.reserve_start_cents == before + month.subsidy_cents
        assert month.reserve_after_run_cents == (
            month.reserve_start_cents + month.contributions_cents + month.funder_shares_cents
            - month.credits_cents
        )  # fmt: skip
        assert month.reserve_end_cents == month.reserve_after_run_cents + month.expired_cents
        assert month.credits_cents <= month.budget_cents
        assert month.reserve_after_run_cents >= 0  # rationing keeps it so from a reserve >= 0
        assert month.credits_cents + month.shortfall_cents == month.entitlements_cents
        before = month.reserve_end_cents


@settings(max_examples=40, deadline=None)
@given(case=funds(), data=st.data())
def test_the_order_of_households_changes_nothing(
    case: tuple[list[HouseholdFacts], int, Assumptions, dict[str, Any]], data: st.DataObject
) -> None:
    households, reserve, assumptions, unspent = case
    shuffled = data.draw(st.permutations(households))
    first = project(rules(unspent), FundNow(START, reserve, households), assumptions)
    second = project(rules(unspent), FundNow(START, reserve, shuffled), assumptions)
    assert first == second


@settings(max_examples=40, deadline=None)
@given(case=funds())
def test_the_avoiding_subsidy_avoids_rationing_and_a_cent_less_does_not(
    case: tuple[list[HouseholdFacts], int, Assumptions, dict[str, Any]],
) -> None:
    households, reserve, assumptions, unspent = case
    found = project(rules(unspent), FundNow(START, reserve, households), assumptions)
    need = found.subsidy_to_avoid_cents
    assert (need == 0) == (found.first_rationed is None)
    assert sum(cents for _, cents in found.subsidy_schedule) == need
    if need:
        richer = project(rules(unspent), FundNow(START, reserve + need, households), assumptions)
        assert richer.first_rationed is None
        poorer = project(
            rules(unspent), FundNow(START, reserve + need - 1, households), assumptions
        )
        assert poorer.first_rationed is not None


def test_arrivals_clone_profiles_in_id_order_and_the_smallest_ids_leave() -> None:
    people = [household("b", 80_000, 3), household("a", 200_000)]
    a = Assumptions(months=2, arrivals_per_month=3, departures_per_month=1)
    result = project(rules(), FundNow(START, 10**9, people), a)
    # Month 1: "a" leaves; clones of a, b, a join: 1 + 3 households, credits 200 + 100 + 200 + 100 €.
    assert [m.households for m in result.months] == [4, 6]
    assert result.months[0].credits_cents == 20_000 + 10_000 + 20_000 + 10_000
    assert result.months[0].contributions_cents == 2_000 + 5_000 + 2_000 + 5_000


def test_incomes_drift_from_the_start_rounded_half_up() -> None:
    a = Assumptions(months=3, income_drift=Fraction(1, 100))
    result = project(rules(), FundNow(START, 10**9, [household("a", 100_001)]), a)
    # 100 001, 101 001.01 -> 101 001, 102 011.0201 -> 102 011; 2.5 % each, half up.
    assert [m.contributions_cents for m in result.months] == [2_500, 2_525, 2_550]


def test_existing_lots_expire_as_the_books_expire_them() -> None:
    lot = CreditLot("7.1", "a", Period(2026, 12), Period(2027, 1), 4_000)
    a = Assumptions(months=1, spend_rate=Fraction(0))
    result = project(
        rules({"policy": "expire", "after_months": 1}),
        FundNow(START, 10**9, [household("a", 0)], LotColumns.from_lots([lot])),
        a,
    )
    # Nothing is spent: December's lot (last month January) and January's 100 € expire.
    assert result.months[0].expired_cents == 4_000 + 10_000


def test_bad_assumptions_are_refused_all_at_once() -> None:
    with pytest.raises(InvalidInput) as refused:
        Assumptions(months=0, spend_rate=Fraction(3, 2), income_drift=Fraction(-1))
    assert [p.path for p in refused.value.problems] == ["months", "income_drift", "spend_rate"]
    with pytest.raises(InvalidInput) as outside:
        project(
            rules(),
            FundNow(START, 0, []),
            Assumptions(months=2, subsidies_cents={Period(2030, 1): 5}),
        )
    assert [p.path for p in outside.value.problems] == ["subsidies.2030-01"]
