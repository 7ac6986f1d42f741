"""The projection's column forms give, for many households at once, what each gives alone.

- ``books.lots.take_in_order_rows`` / ``expiring_rows``: the lot rules on columns (a row per
  household); ``take_in_order`` and ``expiring_amounts`` are their one-row case.
- ``Wallets`` holding several households (lots of one month and rank in one column) spends
  and expires for each exactly what a wallet of that household alone does.
- ``fund.ration_credits`` (credits beside the assessments, no copy) grants and totals what
  the booked ``ration_fund`` month holds.
- Projected arrivals owe nothing: their ``arrears_months`` is 0 (``None`` stays ``None``).
"""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine import HouseholdFacts
from app.engine.assess import Status
from app.engine.batch.columns import HouseholdColumns
from app.engine.books.lots import expiring_rows, take_in_order_rows
from app.engine.books.state import CreditLot
from app.engine.facts import Person
from app.engine.fund import assess_fund, ration_credits, ration_fund
from app.engine.money import round_ratio
from app.engine.period import Period
from app.engine.problems import InvalidInput
from app.engine.projection import Assumptions
from app.engine.projection.credit_flow import LotColumns, Wallets
from app.engine.projection.membership import _drifted, memberships
from app.engine.rules.policies import UnspentCreditPolicy
from tests.engine.test_fund import (
    EVERY_RATIONING,
    MONTPELLIER_CONTRIBUTION,
    PERIOD,
    fixed,
    fund_cases,
    member,
    rule_set,
)
from tests.engine.test_projection_wallets import POLICIES, lots_of_one_household

BASE = Period(2026, 1)


def test_taking_in_order_covers_each_row_from_its_oldest_column() -> None:
    columns = [[3_000, 0, 500], [10_000, 200, 0]]
    parts, left = take_in_order_rows(columns, [11_700, 150, 600])
    # Row 0: 3 000 then 8 700; row 1: nothing from the empty first lot, 150; row 2: 100 short.
    assert parts == [[3_000, 0, 500], [8_700, 150, 0]]
    assert left == [0, 0, 100]


def test_expiring_takes_lapsed_columns_whole_then_each_row_above_the_cap() -> None:
    columns = [(0, 0, [400, 0]), (1, None, [3_000, 7_000]), (2, None, [5_000, 1_000])]
    # At the end of month 1: column 0 has lapsed; the cap of 6 000 applies to what was held
    # at the end of month 1 (column 2 was granted later): row 1 loses 1 000 of column 1.
    assert expiring_rows(columns, 1, 6_000) == [(0, [400, 0]), (1, [0, 1_000])]
    assert expiring_rows(columns, 1, None) == [(0, [400, 0])]


@settings(max_examples=150, deadline=None)
@given(
    held=st.lists(lots_of_one_household(), min_size=1, max_size=4),
    month=st.integers(0, 8),
    rate=st.fractions(0, 1, max_denominator=20),
    policy=POLICIES,
)
def test_wallets_of_many_households_move_what_each_household_alone_moves(
    held: list[list[CreditLot]], month: int, rate: Fraction, policy: UnspentCreditPolicy
) -> None:
    period = BASE.shift(month)
    owned = [[lot._replace(household_id=f"h{i}") for lot in lots] for i, lots in enumerate(held)]
    together = Wallets(LotColumns.from_lots([lot for lots in owned for lot in lots]))
    ids = [f"h{i}" for i in range(len(owned))]
    together.grant(period, together.rows_of(ids), [100 * i for i in range(len(owned))], policy)
    alone = []
    for i, lots in enumerate(owned):
        wallet = Wallets(LotColumns.from_lots(lots))
        wallet.grant(period, wallet.rows_of([f"h{i}"]), [100 * i], policy)
        alone.append(wallet)
    assert together.spend(period, rate) == sum(w.spend(period, rate) for w in alone)
    assert together.expire(period, policy) == sum(w.expire(period, policy) for w in alone)
    assert together.outstanding_cents() == sum(w.outstanding_cents() for w in alone)


@settings(max_examples=150, deadline=None)
@given(
    held=st.lists(lots_of_one_household(), min_size=1, max_size=4),
    order=st.randoms(use_true_random=False),
    month=st.integers(0, 8),
    rate=st.fractions(0, 1, max_denominator=20),
    policy=POLICIES,
)
def test_wallets_do_not_depend_on_the_order_the_lots_are_read_in(
    held: list[list[CreditLot]],
    order: random.Random,
    month: int,
    rate: Fraction,
    policy: UnspentCreditPolicy,
) -> None:
    """The store may hand the lots in any order (PostgreSQL does not keep insertion order):
    the wallets spend and expire the same amounts, in the books' order, whatever it is."""
    period = BASE.shift(month)
    lots = [lot._replace(household_id=f"h{i}") for i, own in enumerate(held) for lot in own]
    shuffled = order.sample(lots, len(lots))
    figures = []
    for read in (lots, shuffled):
        wallets = Wallets(LotColumns.from_lots(read))
        figures.append(
            (
                wallets.spend(period, rate),
                wallets.expire(period, policy),
                wallets.outstanding_cents(),
            )
        )
    assert figures[0] == figures[1]


