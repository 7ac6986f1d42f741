"""The batch path gives exactly what ``assess(..., explain=False)`` gives, household by household."""

from __future__ import annotations

import copy
from datetime import date, timedelta
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from app.engine import HouseholdFacts, Period, Person, Status, assess, parse_rule_set
from app.engine.batch import assess_batch, compile_batch

SCALE = {
    "kind": "linear_average_rate_scale",
    "base": "income_per_cu",
    "thresholds": [
        {"from": 0, "rate": "0.01"},
        {"from": 100000, "rate": "0.03"},
        {"from": 250000, "rate": "0.05"},
    ],
}
BENCH_CONTRIBUTION = {"kind": "clamp", "floor_cents": 100, "cap_cents": 15000, "of": SCALE}
BANDED_CREDIT = {
    "kind": "base_plus_extra",
    "base_cents": 15000,
    "extra_person_bands": [
        {"min_age": 14, "amount_cents": 7500},
        {"min_age": 0, "amount_cents": 4500},
    ],
}

CONTRIBUTIONS: list[dict[str, Any]] = [
    BENCH_CONTRIBUTION,
    SCALE,
    {"kind": "proportional", "base": "income_per_person", "rate": "0.025"},
    {"kind": "proportional", "base": "quotient_familial", "rate": "0.07"},
    {
        "kind": "clamp",
        "of": {"kind": "proportional", "base": "income", "rate": "0.03"},
        "floor": {
            "kind": "household_amount",
            "per_household_cents": 1000,
            "per_extra_person_cents": 500,
        },
        "cap_cents": 9000,
    },
    {
        "kind": "max",
        "of": [
            {"kind": "proportional", "base": "income", "rate": "0.025"},
            {"kind": "sum", "of": [{"kind": "fixed", "amount_cents": 333}, SCALE]},
        ],
    },
    {"kind": "min", "of": [SCALE, {"kind": "fixed", "amount_cents": 4000}]},
    {
        "kind": "household_amount",
        "per_household_cents": 1000,
        "per_person_cents": 250,
        "per_extra_person_cents": 0,
    },
]
CREDITS: list[dict[str, Any]] = [
    BANDED_CREDIT,
    {**BANDED_CREDIT, "max_persons": 4},
    {
        "kind": "base_plus_extra",
        "base_cents": 10000,
        "per_extra_person_cents": 5000,
        "max_persons": 4,
    },
    {"kind": "per_person", "amount_cents": 10000, "max_persons": 3},
    {
        "kind": "age_weighted",
        "bands": [
            {"min_age": 0, "amount_cents": 4500},
            {"min_age": 14, "amount_cents": 7500},
            {"min_age": 65, "amount_cents": 6000},
        ],
    },
    {"kind": "per_consumption_unit", "amount_cents": 10001},
    {
        "kind": "min",
        "of": [BANDED_CREDIT, {"kind": "fixed", "amount_cents": 30000}],
    },
]
ROUNDINGS = [
    {"unit_cents": 1, "mode": "half_up"},
    {"unit_cents": 10, "mode": "half_even"},
    {"unit_cents": 100, "mode": "down"},
    {"unit_cents": 1, "mode": "up"},
]


def document(contribution: dict[str, Any], credit: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "format": "caisse.rules/1",
        "id": "batch-test",
        "version": 1,
        "effective_from": "2020-01",
        "decision": "test",
        "contribution": {"formula": copy.deepcopy(contribution)},
        "credit": {"formula": copy.deepcopy(credit)},
        **extra,
    }


@st.composite
def rule_documents(draw: st.DrawFn) -> dict[str, Any]:
    doc = document(draw(st.sampled_from(CONTRIBUTIONS)), draw(st.sampled_from(CREDITS)))
    doc["contribution"]["rounding"] = draw(st.sampled_from(ROUNDINGS))
    doc["credit"]["rounding"] = draw(st.sampled_from(ROUNDINGS))
    doc["age_reference_day"] = draw(st.sampled_from([1, 15, 29, 31, "last"]))
    if draw(st.booleans()):
        doc["resources"] = {
            "consumption_units": {
                "first_person": "1",
                "bands": [{"min_age": 18, "weight": "0.6"}, {"min_age": 0, "weight": "0.4"}],
            },
            "family_parts": {"adults": "1", "child_age_below": 18},
        }
    return doc


