"""A fund's month: totals, mean-of-contributions credits, rationing to a budget, explained."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine import HouseholdFacts, Period, Person, RuleSet, Status, parse_rule_set
from app.engine.fund import RationedCredit, assess_fund
from app.engine.problems import InvalidInput

PERIOD = Period(2025, 11)
ADULT = Person(date(1980, 5, 17))


def rule_set(
    contribution: dict[str, Any],
    credit: dict[str, Any],
    rationing: dict[str, Any] | None = None,
) -> RuleSet:
    document: dict[str, Any] = {
        "format": "caisse.rules/1",
        "id": "test-fund",
        "version": 1,
        "effective_from": "2025-01",
        "decision": "Comité du 2024-12-01",
        "contribution": {"formula": contribution},
        "credit": {"formula": credit},
    }
    if rationing is not None:
        document["rationing"] = rationing
    return parse_rule_set(document)


def fixed(amount_cents: int) -> dict[str, Any]:
    return {"kind": "fixed", "amount_cents": amount_cents}


def member(household_id: str, **facts: Any) -> HouseholdFacts:
    return HouseholdFacts(household_id=household_id, persons=(ADULT,), **facts)


MONTPELLIER_CONTRIBUTION = {
    "kind": "free_choice",
    "min_cents": 100,
    "max_cents": 15000,
    "suggested_cents": 5000,
    "step_cents": 100,
}


def test_montpellier_400_members_mean_50_euros_leave_a_20000_euro_shortfall() -> None:
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000))
    choices = [1000, 3000, 5000, 7000, 9000]  # mean exactly 50 €, 80 members each
    members = [
        member(f"m{index:03d}", chosen_contribution_cents=choices[index % 5])
        for index in range(400)
    ]
    month = assess_fund(rules, members, PERIOD, explain=False)
    totals = month.totals
    assert totals.by_status["assessed"] == 400
    assert totals.contributions_cents == 2_000_000
    assert totals.credits_cents == 4_000_000
    assert totals.entitlements_cents == 4_000_000
    assert totals.shortfall_cents == 2_000_000
    assert 12 * totals.shortfall_cents == 24_000_000
    assert month.rationing is None and month.rationed == ()


def test_montpellier_with_a_budget_of_contributions_only_rations_every_credit_to_50_euros() -> None:
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000))
    choices = [1000, 3000, 5000, 7000, 9000]
    members = [member(f"m{i:03d}", chosen_contribution_cents=choices[i % 5]) for i in range(400)]
    month = assess_fund(rules, members, PERIOD, budget_cents=2_000_000, explain=False)
    assert {a.credit_cents for a in month.assessments} == {5000}
    assert month.totals.credits_cents == 2_000_000
    assert month.totals.entitlements_cents == 4_000_000
    assert month.totals.shortfall_cents == 0
    assert month.rationed[0] == RationedCredit("m000", 10000, 5000)


def test_households_that_need_data_or_are_rejected_are_counted_but_never_summed() -> None:
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000))
    members = [
        member("a", chosen_contribution_cents=2000),
        member("b"),  # no choice -> needs data
        member("c", chosen_contribution_cents=99_900),  # above the maximum -> rejected
    ]
    totals = assess_fund(rules, members, PERIOD).totals
    assert totals.by_status == {
        "assessed": 1,
        "needs_data": 1,
        "not_eligible": 0,
        "rejected": 1,
    }
    assert totals.households == 3
    assert (totals.contributions_cents, totals.credits_cents) == (2000, 10000)


def test_assessments_come_back_sorted_by_household_id() -> None:
    rules = rule_set(fixed(500), fixed(1000))
    month = assess_fund(rules, [member("c"), member("a"), member("b")], PERIOD)
    assert [a.household_id for a in month.assessments] == ["a", "b", "c"]


def test_duplicate_household_ids_are_refused() -> None:
    rules = rule_set(fixed(500), fixed(1000))
    with pytest.raises(InvalidInput) as error:
        assess_fund(rules, [member("a"), member("b"), member("a")], PERIOD)
    assert [p.path for p in error.value.problems] == ["households.a"]
    # Given in order, the repeated id side by side: refused the same way.
    with pytest.raises(InvalidInput) as error:
        assess_fund(rules, [member("a"), member("b"), member("b")], PERIOD)
    assert [p.path for p in error.value.problems] == ["households.b"]


def test_negative_budget_is_refused() -> None:
    rules = rule_set(fixed(500), fixed(1000))
    with pytest.raises(InvalidInput):
        assess_fund(rules, [member("a")], PERIOD, budget_cents=-1)


def test_budget_covering_every_credit_changes_nothing() -> None:
    rules = rule_set(fixed(500), fixed(1000))
    month = assess_fund(rules, [member("a"), member("b")], PERIOD, budget_cents=2000)
    assert [a.credit_cents for a in month.assessments] == [1000, 1000]
    assert month.rationing is None


def test_proportional_rationing_splits_the_budget_to_the_cent_and_explains_it() -> None:
    rules = rule_set(fixed(500), fixed(10000))
    month = assess_fund(rules, [member("c"), member("b"), member("a")], PERIOD, budget_cents=20000)
    assert [a.credit_cents for a in month.assessments] == [6667, 6667, 6666]
    assert month.rationed == (
        RationedCredit("a", 10000, 6667),
        RationedCredit("b", 10000, 6667),
        RationedCredit("c", 10000, 6666),
    )
    explanation = month.assessments[2].explanation
    assert explanation is not None
    last = explanation.credit[-1]
    assert (last.clause, last.code) == ("rationing", "fund.rationing.proportional")
    french = explanation.render("fr")
    assert "Le budget du mois (200,00 €) ne couvre pas tous les droits (300,00 €)" in french
    assert "Votre droit de 100,00 € devient 66,66 €." in french
    assert "Your entitlement of €100.00 becomes €66.66." in explanation.render("en")


def test_rationing_without_explanations_records_the_figures_only() -> None:
    rules = rule_set(fixed(500), fixed(10000))
    month = assess_fund(rules, [member("a"), member("b")], PERIOD, budget_cents=5000, explain=False)
    assert [a.credit_cents for a in month.assessments] == [2500, 2500]
    assert all(a.explanation is None for a in month.assessments)
    assert month.rationed == (RationedCredit("a", 10000, 2500), RationedCredit("b", 10000, 2500))


def test_priority_tiers_come_from_each_household_s_facts() -> None:
    rules = rule_set(fixed(0), fixed(10000), {"method": "priority_tiers"})
    households = [
        member("a", priority_tier=1),
        member("b", priority_tier=0),
        member("c", priority_tier=1),
    ]
    month = assess_fund(rules, households, PERIOD, budget_cents=15000)
    assert [a.credit_cents for a in month.assessments] == [2500, 10000, 2500]
    rendered = month.assessments[0].explanation.render("fr")  # type: ignore[union-attr]
    assert "le niveau 1 en proportion. Votre niveau est 1" in rendered


def test_uniform_cut_rationing_names_the_cut_and_the_floor() -> None:
    rules = rule_set(fixed(0), fixed(10000), {"method": "uniform_cut", "floor_cents": 3000})
    month = assess_fund(rules, [member("a"), member("b")], PERIOD, budget_cents=12000)
    assert [a.credit_cents for a in month.assessments] == [6000, 6000]
    rendered = month.assessments[0].explanation.render("fr")  # type: ignore[union-attr]
    assert "chaque foyer perd le même montant (40,00 €)" in rendered
    assert "plancher de 30,00 €" in rendered


def test_max_min_rationing_names_the_common_cap() -> None:
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(9000), {"method": "max_min"})
    households = [member(h, chosen_contribution_cents=100) for h in ("a", "b", "c")]
    month = assess_fund(rules, households, PERIOD, budget_cents=20000)
    assert [a.credit_cents for a in month.assessments] == [6667, 6667, 6666]
    rendered = month.assessments[1].explanation.render("en")  # type: ignore[union-attr]
    assert "a common cap of ≈ €66.66" in rendered


def test_mean_of_contributions_shares_the_month_s_contributions_to_the_cent() -> None:
    rules = rule_set(
        {"kind": "proportional", "base": "income", "rate": "0.1"}, {"kind": "mean_of_contributions"}
    )
    households = [
        member("c", income_cents=20020),
        member("a", income_cents=10000),
        member("b", income_cents=20000),
        member("d"),  # no income -> needs data, neither pays nor receives
    ]
    month = assess_fund(rules, households, PERIOD)
    assessed = month.assessments[:3]
    assert [a.contribution_cents for a in assessed] == [1000, 2000, 2002]
    # 5002 / 3 = 1667 1/3: the one cent left goes to the lowest id.
    assert [a.credit_cents for a in assessed] == [1668, 1667, 1667]
    assert all(not a.credit_pending_fund for a in assessed)
    assert month.assessments[3].status is Status.NEEDS_DATA
    assert month.totals.credits_cents == month.totals.contributions_cents == 5002
    rendered = assessed[0].explanation.render("fr")  # type: ignore[union-attr]
    assert (
        "Les participations du mois (50,02 €) sont réparties à parts égales entre les 3 foyers"
        in rendered
    )


def test_mean_of_contributions_is_rationed_when_the_budget_is_smaller() -> None:
    rules = rule_set(
        {"kind": "proportional", "base": "income", "rate": "0.1"}, {"kind": "mean_of_contributions"}
    )
    households = [member("a", income_cents=30000), member("b", income_cents=10000)]
    month = assess_fund(rules, households, PERIOD, budget_cents=3001)
    assert [a.credit_cents for a in month.assessments] == [1501, 1500]
    assert month.rationed == (RationedCredit("a", 2000, 1501), RationedCredit("b", 2000, 1500))


# Each rationing method the rules offer, for tests that must hold under all of them.
EVERY_RATIONING = pytest.mark.parametrize(
    "rationing",
    [
        {"method": "proportional"},
        {"method": "max_min"},
        {"method": "uniform_cut", "floor_cents": 4000},
    ],
    ids=lambda r: r["method"],
)


@st.composite
def fund_cases(draw: st.DrawFn) -> tuple[list[HouseholdFacts], list[HouseholdFacts], int]:
    count = draw(st.integers(1, 12))
    ids = draw(
        st.lists(
            st.text("abcdef", min_size=1, max_size=3), min_size=count, max_size=count, unique=True
        )
    )
    choices = draw(
        st.lists(
            st.sampled_from([None, 100, 500, 2500, 15000, 20000]), min_size=count, max_size=count
        )
    )
    households = [
        member(key, chosen_contribution_cents=choice)
        for key, choice in zip(ids, choices, strict=True)
    ]
    permuted = draw(st.permutations(households))
    budget = draw(st.integers(0, 10000 * count + 1))
    return households, list(permuted), budget


@EVERY_RATIONING
@given(case=fund_cases())
def test_fund_month_is_identical_under_any_order_of_households(
    rationing: dict[str, Any], case: tuple[list[HouseholdFacts], list[HouseholdFacts], int]
) -> None:
    rules = rule_set(MONTPELLIER_CONTRIBUTION, fixed(10000), rationing)
    households, permuted, budget = case
    first = assess_fund(rules, households, PERIOD, budget_cents=budget)
    second = assess_fund(rules, permuted, PERIOD, budget_cents=budget)
    assert first == second
    assert [a.as_dict() for a in first.assessments] == [a.as_dict() for a in second.assessments]
    assert first.totals.credits_cents == min(budget, first.totals.entitlements_cents)
    assert all(r.granted_cents <= r.entitlement_cents for r in first.rationed)


@st.composite
def composed_households(draw: st.DrawFn) -> list[HouseholdFacts]:
    count = draw(st.integers(1, 10))
    births = st.one_of(st.dates(date(1940, 1, 1), date(2025, 10, 31)), st.none())
    return [
        HouseholdFacts(
            household_id=f"h{index}",
            persons=tuple(Person(b) for b in draw(st.lists(births, min_size=0, max_size=5))),
            income_cents=draw(st.one_of(st.none(), st.integers(0, 900_000))),
        )
        for index in range(count)
    ]


@given(composed_households())
def test_without_a_budget_each_household_gets_exactly_what_assess_gives_it(
    households: list[HouseholdFacts],
) -> None:
    from app.engine import assess

    rules = rule_set(
        {
            "kind": "clamp",
            "floor_cents": 100,
            "cap_cents": 15000,
            "of": {"kind": "proportional", "base": "income_per_cu", "rate": "0.03"},
        },
        {
            "kind": "base_plus_extra",
            "base_cents": 15000,
            "extra_person_bands": [
                {"min_age": 14, "amount_cents": 7500},
                {"min_age": 0, "amount_cents": 4500},
            ],
        },
    )
    month = assess_fund(rules, households, PERIOD)
    assert list(month.assessments) == [assess(rules, h, PERIOD) for h in households]
