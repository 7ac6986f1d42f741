"""Eligibility conditions: each leaf, all_of / any_of / not, missing facts, explanations."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest

from app.engine import (
    Assessment,
    HouseholdFacts,
    Period,
    Person,
    RuleSetInvalid,
    Status,
    assess,
    parse_rule_set,
)
from app.engine.explain import render_step

PERIOD = Period(2026, 3)
ADULT = Person(date(1980, 6, 1))
TEEN = Person(date(2010, 6, 1))  # 15
CHILD = Person(date(2016, 6, 1))  # 9


def _rules(condition: Any) -> Any:
    return parse_rule_set(
        {
            "format": "caisse.rules/1",
            "id": "test",
            "version": 1,
            "effective_from": "2026-01",
            "decision": "test",
            "eligibility": condition,
            "contribution": {"formula": {"kind": "fixed", "amount_cents": 1000}},
            "credit": {"formula": {"kind": "fixed", "amount_cents": 10000}},
        }
    )


def _assess(condition: Any, persons: tuple[Person, ...] = (ADULT,), **facts: Any) -> Assessment:
    return assess(_rules(condition), HouseholdFacts("h1", persons, **facts), PERIOD)


def _failed(condition: Any, persons: tuple[Person, ...] = (ADULT,), **facts: Any) -> list[str]:
    """Paths of the failed conditions; [] when eligible (and then fully assessed)."""
    result = _assess(condition, persons, **facts)
    if result.status is Status.ASSESSED:
        assert result.credit_cents == 10000
        return []
    assert result.status is Status.NOT_ELIGIBLE, result.problems
    assert (result.contribution_cents, result.credit_cents) == (None, None)
    return [p.path for p in result.problems]


def _invalid(condition: Any) -> dict[str, str]:
    with pytest.raises(RuleSetInvalid) as error:
        _rules(condition)
    return {p.path: p.message for p in error.value.problems}


def test_children_at_least_counts_children_below_the_age() -> None:
    rule = {"children_at_least": 2, "child_age_below": 18}
    assert _failed(rule, (ADULT, TEEN, CHILD)) == []
    assert _failed(rule, (ADULT, CHILD)) == ["eligibility.children_at_least"]
    # the teen (15) is not a child under 14
    assert _failed({"children_at_least": 2, "child_age_below": 14}, (ADULT, TEEN, CHILD)) == [
        "eligibility.children_at_least"
    ]


def test_persons_bounds_are_inclusive() -> None:
    assert _failed({"persons_at_least": 2}, (ADULT, CHILD)) == []
    assert _failed({"persons_at_least": 2}, (ADULT,)) == ["eligibility.persons_at_least"]
    assert _failed({"persons_at_most": 2}, (ADULT, CHILD)) == []
    assert _failed({"persons_at_most": 2}, (ADULT, ADULT, CHILD)) == ["eligibility.persons_at_most"]


def test_both_persons_bounds_in_one_condition_must_hold() -> None:
    rule = {"persons_at_least": 2, "persons_at_most": 3}
    assert _failed(rule, (ADULT,)) == ["eligibility.persons_at_least"]
    assert _failed(rule, (ADULT,) * 4) == ["eligibility.persons_at_most"]
    assert _failed(rule, (ADULT,) * 3) == []


def test_base_persons_is_a_persons_bound() -> None:
    assert _failed({"base": "persons", "at_most": 1}, (ADULT, CHILD)) == ["eligibility.at_most"]


@pytest.mark.parametrize(
    ("income_cents", "failed"),
    [
        (180000, []),  # 180000 / 1.5 CU = 120000: at the bound, inclusive
        (180001, ["eligibility.at_most"]),  # 120000.67 > 120000 (exact, not rounded)
    ],
)
def test_base_at_most_compares_the_exact_base(income_cents: int, failed: list[str]) -> None:
    rule = {"base": "income_per_cu", "at_most": 120000}
    assert _failed(rule, (ADULT, ADULT), income_cents=income_cents) == failed


def test_base_at_least_and_at_most_together() -> None:
    rule = {"base": "income", "at_least": 50000, "at_most": 200000}
    assert _failed(rule, income_cents=49999) == ["eligibility.at_least"]
    assert _failed(rule, income_cents=50000) == []
    assert _failed(rule, income_cents=200001) == ["eligibility.at_most"]


def test_base_failure_message_names_the_bound_and_the_value() -> None:
    result = _assess({"base": "income", "at_most": 200000}, income_cents=250000)
    assert result.problems[0].message == (
        "income at most €2000.00 required; the household's is €2500.00"
    )


def test_attribute_equals_and_in() -> None:
    assert _failed({"attribute": "scheme", "equals": "caf"}, attributes={"scheme": "caf"}) == []
    assert _failed({"attribute": "scheme", "equals": "caf"}, attributes={"scheme": "msa"}) == [
        "eligibility.equals"
    ]
    rule = {"attribute": "scheme", "in": ["caf", "msa"]}
    assert _failed(rule, attributes={"scheme": "msa"}) == []
    assert _failed(rule, attributes={"scheme": "autre"}) == ["eligibility.in"]


def test_all_of_reports_every_failed_part() -> None:
    rule = {"all_of": [{"persons_at_least": 3}, {"attribute": "scheme", "equals": "caf"}]}
    assert _failed(rule, attributes={"scheme": "msa"}) == [
        "eligibility.all_of[0].persons_at_least",
        "eligibility.all_of[1].equals",
    ]
    assert _failed(rule, (ADULT,) * 3, attributes={"scheme": "msa"}) == [
        "eligibility.all_of[1].equals"
    ]


def test_any_of_holds_when_one_alternative_holds() -> None:
    rule = {"any_of": [{"persons_at_least": 3}, {"attribute": "scheme", "equals": "caf"}]}
    assert _failed(rule, attributes={"scheme": "caf"}) == []
    assert _failed(rule, attributes={"scheme": "msa"}) == [
        "eligibility.any_of[0].persons_at_least",
        "eligibility.any_of[1].equals",
    ]


def test_not_fails_when_its_condition_holds() -> None:
    rule = {"not": {"attribute": "scheme", "equals": "agricole"}}
    assert _failed(rule, attributes={"scheme": "caf"}) == []
    result = _assess(rule, attributes={"scheme": "agricole"})
    assert result.status is Status.NOT_ELIGIBLE
    assert [(p.path, p.message) for p in result.problems] == [
        ("eligibility.not", "this must not be the case, and it is: scheme equal to 'agricole'")
    ]


def test_missing_attribute_is_needs_data_when_it_decides() -> None:
    result = _assess({"attribute": "scheme", "equals": "caf"})
    assert result.status is Status.NEEDS_DATA
    assert [p.path for p in result.problems] == ["attributes.scheme"]


def test_any_of_does_not_need_facts_of_an_alternative_it_does_not_use() -> None:
    rule = {"any_of": [{"attribute": "scheme", "equals": "caf"}, {"persons_at_least": 1}]}
    assert _failed(rule) == []  # the second alternative holds; the scheme is not needed


def test_all_of_fails_without_the_facts_of_its_other_parts() -> None:
    rule = {"all_of": [{"attribute": "scheme", "equals": "caf"}, {"persons_at_least": 3}]}
    # the persons part fails, so the missing scheme cannot change the outcome
    assert _failed(rule) == ["eligibility.all_of[1].persons_at_least"]


def test_all_of_needs_the_missing_fact_when_the_rest_holds() -> None:
    rule = {"all_of": [{"persons_at_least": 1}, {"children_at_least": 1, "child_age_below": 18}]}
    result = _assess(rule, (ADULT, Person(None)))
    assert result.status is Status.NEEDS_DATA
    assert [p.path for p in result.problems] == ["persons[1].birth_on"]


def test_outcome_does_not_depend_on_the_order_of_alternatives() -> None:
    parts = [{"attribute": "scheme", "equals": "caf"}, {"persons_at_least": 1}]
    assert _failed({"any_of": parts}) == _failed({"any_of": parts[::-1]}) == []


def test_eligible_trace_names_the_conditions_met() -> None:
    rule = {
        "any_of": [
            {"attribute": "scheme", "equals": "msa"},
            {"all_of": [{"persons_at_least": 2}, {"children_at_least": 1, "child_age_below": 18}]},
        ]
    }
    result = _assess(rule, (ADULT, CHILD), attributes={"scheme": "caf"})
    assert result.explanation is not None
    steps = result.explanation.credit
    assert [s.code for s in steps[:3]] == [
        "eligibility.persons_at_least.met",
        "eligibility.children_at_least.met",
        "eligibility.eligible",
    ]
    assert render_step(steps[1], "fr") == (
        "Le foyer compte 1 enfant(s) de moins de 18 ans ; au moins 1 demandé(s) : "
        "condition remplie."
    )
    assert render_step(steps[0], "en") == (
        "The household has 2 person(s); at least 2 required: condition met."
    )


def test_not_eligible_trace_explains_in_french() -> None:
    result = _assess({"attribute": "scheme", "in": ["caf", "msa"]}, attributes={"scheme": "x"})
    assert result.explanation is not None
    texts = [render_step(s, "fr") for s in result.explanation.credit]
    assert texts == [
        "« scheme » vaut « x » ; valeurs admises : caf, msa : non remplie.",
        "Le foyer ne remplit pas les conditions d'accès à la caisse.",
    ]


def test_every_malformed_condition_is_reported_with_its_path() -> None:
    problems = _invalid(
        {
            "all_of": [
                {"children_at_least": 2},
                {"attribute": "scheme", "in": ["caf", 3]},
                {"persons_at_least": 1, "any_of": []},
                {"colour": "blue"},
                {"base": "wealth", "at_most": 10},
                {"base": "income"},
                {"any_of": []},
                {"attribute": "scheme"},
            ]
        }
    )
    assert set(problems) == {
        "eligibility.all_of[0].child_age_below",
        "eligibility.all_of[1].in[1]",
        "eligibility.all_of[2]",
        "eligibility.all_of[3]",
        "eligibility.all_of[4].base",
        "eligibility.all_of[5]",
        "eligibility.all_of[6].any_of",
        "eligibility.all_of[7]",
    }
    assert "exactly one form" in problems["eligibility.all_of[2]"]
    assert "unknown condition" in problems["eligibility.all_of[3]"]
