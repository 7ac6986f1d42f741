"""Arrears: months owed settled oldest first, and the rule document's arrears policy applied
at the run (keep crediting, reduce, suspend, committee waiver), exact cents by hand on two
real funds' rules (CALIEN and Montpellier, each given an arrears section for the test: neither
fund publishes one, so the bundled documents keep the default, keep crediting)."""

from __future__ import annotations

import itertools
from datetime import date
from fractions import Fraction
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import rulesets
from app.engine.arrears import (
    ArrearsPolicy,
    MonthOwed,
    arrears_effect,
    settle_oldest_first,
    unpaid_months,
)
from app.engine.explain import render_step
from app.engine.facts import HouseholdFacts, Person
from app.engine.fund import assess_fund
from app.engine.period import Period
from app.engine.problems import RuleSetInvalid
from app.engine.ruleset import parse_rule_set

JAN, FEB, MAR = "2027-01", "2027-02", "2027-03"


def test_payments_settle_the_oldest_month_first() -> None:
    months, ahead = settle_oldest_first([(MAR, 3625), (JAN, 3625), (FEB, 3625)], 5000)
    assert months == (
        MonthOwed(JAN, 3625, 3625),
        MonthOwed(FEB, 3625, 1375),
        MonthOwed(MAR, 3625, 0),
    )
    assert [m.outstanding_cents for m in months] == [0, 2250, 3625]
    assert ahead == 0
    assert unpaid_months(months, Period(2027, 4)) == 2
    assert unpaid_months(months, Period(2027, 3)) == 1  # March itself is not yet in arrears


def test_what_is_paid_beyond_every_month_is_ahead() -> None:
    months, ahead = settle_oldest_first([(JAN, 1000)], 8000)
    assert (months, ahead) == ((MonthOwed(JAN, 1000, 1000),), 7000)
    assert unpaid_months(months, Period(2027, 2)) == 0


@given(
    st.lists(st.integers(min_value=0, max_value=50_000), max_size=12),
    st.integers(min_value=-1000, max_value=400_000),
)
def test_settling_is_exact_and_oldest_first(owed: list[int], paid: int) -> None:
    charges = [(str(Period(2027, 1).shift(i)), cents) for i, cents in enumerate(owed)]
    months, ahead = settle_oldest_first(charges, paid)
    assert sum(m.paid_cents for m in months) + ahead == max(0, paid)
    assert all(0 <= m.paid_cents <= m.owed_cents for m in months)
    for earlier, later in itertools.pairwise(months):
        assert earlier.outstanding_cents == 0 or later.paid_cents == 0


def _calien(arrears: dict[str, Any] | None) -> Any:
    document = rulesets.document("calien")
    if arrears is not None:
        document["arrears"] = arrears
    return parse_rule_set(document)


def _household(hh: str, ages: tuple[int, ...], arrears: int, **attributes: str) -> HouseholdFacts:
    return HouseholdFacts(
        household_id=hh,
        persons=tuple(Person(date(2027 - age, 1, 1)) for age in ages),
        income_cents=150_000,
        engagement_minutes=0,
        attributes=attributes,
        arrears_months=arrears,
    )


def test_calien_reduces_the_credit_by_half_from_two_unpaid_months() -> None:
    rules = _calien({"policy": "reduce", "rate": "0.5", "after_months": 2})
    households = [
        _household("hh_a", (40, 38, 8), 2),  # 150 + 75 + 45 = 270 €; half withheld
        _household("hh_b", (40,), 1),  # one month unpaid: below the threshold
        _household("hh_c", (40,), 3, arrears_waiver="Délibération 2027-04"),  # lifted
    ]
    month = assess_fund(rules, households, Period(2027, 3))
    credits = {a.household_id: a.credit_cents for a in month.assessments}
    assert credits == {"hh_a": 13500, "hh_b": 15000, "hh_c": 15000}
    assert month.totals.entitlements_cents == 43500
    steps = {a.household_id: a.explanation.credit[-1] for a in month.assessments if a.explanation}
    assert render_step(steps["hh_a"], "fr") == (
        "Cotisations impayées depuis 2 mois (le barème réduit le crédit à partir de 2 mois) :"
        " 50 % du crédit de 270,00 € est retenue, soit 135,00 € ; votre crédit est de 135,00 €."
    )
    assert render_step(steps["hh_c"], "fr") == (
        "Cotisations impayées depuis 3 mois, mais le comité a levé la mesure (décision"
        " Délibération 2027-04) : le crédit de 150,00 € est versé en entier."
    )
    assert steps["hh_b"].code != "arrears.reduce"


