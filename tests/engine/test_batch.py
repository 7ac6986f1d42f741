"""The batch path, the one way from facts to ``Assessment``s (``assess`` is its batch of one).

- The compiled form is the nodes' own: every household the compiled plan assesses gets what
  the nodes' ``evaluate`` gives on its own facts (``app.engine.batch.household``, the lane
  the plan itself takes for what has no fast form), explanations included.
- A household assessed alone gets what it gets among its whole fund (compositions shared).
- Hand-computed amounts for the bench rule set, brackets, a clamp whose floor passes its
  cap, and the 29 February age line.
"""

from __future__ import annotations

import copy
import pickle
from array import array
from dataclasses import FrozenInstanceError, replace
from datetime import date, timedelta
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.engine import Assessment, HouseholdFacts, Period, Person, Status, assess, parse_rule_set
from app.engine.assessment import assessed
from app.engine.batch import (
    BatchPlan,
    HouseholdColumns,
    NumberedIds,
    assess_batch,
    assess_columns,
    compile_batch,
)
from app.engine.batch.household import assess_household
from app.engine.problems import InvalidInput

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
    {
        "kind": "linear",
        "base": "income_per_cu",
        "from": {"base": 50000, "amount_cents": 300},
        "to": {"base": 200000, "amount_cents": 6000},
    },
    {
        "kind": "brackets",
        "base": "quotient_familial",
        "brackets": [
            {
                "from": 0,
                "from_inclusive": True,
                "to": 60000,
                "to_inclusive": True,
                "amount_cents": 200,
            },
            {
                "from": 60000,
                "from_inclusive": False,
                "to": 150000,
                "to_inclusive": False,
                "rate": "0.02",
            },
            {"from": 150000, "from_inclusive": True, "rate": "0.035"},
        ],
    },
    {
        # A computed floor that passes the cap for large households: the cap wins.
        "kind": "clamp",
        "of": {"kind": "proportional", "base": "income", "rate": "0.01"},
        "floor": {"kind": "household_amount", "per_person_cents": 2000},
        "cap": {"kind": "fixed", "amount_cents": 7000},
    },
]
CHOICES: list[dict[str, Any]] = [
    {"kind": "free_choice", "min_cents": 100, "max_cents": 15000},
    {"kind": "free_choice", "min_cents": 2000, "step_cents": 500},
    {
        "kind": "free_choice",
        "min": {"kind": "proportional", "base": "income", "rate": "0.025"},
        "max_cents": 9000,
        "suggested": {"kind": "proportional", "base": "income_per_cu", "rate": "0.04"},
    },
    {
        "kind": "free_choice",
        "min": {
            "kind": "household_amount",
            "per_household_cents": 1000,
            "per_extra_person_cents": 500,
        },
        "levels_cents": [1000, 2500, 5000, 10000],
    },
]
BRACKETS_CREDIT = {
    "kind": "brackets",
    "base": "income_per_person",
    "brackets": [
        {
            "from": 0,
            "from_inclusive": True,
            "to": 50000,
            "to_inclusive": False,
            "amount_cents": 12000,
        },
        {"from": 50000, "from_inclusive": True, "to": 100000, "to_inclusive": True, "rate": "0.1"},
        {"from": 100000, "from_inclusive": False, "amount_cents": 3000},
    ],
}
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
    BRACKETS_CREDIT,
    {
        "kind": "brackets",
        "base": "persons",
        "brackets": [
            {
                "from": 0,
                "from_inclusive": True,
                "to": 2,
                "to_inclusive": True,
                "amount_cents": 9000,
            },
            {"from": 2, "from_inclusive": False, "amount_cents": 16000},
        ],
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
    contributions = st.sampled_from(CONTRIBUTIONS) | st.sampled_from(CHOICES)
    doc = document(draw(contributions), draw(st.sampled_from(CREDITS)))
    # A free choice is recorded to the cent: its section's rounding unit is 1.
    free = doc["contribution"]["formula"]["kind"] == "free_choice"
    roundings = [item for item in ROUNDINGS if item["unit_cents"] == 1] if free else ROUNDINGS
    doc["contribution"]["rounding"] = draw(st.sampled_from(roundings))
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


MONTH = Period(2026, 11)
FACTS_ONE = HouseholdFacts("h1", (Person(date(1980, 1, 1)),), income_cents=123_456)
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
        chosen = draw(
            st.one_of(st.none(), st.integers(0, 20_000), st.sampled_from([100, 2500, 5000]))
        )
        result.append(
            HouseholdFacts(
                household_id=f"h{index:03d}",
                persons=tuple(Person(birth) for birth in births),
                income_cents=income,
                chosen_contribution_cents=chosen,
            )
        )
    return result


@given(rule_documents(), households(), PERIODS, st.booleans())
def test_the_compiled_form_gives_what_the_nodes_give_each_household(
    doc: dict[str, Any], facts: list[HouseholdFacts], period: Period, explain: bool
) -> None:
    rules = parse_rule_set(doc)
    assert compile_batch(rules, period) is not None
    got = assess_batch(rules, facts, period, explain=explain).assessments()
    nodes = [assess_household(rules, item, period, explain=explain) for item in facts]
    assert got == nodes
    assert [a.as_dict() for a in got] == [a.as_dict() for a in nodes]
    assert [a.explanation.render("fr") for a in got if a.explanation] == [
        a.explanation.render("fr") for a in nodes if a.explanation
    ]


@given(rule_documents(), households(), PERIODS, st.booleans())
def test_a_household_alone_gets_what_it_gets_in_its_fund(
    doc: dict[str, Any], facts: list[HouseholdFacts], period: Period, explain: bool
) -> None:
    rules = parse_rule_set(doc)
    together = assess_batch(rules, facts, period, explain=explain).assessments()
    alone = [assess(rules, item, period, explain=explain) for item in facts]
    assert together == alone
    assert [a.as_dict() for a in together] == [a.as_dict() for a in alone]


@given(households(), PERIODS)
def test_the_bench_contribution_never_falls_when_income_rises(
    facts: list[HouseholdFacts], period: Period
) -> None:
    rules = parse_rule_set(document(BENCH_CONTRIBUTION, BANDED_CREDIT))
    richer = [replace(item, income_cents=(item.income_cents or 0) + 12_345) for item in facts]
    low = assess_batch(rules, facts, period)
    high = assess_batch(rules, richer, period)
    for index, item in enumerate(facts):
        if item.income_cents is None or low.contributions_cents[index] is None:
            continue
        assert high.contributions_cents[index] is not None
        assert low.contributions_cents[index] <= high.contributions_cents[index]  # type: ignore[operator]


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


def test_credit_brackets_are_compiled() -> None:
    rules = parse_rule_set(document(BENCH_CONTRIBUTION, BRACKETS_CREDIT))
    period = Period(2026, 11)
    adult = Person(date(1980, 1, 1))
    facts = [
        HouseholdFacts("low", (adult, adult), income_cents=99_998),  # 49 999 per person
        HouseholdFacts("edge", (adult,), income_cents=50_000),  # 50 000: second, 10 %
        HouseholdFacts("rate", (adult, adult, adult), income_cents=200_000),  # 66 666.67
        HouseholdFacts("top", (adult, adult), income_cents=200_000),  # 100 000 included
        HouseholdFacts("above", (adult,), income_cents=100_001),  # above 100 000
    ]
    assert compile_batch(rules, period) is not None
    result = assess_batch(rules, facts, period)
    # 10 % of 200 000/3 = 6 666.67 -> 6 667; 10 % of 100 000 = 10 000.
    assert list(result.credits_cents) == [12000, 5000, 6667, 10000, 3000]
    assert result.fallback == {}


def test_a_computed_floor_above_the_cap_gives_the_cap() -> None:
    clamp = {
        "kind": "clamp",
        "of": {"kind": "proportional", "base": "income", "rate": "0.01"},
        "floor": {"kind": "household_amount", "per_person_cents": 2000},
        "cap": {"kind": "fixed", "amount_cents": 7000},
    }
    rules = parse_rule_set(document(clamp, BANDED_CREDIT))
    period = Period(2026, 11)
    adult = Person(date(1980, 1, 1))
    facts = [
        HouseholdFacts("two", (adult,) * 2, income_cents=100_000),  # 1 000 -> floor 4 000
        HouseholdFacts("three", (adult,) * 3, income_cents=900_000),  # 9 000 -> cap 7 000
        HouseholdFacts("four", (adult,) * 4, income_cents=100_000),  # floor 8 000 -> cap 7 000
    ]
    assert compile_batch(rules, period) is not None
    result = assess_batch(rules, facts, period)
    assert list(result.contributions_cents) == [4000, 7000, 7000]


def test_a_free_choice_is_compiled_and_a_missing_one_goes_through_the_nodes() -> None:
    choice = {"kind": "free_choice", "min_cents": 100, "max_cents": 15000}
    rules = parse_rule_set(document(choice, BANDED_CREDIT))
    period = Period(2026, 11)
    adult = Person(date(1980, 1, 1))
    facts = [
        HouseholdFacts("chose", (adult,), income_cents=100, chosen_contribution_cents=2500),
        HouseholdFacts("did-not", (adult,), income_cents=100),
        HouseholdFacts("too-much", (adult,), income_cents=100, chosen_contribution_cents=15001),
    ]
    assert compile_batch(rules, period) is not None
    result = assess_batch(rules, facts, period)
    assert sorted(result.fallback) == [1, 2]
    chose, did_not, too_much = result.assessments()
    assert (chose.status, chose.contribution_cents, chose.credit_cents) == (
        Status.ASSESSED,
        2500,
        15000,
    )
    assert chose.choice is not None
    assert (chose.choice.min_cents, chose.choice.max_cents) == (100, 15000)
    assert did_not.status is Status.NEEDS_DATA
    assert did_not.problems[0].path == "chosen_contribution_cents"
    assert did_not.choice == chose.choice
    assert too_much.status is Status.REJECTED


def test_age_lines_on_29_february_are_drawn_on_the_right_day() -> None:
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
    assert result.fallback == {}
    nodes = [assess_household(rules, item, period, explain=False) for item in facts]
    assert [outcome.credit_cents for outcome in nodes] == [22500, 22500, 19500]


def test_the_batch_builds_the_same_frozen_assessment_as_the_constructor() -> None:
    explanation = assess(
        parse_rule_set(document(SCALE, BANDED_CREDIT)), FACTS_ONE, MONTH
    ).explanation
    built = assessed("h1", MONTH, 1234, None, explanation)
    expected = Assessment("h1", MONTH, Status.ASSESSED, 1234, None, explanation=explanation)
    assert built == expected
    assert hash(built) == hash(expected)
    assert built.as_dict() == expected.as_dict()
    assert pickle.loads(pickle.dumps(built)) == expected
    with pytest.raises(FrozenInstanceError):
        built.credit_cents = 5  # type: ignore[misc]


def test_a_bound_of_a_free_choice_that_reads_ages_needs_every_birth_date() -> None:
    # The suggestion reads consumption units, so ages: a missing birth date is asked for,
    # even though the chosen amount and the flat credit read no age.
    choice = {
        "kind": "free_choice",
        "min_cents": 0,
        "suggested": {"kind": "proportional", "base": "income_per_cu", "rate": "0.04"},
    }
    flat = {"kind": "base_plus_extra", "base_cents": 10000, "per_extra_person_cents": 5000}
    rules = parse_rule_set(document(choice, flat))
    unknown = HouseholdFacts(
        "h", (Person(None), Person(None)), income_cents=0, chosen_contribution_cents=5000
    )
    outcome = assess(rules, unknown, MONTH, explain=False)
    assert outcome.status is Status.NEEDS_DATA
    assert outcome.problems[0].path == "persons[0].birth_on"


def plain_columns(facts: list[HouseholdFacts]) -> HouseholdColumns:
    """The columns a loader of stored columns would build, value by value (no facts kept)."""
    births = [
        None if person.birth_on is None else person.birth_on.toordinal()
        for item in facts
        for person in item.persons
    ]
    return HouseholdColumns(
        [item.household_id for item in facts],
        [item.income_cents for item in facts],
        [len(item.persons) for item in facts],
        births,
        [item.chosen_contribution_cents for item in facts],
    )


@given(rule_documents(), households(), PERIODS, st.booleans())
def test_the_columns_give_exactly_what_each_households_facts_give(
    doc: dict[str, Any], facts: list[HouseholdFacts], period: Period, explain: bool
) -> None:
    rules = parse_rule_set(doc)
    plan = plan_for(rules, period)
    columns = plan.run_columns(plain_columns(facts), explain=explain)
    alone = [assess_household(rules, item, period, explain=explain) for item in facts]
    got = columns.assessments()
    assert got == alone
    assert [a.as_dict() for a in got] == [a.as_dict() for a in alone]
    assert [a.explanation.render("en") for a in got if a.explanation] == [
        a.explanation.render("en") for a in alone if a.explanation
    ]
    assert got == plan.run(facts, explain=explain).assessments()
    assert got == assess_columns(rules, plain_columns(facts), period, explain=explain).assessments()


def plan_for(rules: Any, period: Period) -> BatchPlan:
    plan = compile_batch(rules, period)
    assert plan is not None
    return plan


def test_columns_of_the_bench_rule_set_by_hand() -> None:
    rules = parse_rule_set(document(BENCH_CONTRIBUTION, BANDED_CREDIT))
    adult, child = date(1980, 1, 1).toordinal(), date(2016, 1, 1).toordinal()
    columns = HouseholdColumns(
        ["a", "unknown-age", "nobody", "no-income"],
        [200_000, 100_000, 100_000, None],
        [2, 2, 0, 1],
        [adult, child, adult, None, adult],
    )
    result = plan_for(rules, Period(2026, 11)).run_columns(columns, explain=True)
    # a: as in test_the_bench_rule_set_is_compiled_not_delegated: 57.20 € and 195 €.
    assert (result.contributions_cents[0], result.credits_cents[0]) == (5720, 19500)
    assert sorted(result.fallback) == [1, 2, 3]
    assert {result.assessment(i).status for i in (1, 2, 3)} == {Status.NEEDS_DATA}
    assert result.explanations[1:] == [None, None, None]  # the fallback's outcomes have theirs
    explained = result.assessment(0).explanation
    assert explained is not None and explained == result.explanations[0]
    assert explained.inputs == (("income_cents", 200_000), ("persons", 2))
    assert explained == assess(rules, columns.household(0), Period(2026, 11)).explanation
    assert columns.household(-4) == columns.household(0)
    assert columns.household(-1) == HouseholdFacts("no-income", (Person(date(1980, 1, 1)),))
    with pytest.raises(IndexError):
        columns.household(4)


@pytest.mark.parametrize(
    ("column", "value", "path"),
    [
        ("household_ids", [""], "household_ids"),
        ("household_ids", [7], "household_ids"),
        ("incomes_cents", [-1], "incomes_cents"),
        ("incomes_cents", [True], "incomes_cents"),
        ("incomes_cents", [1, 2], "incomes_cents"),
        ("person_counts", [None], "person_counts"),
        ("person_counts", [2], "birth_days"),
        ("birth_days", [date(1980, 1, 1)], "birth_days"),
        ("chosen_contributions_cents", [-5], "chosen_contributions_cents"),
    ],
)
def test_columns_refuse_what_the_facts_refuse(column: str, value: list[Any], path: str) -> None:
    good: dict[str, Any] = {
        "household_ids": ["h"],
        "incomes_cents": [100],
        "person_counts": [1],
        "birth_days": [date(1980, 1, 1).toordinal()],
    }
    with pytest.raises(InvalidInput) as raised:
        HouseholdColumns(**(good | {column: value}))
    assert [problem.path for problem in raised.value.problems] == [path]


def test_columns_of_a_rule_set_without_a_plan_go_node_by_node() -> None:
    # Eligibility has no compiled form: each household's facts, from the columns, node by node.
    rules = parse_rule_set(document(SCALE, BANDED_CREDIT, eligibility={"persons_at_least": 2}))
    assert compile_batch(rules, MONTH) is None
    adult = date(1980, 1, 1).toordinal()
    columns = HouseholdColumns(["one", "two"], [100_000, 100_000], [1, 2], [adult, adult, adult])
    result = assess_columns(rules, columns, MONTH)
    assert [a.status for a in result.assessments()] == [Status.NOT_ELIGIBLE, Status.ASSESSED]
    two = HouseholdFacts("two", (Person(date(1980, 1, 1)),) * 2, income_cents=100_000)
    assert result.assessment(1) == assess(rules, two, MONTH, explain=False)
    assert columns.household(1) == two


def test_numbered_ids_are_formatted_when_read() -> None:
    ids = NumberedIds("h%03d", 3)
    assert (len(ids), list(ids), ids[-1], ids[1:]) == (3, ["h000", "h001", "h002"], "h002", ["h001", "h002"])
    with pytest.raises(IndexError):
        ids[3]
    with pytest.raises(InvalidInput) as raised:
        NumberedIds("%.0s", 2)  # every identifier would be empty
    assert [problem.path for problem in raised.value.problems] == ["household_ids"]
    with pytest.raises(InvalidInput):
        NumberedIds("h", 2)  # no number in it
    rules = parse_rule_set(document(BENCH_CONTRIBUTION, BANDED_CREDIT))
    adult = date(1980, 1, 1).toordinal()
    columns = HouseholdColumns(ids, array("q", [0] * 3), array("q", [1] * 3), array("q", [adult] * 3))
    result = assess_columns(rules, columns, MONTH)
    assert [a.household_id for a in result.assessments()] == ["h000", "h001", "h002"]
    assert columns.household(2).household_id == "h002"


def test_the_scale_per_consumption_unit_around_its_thresholds() -> None:
    # Two adults: 1.5 consumption units, so the thresholds of 1,000 € and 2,500 € per unit
    # are 1,500 € and 3,750 € of income: the compiled form finds the segment from the income
    # (``_Segments``), the nodes from the income per unit.
    rules = parse_rule_set(document(SCALE, BANDED_CREDIT))
    adult = date(1980, 1, 1).toordinal()
    incomes = [0, 1, 149_999, 150_000, 150_001, 374_999, 375_000, 375_001, 2_000_000]
    columns = HouseholdColumns(
        NumberedIds("h%d", len(incomes)),
        array("q", incomes),
        array("q", [2] * len(incomes)),
        array("q", [adult] * 2 * len(incomes)),
    )
    got = assess_columns(rules, columns, MONTH).assessments()
    alone = [
        assess_household(rules, columns.household(i), MONTH, explain=False)
        for i in range(len(incomes))
    ]
    assert got == alone
    # The scale applies to the income per unit: 1,000 € at exactly 3 %, 2,500 € at 5 %.
    assert (got[3].contribution_cents, got[6].contribution_cents) == (3000, 12500)