PERIODS = st.sampled_from([Period(2024, 2), Period(2025, 2), Period(2026, 11), Period(2028, 2)])
# Births around the age lines that matter (14, 18, 20, 65) and 29 February.
BIRTHS = st.one_of(
    st.dates(date(1930, 1, 1), date(2029, 12, 31)),
    st.sampled_from([date(2012, 2, 29), date(2010, 2, 28), date(2010, 3, 1), date(2008, 2, 29)]),
    st.integers(-3, 3).map(lambda days: date(2012, 11, 1) + timedelta(days=days)),
    st.none(),
)


@st.composite
def households(draw: st.DrawFn) -> list[HouseholdFacts]:
    count = draw(st.integers(1, 25))
    result = []
    for index in range(count):
        births = draw(st.lists(BIRTHS, min_size=0, max_size=7))
        income = draw(
            st.one_of(st.none(), st.integers(0, 2_000_000), st.sampled_from([0, 100000, 250000]))
        )
        result.append(
            HouseholdFacts(
                household_id=f"h{index:03d}",
                persons=tuple(Person(birth) for birth in births),
                income_cents=income,
            )
        )
    return result


@given(rule_documents(), households(), PERIODS)
def test_batch_results_are_identical_to_assess(
    doc: dict[str, Any], facts: list[HouseholdFacts], period: Period
) -> None:
    rules = parse_rule_set(doc)
    assert compile_batch(rules, period) is not None
    expected = [assess(rules, item, period, explain=False) for item in facts]
    assert assess_batch(rules, facts, period).assessments() == expected


@given(rule_documents(), households(), PERIODS)
def test_batch_explanations_are_identical_to_assess(
    doc: dict[str, Any], facts: list[HouseholdFacts], period: Period
) -> None:
    rules = parse_rule_set(doc)
    expected = [assess(rules, item, period, explain=True) for item in facts]
    got = assess_batch(rules, facts, period, explain=True).assessments()
    assert got == expected
    assert [a.as_dict() for a in got] == [a.as_dict() for a in expected]
    assert [a.explanation.render("fr") for a in got if a.explanation] == [
        a.explanation.render("fr") for a in expected if a.explanation
    ]


def test_the_bench_rule_set_is_compiled_not_delegated() -> None:
    rules = parse_rule_set(document(BENCH_CONTRIBUTION, BANDED_CREDIT))
    adult, child = Person(date(1980, 1, 1)), Person(date(2016, 1, 1))
    facts = [
        HouseholdFacts("a", (adult, child), income_cents=200_000),
        HouseholdFacts("b", (adult,), income_cents=None),
    ]
    result = assess_batch(rules, facts, Period(2026, 11))
    # a: 1.3 CU, income per CU 2 000 000/13 cents (1538.46 €); average rate
    # 3 % + 2 % × (538.46/1500) = 36.25/975; contribution 1538.46 € × 3.71795 % = 57.199 €
    # -> 57.20 €; credit 150 € + 45 € for the child = 195 €.
    assert (result.contributions_cents[0], result.credits_cents[0]) == (5720, 19500)
    assert list(result.fallback) == [1]
    assert result.assessment(1).status is Status.NEEDS_DATA


def test_unsupported_rule_sets_fall_back_to_assess_for_every_household() -> None:
    brackets = {
        "kind": "brackets",
        "base": "income",
        "brackets": [{"from": 0, "from_inclusive": True, "amount_cents": 500}],
    }
    rules = parse_rule_set(document(brackets, BANDED_CREDIT))
    period = Period(2026, 11)
    facts = [HouseholdFacts("a", (Person(date(1980, 1, 1)),), income_cents=100)]
    assert compile_batch(rules, period) is None
    assert assess_batch(rules, facts, period).assessments() == [
        assess(rules, facts[0], period, explain=False)
    ]


def test_age_lines_on_29_february_match_assess_exactly() -> None:
    # Ages taken on 29 Feb 2024: a person born on 28 Feb 2010 is 14, one born on 1 Mar 2010
    # is 13 (2010 has no 29 Feb). The batch path must draw the line at the same day.
    doc = document(BENCH_CONTRIBUTION, BANDED_CREDIT, age_reference_day="last")
    rules = parse_rule_set(doc)
    period = Period(2024, 2)
    adult = Person(date(1980, 1, 1))
    facts = [
        HouseholdFacts(f"h{i}", (adult, Person(born)), income_cents=150_000)
        for i, born in enumerate([date(2010, 2, 27), date(2010, 2, 28), date(2010, 3, 1)])
    ]
    result = assess_batch(rules, facts, period)
    assert list(result.credits_cents) == [22500, 22500, 19500]
    assert result.assessments() == [assess(rules, item, period, explain=False) for item in facts]