def test_a_reduction_rounds_the_withheld_part_down() -> None:
    # 150 + 45 = 195 €; 15 % = 29,25 € withheld exactly; 1/3 of 100,01 € = 33,336… -> 33,33 €.
    rules = _calien({"policy": "reduce", "rate": "0.15", "after_months": 1})
    month = assess_fund(rules, [_household("hh_a", (40, 5), 1)], Period(2027, 3))
    assert month.assessments[0].credit_cents == 16575
    policy = ArrearsPolicy("reduce", 1, Fraction(1, 3))
    effect = arrears_effect(policy, 10001, 1, None)
    assert (effect.credit_cents, effect.withheld_cents) == (6668, 3333)


def test_montpellier_suspends_from_three_unpaid_months() -> None:
    document = rulesets.document("montpellier")
    document["arrears"] = {"policy": "suspend", "after_months": 3}
    rules = parse_rule_set(document)

    def member(hh: str, arrears: int) -> HouseholdFacts:
        return HouseholdFacts(
            household_id=hh,
            persons=(Person(date(1980, 1, 1)),),
            chosen_contribution_cents=2000,
            arrears_months=arrears,
        )

    month = assess_fund(rules, [member("hh_a", 3), member("hh_b", 2)], Period(2027, 3))
    credits = {a.household_id: a.credit_cents for a in month.assessments}
    assert credits == {"hh_a": 0, "hh_b": 10000}
    step = month.assessments[0].explanation.credit[-1]  # type: ignore[union-attr]
    assert render_step(step, "en") == (
        "Contributions unpaid for 3 months (the rules suspend the credit from 3 months):"
        " the credit of €100.00 is suspended."
    )


def test_keep_crediting_is_the_default_and_changes_nothing() -> None:
    rules = _calien(None)
    assert rules.arrears == ArrearsPolicy()
    month = assess_fund(rules, [_household("hh_a", (40,), 12)], Period(2027, 3))
    assert month.assessments[0].credit_cents == 15000
    assert rules.arrears.describe() == "Impayés : le crédit continue d'être versé."


def test_the_policies_in_words() -> None:
    reduce = ArrearsPolicy("reduce", 2, Fraction(1, 2))
    assert reduce.describe() == (
        "Impayés : le crédit est réduit de 50 % à partir de 2 mois impayés. Le comité peut"
        " lever la mesure pour un foyer (référence de sa décision)."
    )
    assert ArrearsPolicy("suspend", 3).describe("en") == (
        "Arrears: the credit is suspended from 3 unpaid months. The committee may lift it for"
        " a household (reference of its decision)."
    )


@pytest.mark.parametrize(
    ("arrears", "path"),
    [
        ({"policy": "reduce", "after_months": 2}, "arrears.rate"),
        ({"policy": "reduce", "rate": "0", "after_months": 2}, "arrears.rate"),
        ({"policy": "suspend", "after_months": 0}, "arrears.after_months"),
        ({"policy": "suspend"}, "arrears.after_months"),
        ({"policy": "forgive"}, "arrears.policy"),
        ({"policy": "keep_crediting", "after_months": 2}, "arrears.after_months"),
    ],
)
def test_a_malformed_policy_is_refused_at_its_path(arrears: dict[str, Any], path: str) -> None:
    with pytest.raises(RuleSetInvalid) as refused:
        _calien(arrears)
    assert path in [p.path for p in refused.value.problems]