@EVERY_RATIONING
@given(case=fund_cases())
def test_rationed_credits_are_the_booked_months_credits_and_totals(
    rationing: dict[str, Any], case: tuple[list[HouseholdFacts], list[HouseholdFacts], int]
) -> None:
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000), rationing)
    households, permuted, budget = case
    free = assess_fund(rules, permuted, PERIOD, explain=False)
    booked = ration_fund(rules, households, free, budget)
    credits = ration_credits(rules, permuted, free, budget)
    assert credits.totals == booked.totals
    assert (
        credits.credit_column()
        == booked.credit_column()
        == [(a.credit_cents or 0) if a.status is Status.ASSESSED else 0 for a in booked.assessments]
    )
    assert credits.booked() == booked


@EVERY_RATIONING
@given(case=fund_cases())
def test_a_rationed_months_totals_are_the_sums_of_its_booked_assessments(
    rationing: dict[str, Any], case: tuple[list[HouseholdFacts], list[HouseholdFacts], int]
) -> None:
    # Rationing sums again only the credits and funder shares; every total still equals the
    # sum over the month as booked.
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000), rationing)
    households, _, budget = case
    free = assess_fund(rules, households, PERIOD, explain=False)
    booked = ration_fund(rules, households, free, budget)
    kept = [a for a in booked.assessments if a.status is Status.ASSESSED]
    credits = sum(a.credit_cents or 0 for a in kept)
    funders = sum(a.funder_share_cents for a in kept)
    contributions = sum(a.contribution_cents or 0 for a in kept)
    assert booked.totals.households == len(booked.assessments)
    assert booked.totals.by_status == {
        status.value: sum(a.status is status for a in booked.assessments) for status in Status
    }
    assert booked.totals.credits_cents == credits
    assert booked.totals.funder_shares_cents == funders
    assert booked.totals.contributions_cents == contributions
    assert booked.totals.entitlements_cents == free.totals.credits_cents
    assert booked.totals.shortfall_cents == max(0, credits - funders - contributions)


@EVERY_RATIONING
@given(
    case=fund_cases(), drift=st.fractions(Fraction(9, 10), Fraction(11, 10), max_denominator=1000)
)
def test_a_month_of_drifted_columns_is_the_month_of_the_drifted_facts(
    rationing: dict[str, Any],
    case: tuple[list[HouseholdFacts], list[HouseholdFacts], int],
    drift: Fraction,
) -> None:
    """The projection hands a month as columns whose income column alone drifted: the fund's
    month, rationed or not, explained or not, is the month of the facts so drifted."""
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000), rationing)
    households, _, budget = case
    households = sorted(
        (replace(f, income_cents=150_000 + 7_919 * i) for i, f in enumerate(households)),
        key=lambda facts: facts.household_id,
    )
    columns = _drifted(HouseholdColumns.from_facts(households), drift)
    drifted = [
        replace(f, income_cents=round_ratio(f.income_cents * drift.numerator, drift.denominator))
        for f in households
    ]
    for explain in (False, True):
        assert assess_fund(rules, columns, PERIOD, budget_cents=budget, explain=explain) == (
            assess_fund(rules, drifted, PERIOD, budget_cents=budget, explain=explain)
        )


def test_columns_out_of_id_order_are_refused_by_name() -> None:
    households = [member("b"), member("a")]
    with pytest.raises(InvalidInput) as refused:
        assess_fund(
            rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000)),
            HouseholdColumns.from_facts(households),
            PERIOD,
        )
    assert [p.path for p in refused.value.problems] == ["households"]


def test_an_income_column_of_the_wrong_length_is_refused_by_name() -> None:
    columns = HouseholdColumns.from_facts([member("a"), member("b")])
    with pytest.raises(InvalidInput) as refused:
        columns.with_incomes([1_000])
    assert [(p.path, p.message) for p in refused.value.problems] == [
        ("incomes_cents", "expected 2 values, got 1")
    ]
    with pytest.raises(InvalidInput):
        columns.with_incomes([1_000, -1])


def test_projected_arrivals_owe_no_month_and_members_keep_theirs() -> None:
    adult = (Person(date(1980, 5, 17)),)
    owing = HouseholdFacts("a", adult, 100_000, arrears_months=2)
    unread = HouseholdFacts("b", adult, 100_000)
    a = Assumptions(months=1, arrivals_per_month=2)
    (month,) = memberships(Period(2027, 1), [unread, owing], a)
    facts = [month.households.household(i) for i in range(len(month.households))]
    assert [(f.household_id, f.arrears_months) for f in facts] == [
        ("a", 2),
        ("b", None),
        ("projected-2027-01-0001", 0),
        ("projected-2027-01-0002", None),
    ]
