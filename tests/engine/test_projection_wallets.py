"""The projection's fast forms move and copy exactly what the books' forms do.

- ``Wallets`` holds lots in the compact form (``books.lots.compact``) and must spend and
  expire, household by household, exactly what the books' ``CreditLot`` functions
  (``available_cents``, ``take_oldest``, ``expiring_parts``) take: a Hypothesis property.
- The copies made through constructors instead of ``dataclasses.replace`` (income drift,
  rationed credits) keep every other field.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

from app.engine.assess import Assessment, Status
from app.engine.batch.columns import HouseholdColumns
from app.engine.books.lots import available_cents, expiring_parts, oldest_first, take_oldest
from app.engine.books.state import CreditLot
from app.engine.facts import HouseholdFacts, Person
from app.engine.fund import _with_credit
from app.engine.period import Period
from app.engine.problems import Problem
from app.engine.projection.credit_flow import LotColumns, Wallets
from app.engine.projection.membership import _drifted
from app.engine.rules.policies import UnspentCreditPolicy

BASE = Period(2026, 1)


@st.composite
def lots_of_one_household(draw: st.DrawFn) -> list[CreditLot]:
    count = draw(st.integers(0, 4))
    lots = []
    for seq in range(count):
        granted = draw(st.integers(0, 5))
        life = draw(st.one_of(st.none(), st.integers(0, 3)))
        lots.append(
            CreditLot(
                f"{draw(st.integers(1, 50))}.{seq}",
                "hh",
                BASE.shift(granted),
                None if life is None else BASE.shift(granted + life),
                draw(st.integers(1, 5_000)),
            )
        )
    return lots


POLICIES = st.one_of(
    st.just(UnspentCreditPolicy()),
    st.builds(UnspentCreditPolicy, st.just("expire"), st.integers(1, 3)),
    st.builds(UnspentCreditPolicy, st.just("carry_over_cap"), st.none(), st.integers(0, 6_000)),
)


def _books_month(
    lots: list[CreditLot], period: Period, rate: Fraction, cap: int | None
) -> tuple[int, int, int]:
    """Spent, expired and left, moved with the books' own functions."""
    held = oldest_first(lots)
    amount = available_cents(held, period) * rate.numerator // rate.denominator
    spent = 0
    if amount:
        plan = take_oldest(held, amount, period)
        assert plan is not None
        taken = {lot.lot_id: part for lot, part in plan}
        held = [
            lot._replace(remaining_cents=lot.remaining_cents - taken.get(lot.lot_id, 0))
            for lot in held
        ]
        spent = amount
    parts = expiring_parts(held, period, cap)
    expired = sum(part for _, part in parts)
    return spent, expired, sum(lot.remaining_cents for lot in held) - expired


@settings(max_examples=300, deadline=None)
@given(
    lots=lots_of_one_household(),
    month=st.integers(0, 8),
    rate=st.fractions(0, 1, max_denominator=20),
    policy=POLICIES,
)
def test_a_wallet_spends_and_expires_what_the_books_functions_take(
    lots: list[CreditLot], month: int, rate: Fraction, policy: UnspentCreditPolicy
) -> None:
    period = BASE.shift(month)
    wallets = Wallets(LotColumns.from_lots(lots))
    spent = wallets.spend(period, rate)
    expired = wallets.expire(period, policy)
    assert (spent, expired, wallets.outstanding_cents()) == _books_month(
        lots, period, rate, policy.cap_cents
    )


def test_a_granted_lot_is_spent_after_the_older_ones_and_expires_by_the_policy() -> None:
    policy = UnspentCreditPolicy("expire", 2)
    old = CreditLot("7.1", "hh", BASE, BASE.shift(1), 3_000)
    wallets = Wallets(LotColumns.from_lots([old]))
    wallets.grant(BASE.shift(1), wallets.rows_of(["hh", "other"]), [10_000, 0], policy)
    # 90 % of 13 000 = 11 700: the old lot's 3 000 first, then 8 700 of the new one.
    assert wallets.spend(BASE.shift(1), Fraction(9, 10)) == 11_700
    assert wallets.expire(BASE.shift(1), policy) == 0  # the new lot lasts till 2026-03
    assert wallets.outstanding_cents() == 1_300
    assert wallets.expire(BASE.shift(2), policy) == 1_300


def test_income_drift_keeps_every_other_fact() -> None:
    facts = HouseholdFacts(
        "hh-1",
        (Person(date(1990, 5, 1)),),
        150_000,
        2_000,
        90,
        {"scheme": "caf"},
        date(2026, 1, 1),
        date(2027, 12, 31),
        1,
        2,
    )
    unknown = HouseholdFacts("hh-2", (Person(None),))
    # 150 000 x 1.001 = 150 150 exactly; 1 001 x 1.0005 = 1 001.5005 -> 1 002 (half up or more).
    drifted = _drifted(HouseholdColumns.from_facts([facts, unknown]), Fraction(1001, 1000))
    assert drifted.incomes_cents == [150_150, None]
    assert [drifted.household(0), drifted.household(1)] == [
        replace(facts, income_cents=150_150),
        unknown,  # no income: nothing to drift
    ]
    assert drifted.household(1) is unknown
    again = _drifted(
        HouseholdColumns.from_facts([replace(facts, income_cents=1_001)]), Fraction(2001, 2000)
    )
    assert again.household(0) == replace(facts, income_cents=1_002)


def test_a_rationed_credit_keeps_every_other_field_and_caps_the_funder_share() -> None:
    assessment = Assessment(
        "hh-1",
        BASE,
        Status.ASSESSED,
        contribution_cents=2_000,
        credit_cents=10_000,
        funder_share_cents=4_000,
        funder_id="caf",
        credit_pending_fund=True,
        problems=(Problem("income_cents", "checked"),),
    )
    assert _with_credit(assessment, 3_000, None) == replace(
        assessment, credit_cents=3_000, funder_share_cents=3_000
    )
    assert _with_credit(assessment, 6_000, None) == replace(assessment, credit_cents=6_000)
